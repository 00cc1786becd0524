/**
 * Named, documented training presets for the futures env: a reward configuration, observation
 * normalisation, vectorisation and PPO hyperparameters that are known (measured over several
 * seeds) to learn on the seeded synthetic market. The env's and PPO's own defaults stay the
 * specification's; a preset is an explicit, named departure from them with the reason for
 * each change.
 *
 * ## `synthetic-ppo` ({@link SYNTHETIC_PPO_PRESET})
 *
 * What changes, and why (measured on the default synthetic market, seed 42, ML signals on,
 * 70/15/15 split; validation = the 7,884 bars after the training split):
 *
 * - **Drawdown term off** (spec: `−5 × drawdown` every bar). The term charges the LEVEL of the
 *   drawdown on every bar, so a 2 % drawdown that lasts 1,000 bars costs −100 — as much as a
 *   +100 % return earns through the PnL term (`100 × Δequity / initial`, which sums to
 *   100 × total return). Under it, profitable policies score below always-flat (0): the
 *   specification's fixed-rule baseline makes +20.9 % on validation and sums −74.7 reward, a
 *   rule trading the planted divergence makes +16 % and sums −969, and PPO trained with it
 *   makes +27 … +37 % and sums −134 … −663. Reward and money disagree; without the term the
 *   reward sum is 100 × the return minus small costs, so they agree.
 * - **Sharpe bonus off** (spec: `+0.2` whenever the 20-bar recent Sharpe exceeds 0.5). It pays
 *   for being in ANY position whose last bars went up, whatever its size. With the
 *   specification's reward (100k steps, seed 0) PPO learned to enter and SCALE_OUT ~2,500 times
 *   down to a dust position (5e-324 contracts) held for the whole validation split (−0.24 %,
 *   bonus +19.6); with the drawdown term off but the bonus on, it held large positions most of
 *   the time (exposure 82–97 %, −17 % on validation for 2 of 3 seeds).
 * - **Kept**: the PnL term (the objective: fees, slippage and funding included), the
 *   volatility charge while in a position, the duration penalty after 50 bars (the planted
 *   edge plays out within ~12 bars), the per-action cost and the near-liquidation penalty,
 *   all at the specification's weights.
 * - **Observation normalisation on** (SB3 `VecNormalize`, statistics from training rollouts
 *   only, frozen for evaluation). The informative inputs are tiny fractions (`return_20` ≈
 *   0.008, `oi_change_20` ≈ 0.005); raw, the 64×64 tanh nets barely see them: this preset
 *   without normalisation never traded (3 of 3 seeds, 300k steps).
 * - **4 envs × 512 steps** per rollout (2,048 transitions per update, as the specification's
 *   one env × 2,048), batch 64, 10 epochs, lr 3e-4 linearly annealed, γ 0.99, λ 0.95, clip
 *   0.2, entropy 0.01: the specification's values except the vectorisation and the annealing.
 * - **300,000 timesteps**, 2,048-bar random-start episodes on the training split (at 100k
 *   steps results were positive but weaker and more seed-dependent).
 *
 * Ablation (seeds 0 / 1 / 2, 300k steps, 4 × 512, validation split; the reward sum is under
 * the run's own reward; always-flat: 0 % and 0):
 *
 * | reward terms                     | obs norm | return %               | reward sum         |
 * |----------------------------------|----------|------------------------|--------------------|
 * | specification (all)              | on       | +19.0 / +31.0 / +8.9   | +15 / −331 / −873  |
 * | spec − Sharpe bonus              | on       | +27.1 / +34.7 / +36.6  | −134 / −547 / −663 |
 * | spec − drawdown                  | on       | +84.0 / −16.9 / −16.8  | +440 / +714 / +654 |
 * | spec − drawdown − Sharpe (this)  | on       | +47.5 / +101.7 / +78.2 | +43 / +90 / +66    |
 * | spec − drawdown − Sharpe         | off      | 0 / 0 / 0 (no trade)   | 0 / 0 / 0          |
 *
 * So normalisation is what makes PPO trade at all; with it even the specification's reward
 * yields profitable policies at 300k steps, but 2 of 3 reward sums fall below always-flat's.
 * The ablation and a 10-seed sweep (final models: 10 of 10 beat always-flat and random on
 * validation and test, 9 of 10 beat the fixed-rule baseline) were measured BEFORE the
 * minimum-order-size rule (trading `minNotional`, 100 USDT), which ended a dust-position
 * exploit. After it, training is as chaotic as before but lands elsewhere: seed 0's FINAL
 * model ruins on validation (−50.5 %) while earning +240 % on test, and its best model by
 * validation Sharpe earns +84 % on validation and +175 % on the held-out test split (seed 1
 * final: +62 % on validation). Use the best model (`best/`, chosen on validation) and judge
 * it on the test split; `tests/agents_synthetic_learning_e2e_test.ts` asserts exactly that.
 *
 * ## The run configuration
 *
 * {@link RunConfig} is the ONE typed configuration of a training run: agent, budget, seed,
 * engine, network, data pipeline, reward, the algorithm's hyperparameters, GRPO's group
 * settings and evaluation. {@link resolveRunConfig} builds it: the specification's defaults
 * ({@link runDefaults}, from the algorithms' tables in `lib/agents/defaults.ts`) < the preset's
 * overrides < the caller's overrides (a `--config` file, then flags, for the CLI); the reward
 * is merged term by term in the same order. `deno task train`, the notebooks and the tests
 * resolve through this function, and the resolved config is what `config.json` records.
 *
 * Learning rate: the specification (SB3) keeps it constant, so `algorithm.annealLr` defaults
 * to false for every agent (the `synthetic-ppo` preset switches it on). `trainPpo` called
 * directly still anneals by default; runs always pass the resolved value.
 *
 * @module
 */
import { resolveRewardConfig, type RewardConfig, type RewardOverrides } from "../env/mod.ts";
import {
  type ExitLadderConfig,
  ProfitManager,
  RISK_PRESETS,
  type RiskConfig,
  RiskManager,
} from "../risk/mod.ts";
import {
  ConfigError,
  describeRange,
  type FlagRange,
  inRange,
  intervalToMs,
  ToolkitError,
} from "../util/mod.ts";
import { parseColumnMapping } from "../data/mod.ts";
import { OPTIONAL_FAMILIES } from "../features/mod.ts";
import { DEFAULT_TRADING_CONFIG, resolveTradingConfig } from "../trading/mod.ts";
import {
  A2C_DEFAULTS,
  type BackendName,
  type EngineKind,
  GRPO_DEFAULTS,
  PPO_DEFAULTS,
} from "../agents/mod.ts";
import {
  buildOptionsSetup,
  type OptionsEnvConfig,
  optionsEnvDefaults,
  type OptionsEnvOverrides,
  type OptionsSetup,
  resolveOptionsEnvConfig,
} from "./options_setup.ts";
import {
  buildTradingSetup,
  DEFAULT_SPLIT,
  type EnvConfigOptions,
  type GuardedSetup,
  SETUP_DEFAULTS,
  type SplitConfig,
  type TradingSetup,
  type TradingSetupOptions,
  withEnvConfig,
} from "./setup.ts";

