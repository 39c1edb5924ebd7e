#!/usr/bin/env node
/**
 * Part of `npm run build`: the web console's files (plain ES modules, CSS and HTML, no build step
 * of their own) go from src/admin/ui/ to dist/admin/ui/, where the server reads them on first request.
 * Swagger UI's bundle and stylesheet (with its licence) go from the swagger-ui-dist dev dependency to
 * dist/admin/swagger-ui/: a runtime dependency on that package would bring its install-time
 * download counter (@scarf/scarf) to everyone who installs authdouble.
 */
const { cpSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'dist', 'admin', 'ui');
rmSync(target, { recursive: true, force: true });
cpSync(path.join(root, 'src', 'admin', 'ui'), target, { recursive: true });

const swagger = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const swaggerTarget = path.join(root, 'dist', 'admin', 'swagger-ui');
rmSync(swaggerTarget, { recursive: true, force: true });
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE']) {
  cpSync(path.join(swagger, file), path.join(swaggerTarget, file));
}
