/**
 * Part `reference-step`: issue #6's own reference training step, ours against the same network in
 * TensorFlow.js (bench/peers/tfjs-reference.ts) on tfjs-wasm and stock tfjs-cpu, in one process.
 *
 * Issue #6 measured (its words): "A whole training step (batch 8, 3×64×64 input, four 3×3 conv
 * layers of 32 channels with ReLU, 1×1 conv to 11 classes, softmax CE, SGD): stock
 * tfjs-backend-wasm cannot train it at all (Conv2DBackpropFilter is not registered for the wasm
 * backend); given a filter gradient written with forward convolutions it takes 0.35 s on one thread
 * and 0.22 s on two. Stock tfjs-backend-cpu takes 160 s." Those numbers are quoted in the table's
 * last-but-two column and the notes, so this machine's run can be set beside them. (The `train`
 * part measures the compact segmentation model instead, a different and much lighter step.)
 *
 * Workload: nn.Sequential of Conv2d 3→32, 32→32, 32→32, 32→32 (3×3, stride 1, padding 1, with
 * bias: 64×64 stays 64×64), ReLU after each, and Conv2d 32→11 (1×1, bias); mean softmax
 * cross-entropy over every pixel against int32 labels 0..10; plain SGD (lr 0.01, no momentum, no
 * weight decay). Batch 8 of seeded random N(0, 1) images [8, 3, 64, 64] and labels [8, 64, 64], one
 * fixed batch uploaded every step (as a data loader would hand it over). A step: upload, forward,
 * backward, SGD update, and the loss read to the host.
 *
 * Ours runs on our CPU backends (cpu and webasm, the engine's default first; or those --backends
 * lists). The peer runs on tfjs-wasm twice, both times with the missing filter gradient written
 * with forward convolutions: once with the input gradient a forward conv too (the faster; the
 * ours/tfjs-wasm ratio is against it) and once with tfjs's own conv2dTranspose for it (as the
 * `train` part's peer does; tfjs-wasm runs that outside XNNPACK); and on stock tfjs-cpu.
 *
 * The peer starts from our initial weights (copied by name, layouts converted), so before timing
 * the part checks that both compute the same function: the first step's loss and all ten
 * parameter gradients are compared with ours (max rel err). That check step is a whole step (the
 * update is applied after the gradients are read), and the first warm-up.
 *
 * Times: median ms per step after warm-up steps; throughput = batch / step time. The ratio columns
 * are THROUGHPUT ratios ours/peer (images/s): > 1 means ours is faster. tfjs-cpu takes minutes per
 * step here: it gets the check step (cold) and one timed step (three with --slow), or with --quick
 * only the check step, labelled as such.
 */
import * as ss from '../src/index.js';
import {
  compareStepCheck, describeBackend, errorMessage, fmtErr, fmtGflops, fmtInt, fmtMs, fmtRatio, gflops, HostRng, measure, modelBackends, peerWanted, permuteHost, randomBatch,
  ratioOrNull, renderTable, timeOnce,
  type BenchRecord, type Column, type HostBatch, type MeasureOptions, type Part, type PartContext, type PartResult, type StepCheck,
} from './harness.js';
import { describeTfjs, loadTfjs, useTfjs, type TfjsBackend, type TfjsEnv } from './peers/tfjs.js';
import type { HostWeights } from './peers/tfjs-compact.js';
import { TfReferenceNet, type RefConvLayer, type RefInputGrad } from './peers/tfjs-reference.js';

const PART = 'reference-step';
const B = 8;
const CIN = 3;
const H = 64;
const W = 64;
const WIDTH = 32;
const K = 11;
const LR = 0.01;

/**
 * The network, by our parameter names: nn.Sequential numbers its children, and the ReLUs take the
 * odd indices, so the convs are 0, 2, 4, 6 and 8.
 */
const LAYERS: readonly RefConvLayer[] = [
  { name: '0', cin: CIN, cout: WIDTH, k: 3, relu: true },
  { name: '2', cin: WIDTH, cout: WIDTH, k: 3, relu: true },
  { name: '4', cin: WIDTH, cout: WIDTH, k: 3, relu: true },
  { name: '6', cin: WIDTH, cout: WIDTH, k: 3, relu: true },
  { name: '8', cin: WIDTH, cout: K, k: 1, relu: false },
];