/** The learning algorithms. */
export type AgentName = "ppo" | "a2c" | "grpo";

/** Every agent name, in help order. */
export const AGENT_NAMES: readonly AgentName[] = Object.freeze(["ppo", "a2c", "grpo"]);

/**
 * Algorithm hyperparameters. A field an agent does not use is `null` in its defaults (A2C has
 * no minibatches, epochs or ratio clip; GRPO no rollout length, GAE, critic or value clip).
 */
export interface AlgorithmConfig {
  /** Learning rate (PPO/GRPO 3e-4 Adam, A2C 7e-4 RMSprop). */
  learningRate: number;
  /** Linearly anneal the learning rate to 0 (default false, as the specification's SB3). */
  annealLr: boolean;
  /** Steps per env per rollout (PPO 2048, A2C 5; GRPO: null, see `grpo.horizon`). */
  nSteps: number | null;
  /** Minibatch size in transitions (PPO 64, GRPO 256; A2C null). */
  batchSize: number | null;
  /** Passes per update (PPO 10, GRPO 4; A2C null). */
  nEpochs: number | null;
  /** Discount per step (0.99; GRPO null: undiscounted group returns). */
  gamma: number | null;
  /** GAE λ (PPO 0.95, A2C 1.0; GRPO null). */
  gaeLambda: number | null;
  /** Ratio clip ε (PPO/GRPO 0.2; A2C null). */
  clipRange: number | null;
  /** PPO value clip ε_v, or null (default: off). */
  clipRangeVf: number | null;
  /** Entropy coefficient (PPO/A2C 0.01, GRPO 0). */
  entCoef: number;
  /** Value-loss coefficient (PPO/A2C 0.5; GRPO null: no critic). */
  vfCoef: number | null;
  /** Global gradient-norm clip (0.5). */
  maxGradNorm: number;
  /** PPO target KL for early epoch stop, or null (default: off). */
  targetKl: number | null;
  /** Normalise advantages (PPO true per minibatch, A2C false; GRPO null: group-normalised). */
  normalizeAdvantage: boolean | null;
}

/** GRPO's group settings. */
export interface GrpoConfig {
  /** Rollouts per group, all from the same start state (16). */
  groupSize: number;
  /** Steps per group rollout (64). */
  horizon: number;
  /** Groups per update (4). */
  groupsPerUpdate: number;
  /** KL penalty β to the reference policy (0.04). */
  klCoef: number;
  /**
   * Refresh the KL reference to the current policy every K updates (1: the policy at the
   * start of each update; 0: the frozen initial policy, the old behaviour).
   */
  refUpdateInterval: number;
  /** `outcome` (one advantage per rollout) or `process` (per step). */
  advantage: "outcome" | "process";
}

/** The data → features → signals → env pipeline of a run. */
export interface DataConfig {
  /** `synthetic` (the seeded default market) or a CSV/zip/Parquet file or folder of bars. */
  source: string;
  /** Open-interest file (`--oi`; layouts detected, e.g. `t,oi,oi_usd`), or null. */
  oi: string | null;
  /** Funding file (`--funding`; e.g. `timestamp_ms,funding_rate`), or null. */
  funding: string | null;
  /** Bars column mapping as typed (`--columns time=ts,at=end,…`), or null (detected). */
  columns: string | null;
  /** Open-interest column mapping (`--oi-columns`), or null. */
  oiColumns: string | null;
  /** Funding column mapping (`--funding-columns`), or null. */
  fundingColumns: string | null;
  /** Multiply the funding file's rates by this (1; 8 for a file holding the 8-h rate ÷ 8). */
  fundingScale: number;
  /** Symbol, or null (from the file name / a symbol column, else `UNKNOWN`). */
  symbol: string | null;
  /** Bar interval such as `5m`, or null (from the file name or the spacing). */
  interval: string | null;
  /** Train / validation / test split by fractions or dates (default 0.6 / 0.15 / 0.25, `DEFAULT_SPLIT`). */
  split: SplitConfig;
  /** Bars cut after each training range before evaluation (label look-ahead). 0. */
  purge: number;
  /** Further bars cut after the purge (serial correlation). 0. */
  embargo: number;
  /**
   * Walk-forward fold index (0 … folds − 1) or null (the single split). With a fold, train,
   * validation and test come from `resolveSplitRanges` (fold k tests on the k-th of `folds`
   * consecutive windows after the first half of the bars).
   */
  fold: number | null;
  /** Number of walk-forward folds (5); used only with `fold`. */
  folds: number;
  /** Optional feature families dropped (`--features -oi`): subset of `oi`, `funding`. */
  excludeFeatures: string[];
  /**
   * Coverage policy: refuse when OI or funding (present in the data, not excluded) is missing
   * on more than this share (0–1) of the training split. 0.2.
   */
  maxMissingShare: number;
  /** Synthetic market: number of 5-minute bars, or null for the generator's default (52,560). */
  bars: number | null;
  /** Synthetic market seed (42: the embedded default market). */
  dataSeed: number;
  /** `ml`: walk-forward out-of-sample ML signals; `none`: signal inputs are 0. */
  signals: "ml" | "none";
  /** Steps per random-start training episode (2048). */
  episodeLength: number;
}

/** Evaluation on the validation split, best model, early stopping and checkpoints. */
export interface EvaluationConfig {
  /** Evaluate every this many environment steps (10,000); 0 = only at the end. */
  evalFreq: number;
  /** Evaluation episodes (1 = the whole validation split once). */
  evalEpisodes: number;
  /**
   * Best-model / early-stopping metric on validation: `sharpe` (annualised, default),
   * `sortino`, `total_return` (fraction) or `mean_return` (mean episode reward).
   */
  metric: BestMetric;
  /**
   * Minimum-activity guard of the best model: a candidate with fewer closed trades than this
   * on the validation split is not chosen (default 5; 0 = off).
   */
  minTrades: number;
  /**
   * Minimum-activity guard: a candidate holding a position on a smaller fraction of the
   * validation bars is not chosen (fraction; default 0.05 = 5 %; 0 = off).
   */
  minExposure: number;
  /** Early stop after this many evaluations without improvement (0 = off). */
  patience: number;
  /** Checkpoint every this many steps (50,000); 0 = off. */
  checkpointFreq: number;
  /** Keep only the newest N checkpoints, or null to keep all. */
  keepCheckpoints: number | null;
}

