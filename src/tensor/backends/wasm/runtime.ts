/**
 * The WebAssembly side of the host kernels: one instance of kernels.wat over one memory (shared when
 * worker threads can be used), a bump arena that each job lays its operands, tables and scratch out
 * in, and a pool of workers that run jobs together with the calling thread.
 *
 * Invariants: one job at a time uses the arena (`busy`); asynchronous jobs queue on `tail`. A job is
 * split into independent tasks that threads take with an atomic counter (kernels.wat, `run`), so a
 * worker that is not ready yet simply takes no tasks.
 */
import { KERNELS_WASM_PLAIN_PATCH, KERNELS_WASM_SHARED } from './kernels-wasm.js';
import { hostPool } from '../../buffer-pool.js';
import { ResidentHeap } from './resident.js';

/** Byte layout of the first page: the control block (i32 words) shared with the workers. */
const PENDING = 0; // workers still running the current job
const FAILED = 1; // set by a worker whose task trapped
const SLOT0 = 16; // worker w's words: [SLOT0 + 16w] seq, +1 job, +2 ready, +3 quit
const SLOT_WORDS = 16;
const MAX_WORKERS = 64;
/** The arena starts after the control page. */
const ARENA_BASE = 65536;
/**
 * Where a shared runtime's resident heap starts (resident.ts): the arena keeps the 768 MiB below.
 * Pages are committed only when first written, so the reserved range costs no memory until used.
 */
const HEAP_BASE = 768 * 2 ** 20;
/**
 * Default bytes of the resident heap. The compact model's training step keeps ~24 MiB there; the
 * cap bounds what a loop that drops tensors without disposing them can hold before the garbage
 * collector frees their blocks (past it, outputs are copies again, as without the heap).
 */
const HEAP_BYTES = 512 * 2 ** 20;
const PAGE = 65536;
/** cachedTable() forgets every table when it holds this many (a model has a few dozen geometries). */
const MAX_CACHED_TABLES = 1024;
/** 2 GiB: byte addresses stay positive i32s inside the kernels. */
const MAX_PAGES = 32768;

/** Runs in each worker (CommonJS under Node's `eval: true`, or a classic Web Worker script). */
const WORKER_SOURCE = `'use strict';
const isNode = typeof process !== 'undefined' && !!(process.versions && process.versions.node);
const onInit = (fn) => {
  if (isNode) require('node:worker_threads').parentPort.once('message', fn);
  else self.onmessage = (e) => fn(e.data);
};
onInit((init) => {
  const { module, memory, tid, slot, spin } = init;
  const run = new WebAssembly.Instance(module, { env: { memory } }).exports.run;
  const ctl = new Int32Array(memory.buffer, 0, ${PAGE / 4});
  Atomics.store(ctl, slot + 2, 1);
  let seen = 0;
  for (;;) {
    let s = Atomics.load(ctl, slot);
    for (let i = 0; s === seen && i < spin; i++) s = Atomics.load(ctl, slot);
    if (s === seen) {
      Atomics.wait(ctl, slot, seen);
      continue;
    }
    seen = s;
    if (Atomics.load(ctl, slot + 3)) break;
    try {
      run(Atomics.load(ctl, slot + 1), tid);
    } catch (e) {
      Atomics.store(ctl, ${FAILED}, 1);
      console.error('ssa-seg wasm worker ' + tid + ': ' + (e && e.message ? e.message : e));
    }
    if (Atomics.sub(ctl, ${PENDING}, 1) === 1) Atomics.notify(ctl, ${PENDING});
  }
});
`;

interface WorkerHandle {
  terminate(): unknown;
  /** Node: keep the process alive (while a job runs) or not (while idle). */
  ref?(): void;
  unref?(): void;
}

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let compiled: { shared: WebAssembly.Module | null; plain: WebAssembly.Module | null } = { shared: null, plain: null };

