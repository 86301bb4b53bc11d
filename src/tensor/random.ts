/**
 * Seeded random numbers, generated on the host so that every backend sees the same stream
 * (gpu.js's in-kernel generators differ between backends). mulberry32: small, fast, 32-bit state.
 */

export class Rng {
  private state: number;
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = this.next();
    while (u <= 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
  /** The state, to checkpoint and restore a stream exactly. */
  getState(): number {
    return this.state;
  }
  setState(s: number): void {
    this.state = s >>> 0;
  }
}

let globalRng = new Rng(0x5eed);

/** Seeds the global generator used by rand, randn, dropout and the nn initialisers. */
export function manualSeed(seed: number): void {
  globalRng = new Rng(seed);
}

/** The global generator, or a fresh one for an explicit seed. */
export function rngFor(seed?: number): Rng {
  return seed === undefined ? globalRng : new Rng(seed);
}

/** State of the global generator (to checkpoint and resume a run exactly). */
export function getGlobalRngState(): number {
  return globalRng.getState();
}

export function setGlobalRngState(s: number): void {
  globalRng.setState(s);
}
