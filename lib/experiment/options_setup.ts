/**
 * The options-env training setup (`deno task train --env options`, notebook 09, the options
 * learning tests): an underlying on the US equity regular-hours calendar with its VIX — the
 * seeded synthetic SPY-like market by default, or real bars from a CSV with a daily VIX CSV
 * (`--data <bars.csv> --vix-file <vix.csv>`) — → chronological train / validation / test
 * split → `OptionsTradingEnv` factories (random-start training episodes on the training split;
 * whole-split evaluation envs), all built from the run configuration's `optionsEnv` section.
 *
 * @module
 */
import {
  generateSyntheticOptionsMarket,
  loadOptionsMarketCsv,
  type MarketData,
  type OptionsMarket,
  splitByFraction,
  type SplitRanges,
} from "../data/mod.ts";
import {
  type ContractRule,
  OPTIONS_ENV_DEFAULTS,
  type OptionsRewardConfig,
  type OptionsRewardOverrides,
  OptionsTradingEnv,
  resolveOptionsRewardConfig,
} from "../env/mod.ts";
import { DEFAULT_FEE_PER_CONTRACT } from "../options/mod.ts";
import { ConfigError, hashArrays } from "../util/mod.ts";

/** The options env's settings in a run configuration (`RunConfig.optionsEnv`). */
export interface OptionsEnvConfig {
  /** Underlying symbol (reports; the synthetic market is named after it). Default `SPY`. */
  symbol: string;
  /** Daily VIX CSV (CBOE format) for real bars (`data.source` a CSV path), or null. */
  vixFile: string | null;
  /** Synthetic market: sessions to generate (504 ≈ two years). */
  sessions: number;
  /** |action| above which a side is taken (0.3, the specification's). */
  threshold: number;
  /** Contract selection (nearest weekly ≥ 1 day out, strike nearest the money, $1 grid). */
  contract: ContractRule;
  /** Contracts per entry (1). */
  contracts: number;
  /** Fee per contract per fill, USD (0.65). */
  feePerContract: number;
  /** Starting balance, USD (10,000). */
  initialBalance: number;
  /** Flatten every session before the close (true, the specification's 15:50). */
  flattenDaily: boolean;
  /** Minutes before the close at which positions are flattened (10). */
  flattenMinutesBeforeClose: number;
  /** Apply the specification's risk lockouts (IV rank > 95, VIX > 32, spread > 5 %). */
  risk: boolean;
  /** The options reward (defaults of `lib/env/options_reward.ts` with overrides applied). */
  reward: OptionsRewardConfig;
}

/** A partial {@link OptionsEnvConfig} (contract and reward merged field by field). */
export type OptionsEnvOverrides =
  & Partial<Omit<OptionsEnvConfig, "contract" | "reward">>
  & { contract?: Partial<ContractRule>; reward?: OptionsRewardOverrides };

/** The options env's defaults in run-configuration form (the env's own constants). */
export function optionsEnvDefaults(): OptionsEnvConfig {
  const d = OPTIONS_ENV_DEFAULTS;
  return {
    symbol: "SPY",
    vixFile: null,
    sessions: 504,
    threshold: d.threshold,
    contract: { ...d.contract },
    contracts: d.contracts,
    feePerContract: DEFAULT_FEE_PER_CONTRACT,
    initialBalance: d.initialBalance,
    flattenDaily: d.flattenDaily,
    flattenMinutesBeforeClose: d.flattenMinutesBeforeClose,
    risk: false,
    reward: resolveOptionsRewardConfig(),
  };
}

/** Merge overrides over `base` (contract field by field, reward term by term) and validate. */
export function resolveOptionsEnvConfig(
  overrides: Readonly<OptionsEnvOverrides> = {},
  base: Readonly<OptionsEnvConfig> = optionsEnvDefaults(),
): OptionsEnvConfig {
  const known = Object.keys(base);
  for (const k of Object.keys(overrides)) {
    if (!known.includes(k)) {
      throw new ConfigError(
        `unknown run configuration field "optionsEnv.${k}"`,
        { parameter: `optionsEnv.${k}` },
        `fields: ${known.join(", ")}`,
      );
    }
  }
  const def = Object.fromEntries(
    Object.entries(overrides).filter(([, v]) => v !== undefined),
  ) as OptionsEnvOverrides;
  const rewardOver: Record<string, object> = {};
  for (const [k, v] of Object.entries(base.reward)) rewardOver[k] = { ...v };
  for (const [k, v] of Object.entries(def.reward ?? {})) {
    rewardOver[k] = { ...(rewardOver[k] ?? {}), ...(v as object) };
  }
  const c: OptionsEnvConfig = {
    ...base,
    ...def,
    contract: { ...base.contract, ...def.contract },
    reward: resolveOptionsRewardConfig(rewardOver as OptionsRewardOverrides),
  };
  const fail = (p: string, what: string): never => {
    throw new ConfigError(`optionsEnv.${p}: ${what}`, { parameter: `optionsEnv.${p}` });
  };
  if (typeof c.symbol !== "string" || c.symbol === "") fail("symbol", "must be a name");
  if (!Number.isInteger(c.sessions) || c.sessions < 10) {
    fail("sessions", `integer ≥ 10, got ${c.sessions}`);
  }
  if (!(c.threshold >= 0 && c.threshold < 1)) {
    fail("threshold", `must be in [0, 1), got ${c.threshold}`);
  }
  if (!(c.contract.minDaysToExpiry >= 0)) fail("contract.minDaysToExpiry", "must be ≥ 0");
  if (!(c.contract.strikeStep > 0)) fail("contract.strikeStep", "must be > 0");
  if (!Number.isInteger(c.contract.strikeOffset)) {
    fail("contract.strikeOffset", "must be an integer");
  }
  if (!Number.isInteger(c.contracts) || c.contracts < 1) fail("contracts", "positive integer");
  if (!(c.feePerContract >= 0)) fail("feePerContract", `must be ≥ 0, got ${c.feePerContract}`);
  if (!(c.initialBalance > 0)) fail("initialBalance", `must be > 0, got ${c.initialBalance}`);
  if (!(c.flattenMinutesBeforeClose >= 0 && c.flattenMinutesBeforeClose < 390)) {
    fail("flattenMinutesBeforeClose", "must be in [0, 390)");
  }
  if (typeof c.flattenDaily !== "boolean") fail("flattenDaily", "true or false");
  if (typeof c.risk !== "boolean") fail("risk", "true or false");
  return c;
}

