// webpack.config.js: webpack-dev-server (v5) forwards the mock's paths to authdouble.
const mock = process.env.AUTHDOUBLE_URL ?? 'http://localhost:4600';

module.exports = {
  devServer: {
    proxy: [
      {
        context: ['/b2core', '/vault', '/fib', '/khe', '/sama', '/__admin'],
        target: mock,
        ws: true, // the sama WebSocket at /sama
      },
    ],
  },
};
