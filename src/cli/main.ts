/** The `ssa-seg` command line: data, train, eval, predict, plot. */
import { UsageError } from './args.js';
import { dataCommand } from './data.js';
import { compareCommand } from './compare.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { plotCommand } from './plot.js';
import { predictCommand } from './predict.js';
import { trainCommand } from './train.js';

const USAGE = `usage: ssa-seg <command> [options]   (ssa-seg <command> --help for its options)

  demo                                       the main job: M2NIST, vanilla vs SSA head, table and pictures
  compare [--seeds 0,1,2] [--ablation]       vanilla vs SSA over seeds (mean ± std), and the component ablation
  data m2nist --out DIR                      build the default dataset (real MNIST digits on 64×84 canvases)
  train --data DIR --out RUN [--head ssa]    train, with progress bar, log, checkpoints, final evaluation
  eval --checkpoint FILE|RUN [--json OUT]    mIoU, aAcc, mAcc, per-class IoU/Acc, confusion matrix
  predict --checkpoint FILE --input PNG|DIR --out DIR [--explain]   colourised masks and overlays
  plot --run RUN                             loss and mIoU curves as SVG`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'data': await dataCommand(rest); break;
      case 'demo': await demoCommand(rest); break;
      case 'compare': await compareCommand(rest); break;
      case 'train': await trainCommand(rest); break;
      case 'eval': await evalCommand(rest); break;
      case 'predict': await predictCommand(rest); break;
      case 'plot': await plotCommand(rest); break;
      case undefined: case '-h': case '--help': case 'help': console.log(USAGE); return cmd === undefined ? 2 : 0;
      default: throw new UsageError(`ssa-seg: unknown command '${cmd}'\n\n${USAGE}`);
    }
    return 0;
  } catch (e) {
    console.error(e instanceof UsageError ? e.message : `error: ${(e as Error).message}`);
    if (process.env.SSA_SEG_DEBUG && !(e instanceof UsageError)) console.error((e as Error).stack);
    return e instanceof UsageError ? 2 : 1;
  }
}

const isEntry = process.argv[1] && /cli[\\/]main\.(ts|js)$/.test(process.argv[1]);
if (isEntry) main(process.argv.slice(2)).then((code) => process.exit(code));
