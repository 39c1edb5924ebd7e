// Starts webpack-dev-server (v5) on 127.0.0.1:<port> with the devServer of the README's
// webpack.config, serving the test app, and prints its URL.
const webpack = require('webpack');
const WebpackDevServer = require('webpack-dev-server');

const [configFile, root, port, outDir] = process.argv.slice(2);
const config = require(configFile);
const compiler = webpack({
  mode: 'development',
  context: root,
  entry: './flows.js',
  output: { path: outDir },
  infrastructureLogging: { level: 'warn' },
  stats: 'errors-only',
});
const server = new WebpackDevServer(
  {
    ...config.devServer,
    host: '127.0.0.1',
    port: Number(port),
    static: { directory: root },
    hot: false,
    liveReload: false,
    client: false,
    webSocketServer: false,
  },
  compiler,
);
server.start().then(
  () => process.stdout.write(`webpack listening on http://127.0.0.1:${port}\n`),
  (err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
const stop = () => server.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
