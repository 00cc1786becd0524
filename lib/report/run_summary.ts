/**
 * Summaries of one training run, shared by notebooks 04–06 (and anything else that shows a
 * run): the train / validation / test split table, the training-curves figure from
 * `metrics.jsonl`, the validation table of final model vs best model vs baselines, what the
 * run folder holds, and the manifest.
 *
 * @module
 */
import {
  type RunConfig,
  type RunManifest,
  SYNTHETIC_PPO_PRESET,
  type TradingSetup,
  type TrainRunResult,
} from "../experiment/mod.ts";
import type { PlotlyFigure } from "./display.ts";
import { LEGEND_RIGHT } from "./_style.ts";

/** One table row (column name → value). */
type Row = Record<string, unknown>;

/** Rows of the chronological split: bars per split and what each is used for. */
export function splitRows(setup: Pick<TradingSetup, "split">): Row[] {
  const s = setup.split;
  return [
    {
      split: "train",
      bars: s.train.end - s.train.start,
      use: "random-start training episodes",
    },
    {
      split: "validation",
      bars: s.validation.end - s.validation.start,
      use: "evaluation, best model, early stopping",
    },
    { split: "test", bars: s.test.end - s.test.start, use: "untouched here (notebooks 07–08)" },
  ];
}

/** Series of the training-curves figure per agent: [metrics.jsonl key, legend, panel 1–3]. */
const CURVES: Record<string, [string, string, number][]> = {
  ppo: [
    ["policyLoss", "policy-gradient loss", 2],
    ["valueLoss", "value loss", 2],
    ["entropy", "entropy (nats)", 3],
    ["approxKl", "approx KL", 3],
    ["clipFraction", "clip fraction", 3],
    ["explainedVariance", "explained variance", 3],
  ],
  a2c: [
    ["policyLoss", "policy-gradient loss", 2],
    ["valueLoss", "value loss", 2],
    ["entropy", "entropy (nats)", 3],
    ["explainedVariance", "explained variance", 3],
    ["gradNorm", "gradient norm (before clip)", 3],
  ],
  grpo: [
    ["policyLoss", "clipped-surrogate loss", 2],
    ["refKl", "KL to the reference policy (k3)", 2],
    ["entropy", "entropy (nats)", 3],
    ["zeroStdGroupFraction", "groups with zero return spread", 3],
    ["clipFraction", "clip fraction", 3],
  ],
};

/** Options of {@link trainingCurvesFigure}. */
export interface TrainingCurvesOptions {
  /** Algorithm (`ppo`, `a2c`, `grpo`): picks the diagnostics shown. Default `ppo`. */
  agent?: string;
  /** Figure title (default `<AGENT> — training diagnostics vs environment steps`). */
  title?: string;
}

/**
 * Training curves from `metrics.jsonl` records (`readMetrics`): a 2 × 2 grid of the training
 * episode return (mean of the last 100 episodes, reward units), the losses, the policy
 * statistics and the deterministic validation return and Sharpe, all against global
 * environment steps.
 */
export function trainingCurvesFigure(
  metrics: readonly Row[],
  options: TrainingCurvesOptions = {},
): PlotlyFigure {
  const agent = options.agent ?? "ppo";
  const updates = metrics.filter((m) => m.type === "update");
  const evals = metrics.filter((m) => m.type === "eval");
  const series = (rows: Row[], key: string, name: string, axis: number) => ({
    type: "scatter",
    mode: "lines+markers",
    marker: { size: 4 },
    name,
    x: rows.map((r) => r.timesteps),
    y: rows.map((r) => (typeof r[key] === "number" ? r[key] : null)),
    xaxis: axis === 1 ? "x" : `x${axis}`,
    yaxis: axis === 1 ? "y" : `y${axis}`,
  });
  const panelTitle = (text: string, axis: number) => ({
    text,
    showarrow: false,
    xref: `x${axis === 1 ? "" : axis} domain`,
    yref: `y${axis === 1 ? "" : axis} domain`,
    x: 0.5,
    y: 1.12,
    font: { size: 12 },
  });
  return {
    data: [
      series(updates, "episodeReturnMean", "training episode return (mean of last 100)", 1),
      ...(CURVES[agent] ?? CURVES.ppo).map(([k, name, panel]) => series(updates, k, name, panel)),
      series(evals, "meanReturn", "validation return", 4),
      series(evals, "sharpe", "validation Sharpe", 4),
    ],
    layout: {
      title: options.title ?? `${agent.toUpperCase()} — training diagnostics vs environment steps`,
      grid: { rows: 2, columns: 2, pattern: "independent" },
      height: 620,
      showlegend: true,
      legend: LEGEND_RIGHT,
      annotations: [
        panelTitle("episode return (reward units)", 1),
        panelTitle("losses", 2),
        panelTitle("policy statistics", 3),
        panelTitle("validation (deterministic)", 4),
      ],
    },
  };
}

