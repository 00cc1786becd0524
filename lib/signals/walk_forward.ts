/**
 * Out-of-sample ML signals by walk-forward training with purge and embargo.
 *
 * Read top to bottom:
 * 1. Labels (see `labels.ts`) of every bar: 3 classes of the `H`-bar forward return.
 * 2. Folds: `walkForwardFolds` of lib/data (expanding window) over the bars after the
 *    feature warm-up, with `purge = H` and `embargo` bars between each training range and
 *    its test window. By default the first training range is as long as one test window.
 *    A training row `t` is used only if its features are valid, its label is known and its
 *    label window ends before the test window: `t + H + embargo < testStart` (purge).
 * 3. Per fold: a z-score normaliser fitted on that fold's training rows only; an MLP trained
 *    on them (weights and shuffles from the seeded Rng); the mean forward return of each
 *    training class (for `target`).
 * 4. Predictions for the fold's test window only. Every prediction therefore comes from a
 *    model trained strictly before the bar; bars before the first test window (and rows with
 *    invalid features) get `signal = −1`, `available = 0`, NaN confidence/target.
 * 5. Diagnostics against naive baselines on the same out-of-sample rows.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { type Fold, type MarketData, walkForwardFolds } from "../data/mod.ts";
import {
  type FeatureMatrix,
  fitNormalizer,
  normalizeRow,
  type NormalizerStats,
} from "../features/mod.ts";
import { ConfigError, DataError, Rng } from "../util/mod.ts";
import {
  type ClassificationReport,
  expectedCalibrationError,
  scorePredictions,
} from "./diagnostics.ts";
import { type LabelOptions, type Labels, makeLabels, resolveLabelOptions } from "./labels.ts";
import {
  createClassifier,
  DEFAULT_MLP_CONFIG,
  type MlpTrainConfig,
  predictProba,
  restoreBackend,
  trainClassifier,
  useCpuBackend,
} from "./mlp.ts";
import type { Signals } from "../env/mod.ts";

/** Options of {@link buildSignals}. */
export interface SignalOptions extends LabelOptions, Partial<MlpTrainConfig> {
  /** Number of walk-forward folds. Default 5. */
  folds?: number;
  /** Bars dropped after the purge, before each test window. Default `horizon`. */
  embargo?: number;
  /** Bars per test window. Default `floor((n − firstValidRow) / (folds + 1))`. */
  testSize?: number;
  /** Seed of weight initialisation, shuffles and label shuffling. Default 0. */
  seed?: number;
  /**
   * LEAK TEST ONLY: permute the labels (with their forward returns) inside each training
   * range. A sound pipeline then predicts no better than the naive baselines.
   */
  shuffleLabels?: boolean;
  /** Progress callback per epoch. */
  onProgress?: (fold: number, epoch: number, loss: number) => void;
}

/** The resolved configuration of a signal run (saved with the model). */
export interface SignalConfig {
  horizon: number;
  deadZone: number;
  volWindow: number;
  folds: number;
  embargo: number;
  testSize: number;
  seed: number;
  shuffleLabels: boolean;
  mlp: MlpTrainConfig;
  /** Feature names the models read, in order. */
  featureNames: string[];
}

/** One trained fold: boundaries (bar indices and times), normaliser, class returns, scores. */
export interface SignalFold {
  index: number;
  /** Training range `[start, end)` before row filtering (end = testStart − purge − embargo). */
  train: { start: number; end: number };
  /** Test (prediction) range `[start, end)`. */
  test: { start: number; end: number };
  /** Bar open times (UTC ms) of `train.start`, `train.end − 1`, `test.start`, `test.end − 1`. */
  times: { trainStart: number; trainLast: number; testStart: number; testLast: number };
  /** Training rows actually used (valid, labelled, purged). */
  trainRows: number;
  /** Labels per class `[down, flat, up]` among the training rows. */
  trainClassCounts: number[];
  /** Mean forward return (fraction over `horizon`) of each training class. */
  classMeanReturn: number[];
  /** Normaliser fitted on this fold's training rows. */
  normalizer: NormalizerStats;
  /** Mean training loss of each epoch. */
  losses: number[];
}

