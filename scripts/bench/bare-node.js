// The ceiling of HTTP itself: a bare node:http server answering every request with a fixed JSON body.
const { createServer } = require('node:http');

const body = JSON.stringify({ userId: '1', email: 'foo@bar.com', expiresAt: '2022-01-01T10:00:00+00:00' });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