/**
 * Validation rows of a run: final model, best model (chosen ON this split), always flat and
 * the seeded random policy; return in reward units, Sharpe annualised, final equity in USDT.
 */
export function runValidationRows(
  result: Pick<TrainRunResult, "validation" | "evaluations" | "config">,
): Row[] {
  type R = TrainRunResult["validation"]["final"] | null;
  const row = (policy: string, r: R): Row =>
    r === null
      ? {
        policy,
        "return (reward units)": null,
        "Sharpe (annualised)": null,
        "final equity (USDT)": null,
        bars: null,
      }
      : {
        policy,
        "return (reward units)": r.meanReturn,
        "Sharpe (annualised)": r.sharpe,
        "final equity (USDT)": r.finalEquity,
        bars: r.lengths[0],
      };
  const v = result.validation;
  const agent = result.config.agent;
  const metric = result.config.evaluation.metric;
  return [
    row(`${agent} final model`, v.final),
    row(
      `${agent} best model (of ${result.evaluations.length} validation evaluations, by ${metric})`,
      v.best,
    ),
    row("always flat", v.flat),
    row("random (seeded)", v.random),
  ];
}

const RUN_FILES: Record<string, string> = {
  "config.json": "the resolved run configuration (every value, defaults included)",
  "manifest.json":
    "seed, data SHA-256, git commit, engine, tfjs backend, versions, timings, validation summary",
  "metrics.jsonl": "one JSON line per logged update / evaluation (the training curves)",
  "model.json": "tfjs LayersModel topology (loads with plain tf.loadLayersModel)",
  "weights.bin": "float32 weights referenced by model.json",
  "weights_f64.bin": "exact float64 copy (bit-identical resume)",
  "policy.json": "head type, Gaussian log-std, hashes, metadata",
  "optimizer.json": "optimiser state header (step count, tensor names)",
  "optimizer.bin": "optimiser moments (float64)",
  "state.json": "steps, updates, best evaluation (for --resume)",
  "normalizer.json": "observation normaliser statistics (frozen at evaluation)",
  best: "the best model by validation metric (same file set)",
  checkpoints: "checkpoints/<step>/ every checkpoint interval (same file set)",
};

/** What a run folder holds: one row per entry with a description. */
export function runFolderRows(runDir: string): Row[] {
  const entries = [...Deno.readDirSync(runDir)].map((e) => e.name).sort();
  return entries.map((file) => ({
    file,
    contents: file.startsWith("events.out.tfevents.")
      ? "TensorBoard scalars (tensorboard --logdir models/)"
      : RUN_FILES[file] ?? "",
  }));
}

/** The manifest as field / value rows (seconds for timings, share as a fraction). */
export function manifestRows(manifest: RunManifest): Row[] {
  const t = manifest.timings;
  return [
    {
      field: "algorithm / engine / backend",
      value: `${manifest.algorithm} / ${manifest.engine} / ${manifest.backend}`,
    },
    { field: "seed", value: manifest.seed },
    {
      field: "data",
      value: `${manifest.data.source}, ${manifest.data.bars} bars of ${manifest.data.interval}`,
    },
    { field: "data SHA-256", value: manifest.data.sha256 },
    { field: "git commit", value: manifest.gitCommit ?? "(not a git checkout)" },
    { field: "steps trained", value: manifest.timesteps },
    { field: "train seconds", value: t.trainSeconds },
    { field: "steps per second", value: t.stepsPerSecond },
    {
      field: "share of time collecting rollouts",
      value: t.rolloutSeconds !== undefined && t.trainSeconds
        ? t.rolloutSeconds / t.trainSeconds
        : null,
    },
    {
      field: "best (metric, value, step)",
      value: manifest.best
        ? `${manifest.best.metric} ${manifest.best.value} @ ${manifest.best.timesteps}`
        : "—",
    },
    { field: "deno / tfjs", value: `${manifest.versions.deno} / ${manifest.versions.tfjs}` },
  ];
}

