/**
 * Training callbacks built on the {@link Callback} hooks: metrics logging (metrics.jsonl +
 * TensorBoard), deterministic evaluation on the validation split with best-model keeping and
 * early stopping, periodic checkpoints, and a progress bar on stderr.
 *
 * Steps are GLOBAL environment steps: on resume, pass `stepOffset` = the checkpoint's steps so
 * logs, checkpoints and the progress bar continue where the run stopped.
 *
 * @module
 */
import type { Env, Policy } from "../env/mod.ts";
import { evaluatePolicy, type EvaluationResult } from "../backtest/mod.ts";
import {
  type Callback,
  NormalizedPolicy,
  type TrainContext,
  type UpdateLog,
  VecNormalizer,
} from "../agents/mod.ts";
import type { BestRecord, CheckpointState, RunDir } from "./run_dir.ts";

/** A frozen deterministic policy of the current training state (normaliser copied). */
export function snapshotPolicy(ctx: TrainContext): Policy {
  const norm = ctx.normalizer ? VecNormalizer.fromJSON(ctx.normalizer.toJSON(), 1) : null;
  return new NormalizedPolicy(ctx.engine, norm, { deterministic: true, name: ctx.algorithm });
}

function finiteOrNull(x: number | null | undefined): number | null {
  return typeof x === "number" && Number.isFinite(x) ? x : null;
}

/** TensorBoard tag → UpdateLog field (SB3 names). */
const TB_TAGS: [string, keyof UpdateLog][] = [
  ["train/loss", "loss"],
  ["train/policy_gradient_loss", "policyLoss"],
  ["train/value_loss", "valueLoss"],
  ["train/entropy", "entropy"],
  ["train/approx_kl", "approxKl"],
  ["train/clip_fraction", "clipFraction"],
  ["train/explained_variance", "explainedVariance"],
  ["train/grad_norm", "gradNorm"],
  ["train/learning_rate", "learningRate"],
  ["train/clip_range", "clipRange"],
  ["train/ref_kl", "refKl"],
  ["train/zero_std_group_fraction", "zeroStdGroupFraction"],
  ["time/fps", "fps"],
  ["rollout/ep_rew_mean", "episodeReturnMean"],
  ["rollout/ep_len_mean", "episodeLengthMean"],
];

/**
 * Writes every logged update to `metrics.jsonl` (`{"type":"update", …UpdateLog}` with
 * global `timesteps`) and to TensorBoard.
 */
export class MetricsLogger implements Callback {
  readonly #run: RunDir;
  readonly #offset: number;

  /**
   * Log into `run`.
   * @param run the open run folder
   * @param options `stepOffset` for resumed runs
   */
  constructor(run: RunDir, options: { stepOffset?: number } = {}) {
    this.#run = run;
    this.#offset = options.stepOffset ?? 0;
  }

  onUpdate(_ctx: TrainContext, log: UpdateLog): void {
    const timesteps = log.timesteps + this.#offset;
    this.#run.logMetrics({ type: "update", ...log, timesteps, wallTime: Date.now() / 1000 });
    const scalars: Record<string, number> = {};
    for (const [tag, key] of TB_TAGS) {
      const v = log[key];
      if (typeof v === "number" && Number.isFinite(v)) scalars[tag] = v;
    }
    this.#run.tensorboard?.scalars(scalars, timesteps);
  }
}

/**
 * Which evaluation number decides the best model and early stopping: the annualised
 * `sharpe` or `sortino` of the validation equity curve (undefined counts as 0), its
 * `total_return` (fraction), or the `mean_return` (mean episode reward).
 */
export type EvalMetric = "sharpe" | "sortino" | "total_return" | "mean_return";

/**
 * Minimum-activity guard of the best model: a candidate below either threshold on the
 * validation split is not chosen over one that passes (a near-idle model with 1 trade and a
 * lucky Sharpe is not a "best model"). While NO evaluation has passed, the best
 * non-qualifying candidate is kept provisionally in `best/` with `qualified: false` in the
 * best record (manifest and state.json), and the first qualifying candidate replaces it.
 * Envs that do not report trades or positions are not guarded on that quantity.
 */
export interface ActivityGuard {
  /** Minimum closed trades (0 = off). */
  minTrades: number;
  /** Minimum fraction of bars with an open position (0 = off). */
  minExposure: number;
}