/** Out-of-sample scores of the model and of the naive baselines. */
export interface SignalDiagnostics {
  /** The model on all out-of-sample labelled rows. */
  model: ClassificationReport;
  /** Majority class of each fold's training labels (log-loss from its class frequencies). */
  majority: ClassificationReport;
  /** Sign of the last bar's return: up if > 0, down if < 0, flat if 0. */
  lastReturnSign: ClassificationReport;
  /** Expected calibration error of the model (fraction). */
  ece: number;
  /** The same three reports per fold. */
  perFold: {
    fold: number;
    model: ClassificationReport;
    majority: ClassificationReport;
    lastReturnSign: ClassificationReport;
  }[];
}

/** Trained walk-forward models (one per fold) with everything needed to re-predict. */
export interface SignalModel {
  config: SignalConfig;
  folds: SignalFold[];
  /** tfjs models (logits output), one per fold. */
  models: tf.LayersModel[];
}

/** The result of {@link buildSignals}. */
export interface SignalRun {
  signals: Signals;
  /** Class probabilities `rows × 3` (down, flat, up); NaN where unavailable. */
  probs: Float64Array;
  labels: Labels;
  model: SignalModel;
  diagnostics: SignalDiagnostics;
}

/** Resolve options against the data size; throws ConfigError on impossible values. */
function resolveConfig(fm: FeatureMatrix, options: SignalOptions): SignalConfig {
  const lab = resolveLabelOptions(options);
  const folds = options.folds ?? 5;
  const embargo = options.embargo ?? lab.horizon;
  if (!Number.isInteger(embargo) || embargo < 0) {
    throw new ConfigError(`embargo must be an integer ≥ 0 (bars), got ${embargo}`, {
      parameter: "embargo",
    });
  }
  const usable = fm.rows - fm.firstValidRow;
  const testSize = options.testSize ?? Math.floor(usable / (folds + 1));
  const mlp: MlpTrainConfig = {
    hidden: options.hidden ?? [...DEFAULT_MLP_CONFIG.hidden],
    epochs: options.epochs ?? DEFAULT_MLP_CONFIG.epochs,
    batchSize: options.batchSize ?? DEFAULT_MLP_CONFIG.batchSize,
    learningRate: options.learningRate ?? DEFAULT_MLP_CONFIG.learningRate,
    classWeighting: options.classWeighting ?? DEFAULT_MLP_CONFIG.classWeighting,
  };
  if (!mlp.hidden.every((h) => Number.isInteger(h) && h > 0)) {
    throw new ConfigError(`hidden widths must be positive integers, got ${mlp.hidden}`, {
      parameter: "hidden",
    });
  }
  if (!(Number.isInteger(mlp.epochs) && mlp.epochs >= 1)) {
    throw new ConfigError(`epochs must be ≥ 1, got ${mlp.epochs}`, { parameter: "epochs" });
  }
  if (!(Number.isInteger(mlp.batchSize) && mlp.batchSize >= 1)) {
    throw new ConfigError(`batchSize must be ≥ 1, got ${mlp.batchSize}`, {
      parameter: "batchSize",
    });
  }
  if (!(mlp.learningRate > 0)) {
    throw new ConfigError(`learningRate must be > 0, got ${mlp.learningRate}`, {
      parameter: "learningRate",
    });
  }
  return {
    ...lab,
    folds,
    embargo,
    testSize,
    seed: options.seed ?? 0,
    shuffleLabels: options.shuffleLabels ?? false,
    mlp,
    featureNames: [...fm.names],
  };
}

