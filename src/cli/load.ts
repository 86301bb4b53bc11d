/** Rebuilds a trained model from a checkpoint alone (its metadata holds the config and the classes). */
import { dispose } from '../tensor/memory.js';
import { ready, setBackend } from '../tensor/engine.js';
import type { BackendName } from '../tensor/backend.js';
import { buildModel } from '../train/build.js';
import { loadModelCheckpoint, type CheckpointMeta } from '../train/checkpoint.js';
import type { SegModel } from '../models/segmentor.js';

export async function loadTrained(checkpoint: string, backend?: string): Promise<{ model: SegModel; meta: CheckpointMeta; file: string }> {
  if (backend) await setBackend(backend as BackendName);
  else await ready();
  const { file, weights, meta } = await loadModelCheckpoint(checkpoint);
  const model = buildModel(meta.config, meta.classes.length);
  try {
    model.loadStateDict(weights);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  } finally {
    dispose(weights);
  }
  model.eval();
  return { model, meta, file };
}