/** Whether an evaluation passes `guard` (see {@link ActivityGuard}). */
export function passesActivityGuard(res: EvaluationResult, guard: ActivityGuard): boolean {
  const trades = res.trades ?? null;
  const exposure = res.exposure ?? null;
  return (guard.minTrades <= 0 || trades === null || trades >= guard.minTrades) &&
    (guard.minExposure <= 0 || exposure === null || exposure >= guard.minExposure);
}

/** The value of `metric` for an evaluation (undefined ratios count as 0). */
export function evalMetricValue(res: EvaluationResult, metric: EvalMetric): number {
  switch (metric) {
    case "sharpe":
      return res.sharpe ?? 0;
    case "sortino":
      return res.sortino ?? 0;
    case "total_return":
      return res.totalReturn ?? 0;
    default:
      return res.meanReturn;
  }
}

/** Options of {@link EvalCallback}. */
export interface EvalCallbackOptions {
  /** The validation env (evaluation mode: the whole validation split). */
  env: Env;
  /** Evaluate every this many environment steps (default 10,000, the specification's). */
  evalFreq?: number;
  /** Episodes per evaluation (default 1). */
  episodes?: number;
  /** Reset seed of the evaluation episodes (default 0: every evaluation sees the same episodes). */
  seed?: number;
  /** Bars per year for the Sharpe ratio. Without it the metric falls back to mean return. */
  periodsPerYear?: number;
  /**
   * Metric for the best model and early stopping. Default `"sharpe"` when `periodsPerYear`
   * is given, else `"mean_return"`. An undefined Sharpe (constant equity: no trades) counts
   * as 0.
   */
  metric?: EvalMetric;
  /** Save the best model into `<run>/best/` (default true when a run is given). */
  run?: RunDir | null;
  /** Stop after this many evaluations without improvement (0 = never; default 0). */
  patience?: number;
  /** Minimum improvement that counts (default 0). */
  minDelta?: number;
  /** Global steps already trained (resume). */
  stepOffset?: number;
  /** Best record so far (resume). */
  best?: BestRecord | null;
  /** Evaluate once more at the end of training if the last evaluation is older. Default true. */
  evalAtEnd?: boolean;
  /** Minimum-activity guard of the best model (default: off, `{ minTrades: 0, minExposure: 0 }`). */
  guard?: ActivityGuard;
  /** Pass the env's action masks to the policy during evaluation (default true). */
  useMasks?: boolean;
  /** Called with each evaluation. */
  onEvaluation?: (result: EvaluationResult & { timesteps: number; metricValue: number }) => void;
}

/** Deterministic evaluation on the validation env, best model, early stopping. */
export class EvalCallback implements Callback {
  readonly #o: EvalCallbackOptions;
  /** Metric deciding the best model and early stopping. */
  readonly metric: EvalMetric;
  readonly #offset: number;
  #lastEvalAt = -1;
  /** Best evaluation so far. */
  best: BestRecord | null;
  /** The minimum-activity guard in force. */
  readonly guard: ActivityGuard;
  /** Evaluations since the last improvement. */
  noImprovement = 0;
  /** Most recent evaluation. */
  last: (EvaluationResult & { timesteps: number; metricValue: number }) | null = null;
  /** Every evaluation, in order. */
  readonly history: (EvaluationResult & { timesteps: number; metricValue: number })[] = [];
  /** Total seconds spent evaluating. */
  seconds = 0;
  /** True when early stopping fired. */
  stopped = false;

  /** Evaluate with `options` (validation env, frequency, metric, run folder, patience). */
  constructor(options: EvalCallbackOptions) {
    this.#o = options;
    this.metric = options.metric ?? (options.periodsPerYear ? "sharpe" : "mean_return");
    this.#offset = options.stepOffset ?? 0;
    this.guard = options.guard ?? { minTrades: 0, minExposure: 0 };
    const b = options.best ?? null;
    // JSON stores −∞ (e.g. a Sharpe of a policy that never traded) as null
    this.best = b ? { ...b, value: typeof b.value === "number" ? b.value : -Infinity } : null;
  }

