/**
 * Evaluate a saved run on a held-out split: `deno task evaluate`, notebooks 07 and 08.
 *
 * {@link evaluateRun} loads a run folder (its best and final models), rebuilds the run's
 * setup from its `config.json` (the resolved `RunConfig`: same data, features, signals,
 * split and reward; `options.data` swaps the data source), backtests every model through the
 * one episode loop (`backtest()` → `runEpisode`) on the chosen split against the fixed-rule
 * baseline, buy & hold 1× (the asset itself, from prices, same fees), always-flat and random,
 * runs the paired bootstrap of each model's Sharpe against the baseline's, builds the targets
 * table under the reporting rules that cannot flatter (`ReportingRules` in lib/metrics) and
 * writes `evaluation.json` into the run folder (atomically). The ruin rule (`RUIN_RULE`) is
 * applied once, in `backtest()`, so the table, the targets, the bootstrap and the JSON show
 * the same Sharpe for a ruined run.
 *
 * The options env (`config.env = "options"`) goes through the same loop and the same table,
 * targets, bootstrap and JSON; only the references differ (its action is a `Box(−1, 1)`):
 * the 1-hour reversal rule (the bootstrap's baseline; on the synthetic options market it is
 * the planted edge, so it is a ceiling rather than a naive rule), always flat, always a call,
 * always a put and random actions ({@link referenceRuns}).
 *
 * The HTML report is built one layer up (`evaluationReportHtml` in lib/report) from the
 * returned {@link RunEvaluation}; `deno task evaluate` writes it beside `evaluation.json`.
 *
 * @module
 */
import {
  AlwaysFlatPolicy,
  backtest,
  type BacktestOptions,
  type BacktestResult,
  type BaselineComparison,
  buyAndHold1x,
  checkTargets,
  compareToBaseline,
  type ComparisonRow,
  comparisonTable,
  ConstantOptionsPolicy,
  FixedRuleBaseline,
  MomentumOptionsPolicy,
  type NamedRun,
  RandomOptionsPolicy,
  RandomPolicy,
  type TargetCheck,
  type TargetOptions,
  type TradingEnvLike,
} from "../backtest/mod.ts";
import type { Policy } from "../env/mod.ts";
import { reportingRules, RUIN_RULE, windowDays } from "../metrics/mod.ts";
import { ConfigError, writeFileAtomic } from "../util/mod.ts";
import { buildEnvSetup, resolveRunConfig, type RunConfig, type RunSetup } from "./config.ts";
import type { OptionsSetup } from "./options_setup.ts";
import { loadRun, type RunManifest } from "./run_dir.ts";
import type { TradingSetup } from "./setup.ts";
import { readRunConfig } from "./train.ts";
import type { CellRecord, SweepManifest } from "./sweep/mod.ts";

/** A setup a run can be evaluated on: either env's (guarded or not: the episode guards). */
export type EvaluationSetup = TradingSetup | RunSetup;

/** A split a run can be evaluated on. */
export type EvaluationSplit = "test" | "validation" | "train";

/** Options of {@link evaluateRun}. */
export interface EvaluateRunOptions {
  /** Split to evaluate on (default `test`: the held-out bars neither training nor model selection saw). */
  split?: EvaluationSplit;
  /** Models of the run to evaluate, in order (default `["best", "final"]`; a missing one is skipped with a note). */
  which?: ("best" | "final")[];
  /**
   * Data source replacing the run's (`config.data.source`): a bars file or folder, or
   * `synthetic`. Features, signals and the split are rebuilt on it with the run's settings.
   */
  data?: string;
  /** An already built setup to use instead of rebuilding it (notebooks that built one). */
  setup?: EvaluationSetup;
  /**
   * Options forwarded to EVERY backtest (models and references alike), and so to every
   * `runEpisode` call: masks, step cap and the episode options that risk guards, exit rules
   * or smoothing add. `useMasks` defaults to the run's `maskActions`.
   */
  episode?: Omit<Partial<BacktestOptions>, "periodsPerYear" | "name">;
  /** Reporting rules and target thresholds (default: 30 trades, 6 months, a year). */
  targets?: TargetOptions;
  /** Bootstrap resamples (default 2000), seed (default 0) and significance level (default 0.05). */
  bootstrap?: { samples?: number; seed?: number; alpha?: number };
  /** Seed of the random reference policy (default: the run's seed). */
  randomSeed?: number;
  /** Write `evaluation.json` into the run folder (default true for {@link evaluateRun}, false for {@link evaluateRuns}). */
  write?: boolean;
  /** Progress messages (default: none). */
  log?: (msg: string) => void;
}

