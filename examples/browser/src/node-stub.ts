/**
 * What the page's bundle gets instead of Node's built-in modules (vite.config.ts aliases `node:fs`,
 * `node:path`, … here). Some engine files the page uses import them at the top for their file
 * functions (`src/io/safetensors.ts` → `node:fs/promises`; `src/io/atomic.ts` → `node:fs`,
 * `node:path`, `node:crypto`; `src/train/checkpoint.ts` → `node:fs`, `node:path`), which the page
 * never calls: it fetches bytes and parses them. Calling any of these throws at once.
 */

function unavailable(name: string): (...args: unknown[]) => never {
  return () => {
    throw new Error(`${name} is a Node.js function and is not available in the browser demo`);
  };
}

// node:fs, node:fs/promises (every name those files use, so the production build links cleanly)
export const readFile = unavailable('fs.readFile');
export const readFileSync = unavailable('fs.readFileSync');
export const writeFile = unavailable('fs.writeFile');
export const writeFileSync = unavailable('fs.writeFileSync');
export const existsSync = unavailable('fs.existsSync');
export const open = unavailable('fs.open');
export const openSync = unavailable('fs.openSync');
export const closeSync = unavailable('fs.closeSync');
export const fsyncSync = unavailable('fs.fsyncSync');
export const mkdir = unavailable('fs.mkdir');
export const mkdirSync = unavailable('fs.mkdirSync');
export const rename = unavailable('fs.rename');
export const renameSync = unavailable('fs.renameSync');
export const rm = unavailable('fs.rm');
export const rmSync = unavailable('fs.rmSync');
// node:path
export const basename = unavailable('path.basename');
export const dirname = unavailable('path.dirname');
export const join = unavailable('path.join');
export const resolve = unavailable('path.resolve');
// node:crypto
export const randomBytes = unavailable('crypto.randomBytes');
// node:os
export const tmpdir = unavailable('os.tmpdir');

export default {};
