/**
 * Where headless Chromium is and how it is started, shared by the browser e2e test
 * (test/browser/browser.e2e.test.ts) and the bench's browser peer (bench/peers/browser-tfjs.ts).
 * Both drive it with playwright-core; `npx playwright install` cannot download browsers here, so
 * it is Debian's package (`apt-get install chromium`) unless SSA_SEG_CHROMIUM names another.
 */

/** Chromium: $SSA_SEG_CHROMIUM, else Debian's package. */
export const CHROMIUM = process.env.SSA_SEG_CHROMIUM || '/usr/bin/chromium';

/**
 * Chromium flags. `--no-sandbox`: the tests run as root in a container. `--use-angle=swiftshader
 * --enable-unsafe-swiftshader`: WebGL on the SwiftShader software renderer (without the second flag
 * Chromium warns that the automatic software fallback is deprecated). `--enable-unsafe-webgpu`:
 * without it headless Chromium on Linux offers no WebGPU adapter; with it, SwiftShader's Vulkan.
 * No `--disable-gpu`: the GPU process must run to host SwiftShader. The rest keep the browser off
 * the (closed) network and quiet.
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
