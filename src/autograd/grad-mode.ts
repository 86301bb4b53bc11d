/** Grad mode: whether ops record graph nodes. */

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Runs `fn` with graph recording off (inference, optimizer updates). Restores the previous mode
 * afterwards, also when `fn` throws. `fn` may be async; the mode is restored when it settles.
 */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    enabled = prev;
    throw e;
  }
  if (result instanceof Promise) {
    return result.finally(() => {
      enabled = prev;
    }) as T;
  }
  enabled = prev;
  return result;
}

/** Sets grad mode and returns the previous value (for code that cannot use a callback). */
export function setGradEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}