/** Everything needed to train and evaluate on the options env. */
export interface OptionsSetup {
  /** Discriminates it from the futures `TradingSetup`. */
  kind: "options";
  /** Data source (`synthetic` or the bars' path). */
  source: string;
  /** The underlying's bars (RTH). */
  market: MarketData;
  /** Bars, sessions and VIX as the env reads them. */
  data: OptionsMarket;
  /** Chronological train / validation / test bar ranges. */
  split: SplitRanges;
  /** SHA-256 over time, OHLCV and the per-bar VIX — the run manifest's data hash. */
  dataHash: string;
  /** Bars per year (252 sessions × bars per full session). */
  periodsPerYear: number;
  /** Steps per training episode. */
  episodeLength: number;
  /** The resolved options env settings. */
  config: OptionsEnvConfig;
  /** A training env on the training split (random-start episodes), seeded. */
  makeTrainEnv(seed: number): OptionsTradingEnv;
  /** A whole-split evaluation env (default: validation). */
  makeEvalEnv(split?: "validation" | "test" | "train"): OptionsTradingEnv;
}

/** Options of {@link buildOptionsSetup}. */
export interface OptionsSetupOptions {
  /** `synthetic` (default) or an OHLCV CSV of the underlying's bars. */
  data?: string;
  /** Synthetic market seed (default 42). */
  dataSeed?: number;
  /** Steps per training episode (default 2048). */
  episodeLength?: number;
  /** Split fractions (default `DEFAULT_SPLIT_FRACTIONS` of lib/data: 0.6 / 0.15 / 0.25, chronological). */
  split?: { train?: number; validation?: number; test?: number };
  /** The env settings (default {@link optionsEnvDefaults}). */
  config?: OptionsEnvConfig;
  /** Progress messages. */
  log?: (msg: string) => void;
}

/** Build the market → split → options env pipeline. */
export async function buildOptionsSetup(options: OptionsSetupOptions = {}): Promise<OptionsSetup> {
  const log = options.log ?? (() => {});
  const cfg = options.config ?? optionsEnvDefaults();
  const source = options.data ?? "synthetic";
  const episodeLength = options.episodeLength ?? 2048;
  if (!Number.isInteger(episodeLength) || episodeLength < 2) {
    throw new ConfigError(`episode length must be an integer ≥ 2, got ${episodeLength}`, {
      parameter: "episode-length",
    });
  }
  let data: OptionsMarket;
  if (source === "synthetic") {
    if (cfg.vixFile) {
      throw new ConfigError("--vix-file goes with real bars (--data <bars.csv>)", {
        parameter: "optionsEnv.vixFile",
      }, "the synthetic market has its own VIX");
    }
    data = generateSyntheticOptionsMarket({
      seed: options.dataSeed ?? 42,
      sessions: cfg.sessions,
      symbol: cfg.symbol,
    });
  } else {
    data = await loadOptionsMarketCsv(source, cfg.vixFile ? { vixPath: cfg.vixFile } : {});
  }
  const market = data.market;
  const n = market.time.length;
  log(
    `data: ${source} — ${n} RTH bars of ${market.interval} (${cfg.symbol}), ${data.sessions.length} sessions`,
  );
  const split = splitByFraction(n, options.split ?? {});
  const trainBars = split.train.end - split.train.start;
  if (trainBars < episodeLength + 100) {
    throw new ConfigError(
      `the training split has ${trainBars} bars, too few for ${episodeLength}-step episodes`,
      { parameter: "episode-length" },
      "use more sessions (--sessions), more data or a shorter --episode-length",
    );
  }
  const dataHash = await hashArrays(
    [
      market.time,
      market.open,
      market.high,
      market.low,
      market.close,
      market.volume,
      data.vix,
    ] as unknown as ArrayLike<number>[] & ArrayBufferView[],
  );
  const envOptions = {
    data,
    threshold: cfg.threshold,
    contract: cfg.contract,
    contracts: cfg.contracts,
    feePerContract: cfg.feePerContract,
    trading: { initialBalance: cfg.initialBalance },
    reward: cfg.reward,
    flattenDaily: cfg.flattenDaily,
    flattenMinutesBeforeClose: cfg.flattenMinutesBeforeClose,
    ...(cfg.risk ? { risk: {} } : {}),
  };
  // build one env now so a bad setting fails here, before any training starts
  new OptionsTradingEnv({ ...envOptions, range: split.validation }).reset();
  const minutes = market.intervalMs / 60_000;
  return {
    kind: "options",
    source,
    market,
    data,
    split,
    dataHash,
    periodsPerYear: 252 * Math.round(390 / minutes),
    episodeLength,
    config: cfg,
    makeTrainEnv: (seed: number) =>
      new OptionsTradingEnv({ ...envOptions, range: split.train, episodeLength, seed }),
    makeEvalEnv: (which = "validation") =>
      new OptionsTradingEnv({ ...envOptions, range: split[which] }),
  };
}
