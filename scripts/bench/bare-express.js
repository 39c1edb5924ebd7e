// The framework's ceiling: a bare Express 5 app answering every request with a fixed JSON body.
const express = require('express');

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
const body = { userId: '1', email: 'foo@bar.com', expiresAt: '2022-01-01T10:00:00+00:00' };
app.use((_req, res) => {
  res.json(body);
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