/**
 * Training rows of a fold: rows of `fold.train` with valid features and a known label whose
 * label window `[t, t + horizon]` plus `embargo` bars ends before the test window
 * (`t + horizon + embargo < fold.test.start`) — the purge.
 */
export function selectTrainingRows(
  features: FeatureMatrix,
  labels: Labels,
  fold: Fold,
  gap: { horizon: number; embargo: number },
): number[] {
  const rows: number[] = [];
  const limit = fold.test.start - gap.horizon - gap.embargo;
  for (let i = fold.train.start; i < fold.train.end; i++) {
    if (features.valid[i] === 1 && labels.label[i] >= 0 && i < limit) rows.push(i);
  }
  return rows;
}

/** The walk-forward folds of a configuration, as absolute bar indices. */
export function signalFolds(fm: FeatureMatrix, config: SignalConfig): Fold[] {
  const off = fm.firstValidRow;
  const folds = walkForwardFolds(fm.rows - off, {
    folds: config.folds,
    testSize: config.testSize,
    purge: config.horizon,
    embargo: config.embargo,
    minTrain: 1,
  });
  return folds.map((f) => ({
    train: { start: f.train.start + off, end: f.train.end + off },
    test: { start: f.test.start + off, end: f.test.end + off },
  }));
}

function gatherRows(fm: FeatureMatrix, rows: number[], stats: NormalizerStats): Float32Array {
  const { cols, data } = fm;
  const x = new Float32Array(rows.length * cols);
  const tmp = new Float64Array(cols);
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    normalizeRow(stats, data.subarray(i * cols, (i + 1) * cols), tmp);
    for (let j = 0; j < cols; j++) x[k * cols + j] = tmp[j];
  }
  return x;
}

function emptySignals(
  fm: FeatureMatrix,
  horizon: number,
): { signals: Signals; probs: Float64Array } {
  const n = fm.rows;
  return {
    signals: {
      time: fm.time,
      signal: new Int8Array(n).fill(-1),
      confidence: new Float64Array(n).fill(NaN),
      target: new Float64Array(n).fill(NaN),
      available: new Uint8Array(n),
      horizon,
    },
    probs: new Float64Array(n * 3).fill(NaN),
  };
}

/** Predict one fold's test rows into `signals`/`probs`. */
function predictFold(
  fm: FeatureMatrix,
  model: tf.LayersModel,
  fold: SignalFold,
  out: { signals: Signals; probs: Float64Array },
  range: { start: number; end: number } = fold.test,
): void {
  const rows: number[] = [];
  for (let i = range.start; i < range.end; i++) if (fm.valid[i] === 1) rows.push(i);
  const x = gatherRows(fm, rows, fold.normalizer);
  const p = predictProba(model, x, rows.length, fm.cols);
  const { signal, confidence, target, available } = out.signals;
  const m = fold.classMeanReturn;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const p0 = p[k * 3];
    const p1 = p[k * 3 + 1];
    const p2 = p[k * 3 + 2];
    out.probs[i * 3] = p0;
    out.probs[i * 3 + 1] = p1;
    out.probs[i * 3 + 2] = p2;
    const best = p2 > p1 && p2 > p0 ? 2 : p0 > p1 ? 0 : 1; // ties → flat
    signal[i] = best;
    confidence[i] = Math.max(p0, p1, p2);
    target[i] = p0 * m[0] + p1 * m[1] + p2 * m[2];
    available[i] = 1;
  }
}

/**
 * Train walk-forward signal models on `md`/`features` and return the out-of-sample
 * {@link Signals}, probabilities, labels, the trained models and diagnostics.
 *
 * `features` is the RAW feature matrix of `md` (from `computeFeatures`); each fold normalises
 * it with statistics of its own training rows. Deterministic for a given `seed` (tfjs `cpu`
 * backend; the previously active backend is restored afterwards).
 *
 * @throws DataError if `features` does not match `md`; ConfigError on impossible options or
 *   when there are too few bars for the folds.
 */
