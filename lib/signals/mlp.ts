/**
 * The signal classifier: a small tfjs MLP `inputs → hidden (ReLU) … → 3 logits`, softmax at
 * prediction. Weights are initialised from the project's {@link Rng} (Glorot-uniform kernels,
 * zero biases) and minibatches are shuffled with it, on tfjs's `cpu` backend, so the same
 * seed gives bit-identical models.
 *
 * @module
 */

import { tf } from "./tfjs.ts";
import { ModelError, type Rng } from "../util/mod.ts";

/** Training hyper-parameters of the classifier. */
export interface MlpTrainConfig {
  /** Hidden layer widths. Default [32, 16]. */
  hidden: number[];
  /** Passes over the training rows. Default 8. */
  epochs: number;
  /** Minibatch size. Default 256. */
  batchSize: number;
  /** Adam learning rate. Default 0.003. */
  learningRate: number;
  /**
   * Weight each class by `rows / (3 · count_c)` so rare classes are not ignored. Default
   * false: unweighted cross-entropy keeps the probabilities calibrated (the confidence and
   * target outputs rely on that); weighting trades calibration for balanced accuracy.
   */
  classWeighting: boolean;
}

/** Default {@link MlpTrainConfig}. */
export const DEFAULT_MLP_CONFIG: Readonly<MlpTrainConfig> = Object.freeze({
  hidden: [32, 16],
  epochs: 8,
  batchSize: 256,
  learningRate: 0.003,
  classWeighting: false,
});

let previousBackend: string | null = null;
let cpuDepth = 0;

/**
 * Switch tfjs to the deterministic `cpu` backend; {@link restoreBackend} switches back to the
 * one that was active (e.g. the agents' wasm backend) once every `useCpuBackend` call has been
 * matched by a `restoreBackend` (nested/concurrent signal work stays on `cpu`).
 */
export async function useCpuBackend(): Promise<void> {
  cpuDepth++;
  const cur = tf.getBackend();
  if (cur !== "cpu") {
    if (cpuDepth === 1) previousBackend = cur ?? null;
    const ok = await tf.setBackend("cpu");
    if (!ok) {
      cpuDepth--;
      throw new ModelError("tfjs cpu backend could not be initialised");
    }
  }
  await tf.ready();
}

/** Restore the backend that was active before the outermost {@link useCpuBackend}. */
export async function restoreBackend(): Promise<void> {
  cpuDepth = Math.max(0, cpuDepth - 1);
  if (cpuDepth > 0) return;
  const prev = previousBackend;
  previousBackend = null;
  if (prev && prev !== tf.getBackend()) {
    await tf.setBackend(prev);
    await tf.ready();
  }
}

/** Build the MLP (logits output) with Glorot-uniform kernels drawn from `rng`, zero biases. */
export function createClassifier(inputDim: number, hidden: number[], rng: Rng): tf.Sequential {
  const model = tf.sequential();
  const widths = [...hidden, 3];
  widths.forEach((units, k) => {
    model.add(tf.layers.dense({
      units,
      activation: k < hidden.length ? "relu" : "linear",
      inputShape: k === 0 ? [inputDim] : undefined,
      kernelInitializer: "zeros",
      biasInitializer: "zeros",
    }));
  });
  const weights: tf.Tensor[] = [];
  let inDim = inputDim;
  for (const units of widths) {
    const limit = Math.sqrt(6 / (inDim + units));
    const w = new Float32Array(inDim * units);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-limit, limit);
    weights.push(tf.tensor2d(w, [inDim, units]), tf.zeros([units]));
    inDim = units;
  }
  model.setWeights(weights);
  tf.dispose(weights);
  return model;
}

/**
 * Train `model` on `rows × cols` float inputs `x` (row-major) with class labels `y` (0/1/2)
 * by Adam on the (class-weighted) softmax cross-entropy. Returns the mean loss per epoch.
 */
