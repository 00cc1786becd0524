/**
 * The futures-trading training setup used by `deno task train`, the training benchmark and
 * notebooks 04–06: market data (the seeded synthetic market or a file/folder) → causal
 * features → out-of-sample ML signals (walk-forward, optional) → chronological
 * train / validation / test split → `FuturesTradingEnv` factories (random-start training
 * episodes on the training split; whole-split evaluation envs on validation or test).
 *
 * @module
 */
import {
  checkCoverage,
  coverageBySplit,
  type CoverageDecision,
  coverageMasks,
  type CoverageReport,
  type DataKind,
  datasetFromFlags,
  DEFAULT_SPLIT_FRACTIONS,
  describeLayout,
  formatCoverage,
  type FundingUnits,
  type IndexRange,
  loadDataset,
  type MarketData,
  splitByDate,
  splitByFraction,
  type SplitRanges,
  walkForwardFolds,
} from "../data/mod.ts";
import { computeFeatures, type FeatureMatrix, parseFeatureSelection } from "../features/mod.ts";
import { buildSignals, buildSignalsCached, DEFAULT_SIGNAL_CACHE_DIR } from "../signals/mod.ts";
import {
  type EnvGuards,
  FuturesTradingEnv,
  GuardedFuturesEnv,
  guardEnv,
  hasGuards,
  resolveRewardConfig,
  type RewardConfig,
  type RewardOverrides,
  type Signals,
} from "../env/mod.ts";
import type { TradingConfig } from "../trading/mod.ts";
import { ConfigError, hashArrays } from "../util/mod.ts";

/** Defaults of the data pipeline (the embedded synthetic market, ML signals, 2048-bar episodes). */
export const SETUP_DEFAULTS = Object.freeze({
  /** Data source. */
  data: "synthetic",
  /** Synthetic market seed (42: the embedded default market). */
  dataSeed: 42,
  /** Walk-forward ML signal inputs. */
  signals: "ml" as "ml" | "none",
  /** Steps per random-start training episode. */
  episodeLength: 2048,
  /** Coverage policy: largest share of the training split an optional family may miss. */
  maxMissingShare: 0.2,
});

/**
 * How the bars are split into train / validation / test (chronological, never shuffled).
 *
 * - `fraction`: `floor(n·train)` and `floor(n·(train+validation))` are the boundaries (see
 *   `splitByFraction`); fractions in [0, 1] summing to ≤ 1 (bars after the sum are unused).
 * - `date`: UTC dates (ISO-8601, e.g. `2024-07-01` or `2024-07-01T08:00Z`); a bar belongs to
 *   the split whose start is the latest one at or before its OPEN time. `trainStart` (default
 *   the first bar) drops earlier bars, `testEnd` (exclusive, default after the last bar)
 *   drops later ones.
 *
 * In both, `purge + embargo` bars (see `DataConfig`) are cut from the start of validation
 * and of test.
 */
export type SplitConfig =
  | { by: "fraction"; train: number; validation: number; test: number }
  | {
    by: "date";
    trainStart: string | null;
    validationStart: string;
    testStart: string;
    testEnd: string | null;
  };

/**
 * The default split: `DEFAULT_SPLIT_FRACTIONS` of `lib/data` (60 / 15 / 25 % of the bars, so
 * the default 24-month market's held-out test split is six months).
 */
export const DEFAULT_SPLIT: Readonly<SplitConfig> = Object.freeze({
  by: "fraction",
  ...DEFAULT_SPLIT_FRACTIONS,
});

/**
 * Walk-forward folds (`--fold k --folds K`): the first fold trains and validates on at least
 * this share of the bars; the K test windows split the rest equally.
 */
export const WALK_FORWARD_MIN_TRAIN_SHARE = 0.5;

/** One walk-forward fold of a run (see {@link resolveSplitRanges}). */
export interface FoldConfig {
  /** Fold index, 0 … folds − 1 (0 = the earliest test window). */
  index: number;
  /** Number of folds (≥ 1). */
  folds: number;
}

/** Options of {@link resolveSplitRanges}. */
export interface SplitRangeOptions {
  /** Fractions or dates (default {@link DEFAULT_SPLIT}). */
  split?: SplitConfig | { train?: number; validation?: number; test?: number };
  /** Bars cut after each training range for label look-ahead (default 0). */
  purge?: number;
  /** Further bars cut after the purge (default 0). */
  embargo?: number;
  /** A walk-forward fold instead of the single split (needs a fraction split). */
  fold?: FoldConfig | null;
}