/** Everything {@link evaluateRun} computed. */
export interface RunEvaluation {
  /** The run folder (the first one for {@link evaluateRuns}). */
  runDir: string;
  /** Every run folder evaluated. */
  runDirs: string[];
  /** The split evaluated. */
  split: EvaluationSplit;
  /** The resolved configuration the setup was rebuilt from (with `data` swapped if asked). */
  config: RunConfig;
  /** The run's manifest, or null. */
  manifest: RunManifest | null;
  /** Every strategy's backtest, models first, then the references. */
  runs: NamedRun[];
  /** The comparison table (reporting rules applied). */
  rows: ComparisonRow[];
  /** The targets table of every strategy. */
  targets: { name: string; checks: TargetCheck[] }[];
  /** Each model against the fixed-rule baseline (paired stationary bootstrap of the Sharpe difference). */
  vsBaseline: BaselineComparison | null;
  /** Notes (models missing, data swapped). */
  notes: string[];
  /** The `evaluation.json` document (also written unless `write: false`). */
  json: EvaluationJson;
  /** Path of `evaluation.json` when written, else null. */
  path: string | null;
}

/** One strategy in `evaluation.json`: the comparison row plus a thinned curve. */
export interface EvaluationJsonRow extends ComparisonRow {
  /** Bar open times of the thinned curve, UTC ms. */
  time: number[];
  /** Equity at those times, quote currency (the ruin rule applied). */
  equity: number[];
  /** Interventions of the guards by rule (e.g. `{ tp1: 9, stop_loss: 2 }`); empty without guards. */
  riskCounts: Record<string, number>;
}

/** The `evaluation.json` document (read by the dashboard, `lib/dashboard/evaluation.ts`). */
export interface EvaluationJson {
  /** Format marker. */
  kind: "rlt-evaluation";
  /** Format version. */
  version: 1;
  /** The env the run trades (`futures`, or `options`; absent in files written before). */
  env: "futures" | "options";
  /** Name of the strategy the bootstrap compares the models with (its row is in `rows`). */
  baseline: string;
  /** ISO-8601 UTC time written. */
  createdAt: string;
  /** The run folder. */
  run: string;
  /** Split evaluated. */
  split: EvaluationSplit;
  /** The evaluated window: first/last bar time (UTC ms), bars (returns) and length in days. */
  window: { start: number; end: number; bars: number; days: number };
  /** Data source evaluated on and the bars per year used for annualising. */
  data: { source: string; periodsPerYear: number };
  /** Whether the models acted with invalid actions masked (the run's `maskActions`). */
  maskActions: boolean;
  /**
   * Guards every strategy ran under (risk rules, exit ladder: a preset name or a config) and
   * the EMA smoothing α of the models' outputs (null: none).
   */
  guards: { risk: unknown; exits: unknown; smoothing: number | null };
  /** How the best model was chosen (from the manifest), or null for older runs. */
  bestSelection: unknown;
  /** Reporting rules in force and the ruin rule. */
  rules: { minTrades: number; sixMonthDays: number; minAnnualiseDays: number; ruinRule: string };
  /**
   * One row per strategy: models first, then the references (futures: fixed-rule baseline,
   * buy & hold 1×, flat, random; options: reversal rule, flat, always call, always put,
   * random).
   */
  rows: EvaluationJsonRow[];
  /** The targets table: one row per strategy and target. */
  targets: {
    strategy: string;
    metric: string;
    target: string;
    value: number | null;
    display: string;
    met: boolean;
    note: string | null;
  }[];
  /** Each model against the baseline (Sharpe ratios annualised). */
  bootstrap: {
    run: string;
    sharpeRl: number;
    sharpeBaseline: number;
    difference: number;
    ciLow: number;
    ciHigh: number;
    confidence: number;
    pValue: number;
    meanBlockLength: number;
    samples: number;
    bars: number;
  }[];
  /** The plain-language conclusion of the bootstrap, or null without models. */
  conclusion: string | null;
  /** Notes (models missing, data swapped). */
  notes: string[];
}