export async function buildSignals(
  md: MarketData,
  features: FeatureMatrix,
  options: SignalOptions = {},
): Promise<SignalRun> {
  if (features.rows !== md.time.length || features.time[0] !== md.time[0]) {
    throw new DataError(
      `features have ${features.rows} rows but the market has ${md.time.length} bars`,
      { parameter: "features" },
      "compute the features from the same MarketData (computeFeatures(md))",
    );
  }
  const config = resolveConfig(features, options);
  const labels = makeLabels(md, config);
  const folds = signalFolds(features, config);
  const master = new Rng(config.seed);
  const out = emptySignals(features, config.horizon);
  const trained: SignalFold[] = [];
  const models: tf.LayersModel[] = [];

  await useCpuBackend();
  try {
    for (let k = 0; k < folds.length; k++) {
      const f = folds[k];
      const initRng = master.fork();
      const shuffleRng = master.fork();
      const labelRng = master.fork();
      const rows = selectTrainingRows(features, labels, f, config);
      if (rows.length < 100) {
        throw new ConfigError(
          `fold ${k} has only ${rows.length} usable training rows (need ≥ 100)`,
          { parameter: "folds" },
          "use more bars, fewer folds or a smaller horizon/embargo",
        );
      }
      const y = new Int32Array(rows.length);
      const fr = new Float64Array(rows.length);
      for (let r = 0; r < rows.length; r++) {
        y[r] = labels.label[rows[r]];
        fr[r] = labels.forwardReturn[rows[r]];
      }
      if (config.shuffleLabels) {
        for (let r = rows.length - 1; r > 0; r--) {
          const j = labelRng.int(r + 1);
          const ty = y[r];
          y[r] = y[j];
          y[j] = ty;
          const tf_ = fr[r];
          fr[r] = fr[j];
          fr[j] = tf_;
        }
      }
      const mask = new Uint8Array(features.rows);
      for (const i of rows) mask[i] = 1;
      const normalizer = fitNormalizer(features, {
        start: f.train.start,
        end: f.train.end,
        method: "zscore",
        mask,
      });
      const counts = [0, 0, 0];
      const sums = [0, 0, 0];
      for (let r = 0; r < rows.length; r++) {
        counts[y[r]]++;
        sums[y[r]] += fr[r];
      }
      const classMeanReturn = sums.map((s, c) => (counts[c] > 0 ? s / counts[c] : 0));
      const x = gatherRows(features, rows, normalizer);
      const model = createClassifier(features.cols, config.mlp.hidden, initRng);
      const losses = trainClassifier(model, { x, y, rows: rows.length, cols: features.cols }, {
        config: config.mlp,
        rng: shuffleRng,
        onEpoch: options.onProgress ? (e, l) => options.onProgress!(k, e, l) : undefined,
      });
      const fold: SignalFold = {
        index: k,
        train: { ...f.train },
        test: { ...f.test },
        times: {
          trainStart: features.time[f.train.start],
          trainLast: features.time[f.train.end - 1],
          testStart: features.time[f.test.start],
          testLast: features.time[f.test.end - 1],
        },
        trainRows: rows.length,
        trainClassCounts: counts,
        classMeanReturn,
        normalizer,
        losses,
      };
      predictFold(features, model, fold, out);
      trained.push(fold);
      models.push(model);
    }
  } finally {
    await restoreBackend();
  }

  const model: SignalModel = { config, folds: trained, models };
  const diagnostics = diagnoseSignals(md, {
    signals: out.signals,
    probs: out.probs,
    labels,
    model,
  });
  return { signals: out.signals, probs: out.probs, labels, model, diagnostics };
}

/**
 * Re-create the out-of-sample signals of a (possibly loaded) {@link SignalModel} on
 * `features`: each fold's model predicts its own test window. With `extend: true`, rows
 * after the last test window (new data, live bars) are predicted by the last fold's model,
 * which was trained strictly before them.
 *
 * @throws DataError if the feature names differ from the ones the models were trained on,
 *   or the fold boundary times do not match `features.time`.
 */