/**
 * Trading-rule overrides of a run (`--fee`, `--slippage`, `--leverage`, `--balance`); the
 * resolved config records the values used (the specification's by default). Other trading
 * rules stay `DEFAULT_TRADING_CONFIG`'s.
 */
export interface RunTradingConfig {
  /** Taker fee, fraction of fill notional (0.0004 = 0.04 %). */
  feeRate: number;
  /** Slippage, fraction of price against the trader (0.0002). */
  slippage: number;
  /** Maximum leverage (5). */
  leverage: number;
  /** Starting balance, quote currency (2000 USDT). */
  initialBalance: number;
}

/** The environments a run can train on. */
export type EnvName = "futures" | "options";

/** Every env name. */
export const ENV_NAMES: readonly EnvName[] = Object.freeze(["futures", "options"]);

/** Metrics the best model can be chosen by. */
export type BestMetric = "sharpe" | "sortino" | "total_return" | "mean_return";

/** Every {@link BestMetric}, in help order. */
export const BEST_METRICS: readonly BestMetric[] = Object.freeze([
  "sharpe",
  "sortino",
  "total_return",
  "mean_return",
]);

/** The ONE typed configuration of a training run (see the module docs). */
export interface RunConfig {
  /** Algorithm. */
  agent: AgentName;
  /**
   * Environment: `futures` (the default; `data`, `reward`) or `options` (the options env of
   * specification 002 on an RTH underlying with VIX; `data.source`, `data.dataSeed`,
   * `data.episodeLength` and the `optionsEnv` section; `data.bars`, `data.signals` and
   * `reward` are futures-only).
   */
  env: EnvName;
  /** Environment steps to train (global; on resume, the total). */
  timesteps: number;
  /** Seed of weights, sampling, shuffles and episode starts (env i: seed + i). */
  seed: number;
  /** Preset the run started from, or null. */
  preset: string | null;
  /** Actor-critic engine. */
  engine: EngineKind;
  /** tfjs backend (tfjs engine and model export); auto: tensorflow → wasm → cpu. */
  backend: BackendName | "auto";
  /** Parallel training envs (1, as the specification). */
  nEnvs: number;
  /** Hidden widths of the policy and value MLPs ([64, 64]). */
  hidden: number[];
  /** Running observation normalisation (VecNormalize), saved with the model. */
  normObs: boolean;
  /** Return-based reward scaling. */
  normReward: boolean;
  /**
   * Mask invalid actions (default true): whenever the env exposes `actionMask`, PPO, A2C and
   * GRPO sample (and learn) only among the valid actions, and evaluation passes the masks too
   * — the behaviour of sb3-contrib's MaskablePPO, NOT the specification's plain PPO. With
   * false the policy chooses among all six actions and the futures env executes an invalid
   * one as a no-op (`info.actionExecuted` = 0, not charged): the specification's behaviour.
   */
  maskActions: boolean;
  /** Data pipeline. */
  data: DataConfig;
  /** Trading-rule overrides (fees, slippage, leverage, balance). */
  trading: RunTradingConfig;
  /** The full resolved reward (the specification's terms with overrides applied). */
  reward: RewardConfig;
  /** Algorithm hyperparameters. */
  algorithm: AlgorithmConfig;
  /** GRPO group settings (ignored by PPO and A2C). */
  grpo: GrpoConfig;
  /** Evaluation, best model and checkpoints. */
  evaluation: EvaluationConfig;
  /**
   * Risk rules of the training and validation envs (`lib/risk`): `"off"` (default), `"spec"`
   * (the specification's limits) or a partial `RiskConfig`. Entries the risk manager denies
   * become HOLD, so the agent learns under the guardrails.
   */
  risk: GuardSetting<RiskConfig>;
  /** Exit ladder of the training and validation envs: `"off"` (default), `"spec"` or a partial ladder. */
  exits: GuardSetting<ExitLadderConfig>;
  /** The options env's settings (used with `env: "options"`). */
  optionsEnv: OptionsEnvConfig;
}

/** A guardrail setting of a run: a preset name (`"off"`, `"spec"`) or a partial config (JSON). */
export type GuardSetting<C> = "off" | "spec" | Partial<C>;

/** A partial {@link RunConfig}: what presets, config files, flags and notebooks set. */
export interface RunConfigOverrides {
  agent?: AgentName;
  env?: EnvName;
  timesteps?: number;
  seed?: number;
  preset?: string | null;
  engine?: EngineKind;
  backend?: BackendName | "auto";
  nEnvs?: number;
  hidden?: number[];
  normObs?: boolean;
  normReward?: boolean;
  maskActions?: boolean;
  data?: Partial<DataConfig>;
  trading?: Partial<RunTradingConfig>;
  /** Reward-term overrides, merged term by term over the preset's. */
  reward?: RewardOverrides;
  algorithm?: Partial<AlgorithmConfig>;
  grpo?: Partial<GrpoConfig>;
  evaluation?: Partial<EvaluationConfig>;
  /** Risk rules (a preset name or a partial config; replaces the preset's as a whole). */
  risk?: GuardSetting<RiskConfig>;
  /** Exit ladder (a preset name or a partial config; replaces the preset's as a whole). */
  exits?: GuardSetting<ExitLadderConfig>;
  /** Options env overrides (contract field by field, reward term by term). */
  optionsEnv?: OptionsEnvOverrides;
}

/** Default training budget per agent (environment steps). */
export const DEFAULT_TIMESTEPS: Readonly<Record<AgentName, number>> = Object.freeze({
  ppo: 1_000_000,
  a2c: 500_000,
  grpo: 200_000,
});