/** Most points kept per curve in `evaluation.json` (figures; the metrics use every bar). */
export const EVALUATION_CURVE_POINTS = 2000;

function thin(result: BacktestResult, max: number): { time: number[]; equity: number[] } {
  const n = result.equity.length;
  const step = Math.max(1, Math.ceil(n / max));
  const time: number[] = [];
  const equity: number[] = [];
  for (let i = 0; i < n; i += step) {
    time.push(result.time[i]);
    equity.push(result.equity[i]);
  }
  if ((n - 1) % step !== 0) {
    time.push(result.time[n - 1]);
    equity.push(result.equity[n - 1]);
  }
  return { time, equity };
}

function finiteOrNull(x: number | null): number | null {
  return x !== null && Number.isFinite(x) ? x : null;
}

/** Display names of the strategies. */
export const EVALUATION_NAMES = Object.freeze({
  best: "best model",
  final: "final model",
  baseline: "fixed-rule baseline",
  flat: "always flat",
  reversal: "reversal rule (1 h)",
  call: "always call",
  put: "always put",
});

/** The reference strategies of one env, backtested on the evaluated split. */
export interface ReferenceRuns {
  /** The reference the models are bootstrapped against (group `baseline`). */
  baseline: NamedRun;
  /** The other references, in table order. */
  others: NamedRun[];
  /** Notes on what the references are (e.g. the planted edge). */
  notes: string[];
}

/** What {@link referenceRuns} needs: the setup, the split's env factory and the episode options. */
export interface ReferenceContext {
  /** The setup evaluated. */
  setup: EvaluationSetup;
  /** A fresh env on the evaluated split. */
  makeEnv: () => TradingEnvLike;
  /** Backtest options every reference runs with (guards, masks, bars per year). */
  episode: BacktestOptions;
  /** Seed of the random reference. */
  randomSeed: number;
}

function isOptions(setup: EvaluationSetup): setup is OptionsSetup {
  return (setup as OptionsSetup).kind === "options";
}

/**
 * The references of the setup's env, each through `backtest()` (the one episode loop) with the
 * same guards as the models. Futures: the fixed-rule baseline, buy & hold 1×, always flat,
 * random. Options: the 1-hour reversal rule (the bootstrap's baseline), always flat, always a
 * call, always a put, random actions.
 */
