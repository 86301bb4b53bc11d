/**
 * A full garbage collection between implementations, so that none is timed while V8 collects another's
 * garbage (tfjs-cpu's steps leave hundreds of MiB of typed arrays; a probe that allocated like that
 * slowed the next 20 of our steps by ~10 %). Node only: `gc` is exposed on demand through the V8 flag.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | null | undefined;

/** V8's `gc`, exposed on first use; null where the runtime does not allow it. */
function gcFunction(): (() => void) | null {
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
  return gcFn;
}

/** Whether collectGarbage() can run a full collection here. */
export function canCollectGarbage(): boolean {
  return gcFunction() !== null;
}

/** Runs a full collection; false where the runtime does not allow one. */
export function collectGarbage(): boolean {
  const gc = gcFunction();
  gc?.();
  return gc !== null;
}