function algorithmDefaults(agent: AgentName): AlgorithmConfig {
  const none = {
    nSteps: null,
    batchSize: null,
    nEpochs: null,
    gamma: null,
    gaeLambda: null,
    clipRange: null,
    clipRangeVf: null,
    vfCoef: null,
    targetKl: null,
    normalizeAdvantage: null,
  };
  if (agent === "ppo") return { ...none, ...PPO_DEFAULTS };
  if (agent === "a2c") return { ...none, ...A2C_DEFAULTS };
  const g = GRPO_DEFAULTS;
  return {
    ...none,
    learningRate: g.learningRate,
    annealLr: g.annealLr,
    nEpochs: g.nEpochs,
    batchSize: g.batchSize,
    clipRange: g.clipRange,
    entCoef: g.entCoef,
    maxGradNorm: g.maxGradNorm,
  };
}

/** The specification's defaults for `agent` (no preset). */
export function runDefaults(agent: AgentName = "ppo"): RunConfig {
  if (!AGENT_NAMES.includes(agent)) {
    throw new ConfigError(
      `unknown agent "${agent}"`,
      { parameter: "agent" },
      `use ${AGENT_NAMES.join(", ")}`,
    );
  }
  const g = GRPO_DEFAULTS;
  return {
    agent,
    env: "futures",
    timesteps: DEFAULT_TIMESTEPS[agent],
    seed: 0,
    preset: null,
    engine: "fast",
    backend: "auto",
    nEnvs: 1,
    hidden: [64, 64],
    normObs: false,
    normReward: false,
    maskActions: true,
    data: {
      source: SETUP_DEFAULTS.data,
      oi: null,
      funding: null,
      columns: null,
      oiColumns: null,
      fundingColumns: null,
      fundingScale: 1,
      symbol: null,
      interval: null,
      split: { ...DEFAULT_SPLIT },
      purge: 0,
      embargo: 0,
      fold: null,
      folds: 5,
      excludeFeatures: [],
      maxMissingShare: SETUP_DEFAULTS.maxMissingShare,
      bars: null,
      dataSeed: SETUP_DEFAULTS.dataSeed,
      signals: SETUP_DEFAULTS.signals,
      episodeLength: SETUP_DEFAULTS.episodeLength,
    },
    trading: {
      feeRate: DEFAULT_TRADING_CONFIG.feeRate,
      slippage: DEFAULT_TRADING_CONFIG.slippage,
      leverage: DEFAULT_TRADING_CONFIG.leverage,
      initialBalance: DEFAULT_TRADING_CONFIG.initialBalance,
    },
    reward: resolveRewardConfig(),
    algorithm: algorithmDefaults(agent),
    grpo: {
      groupSize: g.groupSize,
      horizon: g.horizon,
      groupsPerUpdate: g.groupsPerUpdate,
      klCoef: g.klCoef,
      refUpdateInterval: g.refUpdateInterval,
      advantage: g.advantage,
    },
    evaluation: {
      evalFreq: 10_000,
      evalEpisodes: 1,
      metric: "sharpe",
      minTrades: 5,
      minExposure: 0.05,
      patience: 0,
      checkpointFreq: 50_000,
      keepCheckpoints: null,
    },
    risk: "off",
    exits: "off",
    optionsEnv: optionsEnvDefaults(),
  };
}

/** The declared domain of one numeric {@link RunConfig} field. */
export interface NumericFieldDomain {
  /** `integer` refuses fractions (and, on the command line, `1e3`); `number` is real-valued. */
  type: "integer" | "number";
  /** Allowed values. */
  range: FlagRange;
  /** Whether `null` (off, or not used by the agent) is allowed. */
  nullable?: boolean;
}

const int = (min: number, nullable = false): NumericFieldDomain => ({
  type: "integer",
  range: { min },
  nullable,
});
const real = (range: FlagRange, nullable = false): NumericFieldDomain => ({
  type: "number",
  range,
  nullable,
});

/**
 * The allowed values of every numeric {@link RunConfig} field, by config path, written ONCE:
 * {@link validateRunConfig} checks resolved configs against it and `deno task train` declares
 * its numeric flags from it (same bounds, same `must be …` wording). `hidden` applies to each
 * layer width. Ranges follow the meaning: probabilities and discounts in [0, 1], the PPO ratio
 * clip strictly inside (0, 1), rates and norms strictly positive, coefficients ≥ 0, counts ≥ 1
 * (≥ 0 where 0 means "off"), a GRPO group of ≥ 2 rollouts (its advantages are normalised within
 * the group, so one rollout has none).
 */
export const RUN_CONFIG_RANGES: Readonly<Record<string, NumericFieldDomain>> = Object.freeze({
  timesteps: int(1),
  seed: int(0),
  nEnvs: int(1),
  hidden: int(1),
  "data.bars": int(1, true),
  "data.dataSeed": int(0),
  "data.episodeLength": int(1),
  "algorithm.learningRate": real({ min: 0, exclusiveMin: true, max: 1 }),
  "algorithm.nSteps": int(1, true),
  "algorithm.batchSize": int(1, true),
  "algorithm.nEpochs": int(1, true),
  "algorithm.gamma": real({ min: 0, max: 1 }, true),
  "algorithm.gaeLambda": real({ min: 0, max: 1 }, true),
  "algorithm.clipRange": real({ min: 0, exclusiveMin: true, max: 1, exclusiveMax: true }, true),
  "algorithm.clipRangeVf": real({ min: 0, exclusiveMin: true }, true),
  "algorithm.entCoef": real({ min: 0 }),
  "algorithm.vfCoef": real({ min: 0 }, true),
  "algorithm.maxGradNorm": real({ min: 0, exclusiveMin: true }),
  "algorithm.targetKl": real({ min: 0, exclusiveMin: true }, true),
  "grpo.groupSize": int(2),
  "grpo.horizon": int(1),
  "grpo.groupsPerUpdate": int(1),
  "grpo.klCoef": real({ min: 0 }),
  "grpo.refUpdateInterval": int(0),
  "optionsEnv.sessions": int(1),
  "optionsEnv.threshold": real({ min: 0, max: 1, exclusiveMax: true }),
  "optionsEnv.contract.minDaysToExpiry": real({ min: 0 }),
  "optionsEnv.contract.strikeOffset": { type: "integer", range: {} },
  "optionsEnv.contracts": int(1),
  "evaluation.evalFreq": int(0),
  "evaluation.evalEpisodes": int(1),
  "evaluation.patience": int(0),
  "evaluation.checkpointFreq": int(0),
  "evaluation.keepCheckpoints": int(1, true),
  "evaluation.minTrades": int(0),
  "evaluation.minExposure": real({ min: 0, max: 1 }),
});

/**
 * Environment steps one update collects: `nSteps × nEnvs` for PPO and A2C,
 * `groupSize × horizon × groupsPerUpdate` for GRPO. Training runs whole rollouts, so a budget
 * is rounded up to a multiple of it.
 */