export function referenceRuns(ctx: ReferenceContext): ReferenceRuns {
  const { makeEnv, episode, randomSeed } = ctx;
  const bt = (policy: Policy, name: string, group: string, deterministic = true): NamedRun => ({
    name,
    group,
    result: backtest(policy, makeEnv, { ...episode, deterministic, name }),
  });
  const randomName = `random (seed ${randomSeed})`;
  if (isOptions(ctx.setup)) {
    const notes = [
      `baseline: the ${EVALUATION_NAMES.reversal} buys a put after a rise over the last 12 bars ` +
      `and a call after a fall${
        ctx.setup.source === "synthetic"
          ? "; the synthetic options market plants exactly this edge, so it is a ceiling for " +
            "what a model can learn here, not a naive rule"
          : ""
      }`,
    ];
    return {
      baseline: bt(
        new MomentumOptionsPolicy("reversal"),
        EVALUATION_NAMES.reversal,
        "baseline",
      ),
      others: [
        bt(new ConstantOptionsPolicy(0), EVALUATION_NAMES.flat, "flat"),
        bt(new ConstantOptionsPolicy(1), EVALUATION_NAMES.call, "always_call"),
        bt(new ConstantOptionsPolicy(-1), EVALUATION_NAMES.put, "always_put"),
        bt(new RandomOptionsPolicy({ seed: randomSeed }), randomName, "random", false),
      ],
      notes,
    };
  }
  const probe = makeEnv();
  const nActions = (probe.actionSpace as { n: number }).n;
  const obsDim = probe.observationSpace.size;
  const hold = buyAndHold1x(makeEnv, episode);
  return {
    baseline: bt(new FixedRuleBaseline(), EVALUATION_NAMES.baseline, "baseline"),
    others: [
      { name: hold.name, group: "buy_and_hold", result: hold },
      bt(new AlwaysFlatPolicy(), EVALUATION_NAMES.flat, "flat"),
      bt(new RandomPolicy({ seed: randomSeed, nActions, obsDim }), randomName, "random", false),
    ],
    notes: [],
  };
}

/** The saved config of a run folder, or a ConfigError saying the folder is not a run. */
async function savedConfig(dir: string): Promise<Awaited<ReturnType<typeof readRunConfig>>> {
  try {
    return await readRunConfig(dir);
  } catch {
    throw new ConfigError(
      `${dir} is not a run folder (no readable config.json)`,
      { file: `${dir}/config.json` },
      "evaluate a folder written by deno task train (models/<run-id>)",
    );
  }
}

/** A run to evaluate with {@link evaluateRuns}: its folder, models and display label. */
export interface RunRef {
  /** The run folder. */
  dir: string;
  /** Models to evaluate (default: the options' `which`). */
  which?: ("best" | "final")[];
  /** Display label (default: the folder name); models show as `<label> (best)`. */
  label?: string;
  /** Group in tables (default: the run's agent). */
  group?: string;
}

/** Options of {@link sweepRunRefs}: per cell, the models, label and group (defaults below). */
export interface SweepRunRefOptions {
  /** Models of a cell's run (default `["best", "final"]`). */
  which?: (cell: CellRecord) => ("best" | "final")[];
  /** Display label (default `<agent>[+<preset>][ f<fold>][ s<seed>]`, e.g. `a2c s1`). */
  label?: (cell: CellRecord) => string;
  /** Group in tables (default: the cell's `agent`, `+<preset>` appended when it has one). */
  group?: (cell: CellRecord) => string;
}

/**
 * The completed cells of a sweep (its manifest, e.g. `runLocalSweep(…).manifest`) as runs for
 * {@link evaluateRuns}, in grid order; cells without a complete run folder are left out.
 */
export function sweepRunRefs(
  manifest: SweepManifest,
  options: SweepRunRefOptions = {},
): RunRef[] {
  return manifest.cells.filter((c) => c.status === "completed" && c.runDir !== null).map((c) => {
    const agent = typeof c.config.agent === "string" ? c.config.agent : "ppo";
    const preset = typeof c.config.preset === "string" && c.config.preset !== "none"
      ? `+${c.config.preset}`
      : "";
    const group = options.group?.(c) ?? `${agent}${preset}`;
    const fold = c.config.fold !== undefined ? ` f${c.config.fold}` : "";
    const seed = c.config.seed !== undefined ? ` s${c.config.seed}` : "";
    return {
      dir: c.runDir!,
      which: options.which?.(c),
      label: options.label?.(c) ?? `${agent}${preset}${fold}${seed}`,
      group,
    };
  });
}

/**
 * Evaluate the run in `runDir` on a split (see the module docs) and write
 * `evaluation.json` into it. Throws a `ConfigError` naming the file when the folder is not a
 * run (no `config.json`) or holds neither model.
 */