/** The module's bytes: the shared-memory binary, or the plain-memory one (its memory limits flag changed). */
function wasmBytes(shared: boolean): BufferSource {
  const bytes = decodeBase64(KERNELS_WASM_SHARED);
  if (!shared) bytes[KERNELS_WASM_PLAIN_PATCH.offset] = KERNELS_WASM_PLAIN_PATCH.value;
  return bytes as BufferSource;
}

function moduleFor(shared: boolean): WebAssembly.Module {
  const key = shared ? 'shared' : 'plain';
  let m = compiled[key];
  if (!m) {
    // NOTE: synchronous compilation (7 KB). Browsers refuse it on the main thread above 4 KB;
    // WasmRuntime.create compiles asynchronously instead.
    m = new WebAssembly.Module(wasmBytes(shared));
    compiled = { ...compiled, [key]: m };
  }
  return m;
}

async function moduleForAsync(shared: boolean): Promise<WebAssembly.Module> {
  const key = shared ? 'shared' : 'plain';
  const m = compiled[key] ?? (await WebAssembly.compile(wasmBytes(shared)));
  compiled = { ...compiled, [key]: m };
  return m;
}

/** Whether this engine runs WebAssembly SIMD (a one-instruction probe module). */
export function wasmSimdSupported(): boolean {
  try {
    // (module (func (result v128) (v128.const i32x4 0 0 0 0)))
    const probe = Uint8Array.from([
      0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
    ]);
    return typeof WebAssembly === 'object' && WebAssembly.validate(probe);
  } catch {
    return false;
  }
}

/** Whether worker threads over a shared memory are possible here. */
export function threadsSupported(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean; process?: { versions?: { node?: string } } };
  if (g.process?.versions?.node) return true;
  return g.crossOriginIsolated === true && typeof Worker !== 'undefined';
}

/** True on a browser's main thread, where Atomics.wait is not allowed. */
function cannotBlock(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } }; document?: unknown };
  return !g.process?.versions?.node && typeof g.document !== 'undefined';
}

/** hardwareConcurrency (browsers) or availableParallelism (Node). */
export function hardwareThreads(): number {
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; process?: { getBuiltinModule?: (id: string) => unknown } };
  const n = g.navigator?.hardwareConcurrency;
  if (typeof n === 'number' && n > 0) return n;
  // NOTE: Node 20 has no `navigator`; os.availableParallelism() is its equivalent.
  const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  const m = os?.availableParallelism?.();
  return typeof m === 'number' && m > 0 ? m : 1;
}

export interface WasmRuntimeOptions {
  /** Import a shared memory and run jobs on workers too. */
  shared: boolean;
  /** Compute threads for a parallel job: the caller plus workers when it waits synchronously, workers only when it awaits. */
  threads: number;
  /** Polls of its slot a worker makes before it sleeps in Atomics.wait (0: sleep at once). */
  spin?: number;
  /** Bytes of the resident heap of a shared memory (default HEAP_BYTES, 512 MiB, above the arena's 768). */
  residentBytes?: number;
}

