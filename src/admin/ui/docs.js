// Renders the spec named by #reference[data-spec] with Swagger UI, served by this server: no network.
/* global SwaggerUIBundle */
const target = document.getElementById('reference');
SwaggerUIBundle({
  url: target.dataset.spec,
  domNode: target,
  deepLinking: true,
  // The default sends the spec to validator.swagger.io; offline, nothing leaves the machine.
  validatorUrl: null,
  tryItOutEnabled: false,
});