export function trainClassifier(
  model: tf.LayersModel,
  data: { x: Float32Array; y: Int32Array; rows: number; cols: number },
  options: { config: MlpTrainConfig; rng: Rng; onEpoch?: (epoch: number, loss: number) => void },
): number[] {
  const { x, y, rows, cols } = data;
  const { config, rng } = options;
  const counts = [0, 0, 0];
  for (let i = 0; i < rows; i++) counts[y[i]]++;
  const classW = counts.map((c) => (config.classWeighting ? (c > 0 ? rows / (3 * c) : 0) : 1));
  const w = new Float32Array(rows);
  for (let i = 0; i < rows; i++) w[i] = classW[y[i]];
  const xs = tf.tensor2d(x, [rows, cols]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(y, "int32"), 3).toFloat());
  const ws = tf.tensor1d(w);
  const optimizer = tf.train.adam(config.learningRate);
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const perm = new Int32Array(rows);
  for (let i = 0; i < rows; i++) perm[i] = i;
  const losses: number[] = [];
  try {
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      rng.shuffle(perm);
      let sum = 0;
      let batches = 0;
      for (let b = 0; b < rows; b += config.batchSize) {
        const idx = perm.subarray(b, Math.min(rows, b + config.batchSize));
        const loss = tf.tidy((): tf.Scalar => {
          const it = tf.tensor1d(idx, "int32");
          const xb = tf.gather(xs, it);
          const yb = tf.gather(ys, it);
          const wb = tf.gather(ws, it);
          const l = optimizer.minimize(
            () => {
              const logits = model.apply(xb, { training: true }) as tf.Tensor2D;
              // Weighted mean over the batch (weights sum normalised so class weighting only
              // rebalances, it does not rescale the learning rate).
              const per = tf.losses.softmaxCrossEntropy(
                yb,
                logits,
                undefined,
                0,
                tf.Reduction.NONE,
              );
              return tf.div(tf.sum(tf.mul(per, wb)), tf.sum(wb)) as tf.Scalar;
            },
            true,
            vars,
          );
          if (!l) throw new ModelError("the optimizer returned no loss");
          return l;
        });
        sum += loss.dataSync()[0];
        loss.dispose();
        batches++;
      }
      const mean = sum / Math.max(1, batches);
      losses.push(mean);
      options.onEpoch?.(epoch, mean);
    }
  } finally {
    tf.dispose([xs, ys, ws]);
    optimizer.dispose();
  }
  return losses;
}

/** Class probabilities (row-major `rows × 3`, float32) of inputs `x` (`rows × cols`). */
export function predictProba(
  model: tf.LayersModel,
  x: Float32Array,
  rows: number,
  cols: number,
): Float32Array {
  if (rows === 0) return new Float32Array(0);
  return tf.tidy(() => {
    const logits = model.predict(tf.tensor2d(x, [rows, cols])) as tf.Tensor;
    return tf.softmax(logits).dataSync() as Float32Array;
  });
}

/** Model topology + weights as plain data (tfjs `model.json` fields and `weights.bin`). */
export interface ModelArtifactsData {
  modelTopology: unknown;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: Uint8Array;
}

/** Serialise a layers model to memory (no file handler needed). */
export async function modelToArtifacts(model: tf.LayersModel): Promise<ModelArtifactsData> {
  let out: ModelArtifactsData | null = null;
  await model.save(tf.io.withSaveHandler((a: tf.io.ModelArtifacts) => {
    const wd = a.weightData;
    const parts: ArrayBuffer[] = wd === undefined ? [] : Array.isArray(wd) ? wd : [wd];
    let total = 0;
    for (const p of parts) total += p.byteLength;
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      bytes.set(new Uint8Array(p), o);
      o += p.byteLength;
    }
    out = { modelTopology: a.modelTopology, weightSpecs: a.weightSpecs ?? [], weightData: bytes };
    return Promise.resolve({
      modelArtifactsInfo: {
        dateSaved: new Date(0),
        modelTopologyType: "JSON",
        weightDataBytes: total,
      },
    });
  }));
  if (!out) throw new ModelError("tfjs did not hand over the model artifacts");
  return out;
}

/** Rebuild a layers model from {@link modelToArtifacts} data. */
export async function modelFromArtifacts(a: ModelArtifactsData): Promise<tf.LayersModel> {
  const buf = a.weightData.buffer.slice(
    a.weightData.byteOffset,
    a.weightData.byteOffset + a.weightData.byteLength,
  ) as ArrayBuffer;
  return await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: a.modelTopology as tf.io.ModelJSON["modelTopology"],
    weightSpecs: a.weightSpecs,
    weightData: buf,
  }));
}