export class WasmRuntime {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  readonly threads: number;
  private readonly module: WebAssembly.Module;
  private readonly runJob: (job: number, tid: number) => void;
  private readonly sumChunksFn: (src: number, n: number, count: number, dst: number) => void;
  /** Start of the task scratch inside each thread's scratch (kernels.wat, SCR_FREE). */
  readonly scratchFixed: number;
  private f32View: Float32Array;
  private i32View: Int32Array;
  private ctlView: Int32Array;
  private top = ARENA_BASE;
  private workers: WorkerHandle[] = [];
  /** Per worker: false once it reported an error (it takes no further jobs). */
  private live: boolean[] = [];
  /** Workers posted the job in flight (cleared when it completes). */
  private posted = new Set<number>();
  private workerError: string | null = null;
  private readonly spin: number;
  /** A job holds the arena. */
  busy = false;
  /** The resident heap, once a job asked for resident outputs (see `heap`). */
  private residentHeap: ResidentHeap | null = null;
  private readonly heapEnd: number;
  /**
   * Whether output() of the job being built may take resident blocks (set per job by the caller:
   * only the backend, which releases every output, asks for them).
   */
  keep = false;
  /** The SharedArrayBuffers this memory has had (one per size): a view of one reads in place. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** The last of them read() added. */
  private lastBuffer: ArrayBufferLike | null = null;
  /** Resident blocks output() gave the job being built, until read() hands them out (reset() frees the rest). */
  private unread: number[] = [];
  /**
   * Frees the block of a view that was dropped without release() (a tensor left to the garbage
   * collector), so a leak costs heap room only until the next collection.
   */
  private readonly finalizer = new FinalizationRegistry<number>((p) => {
    this.residentHeap?.release(p);
  });
  private tail: Promise<unknown> = Promise.resolve();
  /** cachedTable()'s tables by key. */
  private readonly tables = new Map<string, Int32Array>();

  /**
   * Compiles (once) and instantiates synchronously. Browsers refuse that on the main thread for
   * modules over 4 KB: use `WasmRuntime.create` there.
   */
  constructor(opts: WasmRuntimeOptions, made?: { module: WebAssembly.Module; memory: WebAssembly.Memory; instance: WebAssembly.Instance }) {
    this.shared = opts.shared && threadsSupported();
    this.threads = this.shared ? Math.max(1, Math.min(MAX_WORKERS, Math.floor(opts.threads))) : 1;
    this.spin = opts.spin ?? 0;
    this.module = made?.module ?? moduleFor(this.shared);
    this.memory = made?.memory ?? WasmRuntime.newMemory(this.shared);
    const inst = made?.instance ?? new WebAssembly.Instance(this.module, { env: { memory: this.memory } });
    const ex = inst.exports as { run: (job: number, tid: number) => void; sum_chunks: (src: number, n: number, count: number, dst: number) => void; SCR_FREE: WebAssembly.Global };
    this.runJob = ex.run;
    this.sumChunksFn = ex.sum_chunks;
    this.scratchFixed = ex.SCR_FREE.value as number;
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
    this.ctlView = new Int32Array(this.memory.buffer, 0, PAGE / 4);
    this.heapEnd = Math.min(MAX_PAGES * PAGE, HEAP_BASE + (opts.residentBytes ?? HEAP_BYTES));
  }

  /** The same runtime, compiled and instantiated asynchronously (works on a browser's main thread). */
  static async create(opts: WasmRuntimeOptions): Promise<WasmRuntime> {
    const shared = opts.shared && threadsSupported();
    const module = await moduleForAsync(shared);
    const memory = WasmRuntime.newMemory(shared);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return new WasmRuntime({ ...opts, shared }, { module, memory, instance });
  }