/** What issue #6 measured for this step on its machine (ms per step). */
const ISSUE = { wasm1t: 350, wasm2t: 220, cpu: 160_000 } as const;

/** Relative error of the loss above which the check flags a mismatch. */
const TOL = 1e-3;
/**
 * The same for gradients. Looser: they pass through four ReLUs, and a pre-activation within ~1e-6
 * of zero can land on the other side of the kink under another float32 summation order; that
 * pixel's gradient then changes entirely, which can move a small, cancelling sum (a bias gradient)
 * by far more than rounding would.
 */
const GRAD_TOL = 1e-2;

/**
 * A step at or above this (the check step, ms) makes tfjs-cpu get one timed step instead of three,
 * unless --slow (the same rule as the `train` part's).
 */
const SLOW_STEP_MS = 20_000;

/** Steps timed for ours and tfjs-wasm: warm-ups after the check step, then measure's policy. */
function stepPolicy(quick: boolean): MeasureOptions {
  return quick ? { warmup: 1, minRuns: 3, maxRuns: 3, budgetMs: 0, capMs: 30_000 } : { warmup: 2, minRuns: 5, maxRuns: 20, budgetMs: 8_000, capMs: 30_000 };
}

/**
 * Floating-point operations of the convolutions in one step (2 per multiply-add): every layer's
 * forward and filter gradient, and the input gradient of layers 2–5 (the images need none). The
 * element-wise work (bias, ReLU, softmax, SGD) is left out.
 */
function stepFlop(): number {
  const px = B * H * W;
  return LAYERS.reduce((f, l, i) => {
    const one = 2 * px * l.cout * l.cin * l.k * l.k;
    return f + one * (i > 0 ? 3 : 2);
  }, 0);
}

/** One implementation's outcome. */
interface Row {
  id: string;
  impl: 'ours' | 'tfjs';
  label: string;
  ms: number | null;
  runs: number;
  samples: number[];
  /** The time is the check step's alone (first run: cold). */
  cold: boolean;
  checkMs: number | null;
  /** Loss of the check step (step 1) and of the last timed step. */
  firstLoss: number | null;
  lastLoss: number | null;
  steps: number;
  lossErr: number | null;
  gradErr: number | null;
  worstGrad: string | null;
  gradErrs?: Record<string, number>;
  params: number | null;
  note?: string;
}

function newRow(id: string, impl: Row['impl'], label: string): Row {
  return { id, impl, label, ms: null, runs: 0, samples: [], cold: false, checkMs: null, firstLoss: null, lastLoss: null, steps: 0, lossErr: null, gradErr: null, worstGrad: null, params: null };
}

const ips = (ms: number | null) => (ms !== null && ms > 0 ? (B * 1000) / ms : null);

// ---------------------------------------------------------------------------------------------
// Ours

function buildOurNet(): ss.Sequential {
  const mods: ss.Module[] = [];
  for (const l of LAYERS) {
    mods.push(new ss.Conv2d(l.cin, l.cout, l.k, { stride: 1, padding: (l.k - 1) / 2 }));
    if (l.relu) mods.push(new ss.ReLU());
  }
  const net = new ss.Sequential(...mods);
  const names = [...net.namedParameters()].map(([n]) => n).join(',');
  const want = LAYERS.flatMap((l) => [`${l.name}.weight`, `${l.name}.bias`]).join(',');
  if (names !== want) throw new Error(`reference-step: our network's parameters are named ${names}, expected ${want}`);
  return net;
}

/**
 * One training step of ours: upload, forward, loss, backward (in a tidy), loss to the host, SGD
 * update, zero the gradients, wait for queued device work. With `check`, every gradient is read
 * to the host before the update.
 */
