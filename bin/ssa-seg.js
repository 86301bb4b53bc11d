#!/usr/bin/env node
// The ssa-seg command. In a clone (src/ present and tsx installed) it runs the TypeScript sources;
// in an installed package it runs the compiled dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const dist = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
let mod;
if (existsSync(src)) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    mod = await import(new URL('../src/cli/main.ts', import.meta.url).href);
  } catch (e) {
    if (!existsSync(dist)) throw e;
  }
}
if (!mod) mod = await import(new URL('../dist/cli/main.js', import.meta.url).href);
process.exit(await mod.main(process.argv.slice(2)));