  private static newMemory(shared: boolean): WebAssembly.Memory {
    return new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared } as WebAssembly.MemoryDescriptor);
  }

  /** The control block (a plain memory's views detach when it grows). */
  private get ctl(): Int32Array {
    if (this.ctlView.byteLength === 0) this.ctlView = new Int32Array(this.memory.buffer, 0, PAGE / 4);
    return this.ctlView;
  }

  // ---- arena ----

  get f32(): Float32Array {
    if (this.f32View.byteLength !== this.memory.buffer.byteLength) this.refresh();
    return this.f32View;
  }

  get i32(): Int32Array {
    if (this.i32View.byteLength !== this.memory.buffer.byteLength) this.refresh();
    return this.i32View;
  }

  private refresh(): void {
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
  }

  /**
   * The resident heap of a shared memory (null for a plain one), made on first use: a memory whose
   * callers never ask for resident outputs keeps the whole 2 GiB for its job arena. Once it exists,
   * the arena stops at HEAP_BASE (768 MiB).
   */
  get heap(): ResidentHeap | null {
    if (!this.residentHeap && this.shared) this.residentHeap = new ResidentHeap(HEAP_BASE, this.heapEnd, (end) => this.ensureBytes(end));
    return this.residentHeap;
  }

  /** Frees the whole arena (the start of every job). */
  reset(): void {
    this.top = ARENA_BASE;
    // NOTE: outputs of a job that failed before they were read would otherwise leak
    for (const p of this.unread) this.residentHeap?.release(p);
    this.unread = [];
  }

  /** Reserves `bytes` (64-byte aligned, not zeroed) and returns the byte address. */
  alloc(bytes: number, what = 'buffer'): number {
    const p = this.top;
    const end = p + Math.ceil(Math.max(bytes, 0) / 64) * 64;
    const cap = this.residentHeap ? this.residentHeap.base : MAX_PAGES * PAGE;
    if (end > cap || !this.ensureBytes(end)) {
      throw new Error(`wasm kernels: a ${what} of ${bytes} bytes does not fit in the ${cap / 2 ** 20} MiB job arena of the WebAssembly memory (the job needs ${end} bytes)`);
    }
    this.top = end;
    return p;
  }

  /** Grows the memory to at least `end` bytes; false if that is past its maximum. */
  private ensureBytes(end: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return true;
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) return false;
    this.memory.grow(pages);
    return true;
  }

  /**
   * The byte address of `src`'s floats for a job: where they already are, when `src` is a view of
   * this memory (a resident output), else a copy in a new arena block.
   */
  put(src: Float32Array): number {
    if (this.residentHeap && this.holds(src)) return src.byteOffset;
    const p = this.alloc(src.length * 4, 'tensor');
    this.f32.set(src, p >> 2);
    return p;
  }

  /**
   * A block for a job's output of `n` floats: in the resident heap when the job may `keep` its
   * outputs and the heap has room (read() then hands out a view of it), else in the arena (read()
   * copies it out).
   */
  output(n: number, what: string): number {
    const p = this.keep && this.heap ? this.heap.alloc(n * 4) : -1;
    if (p < 0) return this.alloc(n * 4, what);
    this.unread.push(p);
    return p;
  }

  /** Frees the block under a view that read() handed out; false for any other array. */
  release(a: Float32Array): boolean {
    // NOTE: the finalizer's registrations double as the set of views read() handed out (each view is
    // its own unregister token), so a view made some other way (a subarray at the same address) is
    // never taken for one; one map fewer per output.
    if (!this.residentHeap || !this.finalizer.unregister(a)) return false;
    return this.residentHeap.release(a.byteOffset);
  }

  /** Whether `a` is a view of this memory (its floats are read in place). */
  holds(a: Float32Array): boolean {
    return this.buffers.has(a.buffer);
  }

  /**
   * table(), for a table that depends only on `key` (a job's geometry): computed once, then copied
   * in (a training step asks for the same ~60 conv tables every step; filling them one callback per
   * entry cost ~5 µs a conv job).
   */
  cachedTable(key: string, n: number, fill: (i: number) => number): number {
    let t = this.tables.get(key);
    if (!t) {
      t = new Int32Array(n + 8);
      for (let i = 0; i < n; i++) t[i] = fill(i);
      if (this.tables.size >= MAX_CACHED_TABLES) this.tables.clear();
      this.tables.set(key, t);
    }
    const p = this.alloc(t.length * 4, 'table');
    this.i32.set(t, p >> 2);
    return p;
  }

  /** Writes an i32 table (byte offsets), with 8 spare entries the packer may read past the end. */
  table(n: number, fill: (i: number) => number): number {
    const p = this.alloc((n + 8) * 4, 'table');
    const v = this.i32;
    const base = p >> 2;
    for (let i = 0; i < n; i++) v[base + i] = fill(i);
    for (let i = n; i < n + 8; i++) v[base + i] = 0;
    return p;
  }

  /**
   * On this thread: dst[i] = src[i] + src[n + i] + … + src[(count − 1)·n + i], added in that order
   * with f32 rounding after each add (kernels.wat `sum_chunks`; byte addresses, n floats per chunk).
   */
  sumChunks(src: number, n: number, count: number, dst: number): void {
    this.sumChunksFn(src, n, count, dst);
  }

  /**
   * The `n` floats at byte address `p`: a view of the memory when `p` is a resident block that
   * output() gave (the caller owns it until it passes it to release()), else a copy in an array
   * from the host buffer pool.
   */
  read(p: number, n: number): Float32Array {
    const i = this.unread.indexOf(p);
    if (i >= 0) {
      this.unread.splice(i, 1);
      // NOTE: f32 is refreshed after a grow, so its buffer is the memory's current SharedArrayBuffer
      const buf = this.f32.buffer;
      if (buf !== this.lastBuffer) {
        this.buffers.add(buf);
        this.lastBuffer = buf;
      }
      const v = new Float32Array(buf, p, n);
      this.finalizer.register(v, p, v);
      return v;
    }
    const out = hostPool.take(n);
    out.set(this.f32.subarray(p >> 2, (p >> 2) + n));
    return out;
  }

  // ---- running jobs ----

  /** Up to `max` live workers that have started (instantiated the module). */
  private readyWorkers(max: number): number[] {
    const ids: number[] = [];
    for (let w = 0; w < this.workers.length && ids.length < max; w++) {
      if (this.live[w] && Atomics.load(this.ctl, SLOT0 + SLOT_WORDS * w + 2) === 1) ids.push(w);
    }
    return ids;
  }

  /**
   * A worker reported an error (in practice: it could not start, so it took no task). It takes no
   * further jobs; if it was posted the job in flight, its share of PENDING is released so the
   * awaiting caller wakes, and runs whatever tasks are left itself.
   */
  private workerFailed(w: number, msg: string): void {
    this.workerError ??= msg;
    this.live[w] = false;
    if (this.posted.delete(w) && Atomics.sub(this.ctl, PENDING, 1) === 1) Atomics.notify(this.ctl, PENDING);
  }

  /** Starts workers up to `n` (no-op without threads). */
  private ensureWorkers(n: number): void {
    if (!this.shared || this.workerError || this.workers.length >= n) return;
    while (this.workers.length < n) {
      const w = this.workers.length;
      const init = { module: this.module, memory: this.memory, tid: w + 1, slot: SLOT0 + SLOT_WORDS * w, spin: this.spin };
      try {
        this.workers.push(spawnWorker(init, (msg) => this.workerFailed(w, msg)));
        this.live.push(true);
      } catch (e) {
        this.workerError = `could not start a worker: ${(e as Error).message}`;
        return;
      }
    }
  }

  private post(job: number, ids: readonly number[]): void {
    Atomics.store(this.ctl, PENDING, ids.length);
    this.posted = new Set(ids);
    for (const w of ids) {
      const slot = SLOT0 + SLOT_WORDS * w;
      Atomics.store(this.ctl, slot + 1, job);
      Atomics.add(this.ctl, slot, 1);
      Atomics.notify(this.ctl, slot, 1);
    }
  }

  private checkFailed(): void {
    if (this.shared && Atomics.exchange(this.ctl, FAILED, 0) !== 0) throw new Error('wasm kernels: a worker trapped while running a job (see its message above)');
  }

  /**
   * Runs the job at `job` on this thread (tid 0), with ready workers when `parallel`, and returns
   * when every task is done. The caller sleeps in Atomics.wait for the workers' last tasks.
   */
  runSync(job: number, parallel: boolean): void {
    let ids: number[] = [];
    if (parallel && this.threads > 1 && !cannotBlock()) {
      this.ensureWorkers(this.threads - 1);
      ids = this.readyWorkers(this.threads - 1);
    }
    if (ids.length > 0) this.post(job, ids);
    try {
      this.runJob(job, 0);
    } finally {
      if (ids.length > 0) {
        // NOTE: only started workers were posted, so none can fail to start while this blocks.
        for (;;) {
          const p = Atomics.load(this.ctl, PENDING);
          if (p === 0) break;
          Atomics.wait(this.ctl, PENDING, p);
        }
        this.posted.clear();
      }
    }
    this.checkFailed();
  }

  /**
   * Runs the job on `threads` workers while this thread awaits (Atomics.waitAsync). Workers that are
   * still starting take part once ready.
   */
  async runAsync(job: number): Promise<void> {
    this.ensureWorkers(this.threads);
    const ids = this.workers.map((_, w) => w).filter((w) => this.live[w]);
    if (ids.length === 0) {
      this.runJob(job, 0);
      return;
    }
    // NOTE: a pending Atomics.waitAsync does not keep Node's event loop alive; the workers (unref'd
    // while idle) do, for as long as the job runs.
    for (const w of this.workers) w.ref?.();
    try {
      this.post(job, ids);
      const waitAsync = (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<unknown> | string } }).waitAsync;
      for (;;) {
        const p = Atomics.load(this.ctl, PENDING);
        if (p === 0) break;
        if (waitAsync) {
          const r = waitAsync(this.ctl, PENDING, p);
          if (r.async) await r.value;
        } else {
          await new Promise((res) => setTimeout(res, 0));
        }
      }
    } finally {
      this.posted.clear();
      for (const w of this.workers) w.unref?.();
    }
    // tasks a failed worker never took (none when every worker is healthy: one atomic add)
    this.runJob(job, 0);
    this.checkFailed();
  }

  /** Runs `fn` holding the arena, after any queued asynchronous job. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = async () => {
      this.busy = true;
      try {
        return await fn();
      } finally {
        this.busy = false;
      }
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }

  /** Why workers are not used, if they are not (for diagnostics). */
  get threadInfo(): { threads: number; workers: number; ready: number; error: string | null } {
    return { threads: this.threads, workers: this.workers.length, ready: this.readyWorkers(MAX_WORKERS).length, error: this.workerError };
  }

  /** Waits (up to `ms`) until `n` workers have started; for benchmarks that should not time start-up. */
  async warmUp(n = this.threads, ms = 5000): Promise<number> {
    this.ensureWorkers(n);
    const t0 = Date.now();
    while (this.readyWorkers(n).length < Math.min(n, this.workers.length) && Date.now() - t0 < ms) {
      await new Promise((res) => setTimeout(res, 5));
    }
    return this.readyWorkers(n).length;
  }

  /** Stops the workers (they are unref'd, so a process exits without this). */
  destroy(): void {
    for (let w = 0; w < this.workers.length; w++) {
      const slot = SLOT0 + SLOT_WORDS * w;
      Atomics.store(this.ctl, slot + 3, 1);
      Atomics.add(this.ctl, slot, 1);
      Atomics.notify(this.ctl, slot, 1);
    }
    for (const w of this.workers) void w.terminate();
    this.workers = [];
    this.live = [];
  }
}

/** Starts one worker running WORKER_SOURCE and sends it `init`. */
function spawnWorker(init: object, onError: (msg: string) => void): WorkerHandle {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (proc?.versions?.node) {
    if (typeof proc.getBuiltinModule !== 'function') throw new Error('process.getBuiltinModule is missing (Node >= 20.16 needed for worker threads)');
    const wt = proc.getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads');
    const w = new wt.Worker(WORKER_SOURCE, { eval: true });
    w.on('error', (e: Error) => onError(`worker failed: ${e.message}`));
    w.unref();
    w.postMessage(init);
    return w;
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const w = new Worker(url);
  w.onerror = (e) => onError(`worker failed: ${e.message}`);
  w.postMessage(init);
  return w;
}
