// vite.config.mjs: Vite's dev server forwards the mock's paths to authdouble, so the page calls its
// own origin: no CORS at all, and the sama refresh cookie is first-party.
import { defineConfig } from 'vite';

const mock = process.env.AUTHDOUBLE_URL ?? 'http://localhost:4600';

export default defineConfig({
  server: {
    proxy: {
      '/b2core': mock,
      '/vault': mock,
      '/fib': mock,
      '/khe': mock,
      '/sama': { target: mock, ws: true }, // POST /sama/login and the WebSocket at /sama
      '/__admin': mock, // the control API, for a test page or a dev toolbar
    },
  },
});
