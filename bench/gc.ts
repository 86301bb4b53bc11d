/**
 * A full garbage collection between implementations, so that none is timed while V8 collects another's
 * garbage (tfjs-cpu's steps leave hundreds of MiB of typed arrays; a probe that allocated like that
 * slowed the next 20 of our steps by ~10 %). Node only: `gc` is exposed on demand through the V8 flag.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | null | undefined;

/** Runs a full collection; false where the runtime does not allow one. */
export function collectGarbage(): boolean {
  if (gcFn === undefined) {
    gcFn = (globalThis as { gc?: () => void }).gc ?? null;
    if (!gcFn) {
      try {
        v8.setFlagsFromString('--expose-gc');
        gcFn = vm.runInNewContext('gc') as () => void;
      } catch {
        gcFn = null;
      }
    }
  }
  if (!gcFn) return false;
  gcFn();
  return true;
}
