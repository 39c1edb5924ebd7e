import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../helpers/chromium';

// The browser tests' foundation: Debian's Chromium starts under playwright-core and loads a page
// from a loopback server. If this fails, every browser test would too, and this says why first.
it('headless Chromium loads a page served on 127.0.0.1', async () => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<title>ok</title><p id="p">served</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    expect(await page.textContent('#p')).toBe('served');
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
