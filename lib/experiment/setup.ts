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
  type IndexRange,
  loadMarketData,
  type MarketData,
  splitByFraction,
  type SplitRanges,
} from "../data/mod.ts";
import { computeFeatures, type FeatureMatrix } from "../features/mod.ts";
import { buildSignals } from "../signals/mod.ts";
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
});

/** Options of {@link buildTradingSetup}. */
export interface TradingSetupOptions {
  /** `"synthetic"` (default) or a path understood by `loadMarketData` (CSV/zip/Parquet/folder). */
  data?: string;
  /** Synthetic market: number of bars (default: its own default, 52,560 × 5 min ≈ 6 months). */
  bars?: number;
  /** Synthetic market seed (default 42, the embedded default market). */
  dataSeed?: number;
  /** `"ml"`: walk-forward out-of-sample ML signals (default); `"none"`: signal inputs are 0. */
  signals?: "ml" | "none";
  /** Seed of the signal models (default 0). */
  signalSeed?: number;
  /** Split fractions (default 0.7 / 0.15 / 0.15, chronological). */
  split?: { train?: number; validation?: number; test?: number };
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
  /** A training env on the training split (random-start episodes), seeded. */
  makeTrainEnv(seed: number): FuturesTradingEnv;
  /** A whole-split evaluation env (default: validation). */
  makeEvalEnv(split?: "validation" | "test" | "train"): FuturesTradingEnv;
}

/** The futures env of a run: plain, or under the guardrails ({@link guardSetup}). */
export type SetupEnv = FuturesTradingEnv | GuardedFuturesEnv;

/** A {@link TradingSetup} whose envs may run under the guardrails (what a run trains on). */
export type RunSetup = Omit<TradingSetup, "makeTrainEnv" | "makeEvalEnv"> & {
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
export function guardSetup(setup: RunSetup, guards: EnvGuards): RunSetup {
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
  /** Trading-rule overrides (the setup's own are not visible from outside: pass them again). */
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
  const common = {
    market: setup.market,
    features: setup.features,
    signals: setup.signals ?? undefined,
    trading: options.trading,
    reward,
  };
  const { split } = setup;
  return {
    ...setup,
    episodeLength,
    reward,
    makeTrainEnv: (seed: number) =>
      new FuturesTradingEnv({ ...common, range: split.train, episodeLength, seed }),
    makeEvalEnv: (which = "validation") =>
      new FuturesTradingEnv({ ...common, range: split[which] }),
  };
}

/**
 * The setup restricted to one bar range (a walk-forward window): training episodes and every
 * evaluation split use `range`; the episode length is capped at half the range. Reward and
 * trading rules stay the setup's (pass `options.trading` again if the setup had overrides).
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
  }, { reward: setup.reward ?? {}, trading: options.trading, episodeLength });
}

/** Build the market → features → signals → split → env pipeline. */
export async function buildTradingSetup(options: TradingSetupOptions = {}): Promise<TradingSetup> {
  const log = options.log ?? (() => {});
  const source = options.data ?? SETUP_DEFAULTS.data;
  const episodeLength = options.episodeLength ?? SETUP_DEFAULTS.episodeLength;
  checkEpisodeLength(episodeLength);
  resolveRewardConfig(options.reward ?? {}); // fail on a bad reward before loading data
  const market = await loadMarketData(source, {
    synthetic: {
      seed: options.dataSeed ?? SETUP_DEFAULTS.dataSeed,
      ...(options.bars ? { bars: options.bars } : {}),
    },
  });
  log(`data: ${source} — ${market.time.length} bars of ${market.interval} (${market.symbol})`);
  const features = computeFeatures(market);
  const split = splitByFraction(market.time.length, options.split ?? {});
  const trainBars = split.train.end - split.train.start;
  if (trainBars < episodeLength + 100) {
    throw new ConfigError(
      `the training split has ${trainBars} bars, too few for ${episodeLength}-step episodes`,
      { parameter: "episode-length" },
      "use more data (--bars) or a shorter --episode-length",
    );
  }
  let signals: Signals | null = null;
  if ((options.signals ?? SETUP_DEFAULTS.signals) === "ml") {
    const t0 = performance.now();
    log("signals: training walk-forward ML models (out-of-sample predictions)…");
    signals = (await buildSignals(market, features, { seed: options.signalSeed ?? 0 })).signals;
    log(`signals: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
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
  const probe = new FuturesTradingEnv({
    market,
    features,
    signals: signals ?? undefined,
    trading: options.trading,
    range: split.validation,
  });
  return withEnvConfig({
    source,
    market,
    features,
    signals,
    split,
    dataHash,
    periodsPerYear: probe.periodsPerYear,
    episodeLength,
  }, { reward: options.reward, trading: options.trading, episodeLength });
}
