// Starts Vite's dev server programmatically on 127.0.0.1:<port> with the README's config file,
// serving the test app, and prints its URL. Run as a child process: Vite is ESM-only.
import { createServer } from 'vite';

const [configFile, root, port] = process.argv.slice(2);
const server = await createServer({
  configFile,
  root,
  logLevel: 'warn',
  clearScreen: false,
  server: { host: '127.0.0.1', port: Number(port), strictPort: true, hmr: false },
  optimizeDeps: { noDiscovery: true, include: [] },
  cacheDir: process.env.VITE_CACHE_DIR,
});
await server.listen();
process.stdout.write(`vite listening on ${server.resolvedUrls.local[0]}\n`);
const stop = () => server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