/**
 * The train / validation / test bar ranges of a run, and a one-line description.
 *
 * Without `fold`: the fraction or date split (see {@link SplitConfig}).
 *
 * With `fold = { index: k, folds: K }`: `walkForwardFolds(n, { folds: K, purge, embargo,
 * minTrain: floor(n · WALK_FORWARD_MIN_TRAIN_SHARE), mode: "expanding" })`; fold k's TEST
 * range is its test window (the k-th of K equal consecutive windows that end at the last
 * bar); its training window `[0, testStart − purge − embargo)` is split into train and
 * validation in the ratio `split.train : split.validation` (default 70 : 15), validation
 * being the last part, with another `purge + embargo` bars cut from its start.
 */
export function resolveSplitRanges(
  time: ArrayLike<number>,
  options: SplitRangeOptions = {},
): { split: SplitRanges; description: string } {
  const n = time.length;
  const purge = options.purge ?? 0;
  const embargo = options.embargo ?? 0;
  const raw = options.split ?? DEFAULT_SPLIT;
  const sp: SplitConfig = "by" in raw && raw.by === "date" ? raw : {
    by: "fraction",
    train: (raw as { train?: number }).train ?? DEFAULT_SPLIT_FRACTIONS.train,
    validation: (raw as { validation?: number }).validation ??
      DEFAULT_SPLIT_FRACTIONS.validation,
    test: (raw as { test?: number }).test ?? DEFAULT_SPLIT_FRACTIONS.test,
  };
  const gap = purge + embargo;
  const gapText = gap > 0 ? `, purge ${purge} + embargo ${embargo} bars` : "";
  if (options.fold) {
    const { index, folds } = options.fold;
    if (sp.by !== "fraction") {
      throw new ConfigError(
        "a walk-forward fold needs a fraction split, not dates",
        { parameter: "data.fold" },
        "drop --split dates with --fold (the fold defines the test window)",
      );
    }
    if (!Number.isInteger(folds) || folds < 1 || !Number.isInteger(index) || index < 0) {
      throw new ConfigError(`fold ${index} of ${folds}: need 0 ≤ fold < folds`, {
        parameter: "data.fold",
      });
    }
    if (index >= folds) {
      throw new ConfigError(
        `fold ${index} does not exist: folds are numbered 0 … ${folds - 1}`,
        { parameter: "data.fold" },
        `use --fold 0…${folds - 1} or raise --folds`,
      );
    }
    const all = walkForwardFolds(n, {
      folds,
      purge,
      embargo,
      mode: "expanding",
      minTrain: Math.floor(n * WALK_FORWARD_MIN_TRAIN_SHARE),
    });
    const f = all[index];
    const len = f.train.end - f.train.start;
    const share = sp.validation / (sp.train + sp.validation);
    const valBars = Math.floor(len * share);
    const trainEnd = f.train.end - valBars;
    const split: SplitRanges = {
      train: { start: f.train.start, end: trainEnd },
      validation: { start: Math.min(trainEnd + gap, f.train.end), end: f.train.end },
      test: f.test,
    };
    return {
      split,
      description: `walk-forward fold ${index} of 0…${folds - 1} (expanding; train:validation ` +
        `${sp.train}:${sp.validation} inside the fold's training window${gapText})`,
    };
  }
  if (sp.by === "date") {
    const split = splitByDate(time, {
      trainStart: sp.trainStart ?? undefined,
      validationStart: sp.validationStart,
      testStart: sp.testStart,
      testEnd: sp.testEnd ?? undefined,
      purge,
      embargo,
    });
    return {
      split,
      description: `by date: ${sp.trainStart ? `train from ${sp.trainStart}, ` : ""}validation ` +
        `from ${sp.validationStart}, test from ${sp.testStart}${
          sp.testEnd ? ` to ${sp.testEnd}` : ""
        }${gapText}`,
    };
  }
  const split = splitByFraction(n, {
    train: sp.train,
    validation: sp.validation,
    test: sp.test,
    purge,
    embargo,
  });
  return {
    split,
    description: `by fraction ${sp.train} / ${sp.validation} / ${sp.test}${gapText}`,
  };
}