export async function predictSignals(
  model: SignalModel,
  features: FeatureMatrix,
  options: { extend?: boolean } = {},
): Promise<{ signals: Signals; probs: Float64Array }> {
  const names = model.config.featureNames;
  if (names.length !== features.names.length || names.some((n, j) => n !== features.names[j])) {
    throw new DataError(
      `the signal models read [${names.join(", ")}], the features have [${
        features.names.join(", ")
      }]`,
      { parameter: "features" },
    );
  }
  const out = emptySignals(features, model.config.horizon);
  await useCpuBackend();
  try {
    for (let k = 0; k < model.folds.length; k++) {
      const f = model.folds[k];
      if (f.test.end > features.rows || features.time[f.test.start] !== f.times.testStart) {
        throw new DataError(
          `fold ${k}'s test window starts at ${new Date(f.times.testStart).toISOString()} but ` +
            `bar ${f.test.start} of these features is at ${
              f.test.start < features.rows
                ? new Date(features.time[f.test.start]).toISOString()
                : "(beyond the data)"
            }`,
          { parameter: "features" },
          "re-predict on the same market data the models were trained on",
        );
      }
      predictFold(features, model.models[k], f, out);
    }
    const last = model.folds[model.folds.length - 1];
    if (options.extend && last && last.test.end < features.rows) {
      predictFold(features, model.models[model.folds.length - 1], last, out, {
        start: last.test.end,
        end: features.rows,
      });
    }
  } finally {
    await restoreBackend();
  }
  return out;
}

/**
 * Score out-of-sample signals and the naive baselines on the rows where a prediction and a
 * label exist.
 */
export function diagnoseSignals(
  md: MarketData,
  run: { signals: Signals; probs: Float64Array; labels: Labels; model: SignalModel },
): SignalDiagnostics {
  const n = md.time.length;
  const { signals, probs, labels, model } = run;
  const y = new Int8Array(n).fill(-1);
  const pred = new Int8Array(n).fill(-1);
  const maj = new Int8Array(n).fill(-1);
  const majProbs = new Float64Array(n * 3).fill(NaN);
  const lrs = new Int8Array(n).fill(-1);
  for (const f of model.folds) {
    const tot = f.trainClassCounts[0] + f.trainClassCounts[1] + f.trainClassCounts[2];
    const c = f.trainClassCounts.indexOf(Math.max(...f.trainClassCounts));
    for (let i = f.test.start; i < f.test.end; i++) {
      if (signals.available[i] !== 1 || labels.label[i] < 0) continue;
      y[i] = labels.label[i];
      pred[i] = signals.signal[i];
      maj[i] = c;
      for (let j = 0; j < 3; j++) majProbs[i * 3 + j] = f.trainClassCounts[j] / tot;
      const r = md.close[i] / md.close[i - 1] - 1;
      lrs[i] = r > 0 ? 2 : r < 0 ? 0 : 1;
    }
  }
  const all = {
    model: scorePredictions(y, pred, { probs }),
    majority: scorePredictions(y, maj, { probs: majProbs }),
    lastReturnSign: scorePredictions(y, lrs),
  };
  const perFold = model.folds.map((f) => {
    const r = { start: f.test.start, end: f.test.end };
    return {
      fold: f.index,
      model: scorePredictions(y, pred, { probs, ...r }),
      majority: scorePredictions(y, maj, { probs: majProbs, ...r }),
      lastReturnSign: scorePredictions(y, lrs, r),
    };
  });
  // The majority baseline's "probabilities" are the training frequencies; its calibration
  // bins are not meaningful, drop them.
  all.majority.calibration = [];
  for (const p of perFold) p.majority.calibration = [];
  return { ...all, ece: expectedCalibrationError(all.model.calibration), perFold };
}