export function rolloutSize(config: Readonly<RunConfig>): number {
  if (config.agent === "grpo") {
    return config.grpo.groupSize * config.grpo.horizon * config.grpo.groupsPerUpdate;
  }
  return (config.algorithm.nSteps ?? 1) * config.nEnvs;
}

/** A named training configuration: a documented departure from the specification's defaults. */
export interface TradingPreset {
  /** Preset name (e.g. `"synthetic-ppo"`). */
  readonly name: string;
  /** One-line summary; the module docs give the reasons. */
  readonly description: string;
  /** What the preset changes, as overrides of the defaults (everything else stays the spec's). */
  readonly config: Readonly<RunConfigOverrides>;
}

/**
 * The `synthetic-ppo` preset: the specification's env and PPO with the drawdown-level and
 * Sharpe-bonus reward terms switched off, observation normalisation, 4 envs × 512 steps, a
 * linearly annealed learning rate and 300k timesteps. See the module docs for why each change
 * is made; every other value is the specification's default.
 */
export const SYNTHETIC_PPO_PRESET: Readonly<TradingPreset> = Object.freeze({
  name: "synthetic-ppo",
  description: "PnL-driven reward (no drawdown-level or Sharpe-bonus terms), normalised " +
    "observations, 4 envs × 512 steps, 300k steps",
  config: Object.freeze({
    agent: "ppo",
    timesteps: 300_000,
    nEnvs: 4,
    normObs: true,
    reward: Object.freeze({ drawdown: { enabled: false }, sharpe: { enabled: false } }),
    algorithm: Object.freeze({ annealLr: true, nSteps: 512 }),
  }) as RunConfigOverrides,
});

/** Every preset by name. */
export const TRADING_PRESETS: Readonly<Record<string, Readonly<TradingPreset>>> = Object.freeze({
  [SYNTHETIC_PPO_PRESET.name]: SYNTHETIC_PPO_PRESET,
});

/** The preset called `name`; throws a {@link ConfigError} listing the known names. */
export function tradingPreset(name: string): Readonly<TradingPreset> {
  const p = TRADING_PRESETS[name];
  if (!p) {
    throw new ConfigError(
      `unknown preset "${name}"`,
      { parameter: "preset" },
      `known presets: ${Object.keys(TRADING_PRESETS).join(", ")}`,
    );
  }
  return p;
}

/**
 * Merge reward overrides term by term (`b` on top of `a`): e.g. a preset's
 * `{ drawdown: { enabled: false } }` and a user's `{ drawdown: { weight: 2 } }` give
 * `{ drawdown: { enabled: false, weight: 2 } }`.
 */
export function mergeRewardOverrides(
  a: Readonly<RewardOverrides> = {},
  b: Readonly<RewardOverrides> = {},
): RewardOverrides {
  const out: Record<string, Record<string, unknown>> = {};
  for (const src of [a, b]) {
    for (const [k, v] of Object.entries(src as Record<string, object | undefined>)) {
      out[k] = { ...(out[k] ?? {}), ...(v ?? {}) };
    }
  }
  return out as RewardOverrides;
}

/** `b` over `a`, section by section (undefined values in `b` do not override). */
export function mergeRunOverrides(
  a: Readonly<RunConfigOverrides>,
  b: Readonly<RunConfigOverrides>,
): RunConfigOverrides {
  const out: RunConfigOverrides = { ...defined(a), ...defined(b) };
  for (const k of ["data", "trading", "algorithm", "grpo", "evaluation"] as const) {
    if (a[k] || b[k]) {
      (out as Record<string, unknown>)[k] = {
        ...defined(a[k] as object),
        ...defined(b[k] as object),
      };
    }
  }
  if (a.reward || b.reward) out.reward = mergeRewardOverrides(a.reward, b.reward);
  if (a.optionsEnv || b.optionsEnv) {
    const x = defined(a.optionsEnv);
    const y = defined(b.optionsEnv);
    out.optionsEnv = {
      ...x,
      ...y,
      ...(x.contract || y.contract ? { contract: { ...x.contract, ...y.contract } } : {}),
      ...(x.reward || y.reward
        ? { reward: mergeRewardOverrides(x.reward as object, y.reward as object) as object }
        : {}),
    };
  }
  return out;
}

/** Options of {@link resolveRunConfig}. */
export interface ResolveRunConfigOptions {
  /** Preset name (overrides `overrides.preset`); `none` or null = no preset. */
  preset?: string | null;
}

/**
 * The resolved, validated run configuration: defaults (the specification's, for the agent)
 * < the preset's overrides < `overrides`; the reward is merged term by term in the same order.
 * Throws a {@link ConfigError} naming the parameter on an unknown agent or preset, a PPO
 * preset with another agent, or an invalid value.
 */
export function resolveRunConfig(
  overrides: Readonly<RunConfigOverrides> = {},
  options: ResolveRunConfigOptions = {},
): RunConfig {
  const presetName = options.preset !== undefined ? options.preset : overrides.preset ?? null;
  const preset = presetName && presetName !== "none" ? tradingPreset(presetName) : null;
  if (
    preset && overrides.agent !== undefined && preset.config.agent !== undefined &&
    overrides.agent !== preset.config.agent
  ) {
    throw new ConfigError(
      `preset ${preset.name} is a ${preset.config.agent.toUpperCase()} preset, but agent is ${overrides.agent}`,
      { parameter: "preset" },
      `drop the agent (or use ${preset.config.agent}) with this preset`,
    );
  }
  const merged = preset ? mergeRunOverrides(preset.config, overrides) : { ...overrides };
  const base = runDefaults(merged.agent ?? "ppo");
  for (const [section, values] of Object.entries(merged)) {
    const known = section in base;
    const sub = known && values && typeof values === "object" && !Array.isArray(values) &&
        !["reward", "risk", "exits"].includes(section)
      ? Object.keys(values).find((k) => !(k in (base[section as keyof RunConfig] as object)))
      : undefined;
    if (!known || sub !== undefined) {
      const what = known ? `${section}.${sub}` : section;
      throw new ConfigError(
        `unknown run configuration field "${what}"`,
        { parameter: what },
        `fields: ${
          Object.keys(known ? base[section as keyof RunConfig] as object : base).join(", ")
        }`,
      );
    }
  }
  const config: RunConfig = {
    ...base,
    ...Object.fromEntries(
      Object.entries(merged).filter(([k, v]) =>
        v !== undefined &&
        !["data", "trading", "algorithm", "grpo", "evaluation", "reward", "optionsEnv"].includes(k)
      ),
    ),
    preset: preset ? preset.name : null,
    hidden: [...(merged.hidden ?? base.hidden)],
    data: { ...base.data, ...defined(merged.data) },
    trading: { ...base.trading, ...defined(merged.trading) },
    algorithm: { ...base.algorithm, ...defined(merged.algorithm) },
    grpo: { ...base.grpo, ...defined(merged.grpo) },
    evaluation: { ...base.evaluation, ...defined(merged.evaluation) },
    reward: resolveRewardConfig(merged.reward ?? {}),
    optionsEnv: resolveOptionsEnvConfig(merged.optionsEnv ?? {}),
  };
  validateRunConfig(config);
  return config;
}