  async #evaluate(ctx: TrainContext): Promise<boolean> {
    const timesteps = ctx.timesteps + this.#offset;
    this.#lastEvalAt = ctx.timesteps;
    const res = evaluatePolicy(this.#o.env, snapshotPolicy(ctx), {
      episodes: this.#o.episodes ?? 1,
      seed: this.#o.seed ?? 0,
      periodsPerYear: this.#o.periodsPerYear,
      useMasks: this.#o.useMasks,
    });
    this.seconds += res.seconds;
    // An undefined Sharpe means constant equity (a policy that never trades): count it as 0,
    // so a flat policy ranks above one that loses money and below one that earns.
    const metricValue = evalMetricValue(res, this.metric);
    const qualified = passesActivityGuard(res, this.guard);
    const rec = { ...res, timesteps, metricValue, qualified };
    this.last = rec;
    this.history.push(rec);
    const run = this.#o.run;
    // a qualifying candidate always beats a provisional (non-qualifying) best; a
    // non-qualifying one never replaces a qualifying best
    const bestQualified = this.best?.qualified ?? true;
    const better = this.best === null ||
      metricValue > this.best.value + (this.#o.minDelta ?? 0) ||
      (this.best.value === -Infinity && metricValue > -Infinity);
    const improved = this.best === null ||
      (qualified && !bestQualified) ||
      (qualified === bestQualified && better);
    if (improved) {
      this.best = {
        metric: this.metric,
        value: metricValue,
        timesteps,
        qualified,
        trades: res.trades ?? null,
        exposure: res.exposure ?? null,
      };
      this.noImprovement = 0;
      if (run) {
        await run.saveBest({
          engine: ctx.engine,
          normalizer: ctx.normalizer,
          state: this.#state(ctx, timesteps),
          metadata: {
            evaluation: { metric: this.metric, value: finiteOrNull(metricValue), qualified },
          },
        });
      }
    } else this.noImprovement++;
    if (run) {
      run.logMetrics({
        type: "eval",
        timesteps,
        meanReturn: res.meanReturn,
        stdReturn: res.stdReturn,
        episodes: res.episodes,
        meanLength: res.lengths.reduce((a, b) => a + b, 0) / res.lengths.length,
        sharpe: finiteOrNull(res.sharpe),
        finalEquity: finiteOrNull(res.finalEquity),
        metric: this.metric,
        metricValue: finiteOrNull(metricValue),
        trades: res.trades ?? null,
        exposure: finiteOrNull(res.exposure),
        qualified,
        best: improved,
        seconds: res.seconds,
        wallTime: Date.now() / 1000,
      });
      const s: Record<string, number> = { "eval/mean_return": res.meanReturn };
      if (res.sharpe !== null) s["eval/sharpe"] = res.sharpe;
      if (res.finalEquity !== null) s["eval/final_equity"] = res.finalEquity;
      s["eval/mean_ep_length"] = res.lengths.reduce((a, b) => a + b, 0) / res.lengths.length;
      run.tensorboard?.scalars(s, timesteps);
    }
    this.#o.onEvaluation?.(rec);
    const patience = this.#o.patience ?? 0;
    if (patience > 0 && this.noImprovement >= patience) {
      this.stopped = true;
      return false;
    }
    return true;
  }

  #state(ctx: TrainContext, timesteps: number): CheckpointState {
    return {
      timesteps,
      updates: ctx.updates,
      algorithm: ctx.algorithm,
      engine: ctx.engine.engine,
      best: this.best,
      extra: { noImprovement: this.noImprovement },
    };
  }

  async onUpdate(ctx: TrainContext): Promise<boolean> {
    const freq = this.#o.evalFreq ?? 10_000;
    const since = this.#lastEvalAt < 0 ? ctx.timesteps : ctx.timesteps - this.#lastEvalAt;
    if (since >= freq) return await this.#evaluate(ctx);
    return true;
  }

  async onTrainingEnd(ctx: TrainContext): Promise<void> {
    if ((this.#o.evalAtEnd ?? true) && this.#lastEvalAt !== ctx.timesteps && !this.stopped) {
      await this.#evaluate(ctx);
    }
  }
}

/** Options of {@link CheckpointCallback}. */
export interface CheckpointCallbackOptions {
  /** The open run folder. */
  run: RunDir;
  /** Save every this many environment steps (default 50,000, the specification's). */
  freq?: number;
  /** Global steps already trained (resume). */
  stepOffset?: number;
  /** Provides the best-model record to store with each checkpoint (for resume). */
  best?: () => CheckpointState["best"];
  /** Provides extra resume state. */
  extra?: () => Record<string, unknown>;
}

/** Saves `checkpoints/<step>/` every `freq` steps (atomically, see `run.ts`). */
export class CheckpointCallback implements Callback {
  readonly #o: CheckpointCallbackOptions;
  #last = 0;
  /** Paths written. */
  readonly saved: string[] = [];

