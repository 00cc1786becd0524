/**
 * Save and load trained signal models so a run can be reproduced.
 *
 * Layout of a signal-model directory:
 * ```
 * signal_model.json        config, fold boundaries (bar indices AND open times), per-fold
 *                          normaliser statistics, class mean returns, losses, file names
 * fold_<k>.model.json      tfjs model topology + weight manifest of fold k
 * fold_<k>.weights.bin     fold k's float32 weights
 * ```
 * Every file is written atomically. {@link loadSignalModel} + `predictSignals` on the same
 * market data reproduce the saved run's signals bit for bit.
 *
 * @module
 */

import { ModelError, writeFileAtomic } from "../util/mod.ts";
import { normalizerFromJson } from "../features/mod.ts";
import { modelFromArtifacts, modelToArtifacts, restoreBackend, useCpuBackend } from "./mlp.ts";
import type { SignalConfig, SignalFold, SignalModel } from "./walk_forward.ts";

/** Format version of `signal_model.json`. */
export const SIGNAL_MODEL_VERSION = 1;

interface SavedFold extends SignalFold {
  modelFile: string;
  weightsFile: string;
}

interface SavedSignalModel {
  version: number;
  kind: "walk_forward_signal_model";
  config: SignalConfig;
  folds: SavedFold[];
  /** Free-form provenance (e.g. data hash, symbol), stored as given. */
  meta: Record<string, unknown>;
}

/**
 * Write `model` to directory `dir` (created if needed).
 *
 * @param options.meta provenance stored in `signal_model.json` (e.g. `{ dataHash, symbol }`)
 */
export async function saveSignalModel(
  dir: string,
  model: SignalModel,
  options: { meta?: Record<string, unknown> } = {},
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const folds: SavedFold[] = [];
  for (let k = 0; k < model.folds.length; k++) {
    const a = await modelToArtifacts(model.models[k]);
    const modelFile = `fold_${k}.model.json`;
    const weightsFile = `fold_${k}.weights.bin`;
    await writeFileAtomic(`${dir}/${weightsFile}`, a.weightData);
    await writeFileAtomic(
      `${dir}/${modelFile}`,
      JSON.stringify({
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: [weightsFile], weights: a.weightSpecs }],
        format: "layers-model",
        generatedBy: "rl-trading-toolkit signals",
      }),
    );
    folds.push({ ...model.folds[k], modelFile, weightsFile });
  }
  const saved: SavedSignalModel = {
    version: SIGNAL_MODEL_VERSION,
    kind: "walk_forward_signal_model",
    config: model.config,
    folds,
    meta: options.meta ?? {},
  };
  // Written last: a directory without it is an incomplete save.
  await writeFileAtomic(`${dir}/signal_model.json`, JSON.stringify(saved, null, 1));
}

/**
 * Load a signal model saved by {@link saveSignalModel}.
 *
 * @throws ModelError if files are missing, corrupt or of another version.
 */
export async function loadSignalModel(
  dir: string,
): Promise<SignalModel & { meta: Record<string, unknown> }> {
  const path = `${dir}/signal_model.json`;
  let saved: SavedSignalModel;
  try {
    saved = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new ModelError(
      `cannot read ${path}: ${(e as Error).message}`,
      { file: path },
      "point at a directory written by saveSignalModel",
    );
  }
  if (saved?.kind !== "walk_forward_signal_model" || saved.version !== SIGNAL_MODEL_VERSION) {
    throw new ModelError(
      `${path} is not a version-${SIGNAL_MODEL_VERSION} signal model`,
      { file: path },
    );
  }
  const models = [];
  const folds: SignalFold[] = [];
  await useCpuBackend();
  try {
    for (const f of saved.folds) {
      const mf = `${dir}/${f.modelFile}`;
      const wf = `${dir}/${f.weightsFile}`;
      let mj: { modelTopology: unknown; weightsManifest: { weights: never[] }[] };
      let bytes: Uint8Array;
      try {
        mj = JSON.parse(await Deno.readTextFile(mf));
        bytes = await Deno.readFile(wf);
      } catch (e) {
        throw new ModelError(`cannot read fold ${f.index}: ${(e as Error).message}`, { file: mf });
      }
      try {
        models.push(
          await modelFromArtifacts({
            modelTopology: mj.modelTopology,
            weightSpecs: mj.weightsManifest.flatMap((g) => g.weights),
            weightData: bytes,
          }),
        );
      } catch (e) {
        throw new ModelError(`fold ${f.index} weights are corrupt: ${(e as Error).message}`, {
          file: wf,
        });
      }
      const { modelFile: _m, weightsFile: _w, ...fold } = f;
      fold.normalizer = normalizerFromJson(JSON.stringify(fold.normalizer), path);
      folds.push(fold);
    }
  } finally {
    await restoreBackend();
  }
  return { config: saved.config, folds, models, meta: saved.meta ?? {} };
}