function defined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<
    T
  >;
}

/**
 * Check a resolved {@link RunConfig}; throws a {@link ConfigError} whose `parameter` is the
 * config path (e.g. `algorithm.batchSize`).
 */
export function validateRunConfig(c: Readonly<RunConfig>): void {
  const fail = (parameter: string, what: string, hint?: string): never => {
    throw new ConfigError(`${parameter} ${what}`, { parameter }, hint);
  };
  if (!AGENT_NAMES.includes(c.agent)) {
    fail("agent", `unknown agent "${c.agent}"`, "use ppo, a2c or grpo");
  }
  if (!ENV_NAMES.includes(c.env)) fail("env", `unknown env "${c.env}"`, "use futures or options");
  if (c.env === "options" && c.data.bars !== null) {
    fail("data.bars", "the options env's synthetic market is sized in sessions", "use --sessions");
  }
  resolveOptionsEnvConfig({}, c.optionsEnv); // validates the section
  if (c.engine !== "fast" && c.engine !== "tfjs") {
    fail("engine", `unknown engine "${c.engine}"`, "use fast or tfjs");
  }
  const get = (path: string): unknown =>
    path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], c);
  for (const [path, dom] of Object.entries(RUN_CONFIG_RANGES)) {
    const raw = get(path);
    const values = path === "hidden" ? c.hidden : [raw];
    if (path === "hidden" && c.hidden.length === 0) {
      fail("hidden", "needs at least one layer width");
    }
    values.forEach((v, i) => {
      const p = path === "hidden" ? `hidden[${i}]` : path;
      if (v === null && dom.nullable) return;
      if (typeof v !== "number" || !Number.isFinite(v)) {
        fail(p, `must be a finite number${dom.nullable ? " or null" : ""} (got ${String(v)})`);
      }
      const n = v as number;
      if (dom.type === "integer" && !Number.isInteger(n)) fail(p, `must be an integer (got ${n})`);
      if (!inRange(n, dom.range)) fail(p, `must be ${describeRange(dom.range)} (got ${n})`);
    });
  }
  if (c.data.signals !== "ml" && c.data.signals !== "none") {
    fail("data.signals", `expected ml or none, got ${c.data.signals}`);
  }
  validateDataSection(c.data, fail);
  try {
    resolveTradingConfig({ ...c.trading });
  } catch (e) {
    if (e instanceof ConfigError) {
      const p = e.where.parameter ?? "trading";
      fail(p, e.message.replace(/ \(.*\)$/, "").replace(/\. .*$/, ""), e.hint);
    }
    throw e;
  }
  const e = c.evaluation;
  if (!BEST_METRICS.includes(e.metric)) {
    fail("evaluation.metric", `expected ${BEST_METRICS.join(", ")}, got ${e.metric}`);
  }
  if (typeof c.maskActions !== "boolean") {
    fail("maskActions", `expected true or false, got ${JSON.stringify(c.maskActions)}`);
  }
  checkGuard("risk", c.risk, (x) => new RiskManager(x as Partial<RiskConfig>));
  checkGuard("exits", c.exits, (x) => new ProfitManager(x as Partial<ExitLadderConfig>));
  if (c.agent === "grpo" && (c.normReward || c.nEnvs !== 1)) {
    fail(
      c.normReward ? "normReward" : "nEnvs",
      "GRPO runs groups on one env and normalises returns within each group",
      "drop --norm-reward/--n-envs for --agent grpo (--norm-obs is supported)",
    );
  }
  // Impossible or silently-altered combinations, refused before any work starts.
  const rollout = rolloutSize(c);
  const rolloutWords = c.agent === "grpo"
    ? `grpo.groupSize ${c.grpo.groupSize} × grpo.horizon ${c.grpo.horizon} × grpo.groupsPerUpdate ${c.grpo.groupsPerUpdate}`
    : `algorithm.nSteps ${c.algorithm.nSteps} × nEnvs ${c.nEnvs}`;
  if (c.timesteps < rollout) {
    fail(
      "timesteps",
      `must be ≥ one rollout of ${rollout} steps (got ${c.timesteps}): training runs whole ` +
        `rollouts (${rolloutWords}), so it would silently train ${rollout} steps`,
      `pass timesteps ≥ ${rollout}, or a smaller rollout (--n-steps${
        c.agent === "grpo" ? ", --horizon or --group-size" : " or --n-envs"
      })`,
    );
  }
  const batch = c.algorithm.batchSize;
  if (c.agent === "ppo" && batch !== null && batch > rollout) {
    fail(
      "algorithm.batchSize",
      `must be ≤ the rollout of ${rollout} steps (${rolloutWords}) (got ${batch}): a minibatch ` +
        "cannot hold more transitions than one rollout collects",
      "lower --batch-size or raise --n-steps / --n-envs",
    );
  }
}

/**
 * Check the data section (`fail(path, what, hint)` throws a ConfigError naming the path):
 * sources, mappings, funding scale, split fractions/dates, purge/embargo, fold, feature
 * exclusions and the coverage limit.
 */