async function ourStep(net: ss.Sequential, opt: ss.SGD, batch: HostBatch, check: boolean): Promise<StepCheck> {
  const loss = ss.tidy(() => {
    const x = ss.tensor(batch.images, batch.shape);
    const y = ss.tensor(batch.labels, [B, H, W], { dtype: 'int32' });
    const l = ss.crossEntropy(net.forward(x), y);
    void l.backward();
    return l;
  });
  const value = await loss.item();
  loss.dispose();
  const grads: Record<string, Float32Array> = {};
  if (check) {
    for (const [name, p] of net.namedParameters()) {
      if (!p.grad) throw new Error(`reference-step: ours has no gradient for ${name} after backward`);
      grads[name] = Float32Array.from(await p.grad.data());
    }
  }
  opt.step();
  opt.zeroGrad();
  await ss.backend().sync();
  return { loss: value, grads };
}

/** Ours on each selected backend: check step (the first is the reference for everything else), then timed steps. */
async function runOurs(ctx: PartContext, batch: HostBatch): Promise<{ rows: Row[]; ref: StepCheck | null; weights: HostWeights | null; params: number | null }> {
  const rows: Row[] = [];
  let ref: StepCheck | null = null;
  let weights: HostWeights | null = null;
  let params: number | null = null;
  for (const b of modelBackends(ctx, { both: true })) {
    try {
      await b.select();
    } catch (e) {
      rows.push({ ...newRow(b.id, 'ours', `ours ${b.id}`), note: `unavailable: ${errorMessage(e)}` });
      continue;
    }
    const row = newRow(b.id, 'ours', `ours ${describeBackend()}`);
    ctx.log(`[${PART}] ${row.label}: building the network and checking the first step…`);
    let net: ss.Sequential | null = null;
    let opt: ss.SGD | null = null;
    try {
      // the same seed on every backend: the same initial weights (also checked through the gradients)
      ss.manualSeed(0);
      net = buildOurNet();
      net.train();
      opt = new ss.SGD(net.namedParameters(), { lr: LR });
      row.params = params = net.numParameters();
      if (!weights) {
        const w: HostWeights = {};
        for (const [name, p] of net.namedParameters()) w[name] = { shape: [...p.shape], data: Float32Array.from(await p.data()) };
        weights = w;
      }
      const check = await timeOnce(() => ourStep(net!, opt!, batch, true));
      ref ??= check.value;
      Object.assign(row, compareStepCheck(check.value, ref), { firstLoss: check.value.loss, checkMs: check.ms });
      ctx.log(`[${PART}]   check step ${fmtMs(check.ms)} ms, loss ${check.value.loss.toFixed(6)}`);
      const losses: number[] = [];
      const m = await measure(async () => losses.push((await ourStep(net!, opt!, batch, false)).loss), stepPolicy(ctx.quick));
      Object.assign(row, { ms: m.medianMs, runs: m.runs, samples: m.samplesMs, lastLoss: losses.at(-1) ?? null, steps: 1 + losses.length });
      ctx.log(`[${PART}]   ${fmtMs(m.medianMs)} ms/step × ${m.runs}`);
    } catch (e) {
      row.note = `error: ${errorMessage(e)}`;
      ctx.log(`[${PART}]   ${row.note}`);
    } finally {
      net?.dispose();
      opt?.dispose();
    }
    rows.push(row);
  }
  return { rows, ref, weights, params };
}

// ---------------------------------------------------------------------------------------------
// The peer

/** One peer row: a tfjs backend, and on the forward-ops path how the input gradient is computed. */
interface PeerVariant {
  id: string;
  backend: TfjsBackend;
  inputGrad: RefInputGrad;
}

const PEER_VARIANTS: readonly PeerVariant[] = [
  { id: 'tfjs-wasm', backend: 'wasm', inputGrad: 'forward-conv' },
  { id: 'tfjs-wasm-transpose', backend: 'wasm', inputGrad: 'transpose' },
  { id: 'tfjs-cpu', backend: 'cpu', inputGrad: 'forward-conv' },
];

/** What a peer row computes its conv gradients with, e.g. 'forward-ops (input grad forward-conv)'. */
function pathOf(net: TfReferenceNet): string {
  return net.gradientPath === 'native' ? 'native' : `forward-ops (input grad ${net.inputGrad})`;
}