  /** Checkpoint with `options` (run folder, frequency, resume offset). */
  constructor(options: CheckpointCallbackOptions) {
    this.#o = options;
  }

  /** Save a checkpoint now. */
  async save(ctx: TrainContext): Promise<string> {
    const timesteps = ctx.timesteps + (this.#o.stepOffset ?? 0);
    const path = await this.#o.run.saveCheckpoint({
      engine: ctx.engine,
      normalizer: ctx.normalizer,
      state: {
        timesteps,
        updates: ctx.updates,
        algorithm: ctx.algorithm,
        engine: ctx.engine.engine,
        best: this.#o.best?.() ?? null,
        extra: this.#o.extra?.(),
      },
    });
    this.#last = ctx.timesteps;
    this.saved.push(path);
    return path;
  }

  async onUpdate(ctx: TrainContext): Promise<void> {
    if (ctx.timesteps - this.#last >= (this.#o.freq ?? 50_000)) await this.save(ctx);
  }
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Global steps already trained (resume). */
  stepOffset?: number;
  /** Global step budget (default: the context's `totalTimesteps` + offset). */
  total?: number;
  /** Last evaluation to show. */
  lastEval?: () => { metric: string; value: number } | null;
  /** Minimum seconds between redraws on a terminal (default 0.25). */
  interval?: number;
  /** Where to write (default stderr). */
  write?: (s: string) => void;
  /** Redraw in place with `\r` (default: when stderr is a terminal); else one line per ~10 %. */
  inPlace?: boolean;
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0
    ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`
    : `${m}:${String(sec).padStart(2, "0")}`;
}

/** Progress bar on stderr: steps, fps, ETA, last evaluation. */
export class ProgressBar implements Callback {
  readonly #o: ProgressBarOptions;
  readonly #write: (s: string) => void;
  readonly #inPlace: boolean;
  #t0 = 0;
  #lastDraw = 0;
  #lastDecile = -1;

  /** A bar configured by `options` (offset/total for resumed runs, evaluation source, output). */
  constructor(options: ProgressBarOptions = {}) {
    this.#o = options;
    const enc = new TextEncoder();
    this.#write = options.write ?? ((s: string) => void Deno.stderr.writeSync(enc.encode(s)));
    let tty = false;
    try {
      tty = Deno.stderr.isTerminal();
    } catch { /* not available */ }
    this.#inPlace = options.inPlace ?? tty;
  }

  onTrainingStart(): void {
    this.#t0 = performance.now();
  }

  /** The current progress line (no newline). */
  line(ctx: TrainContext): string {
    const offset = this.#o.stepOffset ?? 0;
    const done = ctx.timesteps + offset;
    const total = this.#o.total ?? ctx.totalTimesteps + offset;
    const frac = Math.min(1, done / Math.max(1, total));
    const elapsed = (performance.now() - this.#t0) / 1000;
    const fps = ctx.timesteps / Math.max(elapsed, 1e-9);
    const eta = (total - done) / Math.max(fps, 1e-9);
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const ev = this.#o.lastEval?.();
    const evs = ev
      ? `  eval ${ev.metric} ${Number.isFinite(ev.value) ? ev.value.toFixed(3) : "n/a"}`
      : "";
    return `${ctx.algorithm} ${bar} ${(frac * 100).toFixed(1)}%  ${done.toLocaleString("en-US")}/${
      total.toLocaleString("en-US")
    } steps  ${Math.round(fps).toLocaleString("en-US")} fps  ETA ${fmtDuration(eta)}${evs}`;
  }

  onUpdate(ctx: TrainContext): void {
    const now = performance.now();
    if (this.#inPlace) {
      if ((now - this.#lastDraw) / 1000 < (this.#o.interval ?? 0.25)) return;
      this.#lastDraw = now;
      this.#write(`\r${this.line(ctx)}\x1b[K`);
    } else {
      const offset = this.#o.stepOffset ?? 0;
      const total = this.#o.total ?? ctx.totalTimesteps + offset;
      const decile = Math.floor(((ctx.timesteps + offset) / Math.max(1, total)) * 10);
      if (decile === this.#lastDecile) return;
      this.#lastDecile = decile;
      this.#write(`${this.line(ctx)}\n`);
    }
  }

  onTrainingEnd(ctx: TrainContext): void {
    this.#write(`${this.#inPlace ? "\r" : ""}${this.line(ctx)}${this.#inPlace ? "\x1b[K" : ""}\n`);
  }
}