export async function evaluateRun(
  runDir: string,
  options: EvaluateRunOptions = {},
): Promise<RunEvaluation> {
  const ev = await evaluateRuns([{ dir: runDir }], { ...options, write: false });
  if (options.write ?? true) {
    const path = `${runDir}/evaluation.json`;
    await writeFileAtomic(path, JSON.stringify(ev.json, null, 1) + "\n");
    options.log?.(`wrote ${path}`);
    return { ...ev, path };
  }
  return ev;
}

/**
 * Evaluate several runs together on one split of ONE setup (e.g. every agent and seed of a
 * study, notebook 08): every model of every run, then the references, one comparison table,
 * one targets table and each model's bootstrap against the baseline. The setup is rebuilt
 * from the FIRST run's config.json unless `options.setup` is given; each model acts with its
 * own run's `maskActions`. A single run's models are named `best model` / `final model`,
 * several runs' `<label> (best)` / `<label> (final)`. `evaluation.json` is written only by
 * {@link evaluateRun}; here `json` is returned (and written to `<first run>/evaluation.json`
 * only with `write: true`).
 */
export async function evaluateRuns(
  refs: readonly (string | RunRef)[],
  options: EvaluateRunOptions = {},
): Promise<RunEvaluation> {
  const log = options.log ?? (() => {});
  const split = options.split ?? "test";
  if (!["test", "validation", "train"].includes(split)) {
    throw new ConfigError(
      `unknown split "${split}"`,
      { parameter: "split" },
      "use test, validation or train",
    );
  }
  const runRefs: RunRef[] = refs.map((r) => (typeof r === "string" ? { dir: r } : r));
  if (runRefs.length === 0) {
    throw new ConfigError("no run folders given", { parameter: "runs" });
  }
  const runDir = runRefs[0].dir;
  const saved = await savedConfig(runDir);
  const notes: string[] = [];
  const overrides = options.data
    ? { ...saved, data: { ...saved.data, source: options.data } }
    : saved;
  if (options.data && options.data !== saved.data?.source) {
    notes.push(
      `data swapped: trained on ${saved.data?.source ?? "?"}, evaluated on ${options.data}`,
    );
  }
  const config = resolveRunConfig(overrides, { preset: null });
  const setup = options.setup ?? await buildEnvSetup(config, { log });
  const single = runRefs.length === 1;
  const models: {
    name: string;
    group: string;
    policy: Policy;
    maskActions: boolean;
    dispose: () => void;
  }[] = [];
  let manifest: RunManifest | null = null;
  for (const ref of runRefs) {
    const cfg = ref.dir === runDir ? config : resolveRunConfig(await savedConfig(ref.dir), {
      preset: null,
    });
    const label = ref.label ?? ref.dir.replace(/\/+$/, "").split("/").pop()!;
    for (const w of ref.which ?? options.which ?? ["best", "final"]) {
      try {
        const loaded = await loadRun(ref.dir, { which: w });
        if (w === "final" && loaded.folder !== ref.dir) {
          notes.push(`${label}: no final model in the run folder (training did not finish?)`);
          loaded.engine.dispose();
          continue;
        }
        if (ref.dir === runDir) manifest = loaded.manifest;
        models.push({
          name: single ? EVALUATION_NAMES[w] : `${label} (${w})`,
          group: ref.group ?? cfg.agent,
          policy: loaded.policy,
          maskActions: cfg.maskActions,
          dispose: () => loaded.engine.dispose(),
        });
      } catch (e) {
        notes.push(`${label}: no ${w} model: ${(e as Error).message}`);
      }
    }
  }
  if (models.length === 0) {
    throw new ConfigError(
      `the run has none of the models ${(options.which ?? ["best", "final"]).join(", ")}`,
      { file: runDir },
      "evaluate a folder written by deno task train",
    );
  }
  const P = setup.periodsPerYear;
  const makeEnv = () => setup.makeEvalEnv(split) as TradingEnvLike;
  // a run trained under guardrails is evaluated under them unless the caller says otherwise
  // (EMA smoothing applies to the models' outputs only: the rules and references act as they are)
  const { smoothing, ...episode } = {
    useMasks: config.maskActions,
    risk: config.risk,
    exits: config.exits,
    ...options.episode,
  };
  const refRuns = referenceRuns({
    setup,
    makeEnv,
    episode: { ...episode, periodsPerYear: P },
    randomSeed: options.randomSeed ?? config.seed,
  });
  notes.push(...refRuns.notes);
  log(
    `evaluate: ${models.length} model(s) and ${
      1 + refRuns.others.length
    } references on the ${split} split`,
  );
  const runs: NamedRun[] = models.map((m) => ({
    name: m.name,
    group: m.group,
    result: backtest(m.policy, makeEnv, {
      ...episode,
      smoothing,
      useMasks: options.episode?.useMasks ?? m.maskActions,
      periodsPerYear: P,
      name: m.name,
    }),
  }));
  for (const m of models) m.dispose();
  const baseline = refRuns.baseline;
  runs.push(baseline, ...refRuns.others);
  const rules = reportingRules(options.targets);
  const rows = comparisonTable(runs, options.targets);
  const targets = runs.map((r) => ({
    name: r.name,
    checks: checkTargets(r.result, options.targets),
  }));
  const modelRuns = runs.slice(0, models.length);
  const vsBaseline = compareToBaseline(modelRuns, baseline, {
    periodsPerYear: P,
    samples: options.bootstrap?.samples,
    seed: options.bootstrap?.seed,
    alpha: options.bootstrap?.alpha,
    split,
    baselineLabel: baseline.name,
  });
  const first = baseline.result;
  const json: EvaluationJson = {
    kind: "rlt-evaluation",
    version: 1,
    env: isOptions(setup) ? "options" : "futures",
    baseline: baseline.name,
    createdAt: new Date().toISOString(),
    run: runDir,
    split,
    window: {
      start: first.time[0],
      end: first.time[first.time.length - 1],
      bars: first.steps,
      days: windowDays(first.time),
    },
    data: { source: setup.source, periodsPerYear: P },
    maskActions: config.maskActions,
    guards: {
      risk: episode.risk ?? "off",
      exits: episode.exits ?? "off",
      smoothing: smoothing ?? null,
    },
    bestSelection: (manifest?.extra as Record<string, unknown> | undefined)?.bestSelection ?? null,
    rules: { ...rules, ruinRule: RUIN_RULE },
    rows: rows.map((row, i) => ({
      ...row,
      annualReturn: finiteOrNull(row.annualReturn),
      ...thin(runs[i].result, EVALUATION_CURVE_POINTS),
      riskCounts: runs[i].result.riskCounts,
    })),
    targets: targets.flatMap((t) =>
      t.checks.map((c) => ({
        strategy: t.name,
        metric: c.metric,
        target: c.target,
        value: finiteOrNull(c.value),
        display: c.display,
        met: c.met,
        note: c.note ?? null,
      }))
    ),
    bootstrap: vsBaseline.tests.map(({ name, test: t }) => ({
      run: name,
      sharpeRl: t.sharpeA,
      sharpeBaseline: t.sharpeB,
      difference: t.difference,
      ciLow: t.ciLow,
      ciHigh: t.ciHigh,
      confidence: t.confidence,
      pValue: t.pValue,
      meanBlockLength: t.meanBlockLength,
      samples: t.samples,
      bars: t.bars,
    })),
    conclusion: vsBaseline.conclusion,
    notes,
  };
  let path: string | null = null;
  if (options.write ?? false) {
    path = `${runDir}/evaluation.json`;
    await writeFileAtomic(path, JSON.stringify(json, null, 1) + "\n");
    log(`wrote ${path}`);
  }
  return {
    runDir,
    runDirs: runRefs.map((r) => r.dir),
    split,
    config,
    manifest,
    runs,
    rows,
    targets,
    vsBaseline,
    notes,
    json,
    path,
  };
}