/** The tfjs network on one tfjs backend: build, load our weights, check step, timed steps. */
async function runPeer(
  ctx: PartContext, env: TfjsEnv, variant: PeerVariant, batch: HostBatch, weights: HostWeights, ref: StepCheck | null,
): Promise<{ row: Row; gradientPath: string }> {
  const tf = env.tf;
  const { backend } = variant;
  await useTfjs(env, backend);
  const net = new TfReferenceNet(tf, LAYERS, K, { inputGrad: variant.inputGrad });
  const base = env.labels[backend] ?? `tfjs-${backend}`;
  const label =
    net.gradientPath === 'native' ? `${base}, stock`
    : net.inputGrad === 'forward-conv' ? `${base}, filter + input grads from forward convs`
    : `${base}, filter grad from forward convs, input grad conv2dTranspose`;
  const row = newRow(variant.id, 'tfjs', label);
  row.params = net.numParameters();
  ctx.log(`[${PART}] ${label}: loading our weights and checking the first step…`);
  const opt = tf.train.sgd(LR);
  // NHWC images (done once, outside the timing, as a data loader would); the labels' [N, H, W] order is NHWC's pixel order already
  const xs = permuteHost(batch.images, batch.shape, [0, 2, 3, 1]);
  const vars = net.variables();
  const step = async (check: boolean): Promise<StepCheck> => {
    const x = tf.tensor4d(xs, [B, H, W, CIN]);
    const y = tf.tensor1d(batch.labels, 'int32');
    const { value, grads } = tf.variableGrads(() => net.loss(x, y), vars);
    const host: Record<string, Float32Array> = {};
    if (check) {
      for (const [vn, g] of Object.entries(grads)) {
        const name = net.ourName(vn);
        host[name] = net.toOurLayout(name, Float32Array.from(await g.data()));
      }
    }
    opt.applyGradients(grads);
    tf.dispose([x, y, ...Object.values(grads)]);
    const loss = (await value.data())[0];
    value.dispose();
    return { loss, grads: host };
  };
  try {
    net.load(weights);
    const c = await timeOnce(() => step(true));
    Object.assign(row, { firstLoss: c.value.loss, checkMs: c.ms, steps: 1 });
    ctx.log(`[${PART}]   check step ${fmtMs(c.ms)} ms, loss ${c.value.loss.toFixed(6)}`);
    if (ref) {
      const cmp = compareStepCheck(c.value, ref);
      Object.assign(row, cmp);
      ctx.log(`[${PART}]   rel err against ours: loss ${cmp.lossErr.toExponential(1)}, gradients ${Object.entries(cmp.gradErrs).map(([n, e]) => `${n} ${e.toExponential(1)}`).join(', ')}`);
    }
    if (backend === 'cpu' && ctx.quick) {
      // the check step is a whole step (the update too), plus reading ten small gradients
      Object.assign(row, { ms: c.ms, runs: 1, samples: [c.ms], cold: true, lastLoss: c.value.loss });
      row.note = `--quick: the check step alone (cold: the first step, gradients read to the host before the update), ${fmtMs(c.ms)} ms`;
    } else {
      const slow = backend === 'cpu' && c.ms > SLOW_STEP_MS && !ctx.slow;
      // tfjs-cpu: the check step was the warm-up; then 3 steps, or 1 when a step takes over SLOW_STEP_MS (unless --slow)
      const policy: MeasureOptions = backend !== 'cpu' ? stepPolicy(ctx.quick) : { warmup: 0, minRuns: slow ? 1 : 3, maxRuns: slow ? 1 : 3, budgetMs: 0, capMs: 1_800_000 };
      const losses: number[] = [];
      const m = await measure(async () => losses.push((await step(false)).loss), policy);
      Object.assign(row, { ms: m.medianMs, runs: m.runs, samples: m.samplesMs, lastLoss: losses.at(-1) ?? null, steps: 1 + losses.length });
      if (slow) row.note = `one timed step after the check step (${fmtMs(c.ms)} ms, cold): a step takes over ${SLOW_STEP_MS / 1000} s here; --slow times three`;
    }
    ctx.log(`[${PART}]   ${fmtMs(row.ms)} ms/step × ${row.runs}${row.cold ? ' (cold)' : ''}`);
  } catch (e) {
    row.note = `error: ${errorMessage(e)}`;
    ctx.log(`[${PART}]   ${row.note}`);
  } finally {
    net.dispose();
    opt.dispose();
  }
  return { row, gradientPath: pathOf(net) };
}