/** Options of {@link buildTradingSetup}. */
export interface TradingSetupOptions {
  /** `"synthetic"` (default) or a bars path understood by `loadDataset` (CSV/zip/Parquet/folder). */
  data?: string;
  /** Open-interest file (any layout `loadDataset` detects, e.g. `t,oi,oi_usd`). */
  oi?: string | null;
  /** Funding file (e.g. `timestamp_ms,funding_rate`). */
  funding?: string | null;
  /** Bars column mapping text (`--columns`, e.g. `time=ts,at=end`). */
  columns?: string | null;
  /** Open-interest column mapping text (`--oi-columns`). */
  oiColumns?: string | null;
  /** Funding column mapping text (`--funding-columns`). */
  fundingColumns?: string | null;
  /** Multiply the funding file's rates by this (default 1; 8 for a file holding rate ÷ 8). */
  fundingScale?: number;
  /** Symbol (default: from the file or `UNKNOWN`). */
  symbol?: string | null;
  /** Bar interval, e.g. `5m` (default: from the file name or the spacing). */
  interval?: string | null;
  /** Synthetic market: number of bars (default: its own default, 52,560 × 5 min ≈ 6 months). */
  bars?: number;
  /** Synthetic market seed (default 42, the embedded default market). */
  dataSeed?: number;
  /** `"ml"`: walk-forward out-of-sample ML signals (default); `"none"`: signal inputs are 0. */
  signals?: "ml" | "none";
  /** Seed of the signal models (default 0). */
  signalSeed?: number;
  /**
   * Signals cache folder (default `data/cache/signals`); null: always train, never write.
   * A hit skips the walk-forward training (see `buildSignalsCached`).
   */
  signalsCache?: string | null;
  /** Split fractions or dates (default `DEFAULT_SPLIT`: 0.6 / 0.15 / 0.25, chronological). */
  split?: SplitConfig | { train?: number; validation?: number; test?: number };
  /** Bars cut after each training range (label look-ahead). Default 0. */
  purge?: number;
  /** Further bars cut after the purge. Default 0. */
  embargo?: number;
  /** Train/validate/test on one walk-forward fold (see {@link resolveSplitRanges}). */
  fold?: FoldConfig | null;
  /** Optional feature families to drop (`"oi"`, `"funding"`): neutral and flagged unavailable. */
  excludeFeatures?: readonly string[];
  /**
   * Coverage policy: refuse when an optional family present in the data is missing on more
   * than this share (0–1) of the training split. Default 0.2.
   */
  maxMissingShare?: number;
  /** Steps per training episode with a random start (default 2048). */
  episodeLength?: number;
  /** Trading-rule overrides (fees, leverage, …; default the specification's). */
  trading?: Partial<TradingConfig>;
  /**
   * Reward-term overrides of the train AND evaluation envs (default: the specification's
   * reward). Validated before any data is loaded (`resolveRewardConfig`).
   */
  reward?: RewardOverrides;
  /** Progress messages (e.g. to stderr). */
  log?: (msg: string) => void;
}

/** What loading found and decided: recorded in the run manifest. */
export interface SetupInfo {
  /** Symbol and interval of the bars. */
  symbol: string;
  interval: string;
  /** Files read (bars, OI, funding). */
  files: { data: string; oi: string | null; funding: string | null };
  /** Detected layout of every file, per kind (`describeLayout` lines). */
  layouts: Record<DataKind, string[]>;
  /** Loader warnings (funding units, …), each naming its file. */
  warnings: string[];
  /** Funding interval and units check (null without a funding source). */
  funding: FundingUnits | null;
  /** The loader's stages, in order (one pass). */
  stages: string[];
  /** How the split was made (fractions, dates or a walk-forward fold). */
  split: string;
  /** The fold, or null. */
  fold: FoldConfig | null;
  /** Coverage of OI and funding per split. */
  coverage: CoverageReport;
  /** The coverage policy's decision per family. */
  coverageDecisions: CoverageDecision[];
  /** The policy's limit (share of the training split). */
  maxMissingShare: number;
  /** Feature families dropped by the user. */
  excludedFeatures: string[];
  /** Signals cache: key, hit (no model trained) and file; null with `signals: "none"`. */
  signalsCache: { key: string; cached: boolean; file: string | null } | null;
}