/** What {@link tradingOutcomeNote} reads from a run. */
export interface TradingOutcomeInput {
  /** Closed trades of the analysed policy on the split (null/undefined: unknown, read as 0). */
  trades: number | null | undefined;
  /** Decisions per action, HOLD first (a backtest's `actionCounts`), if known. */
  actionCounts?: ArrayLike<number>;
  /** The run's resolved configuration (`result.config`, or `loadRun(...).config`). */
  config: Readonly<Record<string, unknown>> | RunConfig | null;
  /** Split the trades were counted on (default "validation"). */
  split?: string;
}

/**
 * One paragraph to show BEFORE analysing a run's backtest, computed from the run: when the
 * policy made no trade, whether that is the expected outcome of its reward (the
 * specification's drawdown-level term, and its Sharpe bonus, make staying flat score above
 * every profitable policy measured: see `SYNTHETIC_PPO_PRESET`'s docs) or of something else
 * (a short budget, raw observations), and which preset trains an agent that trades. With
 * trades, one line saying how many.
 */
export function tradingOutcomeNote(input: TradingOutcomeInput): string {
  const split = input.split ?? "validation";
  const cfg = (input.config ?? {}) as Partial<RunConfig>;
  const agent = String(cfg.agent ?? "the agent").toUpperCase();
  const trades = input.trades ?? 0;
  const counts = input.actionCounts ? Array.from(input.actionCounts) : null;
  const total = counts ? counts.reduce((a, b) => a + b, 0) : 0;
  const hold = counts && total > 0
    ? ` (${(100 * counts[0] / total).toFixed(1)} % of its ${
      total.toLocaleString("en-US")
    } decisions were HOLD)`
    : "";
  if (trades > 0) {
    return `${agent} made ${
      trades.toLocaleString("en-US")
    } closed trades on the ${split} split${hold}.`;
  }
  const preset = SYNTHETIC_PPO_PRESET;
  const trading = `The run that trades: the ${preset.name} preset (${preset.description}; ` +
    `deno task train --preset ${preset.name}, trained in notebook 08 as ` +
    `models/nb08-ppo-preset-full-s<seed>/; lib/experiment/config.ts has the ablation).`;
  const r = cfg.reward;
  const drawdown = r?.drawdown?.enabled && r.drawdown.weight > 0 ? r.drawdown.weight : null;
  const sharpe = r?.sharpe?.enabled && r.sharpe.weight > 0 ? r.sharpe : null;
  const head = `${agent} made no trade on the ${split} split${hold}: its equity is a flat ` +
    "line, the trade charts are empty and the trade statistics are n/a.";
  if (drawdown !== null) {
    const why =
      `This is the expected outcome of ${
        cfg.preset ? `this run's reward (preset ${cfg.preset})` : "the specification's reward"
      }, not a failure of the optimiser: its drawdown term charges −${drawdown} × the current ` +
      "drawdown on EVERY bar a position is under water (a 2 % drawdown held for 1,000 bars " +
      "costs as much as a +100 % return earns through the PnL term), so staying flat scores " +
      "above every profitable policy measured" +
      (sharpe
        ? `, and its Sharpe bonus (+${sharpe.weight} while the recent Sharpe exceeds ` +
          `${sharpe.threshold}) pays for holding anything that went up, not for making money.`
        : ".");
    return [head, why, trading].join(" ");
  }
  const causes: string[] = [];
  if (cfg.normObs === false) {
    causes.push("raw observations (normObs off: the informative inputs are tiny fractions)");
  }
  if (typeof cfg.timesteps === "number" && cfg.timesteps < 100_000) {
    causes.push(`a short budget (${cfg.timesteps.toLocaleString("en-US")} steps)`);
  }
  return [
    head,
    "Its reward has no drawdown-level term, so flat is not reward-optimal here" +
    (causes.length ? `; likely causes: ${causes.join(" and ")}.` : "."),
    trading,
  ].join(" ");
}