// ---------------------------------------------------------------------------------------------
// The part

const COLS: Column[] = [
  { header: 'implementation' },
  { header: 'ms/step (median)', align: 'right' },
  { header: 'runs', align: 'right' },
  { header: 'images/s', align: 'right' },
  { header: 'conv GFLOP/s', align: 'right' },
  { header: 'ours/tfjs-wasm img/s', align: 'right' },
  { header: 'ours/tfjs-cpu img/s', align: 'right' },
  { header: "vs issue's 350 ms · 220 ms · 160 s" },
  { header: 'loss: step 1 → last (steps)' },
  { header: 'rel err loss / grads', align: 'right' },
];

/** What the issue column shows for a row: ours' throughput ratio against each issue number, or the issue's number for that peer. */
function issueCell(r: Row): string {
  if (r.ms === null) return '—';
  if (r.impl === 'ours') return [ISSUE.wasm1t, ISSUE.wasm2t, ISSUE.cpu].map((ms) => fmtRatio(ips(r.ms), ips(ms))).join(' · ');
  if (r.id.startsWith('tfjs-wasm')) return `issue ${ISSUE.wasm1t} ms 1 t, ${ISSUE.wasm2t} ms 2 t; here ${fmtRatio(r.ms, ISSUE.wasm1t)} the 1-t time`;
  if (r.id === 'tfjs-cpu') return `issue ${fmtInt(ISSUE.cpu)} ms; here ${fmtRatio(r.ms, ISSUE.cpu)} of it`;
  return '';
}