/** Everything needed to train and evaluate on the futures env. */
export interface TradingSetup {
  /** Data source (`synthetic` or the path). */
  source: string;
  /** The bars. */
  market: MarketData;
  /** Causal features aligned row for row with `market`. */
  features: FeatureMatrix;
  /** Out-of-sample signals, or null with `signals: "none"`. */
  signals: Signals | null;
  /** Chronological train / validation / test bar ranges. */
  split: SplitRanges;
  /** SHA-256 over the bar columns (time, OHLCV, OI, funding) — the run manifest's data hash. */
  dataHash: string;
  /** Bars per year of the market's interval (for annualised Sharpe ratios). */
  periodsPerYear: number;
  /** Steps per training episode. */
  episodeLength: number;
  /** The full reward configuration of the envs (defaults merged with the overrides). */
  reward?: RewardConfig;
  /** Trading-rule overrides the envs were built with (fees, leverage, balance, slippage). */
  trading?: Partial<TradingConfig>;
  /** What loading found (layouts, coverage, cache), for logs and the manifest. */
  info?: SetupInfo;
  /** A training env on the training split (random-start episodes), seeded. */
  makeTrainEnv(seed: number): FuturesTradingEnv;
  /** A whole-split evaluation env (default: validation). */
  makeEvalEnv(split?: "validation" | "test" | "train"): FuturesTradingEnv;
}

/** The futures env of a run: plain, or under the guardrails ({@link guardSetup}). */
export type SetupEnv = FuturesTradingEnv | GuardedFuturesEnv;

/** A {@link TradingSetup} whose envs may run under the guardrails (what a run trains on). */
export type GuardedSetup = Omit<TradingSetup, "makeTrainEnv" | "makeEvalEnv"> & {
  /** A training env on the training split (random-start episodes), seeded. */
  makeTrainEnv(seed: number): SetupEnv;
  /** A whole-split evaluation env (default: validation). */
  makeEvalEnv(split?: "validation" | "test" | "train"): SetupEnv;
};

/**
 * The same setup whose train AND evaluation envs run under `guards` (the risk rules and exit
 * ladder of `lib/risk`, via `guardEnv`); without guards (`"off"`/absent) the setup itself.
 * The one place a run's `risk` / `exits` enter its envs, so training and validation see the
 * same guardrails.
 */
export function guardSetup(setup: GuardedSetup, guards: EnvGuards): GuardedSetup {
  if (!hasGuards(guards)) return setup;
  const g: EnvGuards = { risk: guards.risk, exits: guards.exits };
  return {
    ...setup,
    makeTrainEnv: (seed: number) => asSetupEnv(guardEnv(setup.makeTrainEnv(seed), g)),
    makeEvalEnv: (which?: "validation" | "test" | "train") =>
      asSetupEnv(guardEnv(setup.makeEvalEnv(which), g)),
  };
}

function asSetupEnv(env: unknown): SetupEnv {
  if (env instanceof FuturesTradingEnv || env instanceof GuardedFuturesEnv) return env;
  throw new ConfigError("guardSetup: the setup's envs are not futures envs", {
    parameter: "risk",
  });
}

/** Options of {@link withEnvConfig}. */
export interface EnvConfigOptions {
  /** Reward-term overrides (default: the specification's reward). */
  reward?: RewardOverrides;
  /** Trading-rule overrides (default: the setup's own, `setup.trading`). */
  trading?: Partial<TradingConfig>;
  /** Steps per training episode (default: the setup's). */
  episodeLength?: number;
}

function checkEpisodeLength(episodeLength: number): void {
  if (!Number.isInteger(episodeLength) || episodeLength < 2) {
    throw new ConfigError(`episode length must be an integer ≥ 2, got ${episodeLength}`, {
      parameter: "episode-length",
    });
  }
}

/**
 * The same data (market, features, signals, split) with env factories built from `options`:
 * the reward (overrides on top of the specification's, validated), trading rules and episode
 * length. `buildTradingSetup` and the presets both build their envs through this function.
 */
export function withEnvConfig(
  setup: Omit<TradingSetup, "makeTrainEnv" | "makeEvalEnv" | "reward">,
  options: EnvConfigOptions = {},
): TradingSetup {
  const reward = resolveRewardConfig(options.reward ?? {});
  const episodeLength = options.episodeLength ?? setup.episodeLength;
  checkEpisodeLength(episodeLength);
  const trading = options.trading ?? setup.trading;
  const common = {
    market: setup.market,
    features: setup.features,
    signals: setup.signals ?? undefined,
    trading,
    reward,
  };
  const { split } = setup;
  return {
    ...setup,
    episodeLength,
    reward,
    ...(trading ? { trading } : {}),
    makeTrainEnv: (seed: number) =>
      new FuturesTradingEnv({ ...common, range: split.train, episodeLength, seed }),
    makeEvalEnv: (which = "validation") =>
      new FuturesTradingEnv({ ...common, range: split[which] }),
  };
}

