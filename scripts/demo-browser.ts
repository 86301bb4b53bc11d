/**
 * `npm run demo:browser [-- --port N]`: builds the browser demo's assets if they are missing
 * (scripts/demo-browser-assets.ts), then serves examples/browser with Vite's dev server on
 * 127.0.0.1 only and prints the address. Ctrl-C stops it.
 */
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { shutdown } from '../src/tensor/engine.js';
import { ensureBrowserAssets } from './demo-browser-assets.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--port');
  const port = at >= 0 ? Number(argv[at + 1]) : Number(process.env.PORT ?? 5173);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`demo:browser: --port must be a port number, got ${argv[at + 1] ?? process.env.PORT}`);

  const { dir, built } = await ensureBrowserAssets();
  if (!built) console.log(`browser demo assets: present in ${dir}`);
  await shutdown(); // the engine trained the checkpoint in this process; the page has its own

  const server = await createServer({
    configFile: fileURLToPath(new URL('../examples/browser/vite.config.ts', import.meta.url)),
    // The next free port if this one is taken; the host stays 127.0.0.1 (vite.config.ts).
    server: { port, strictPort: false },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
  console.log(`\nssa-seg browser demo: ${url}`);
  console.log(`  choose a backend with ${url}?backend=webgpu | webgl2 | webgl | webasm | cpu (default: the best that works)`);
  console.log('  Ctrl-C stops the server.');
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