export const part: Part = {
  name: PART,
  summary: "issue #6's reference training step (batch 8×3×64×64, 4×conv3×3(32)+ReLU, 1×1→11, CE, SGD): ours vs the same network in TensorFlow.js (wasm, cpu)",
  async run(ctx: PartContext): Promise<PartResult> {
    const batch = randomBatch(new HostRng(6000), B, H, W, K);
    const flop = stepFlop();

    // ---- ours first: the peer starts from our initial weights and is checked against our first step ----
    const ours = await runOurs(ctx, batch);
    const rows: Row[] = [...ours.rows];

    // ---- the peer ----
    const variants = PEER_VARIANTS.filter((v) => peerWanted(ctx, `tfjs-${v.backend}`));
    let env: TfjsEnv | null = null;
    const paths: Record<string, string> = {};
    if (variants.length > 0 && !ours.weights) {
      for (const v of variants) rows.push({ ...newRow(v.id, 'tfjs', v.id), note: 'not run: none of our backends produced initial weights to copy' });
    } else if (variants.length > 0 && ours.weights) {
      env = await loadTfjs(ctx.log);
      for (const l of describeTfjs(env)) ctx.out(l);
      ctx.out('');
      for (const v of variants) {
        if (!env.backends.includes(v.backend)) {
          rows.push({ ...newRow(v.id, 'tfjs', v.id), note: `not run: tfjs-backend-${v.backend} did not initialise (${(v.backend === 'wasm' ? env.wasm.error : env.cpu.error) ?? 'unknown'})` });
          continue;
        }
        const r = await runPeer(ctx, env, v, batch, ours.weights, ours.ref);
        rows.push(r.row);
        paths[v.id] = r.gradientPath;
      }
    }

    // ---- the table ----
    const peerMs = (id: string) => rows.find((r) => r.id === id)?.ms ?? null;
    const wasmMs = peerMs('tfjs-wasm');
    const cpuMs = peerMs('tfjs-cpu');
    // ours rows: against tfjs-wasm (both gradients from forward convs) and tfjs-cpu; a peer row: ours on the default backend (the first row) against it, in its backend's column
    const oursDefault = rows[0]?.impl === 'ours' ? rows[0] : null;
    const ratioCell = (r: Row, col: 'tfjs-wasm' | 'tfjs-cpu'): string => {
      if (r.impl === 'ours') return fmtRatio(ips(r.ms), ips(col === 'tfjs-wasm' ? wasmMs : cpuMs));
      if (!r.id.startsWith(col) || !oursDefault || r.ms === null) return '';
      return `${fmtRatio(ips(oursDefault.ms), ips(r.ms))} (ours ${oursDefault.id})`;
    };
    const table = rows.map((r) => [
      r.label,
      r.ms === null ? (r.note?.startsWith('error') ? 'error' : '—') : fmtMs(r.ms),
      r.cold ? '1 (cold)' : String(r.runs),
      ips(r.ms) === null ? '—' : ips(r.ms)!.toFixed(2),
      fmtGflops(gflops(flop, r.ms)),
      ratioCell(r, 'tfjs-wasm'),
      ratioCell(r, 'tfjs-cpu'),
      issueCell(r),
      r.firstLoss === null ? '—' : `${r.firstLoss.toFixed(4)} → ${r.lastLoss === null ? '—' : r.lastLoss.toFixed(4)} (${r.steps})`,
      r.lossErr === null ? '—' : `${fmtErr(r.lossErr, TOL)} / ${fmtErr(r.gradErr, GRAD_TOL)}`,
    ]);
    const peerParams = rows.find((r) => r.impl === 'tfjs' && r.params !== null)?.params ?? null;
    const paramLine = `parameters: ours ${fmtInt(ours.params)}; tfjs network ${fmtInt(peerParams)}${peerParams === null ? '' : peerParams === ours.params ? ' — equal' : ' — DIFFERENT'}`;
    ctx.out(paramLine);
    ctx.out('');
    const notes: string[] = [
      paramLine,
      `workload (issue #6's reference step): batch ${B} × ${CIN}×${H}×${W}, Conv2d ${CIN}→${WIDTH} and 3 × Conv2d ${WIDTH}→${WIDTH} (3×3, stride 1, padding 1, bias) each with ReLU, Conv2d ${WIDTH}→${K} (1×1, bias), mean softmax cross-entropy over all ${fmtInt(B * H * W)} pixels against int32 labels 0..${K - 1}, SGD lr ${LR} (no momentum, no weight decay); random N(0, 1) images and labels (seeded), one batch uploaded every step; a step ends when the loss is on the host`,
      `issue #6 measured this step on its machine: tfjs-wasm with a filter gradient from forward convolutions ${ISSUE.wasm1t} ms on 1 thread and ${ISSUE.wasm2t} ms on 2 threads; stock tfjs-cpu ${ISSUE.cpu / 1000} s. The "vs issue's" column gives ours' throughput against those three (ours img/s ÷ theirs), and for the peer rows this run's time against the issue's`,
      `ratio columns: THROUGHPUT ratio ours img/s ÷ peer img/s (> 1: ours faster); ours rows against the tfjs-wasm row with both gradients from forward convs (the faster tfjs-wasm variant) and tfjs-cpu; a peer row shows ours on ${oursDefault?.id ?? 'the default backend'} against that row`,
      `conv GFLOP/s: ${(flop / 1e9).toFixed(2)} GFLOP of convolutions per step (forward and filter gradient of every layer, input gradient of layers 2–5) ÷ the median step time; the element-wise work is not counted`,
      `rel err: the first (check) step from the same initial weights (ours copied into the peer), against ours on ${rows[0]?.id ?? 'our first backend'}: |loss − ours| / |ours| and the worst max|g − ours| / max|ours| over all ${Object.keys(ours.ref?.grads ?? {}).length} parameter gradients; flagged above ${TOL} (loss) and ${GRAD_TOL} (gradients: a pre-activation at a ReLU's kink can fall on the other side under another summation order)`,
      'check step: a whole step (forward, backward, the gradients read to the host, then the SGD update); it is the first warm-up, then the timed steps continue training from it (ours and tfjs-wasm: 2 more warm-ups, 1 with --quick)',
    ];
    if (env) {
      const threads = env.wasm.threads;
      notes.push(
        env.wasm.ok
          ? `tfjs-wasm ran on ${threads} thread${threads === 1 ? '' : 's'} (getThreadsCount()), SIMD ${env.wasm.simd ? 'on' : 'off'}${env.wasm.threaded ? '' : `; its multi-threaded build is not usable in Node (${env.wasm.threadedError ?? 'not multi-threaded'}), so the issue's 2-thread number has no counterpart here`}`
          : `tfjs-wasm did not initialise: ${env.wasm.error}`,
      );
      if (Object.values(paths).some((p) => p.startsWith('forward-ops'))) {
        notes.push(
          `tfjs-wasm: tfjs-backend-wasm ${env.version} registers no Conv2DBackpropFilter kernel (stock tfjs-wasm cannot train this network), so the peer defines each conv's gradient with tf.customGrad, as the issue did: filter gradient = a stride-1 forward Conv2D of x transposed to [Cin, H, W, N] with dy transposed to [H, W, N, Cout] as the filter (same padding). ` +
            "Input gradient (layers 2–5; none for the images): in the 'filter + input grads from forward convs' row a forward Conv2D of dy with the filter flipped in space and transposed to [k, k, Cout, Cin] (XNNPACK), in the 'input grad conv2dTranspose' row tfjs's own Conv2DBackpropInput, which tfjs-wasm runs outside XNNPACK. The issue does not say which it used; its 350 ms is in line with the first",
        );
      }
      if (paths['tfjs-cpu'] === 'native') notes.push("tfjs-cpu: stock, tfjs's own gradient kernels for every conv (Conv2DBackpropFilter is a scalar JavaScript loop)");
    } else if (variants.length === 0) {
      notes.push('peer: not run (--backends lists no tfjs backend)');
    }
    for (const r of rows) if (r.note) notes.push(`${r.label}: ${r.note}`);
    for (const r of rows) {
      const bad = (r.lossErr !== null && !(r.lossErr <= TOL)) || (r.gradErr !== null && !(r.gradErr <= GRAD_TOL));
      if (bad) notes.push(`${r.label}: MISMATCH — loss rel err ${r.lossErr}, worst gradient ${r.worstGrad} ${r.gradErr}`);
    }
    const t = renderTable(`### reference-step — issue #6's training step, batch ${B}×${CIN}×${H}×${W}, 4×conv3×3(${WIDTH})+ReLU, 1×1→${K}, CE, SGD (median ms/step after warm-up)`, COLS, table, notes);
    ctx.out(`${t}\n`);

    const records: BenchRecord[] = rows.map((r) => ({
      part: PART, workload: 'reference-step', label: `issue #6 reference step, batch ${B}×${CIN}×${H}×${W}, 4×conv3×3(${WIDTH})+ReLU, 1×1→${K}, CE, SGD`, impl: r.impl, backend: r.id,
      medianMs: r.ms, runs: r.runs, samplesMs: r.samples, flop, gflops: gflops(flop, r.ms),
      relErr: r.gradErr, relErrRef: r.gradErr === null ? null : `ours ${rows[0]?.id ?? ''} (first step's gradients)`, note: r.note,
      extra: {
        imagesPerSec: ips(r.ms), params: r.params, cold: r.cold, checkMs: r.checkMs, lossErr: r.lossErr, worstGrad: r.worstGrad, gradErrs: r.gradErrs,
        firstLoss: r.firstLoss, lastLoss: r.lastLoss, steps: r.steps, gradientPath: r.impl === 'tfjs' ? (paths[r.id] ?? null) : null,
        throughputRatioTfjsWasm: r.impl === 'ours' ? ratioOrNull(ips(r.ms), ips(wasmMs)) : null,
        throughputRatioTfjsCpu: r.impl === 'ours' ? ratioOrNull(ips(r.ms), ips(cpuMs)) : null,
        throughputRatioIssue: r.impl === 'ours' ? { tfjsWasm1t: ratioOrNull(ISSUE.wasm1t, r.ms), tfjsWasm2t: ratioOrNull(ISSUE.wasm2t, r.ms), tfjsCpu: ratioOrNull(ISSUE.cpu, r.ms) } : null,
      },
    }));
    const info: Record<string, unknown> = { issueMs: ISSUE, params: { ours: ours.params, tfjs: peerParams }, flopPerStep: flop };
    if (env) info.tfjs = { version: env.version, labels: env.labels, wasm: env.wasm, gradientPaths: paths };
    return { part: PART, records, tables: [t], notes: notes.slice(1), info };
  },
};