function validateDataSection(
  d: Readonly<DataConfig>,
  fail: (parameter: string, what: string, hint?: string) => never,
): void {
  for (const k of ["oi", "funding", "symbol", "interval"] as const) {
    const v = d[k];
    if (v !== null && (typeof v !== "string" || v.trim() === "")) {
      fail(`data.${k}`, `must be a non-empty string or null, got ${JSON.stringify(v)}`);
    }
  }
  if (d.interval !== null) {
    try {
      intervalToMs(d.interval);
    } catch {
      fail("data.interval", `must look like 5m, 1h or 1d, got ${d.interval}`);
    }
  }
  const maps = [["columns", "bars", "--columns"], ["oiColumns", "oi", "--oi-columns"], [
    "fundingColumns",
    "funding",
    "--funding-columns",
  ]] as const;
  for (const [k, kind, flag] of maps) {
    const v = d[k];
    if (v === null) continue;
    if (typeof v !== "string") fail(`data.${k}`, `must be a mapping like time=ts,…`);
    parseColumnMapping(v, kind, { flag });
  }
  if (d.oiColumns !== null && d.oi === null) fail("data.oiColumns", "needs data.oi (--oi <file>)");
  if (d.fundingColumns !== null && d.funding === null) {
    fail("data.fundingColumns", "needs data.funding (--funding <file>)");
  }
  if (!(Number.isFinite(d.fundingScale) && d.fundingScale > 0)) {
    fail(
      "data.fundingScale",
      `must be a finite number > 0, got ${d.fundingScale}`,
      "e.g. 8 for a file storing the 8-hour rate divided by 8",
    );
  }
  checkSplitConfig(d.split, fail);
  for (const k of ["purge", "embargo"] as const) {
    if (!Number.isInteger(d[k]) || d[k] < 0) {
      fail(`data.${k}`, `must be a non-negative integer number of bars, got ${d[k]}`);
    }
  }
  if (!Number.isInteger(d.folds) || d.folds < 1) {
    fail("data.folds", `must be a positive integer, got ${d.folds}`);
  }
  if (d.fold !== null) {
    if (!Number.isInteger(d.fold) || d.fold < 0 || d.fold >= d.folds) {
      fail(
        "data.fold",
        `must be an integer in 0 … ${d.folds - 1} (folds ${d.folds}), got ${d.fold}`,
      );
    }
    if (d.split.by !== "fraction") {
      fail("data.fold", "a walk-forward fold needs a fraction split, not dates", "drop the dates");
    }
  }
  if (!Array.isArray(d.excludeFeatures)) fail("data.excludeFeatures", "must be a list");
  for (const f of d.excludeFeatures) {
    if (!(OPTIONAL_FAMILIES as readonly string[]).includes(f)) {
      fail(
        "data.excludeFeatures",
        `unknown family "${f}"`,
        `only ${OPTIONAL_FAMILIES.join(", ")} can be dropped (--features -oi)`,
      );
    }
  }
  if (!(d.maxMissingShare >= 0 && d.maxMissingShare <= 1)) {
    fail("data.maxMissingShare", `must be a share in [0, 1], got ${d.maxMissingShare}`);
  }
}

function checkSplitConfig(
  s: Readonly<SplitConfig>,
  fail: (parameter: string, what: string, hint?: string) => never,
): void {
  if (!s || typeof s !== "object") fail("data.split", "must be an object");
  if (s.by === "fraction") {
    for (const k of ["train", "validation", "test"] as const) {
      if (!(Number.isFinite(s[k]) && s[k] >= 0 && s[k] <= 1)) {
        fail(`data.split.${k}`, `must be a fraction in [0, 1], got ${s[k]}`);
      }
    }
    if (!(s.train > 0)) fail("data.split.train", "must be > 0");
    if (s.train + s.validation + s.test > 1 + 1e-9) {
      fail(
        "data.split",
        `fractions sum to ${+(s.train + s.validation + s.test).toFixed(6)} > 1`,
        "e.g. --split 0.7,0.15,0.15",
      );
    }
    return;
  }
  if (s.by !== "date") {
    fail("data.split.by", `expected fraction or date, got ${String((s as { by?: unknown }).by)}`);
  }
  const ms = (k: "trainStart" | "validationStart" | "testStart" | "testEnd") => {
    const v = s[k];
    if (v === null && (k === "trainStart" || k === "testEnd")) return null;
    const t = typeof v === "string" ? parseUtcDate(v) : NaN;
    if (!Number.isFinite(t)) {
      fail(
        `data.split.${k}`,
        `not a date: ${JSON.stringify(v)}`,
        "use ISO-8601 UTC such as 2024-07-01 or 2024-07-01T08:00Z",
      );
    }
    return t;
  };
  const order = [ms("trainStart"), ms("validationStart"), ms("testStart"), ms("testEnd")];
  const names = ["trainStart", "validationStart", "testStart", "testEnd"];
  let prev: number | null = null;
  let prevName = "";
  order.forEach((t, i) => {
    if (t === null) return;
    if (prev !== null && !(t > prev)) {
      fail(`data.split.${names[i]}`, `must be after ${prevName}`);
    }
    prev = t;
    prevName = names[i];
  });
}

/**
 * Parse an ISO-8601 date as UTC (a string without an offset is UTC, not local time):
 * `2024-07-01`, `2024-07-01T08:00`, `2024-07-01T08:00Z`, `2024-07-01T10:00+02:00`. NaN if
 * invalid.
 */
export function parseUtcDate(text: string): number {
  const t = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([zZ]|[+-]\d{2}:?\d{2})?$/.test(t)) {
    return NaN;
  }
  const hasTime = t.length > 10;
  const hasZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(t.slice(10));
  return Date.parse(hasTime && !hasZone ? `${t.replace(" ", "T")}Z` : t.replace(" ", "T"));
}

/**
 * Parse a `--split` value (see {@link SplitConfig}):
 * - fractions: `0.6,0.15,0.25` (train, validation, test; sum ≤ 1) or `0.6,0.2` (test = the
 *   rest);
 * - dates (UTC): `VALIDATION_START,TEST_START`, `TRAIN_START,VALIDATION_START,TEST_START` or
 *   `TRAIN_START,VALIDATION_START,TEST_START,TEST_END` (a bar belongs to a split when its open
 *   time is ≥ the split's start and < the next start).
 * Throws a ConfigError starting `--split` on anything else (mixed, 1 or > 4 parts, bad
 * numbers or dates, dates out of order).
 */