/**
 * The setup restricted to one bar range (a walk-forward window): training episodes and every
 * evaluation split use `range`; the episode length is capped at half the range. Reward and
 * trading rules stay the setup's (unless `options.trading` replaces them).
 */
export function foldSetup(
  setup: TradingSetup,
  range: IndexRange,
  options: Pick<EnvConfigOptions, "trading"> = {},
): TradingSetup {
  const episodeLength = Math.min(setup.episodeLength, Math.floor((range.end - range.start) / 2));
  return withEnvConfig({
    ...setup,
    split: { ...setup.split, train: range, validation: range, test: range },
  }, { reward: setup.reward ?? {}, trading: options.trading ?? setup.trading, episodeLength });
}

/**
 * Build the market → features → signals → split → env pipeline in one pass:
 * `loadDataset` (layouts detected and logged, funding units checked, warnings logged) →
 * split (fractions, dates or a walk-forward fold) → coverage of OI and funding per split
 * (logged) → the coverage policy (a {@link CoverageError} naming the remedies BEFORE any
 * feature, signal or model work) → features (minus excluded families) → signals (cached) →
 * env factories.
 */
export async function buildTradingSetup(options: TradingSetupOptions = {}): Promise<TradingSetup> {
  const log = options.log ?? (() => {});
  const source = options.data ?? SETUP_DEFAULTS.data;
  const episodeLength = options.episodeLength ?? SETUP_DEFAULTS.episodeLength;
  checkEpisodeLength(episodeLength);
  resolveRewardConfig(options.reward ?? {}); // fail on a bad reward before loading data
  const selection = parseFeatureSelection(
    (options.excludeFeatures ?? []).map((f) => `-${f}`).join(","),
  );
  const maxMissingShare = options.maxMissingShare ?? SETUP_DEFAULTS.maxMissingShare;
  const opt = (v: string | null | undefined) => v ?? undefined;
  const { sources, options: loadOptions } = datasetFromFlags({
    data: source,
    oi: opt(options.oi),
    funding: opt(options.funding),
    columns: opt(options.columns),
    "oi-columns": opt(options.oiColumns),
    "funding-columns": opt(options.fundingColumns),
    "funding-scale": options.fundingScale,
    symbol: opt(options.symbol),
    interval: opt(options.interval),
  }, SETUP_DEFAULTS.data);
  const ds = await loadDataset(sources, {
    ...loadOptions,
    synthetic: {
      seed: options.dataSeed ?? SETUP_DEFAULTS.dataSeed,
      ...(options.bars ? { bars: options.bars } : {}),
    },
  });
  const market = ds.market;
  log(`data: ${source} — ${market.time.length} bars of ${market.interval} (${market.symbol})`);
  if (market.symbol === "UNKNOWN") {
    log("note: the symbol is not in the file name or a symbol column: pass --symbol, e.g. BTCUSDT");
  }
  const layouts: Record<DataKind, string[]> = { bars: [], oi: [], funding: [] };
  for (const k of ["bars", "oi", "funding"] as const) {
    layouts[k] = [...new Set(ds.layouts[k].map(describeLayout))];
    layouts[k].forEach((l) => log(`${k}: ${l}`));
  }
  if (ds.funding) {
    log(
      `funding: settlement every ${ds.funding.intervalHours} h, ${ds.funding.settlements} ` +
        `settlements, scale ${ds.funding.scale} (units look ${ds.funding.looksLike})`,
    );
  }
  ds.warnings.forEach((w) => log(`warning: ${w}`));

  const { split, description } = resolveSplitRanges(market.time, {
    split: options.split,
    purge: options.purge,
    embargo: options.embargo,
    fold: options.fold,
  });
  log(`split: ${description}`);
  const trainBars = split.train.end - split.train.start;
  if (trainBars < episodeLength + 100) {
    throw new ConfigError(
      `the training split has ${trainBars} bars, too few for ${episodeLength}-step episodes`,
      { parameter: "episode-length" },
      "use more data (--bars), a larger training split or a shorter --episode-length",
    );
  }
  for (const which of ["validation", "test"] as const) {
    if (split[which].end - split[which].start < 2) {
      throw new ConfigError(
        `the ${which} split has ${Math.max(0, split[which].end - split[which].start)} bars`,
        { parameter: "split" },
        "give it at least a few bars (--split fractions or dates inside the data)",
      );
    }
  }

  // Coverage: reported per split, then the refusal policy, before any feature/model work.
  const coverage = coverageBySplit(market, split);
  log(formatCoverage(coverage));
  const coverageDecisions = checkCoverage(coverage, {
    exclude: selection.exclude,
    maxMissingShare,
    splitFlag: coveredSplitSuggestion(market, coverage, selection.exclude, options.split),
  });
  if (selection.exclude.length > 0) {
    log(
      `features: dropped ${selection.exclude.join(", ")} (neutral 0 and flagged unavailable ` +
        "in every split)",
    );
  }
  const features = computeFeatures(market, { exclude: selection.exclude });

  const cols: Float64Array[] = [
    market.time,
    market.open,
    market.high,
    market.low,
    market.close,
    market.volume,
  ];
  if (market.openInterest) cols.push(market.openInterest);
  if (market.fundingRate) cols.push(market.fundingRate);
  const dataHash = await hashArrays(cols as unknown as ArrayLike<number>[] & ArrayBufferView[]);

  let signals: Signals | null = null;
  let signalsCache: SetupInfo["signalsCache"] = null;
  if ((options.signals ?? SETUP_DEFAULTS.signals) === "ml") {
    const t0 = performance.now();
    const cacheDir = options.signalsCache === undefined
      ? DEFAULT_SIGNAL_CACHE_DIR
      : options.signalsCache;
    const res = await buildSignalsCached(market, features, {
      seed: options.signalSeed ?? 0,
      dataHash,
      featureConfig: { exclude: selection.exclude },
      cacheDir,
      train: async (md, fm, o) => {
        log("signals: training walk-forward ML models (out-of-sample predictions)…");
        return await buildSignals(md, fm, o);
      },
    });
    signals = res.signals;
    signalsCache = { key: res.key, cached: res.cached, file: res.file };
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    log(
      res.cached
        ? `signals: cache hit ${res.key.slice(0, 12)} (${res.file}) — no model trained, ${secs} s`
        : `signals: trained in ${secs} s${
          res.file ? `; cached as ${res.key.slice(0, 12)} (${res.file})` : " (cache off)"
        }`,
    );
  }
  const probe = new FuturesTradingEnv({
    market,
    features,
    signals: signals ?? undefined,
    trading: options.trading,
    range: split.validation,
  });
  const info: SetupInfo = {
    symbol: market.symbol,
    interval: market.interval,
    files: { data: ds.source, oi: options.oi ?? null, funding: options.funding ?? null },
    layouts,
    warnings: ds.warnings,
    funding: ds.funding ?? null,
    stages: ds.stages,
    split: description,
    fold: options.fold ?? null,
    coverage,
    coverageDecisions,
    maxMissingShare,
    excludedFeatures: selection.exclude,
    signalsCache,
  };
  return withEnvConfig({
    source,
    market,
    features,
    signals,
    split,
    dataHash,
    periodsPerYear: probe.periodsPerYear,
    episodeLength,
    info,
    ...(options.trading ? { trading: options.trading } : {}),
  }, { reward: options.reward, trading: options.trading, episodeLength });
}

/**
 * A `--split` suggestion inside the window where every used optional family is known (the
 * refusal's second remedy), in the ratio of the configured fractions.
 */
function coveredSplitSuggestion(
  md: MarketData,
  report: CoverageReport,
  exclude: readonly string[],
  split: TradingSetupOptions["split"],
): string {
  const masks = coverageMasks(md);
  const use = (["oi", "funding"] as const).filter((f) =>
    !exclude.includes(f) && (f === "oi" ? report.hasOpenInterest : report.hasFunding)
  );
  let a = -1;
  let b = -1;
  for (let i = 0; i < md.time.length; i++) {
    if (use.every((f) => masks[f][i] === 1)) {
      if (a < 0) a = i;
      b = i;
    }
  }
  if (a < 0) return "--split with dates inside it";
  const fr = split && !("by" in split && split.by === "date")
    ? { ...DEFAULT_SPLIT_FRACTIONS, ...split as { train?: number; validation?: number } }
    : DEFAULT_SPLIT_FRACTIONS;
  const len = b + 1 - a;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16) + "Z";
  const v = a + Math.floor(len * fr.train!);
  const t = a + Math.floor(len * (fr.train! + fr.validation!));
  return `e.g. --split ${iso(md.time[a])},${iso(md.time[v])},${iso(md.time[t])}: ` +
    "train, validation and test starts";
}