export function parseSplitSpec(text: string): SplitConfig {
  const parts = text.split(",").map((x) => x.trim());
  const bad = (what: string): never => {
    throw new ConfigError(
      `--split ${what} (got ${JSON.stringify(text)})`,
      { parameter: "split" },
      "fractions 0.6,0.15,0.25 (train,validation,test) or UTC dates " +
        "[TRAIN_START,]VALIDATION_START,TEST_START[,TEST_END] such as 2024-01-01,2024-07-01",
    );
  };
  if (parts.some((p) => p === "")) bad("has an empty part");
  const isNum = parts.map((p) => /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(p));
  let out: SplitConfig;
  if (isNum.every(Boolean)) {
    const f = parts.map(Number);
    if (f.length !== 2 && f.length !== 3) bad("needs 2 or 3 fractions");
    if (f.some((x) => !(x >= 0 && x <= 1))) bad("fractions must be in [0, 1]");
    const test = f.length === 3 ? f[2] : +(1 - f[0] - f[1]).toFixed(12);
    out = { by: "fraction", train: f[0], validation: f[1], test: Math.max(0, test) };
  } else if (isNum.some(Boolean)) {
    return bad("mixes fractions and dates");
  } else {
    const ms = parts.map(parseUtcDate);
    const i = ms.findIndex((x) => !Number.isFinite(x));
    if (i >= 0) bad(`part ${i + 1} "${parts[i]}" is not a date`);
    if (ms.length < 2 || ms.length > 4) bad("needs 2 to 4 dates");
    for (let k = 1; k < ms.length; k++) if (!(ms[k] > ms[k - 1])) bad("dates must increase");
    const [a, b, c, d] = parts;
    out = ms.length === 2
      ? { by: "date", trainStart: null, validationStart: a, testStart: b, testEnd: null }
      : { by: "date", trainStart: a, validationStart: b, testStart: c, testEnd: d ?? null };
  }
  try {
    checkSplitConfig(out, (p, w, h) => {
      const what = p === "data.split" ? w : `${p.replace("data.split.", "")} ${w}`;
      throw new ConfigError(`--split: ${what}`, { parameter: "split" }, h);
    });
  } catch (e) {
    if (e instanceof ConfigError) return bad(e.message.replace(/^--split: /, "").split(" (")[0]);
    throw e;
  }
  return out;
}

/** A guard setting is a preset name or a config object the managers accept. */
function checkGuard(parameter: "risk" | "exits", v: unknown, build: (x: unknown) => unknown): void {
  const hint = `use ${RISK_PRESETS.join(" or ")}, or a partial config object`;
  if (typeof v === "string") {
    if (!(RISK_PRESETS as readonly string[]).includes(v)) {
      throw new ConfigError(`${parameter}: unknown preset "${v}"`, { parameter }, hint);
    }
    return;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ConfigError(`${parameter}: expected a preset name or an object`, { parameter }, hint);
  }
  try {
    build(v);
  } catch (e) {
    if (!(e instanceof ToolkitError)) throw e;
    const inner = e.where.parameter;
    const path = inner ? `${parameter}.${inner}` : parameter;
    throw new ConfigError(`${parameter}: ${e.message}`, { parameter: path }, e.hint);
  }
}

/** The data-pipeline options (`buildTradingSetup`) of a resolved config. */
export function setupOptionsFor(
  config: Readonly<RunConfig>,
  options: Omit<
    TradingSetupOptions,
    "data" | "bars" | "dataSeed" | "signals" | "episodeLength" | "reward"
  > = {},
): TradingSetupOptions {
  const d = config.data;
  return {
    oi: d.oi,
    funding: d.funding,
    columns: d.columns,
    oiColumns: d.oiColumns,
    fundingColumns: d.fundingColumns,
    fundingScale: d.fundingScale,
    symbol: d.symbol,
    interval: d.interval,
    split: d.split,
    purge: d.purge,
    embargo: d.embargo,
    fold: d.fold === null ? null : { index: d.fold, folds: d.folds },
    excludeFeatures: d.excludeFeatures,
    maxMissingShare: d.maxMissingShare,
    ...options,
    trading: { ...config.trading, ...options.trading },
    data: config.data.source,
    ...(config.data.bars !== null ? { bars: config.data.bars } : {}),
    dataSeed: config.data.dataSeed,
    signals: config.data.signals,
    episodeLength: config.data.episodeLength,
    reward: config.reward,
  };
}

/** Build the data → features → signals → split → env pipeline a resolved config describes. */
export function buildRunSetup(
  config: Readonly<RunConfig>,
  options: Pick<
    TradingSetupOptions,
    "log" | "trading" | "split" | "signalSeed" | "signalsCache"
  > = {},
): Promise<TradingSetup> {
  return buildTradingSetup(setupOptionsFor(config, options));
}

/** The training setup of either env (see {@link buildEnvSetup}). */
export type RunSetup = GuardedSetup | OptionsSetup;

/** Whether `setup` is the options env's. */
export function isOptionsSetup(setup: RunSetup): setup is OptionsSetup {
  return (setup as OptionsSetup).kind === "options";
}

/**
 * The setup of the config's env: {@link buildRunSetup} for `futures`, `buildOptionsSetup`
 * (the synthetic SPY/VIX market, or `data.source` bars with `optionsEnv.vixFile`) for
 * `options`.
 */
export function buildEnvSetup(
  config: Readonly<RunConfig>,
  options: Pick<
    TradingSetupOptions,
    "log" | "trading" | "split" | "signalSeed" | "signalsCache"
  > = {},
): Promise<RunSetup> {
  if (config.env === "options") {
    const split = options.split;
    if (split !== undefined && "by" in split && split.by === "date") {
      throw new ConfigError(
        "date splits are implemented for the futures env only",
        { parameter: "data.split" },
        "give the options env split fractions (--split 0.6,0.15,0.25)",
      );
    }
    return buildOptionsSetup({
      data: config.data.source,
      dataSeed: config.data.dataSeed,
      episodeLength: config.data.episodeLength,
      split: split as { train?: number; validation?: number; test?: number } | undefined,
      config: config.optionsEnv,
      log: options.log,
    });
  }
  return buildRunSetup(config, options);
}

/** Options of {@link withReward} (see `EnvConfigOptions`). */
export type WithRewardOptions = Omit<EnvConfigOptions, "reward">;

/**
 * The same setup (market, features, signals, split) whose train and evaluation envs use
 * `reward`. Pass the setup's trading overrides again in `options.trading` if it had any.
 * (Shorthand for `withEnvConfig(setup, { ...options, reward })`.)
 */
export function withReward(
  setup: TradingSetup,
  reward: RewardOverrides,
  options: WithRewardOptions = {},
): TradingSetup {
  return withEnvConfig(setup, { ...options, reward });
}

/**
 * The same setup whose envs use the config's reward and episode length (a setup built once
 * and shared by runs with different rewards, e.g. spec-reward agents and a preset).
 */
export function setupForConfig(setup: TradingSetup, config: Readonly<RunConfig>): TradingSetup {
  return withEnvConfig(setup, { reward: config.reward, episodeLength: config.data.episodeLength });
}
