/**
 * `deno task train`: train PPO, A2C or GRPO on the futures env, evaluate on the validation
 * split, and save a run folder (`models/<run-id>/`) with checkpoints, the best model,
 * metrics.jsonl and TensorBoard event files. `--help` lists every option with its default.
 *
 * A flag parser over `lib/experiment/config.ts`: every option with a `path` sets that field of
 * the `RunConfig`; defaults, presets and validation live there (`resolveRunConfig`), so the CLI
 * and the notebooks resolve a run the same way and `config.json` records the resolved config.
 *
 * Precedence of option values: the specification's defaults < `--preset` < `--config` file <
 * command-line flags (`--resume` fills what none of these gives from the run's config.json).
 * `--reward` overrides are merged term by term in the same order.
 *
 * @module
 */
import {
  ConfigError,
  convertFlag,
  type FlagSpec,
  parseFlags,
  resolveUserPath,
  runCli,
} from "../lib/util/mod.ts";
import {
  AGENT_NAMES,
  type AgentName,
  BEST_METRICS,
  mergeRewardOverrides,
  mergeRunOverrides,
  resolveRunConfig,
  RUN_CONFIG_RANGES,
  type RunConfig,
  type RunConfigOverrides,
  runDefaults,
  TRADING_PRESETS,
  type TradingPreset,
  TrainingInterruptedError,
  trainRun,
} from "../lib/experiment/mod.ts";
// BYOD (issue 19): the data/split/coverage/trading flags live in lib/experiment/data_flags.ts.
import {
  dataFlagOverrides,
  isTrainDataFlag,
  joinDataFlagValues,
  TRAIN_DATA_FLAGS,
  type TrainDataFlag,
  trainDataHelp,
} from "../lib/experiment/mod.ts";
import {
  resolveRewardConfig,
  REWARD_TERMS,
  type RewardConfig,
  type RewardOverrides,
} from "../lib/env/mod.ts";

type Kind =
  | "int"
  | "number"
  | "string"
  | "bool"
  | "onoff"
  | "list"
  | "nullable-number"
  | "reward";

/** One command-line option. */
export interface Opt {
  /** Flag name (`--name`; also the key in a `--config` file). */
  name: string;
  /** Field of `RunConfig` the flag sets (dot path), or undefined for run-control flags. */
  path?: string;
  kind: Kind;
  /**
   * Default shown in --help; for flags with a `path` it is derived from `runDefaults` (and
   * undefined when it differs per agent: the help line then lists each agent's default).
   */
  def?: string;
  help: string;
  choices?: string[];
  group: string;
}

/** Every option of `deno task train`; a flag with a `path` sets that field of `RunConfig`. */
export const OPTIONS: Opt[] = withDefaults([
  {
    name: "agent",
    path: "agent",
    kind: "string",
    choices: ["ppo", "a2c", "grpo"],
    help: "algorithm",
    group: "run",
  },
  {
    name: "timesteps",
    path: "timesteps",
    kind: "int",
    help: "environment steps to train",
    group: "run",
  },
  {
    name: "bars",
    path: "data.bars",
    kind: "int",
    help: "synthetic market: number of bars (5-minute bars)",
    group: "data",
  },
  {
    name: "data-seed",
    path: "data.dataSeed",
    kind: "int",
    help: "synthetic market seed",
    group: "data",
  },
  {
    name: "signals",
    path: "data.signals",
    kind: "string",
    choices: ["ml", "none"],
    help: "ML signal inputs: walk-forward out-of-sample model, or none (zeros)",
    group: "data",
  },
  {
    name: "episode-length",
    path: "data.episodeLength",
    kind: "int",
    help: "steps per training episode (random start in the training split)",
    group: "data",
  },
  // ---- the options env (--env options; issue 12)
  {
    name: "env",
    path: "env",
    kind: "string",
    choices: ["futures", "options"],
    help: "environment: the futures env or the options env (SPY-like underlying with VIX)",
    group: "options env",
  },
  {
    name: "symbol",
    path: "optionsEnv.symbol",
    kind: "string",
    help: "options env: underlying symbol",
    group: "options env",
  },
  {
    name: "vix-file",
    path: "optionsEnv.vixFile",
    kind: "string",
    help: "options env: daily VIX CSV for real bars (--data <SPY bars.csv>)",
    group: "options env",
  },
  {
    name: "sessions",
    path: "optionsEnv.sessions",
    kind: "int",
    help: "options env: sessions of the synthetic SPY/VIX market",
    group: "options env",
  },
  {
    name: "threshold",
    path: "optionsEnv.threshold",
    kind: "number",
    help: "options env: |action| above which a put (< −t) or a call (> t) is bought",
    group: "options env",
  },
  {
    name: "min-days-to-expiry",
    path: "optionsEnv.contract.minDaysToExpiry",
    kind: "number",
    help: "options env: nearest weekly expiry at least this many days out",
    group: "options env",
  },
  {
    name: "strike-offset",
    path: "optionsEnv.contract.strikeOffset",
    kind: "int",
    help: "options env: strikes out of the money (negative: in the money)",
    group: "options env",
  },
  {
    name: "contracts",
    path: "optionsEnv.contracts",
    kind: "int",
    help: "options env: contracts per entry",
    group: "options env",
  },
  {
    name: "risk-lockouts",
    path: "optionsEnv.risk",
    kind: "bool",
    help: "options env: the spec's lockouts (IV rank > 95, VIX > 32, spread > 5 %)",
    group: "options env",
  },
  {
    name: "ref-update-interval",
    path: "grpo.refUpdateInterval",
    kind: "int",
    help: "GRPO: refresh the KL reference to the policy every K updates (0 = frozen initial)",
    group: "grpo",
  },
  {
    name: "seed",
    path: "seed",
    kind: "int",
    help: "seed of weights, sampling, shuffles and episode starts",
    group: "run",
  },
  {
    name: "preset",
    kind: "string",
    def: "none",
    help: "named preset of reward, normalisation and hyperparameters (list: show them)",
    group: "run",
  },
  {
    name: "reward",
    path: "reward",
    kind: "reward",
    help: "reward-term overrides, e.g. drawdown=off,sharpe=off,pnl=100,duration.thresholdBars=20",
    group: "reward",
  },
  {
    name: "risk",
    path: "risk",
    kind: "string",
    choices: ["off", "spec"],
    help: "risk rules of the train and validation envs (lib/risk: daily loss, loss streak, …)",
    group: "reward",
  },
  {
    name: "exits",
    path: "exits",
    kind: "string",
    choices: ["off", "spec"],
    help: "exit ladder (TP1–TP5, trailing stop, stop loss) of the train and validation envs",
    group: "reward",
  },
  {
    name: "config",
    kind: "string",
    def: "none",
    help:
      'JSON file of option values (keys = option names, e.g. {"ent-coef": 0.02}); flags override it',
    group: "run",
  },
  {
    name: "out",
    kind: "string",
    help: "run folder (default models/<agent>-<date>-<time>-s<seed>)",
    group: "run",
  },
  {
    name: "resume",
    kind: "string",
    def: "none",
    help: "continue a run folder from its latest checkpoint (--timesteps = new total)",
    group: "run",
  },
  {
    name: "backend",
    path: "backend",
    kind: "string",
    choices: ["auto", "tensorflow", "wasm", "cpu"],
    help: "tfjs backend for --engine tfjs and model export (auto: tensorflow → wasm → cpu)",
    group: "compute",
  },
  {
    name: "engine",
    path: "engine",
    kind: "string",
    choices: ["fast", "tfjs"],
    help: "actor-critic engine: fast (Float64Array, analytic gradients) or tfjs (autodiff)",
    group: "compute",
  },
  { name: "n-envs", path: "nEnvs", kind: "int", help: "parallel training envs", group: "compute" },
  {
    name: "hidden",
    path: "hidden",
    kind: "list",
    help: "hidden layer widths of the policy and value nets",
    group: "network",
  },
  {
    name: "norm-obs",
    path: "normObs",
    kind: "bool",
    help: "running observation normalisation (VecNormalize), saved with the model",
    group: "network",
  },
  {
    name: "norm-reward",
    path: "normReward",
    kind: "bool",
    help: "return-based reward scaling (VecNormalize)",
    group: "network",
  },
  {
    name: "lr",
    path: "algorithm.learningRate",
    kind: "number",
    help: "learning rate",
    group: "algorithm",
  },
  {
    name: "anneal-lr",
    path: "algorithm.annealLr",
    kind: "bool",
    help: "linearly anneal the learning rate to 0 (the spec/SB3 keeps it constant)",
    group: "algorithm",
  },
  {
    name: "n-steps",
    path: "algorithm.nSteps",
    kind: "int",
    help: "steps per env per rollout",
    group: "algorithm",
  },
  {
    name: "batch-size",
    path: "algorithm.batchSize",
    kind: "int",
    help: "minibatch size",
    group: "algorithm",
  },
  {
    name: "n-epochs",
    path: "algorithm.nEpochs",
    kind: "int",
    help: "epochs per update",
    group: "algorithm",
  },
  {
    name: "gamma",
    path: "algorithm.gamma",
    kind: "number",
    help: "discount per step",
    group: "algorithm",
  },
  {
    name: "gae-lambda",
    path: "algorithm.gaeLambda",
    kind: "number",
    help: "GAE λ",
    group: "algorithm",
  },
  {
    name: "clip-range",
    path: "algorithm.clipRange",
    kind: "number",
    help: "PPO/GRPO ratio clip ε",
    group: "algorithm",
  },
  {
    name: "clip-range-vf",
    path: "algorithm.clipRangeVf",
    kind: "nullable-number",
    help: "PPO value clip ε_v (none = off)",
    group: "algorithm",
  },
  {
    name: "ent-coef",
    path: "algorithm.entCoef",
    kind: "number",
    help: "entropy bonus coefficient",
    group: "algorithm",
  },
  {
    name: "vf-coef",
    path: "algorithm.vfCoef",
    kind: "number",
    help: "value-loss coefficient",
    group: "algorithm",
  },
  {
    name: "max-grad-norm",
    path: "algorithm.maxGradNorm",
    kind: "number",
    help: "global gradient-norm clip",
    group: "algorithm",
  },
  {
    name: "target-kl",
    path: "algorithm.targetKl",
    kind: "nullable-number",
    help: "PPO: stop an update's epochs once approx-KL exceeds this",
    group: "algorithm",
  },
  {
    name: "group-size",
    path: "grpo.groupSize",
    kind: "int",
    help: "GRPO: rollouts per group (same start state)",
    group: "grpo",
  },
  {
    name: "horizon",
    path: "grpo.horizon",
    kind: "int",
    help: "GRPO: steps per group rollout",
    group: "grpo",
  },
  {
    name: "kl-coef",
    path: "grpo.klCoef",
    kind: "number",
    help: "GRPO: KL penalty β to the reference policy",
    group: "grpo",
  },
  {
    name: "eval-freq",
    path: "evaluation.evalFreq",
    kind: "int",
    help: "evaluate on the validation split every N steps (0 = only at the end)",
    group: "evaluation",
  },
  {
    name: "eval-episodes",
    path: "evaluation.evalEpisodes",
    kind: "int",
    help: "evaluation episodes (1 = the whole validation split once)",
    group: "evaluation",
  },
  {
    name: "best-metric",
    path: "evaluation.metric",
    kind: "string",
    choices: [...BEST_METRICS],
    help: "best-model / early-stopping metric on validation",
    group: "evaluation",
  },
  {
    name: "min-trades",
    path: "evaluation.minTrades",
    kind: "int",
    help: "best model: a candidate with fewer validation trades is not chosen (0 = off)",
    group: "evaluation",
  },
  {
    name: "min-exposure",
    path: "evaluation.minExposure",
    kind: "number",
    help: "best model: minimum fraction of validation bars in a position (0 = off)",
    group: "evaluation",
  },
  {
    name: "mask-actions",
    path: "maskActions",
    kind: "onoff",
    choices: ["on", "off"],
    help: "mask invalid actions in training and evaluation (MaskablePPO-style; off = the " +
      "specification's plain PPO: invalid actions reach the env as no-ops)",
    group: "algorithm",
  },
  {
    name: "patience",
    path: "evaluation.patience",
    kind: "int",
    help: "early stop after N evaluations without improvement (0 = off)",
    group: "evaluation",
  },
  {
    name: "checkpoint-freq",
    path: "evaluation.checkpointFreq",
    kind: "int",
    help: "checkpoint every N steps (0 = off)",
    group: "evaluation",
  },
  {
    name: "keep-checkpoints",
    path: "evaluation.keepCheckpoints",
    kind: "int",
    help: "keep only the newest N checkpoints",
    group: "evaluation",
  },
  { name: "no-progress", kind: "bool", def: "false", help: "no progress bar", group: "run" },
  { name: "help", kind: "bool", def: "false", help: "show this help", group: "run" },
], runDefaults);

const BY_NAME = new Map(OPTIONS.map((o) => [o.name, o]));

/** The `--help` text: every option with its default, grouped. */
export function helpText(): string {
  const lines = [
    "Train a PPO / A2C / GRPO agent on the futures env and save a run folder.",
    "",
    "usage: deno task train [--agent ppo|a2c|grpo] [--timesteps N] [--data synthetic|<path>] [--seed S] [options]",
    "",
  ];
  const groups = [...new Set(OPTIONS.map((o) => o.group))];
  for (const g of groups) {
    lines.push(`${g}:`);
    for (const o of OPTIONS.filter((x) => x.group === g)) {
      const arg = o.kind === "bool"
        ? ""
        : o.choices
        ? ` ${o.choices.join("|")}`
        : o.kind === "list"
        ? " a,b,…"
        : " <value>";
      const flag = `  --${o.name}${arg}`;
      const def = o.def !== undefined ? ` [default: ${o.def}]` : "";
      lines.push(`${flag.padEnd(38)} ${o.help}${def}`);
    }
    lines.push("");
  }
  // BYOD (issue 19): data sources, split, folds, coverage policy, trading overrides.
  lines.push("data sources, split, coverage and trading:", trainDataHelp(), "");
  lines.push(
    "presets (--preset NAME; --preset list shows their settings):",
    ...Object.values(TRADING_PRESETS).map((p) => `  ${p.name.padEnd(36)} ${p.description}`),
    "",
    "precedence: defaults (the specification's) < --preset < --config file < flags;",
    "  --reward is merged term by term in the same order (a preset's reward, then the config's,",
    "  then the flag's). --resume fills what none of these gives from the run's config.json.",
    "",
    "--reward syntax: comma-separated TERM=VALUE or TERM.FIELD=VALUE; terms:",
    `  ${REWARD_TERMS.join(", ")};`,
    "  TERM=off|on switches a term; TERM=<number> sets its weight and switches it on;",
    "  fields: enabled (on/off), weight, threshold (sharpe, liquidation), thresholdBars (duration).",
    '  In a --config file, "reward" is the same string or an object like',
    '  {"drawdown": {"enabled": false}, "pnl": {"weight": 100}}.',
    "",
    "examples:",
    "  deno task train --preset synthetic-ppo",
    "  deno task train --preset synthetic-ppo --timesteps 100000 --seed 3",
    "  deno task train --agent ppo --reward drawdown=off,sharpe=off --norm-obs",
    "  deno task train --agent ppo --timesteps 1000000",
    "  deno task train --env options --agent grpo --symbol SPY --timesteps 100000 --norm-obs",
    "  deno task train --agent a2c --timesteps 200000 --seed 1 --out models/a2c-demo",
    "  deno task train --resume models/a2c-demo --timesteps 400000",
    "  tensorboard --logdir models/",
  );
  return lines.join("\n");
}

/**
 * The declaration of one option for the shared flag parser: numeric options take their type
 * and range from `RUN_CONFIG_RANGES` (the config's one statement of allowed values), so the
 * command line, a `--config` file and `resolveRunConfig` refuse the same values in the same
 * words (`--lr must be > 0 and ≤ 1 (got "-1")`).
 */
export function flagSpec(o: Opt): FlagSpec {
  const dom = o.path ? RUN_CONFIG_RANGES[o.path] : undefined;
  if (o.kind === "bool") return { type: "boolean", description: o.help };
  if ((o.kind === "int" || o.kind === "number" || o.kind === "nullable-number") && !dom) {
    throw new Error(`option --${o.name} (${o.path}) has no range in RUN_CONFIG_RANGES`);
  }
  if (o.kind === "int") return { type: "integer", range: dom!.range, description: o.help };
  if (o.kind === "number" || o.kind === "nullable-number") {
    return { type: dom!.type, range: dom!.range, description: o.help };
  }
  if (o.kind === "list") {
    return { type: "integer", range: dom?.range ?? { min: 1 }, description: o.help };
  }
  return { type: "string", choices: o.choices, description: o.help };
}

function convert(o: Opt, raw: unknown, where: { file?: string }): unknown {
  const fail = (what: string) => {
    throw new ConfigError(`--${o.name} ${what} (got ${JSON.stringify(raw)})`, {
      ...where,
      parameter: o.name,
    }, "see --help");
  };
  /** The shared parser's conversion, located in the --config file when the value came from one. */
  const shared = (value: unknown): unknown => {
    try {
      return convertFlag(o.name, flagSpec(o), String(value));
    } catch (e) {
      if (!(e instanceof ConfigError) || !where.file) throw e;
      throw new ConfigError(e.message, { ...where, parameter: o.name });
    }
  };
  switch (o.kind) {
    case "onoff":
      if (typeof raw === "boolean") return raw;
      if (raw === "on" || raw === "true") return true;
      if (raw === "off" || raw === "false") return false;
      return fail("expected on or off");
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      return fail("must be true or false");
    case "int":
    case "number":
      return shared(raw);
    case "nullable-number":
      if (raw === null || raw === "none" || raw === "null") return null;
      return shared(raw);
    case "reward": {
      let ov: RewardOverrides;
      try {
        ov = typeof raw === "string" ? parseRewardSpec(raw) : raw as RewardOverrides;
        if (!ov || typeof ov !== "object" || Array.isArray(ov)) {
          throw new ConfigError("expected TERM=VALUE,… or an object of terms", {});
        }
        for (const [k, t] of Object.entries(ov)) {
          if (!t || typeof t !== "object" || Array.isArray(t)) {
            throw new ConfigError(`reward.${k} must be an object like {"weight": 5}`, {});
          }
        }
        resolveRewardConfig(ov); // validates names and values
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        // the bare message (without the location and hint the error appended)
        let msg = e.hint && e.message.endsWith(`. ${e.hint}`)
          ? e.message.slice(0, -(e.hint.length + 2))
          : e.message;
        msg = msg.replace(/ \([^()]*\)$/, "");
        throw new ConfigError(
          `--reward: ${msg}`,
          { ...where, parameter: e.where.parameter ?? "reward" },
          e.hint ?? "see --help (reward syntax)",
        );
      }
      return ov;
    }
    case "list": {
      const parts = Array.isArray(raw) ? raw : String(raw).split(",");
      if (parts.length === 0) fail("must be positive integers like 64,64");
      return parts.map((x) => shared(x));
    }
    default:
      return shared(raw);
  }
}

/** Parsed command line: run-control values by flag name and the config overrides. */
export interface Parsed {
  /** Run-control flags (preset, out, resume, no-progress, help) by name. */
  control: Map<string, unknown>;
  /** `RunConfig` overrides from the --config file, then the flags on top. */
  overrides: RunConfigOverrides;
}

/** Set `value` at the dot `path` of `target`. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let o = target;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]] = value;
}

/** The value at the dot `path` of `source`, or undefined. */
function getPath(source: unknown, path: string): unknown {
  let o = source as Record<string, unknown> | undefined;
  for (const p of path.split(".")) o = o?.[p] as Record<string, unknown> | undefined;
  return o;
}

/** Option values by flag name → control values + RunConfig overrides. */
function toOverrides(values: Map<string, unknown>, into: Parsed): void {
  for (const [name, v] of values) {
    const o = BY_NAME.get(name)!;
    if (!o.path) into.control.set(name, v);
    else if (name === "reward") {
      into.overrides.reward = mergeRewardOverrides(into.overrides.reward, v as RewardOverrides);
    } else setPath(into.overrides as Record<string, unknown>, o.path, v);
  }
}

/**
 * A `--config` object's values by option name, each converted and range-checked; the data
 * keys (BYOD, issue 19: `data`, `oi`, `split`, `fold`, `fee`, …) come back apart, for
 * {@link dataFlagOverrides}.
 */
function configFileValues(
  json: Record<string, unknown>,
  file?: string,
): { values: Map<string, unknown>; data: Map<string, unknown> } {
  const values = new Map<string, unknown>();
  const data = new Map<string, unknown>();
  for (const [k, v] of Object.entries(json)) {
    const name = k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`); // camelCase accepted too
    if (isTrainDataFlag(name)) {
      data.set(name, v);
      continue;
    }
    const o = BY_NAME.get(name);
    if (!o || name === "config" || name === "help") {
      throw new ConfigError(
        `unknown option "${k}"`,
        { file, parameter: k },
        "keys are the --help option names",
      );
    }
    values.set(name, convert(o, v, { file }));
  }
  return { values, data };
}

/** Merge data/trading overrides (BYOD, issue 19); `--signals-cache` is run control. */
function addDataOverrides(into: Parsed, d: ReturnType<typeof dataFlagOverrides>): void {
  into.overrides = mergeRunOverrides(into.overrides, d.overrides);
  if (d.signalsCache !== undefined) into.control.set("signals-cache", d.signalsCache);
}

/** Apply a `--config` object (or a sweep cell's values) to `out`. */
function applyConfigValues(out: Parsed, json: Record<string, unknown>, file?: string): void {
  const { values, data } = configFileValues(json, file);
  toOverrides(values, out);
  addDataOverrides(out, dataFlagOverrides(data, { file }));
}

/**
 * Check option values as a `--config` file would give them (e.g. one sweep cell) without
 * training: every value's type and range, then the resolved configuration's cross-field rules.
 * Run-control options (`preset`, `out`, …) are allowed; `resume` is not resolved.
 *
 * @returns the resolved configuration.
 */
export function checkTrainOptions(
  values: Readonly<Record<string, unknown>>,
  where: { file?: string } = {},
): RunConfig {
  const out: Parsed = { control: new Map(), overrides: {} };
  applyConfigValues(out, { ...values }, where.file);
  const preset = out.control.get("preset") as string | undefined;
  return resolveRunConfig(out.overrides, {
    preset: preset === undefined || preset === "none" ? undefined : preset,
  });
}

/**
 * Parse argv (+ optional --config file) into run-control values and config overrides. Every
 * value is checked here (type, range, choices) and the resolved configuration's cross-field
 * rules run in `resolveRunConfig` before any data is loaded.
 */
export async function parseCommandLine(argv: string[]): Promise<Parsed> {
  const spec: Record<string, FlagSpec> = {};
  for (const o of OPTIONS) {
    spec[o.name] = o.kind === "bool"
      ? { type: "boolean", description: o.help }
      : { type: "string", description: o.help };
  }
  // BYOD (issue 19): the data flags are read as text and checked by dataFlagOverrides below
  for (const k of Object.keys(TRAIN_DATA_FLAGS)) {
    spec[k] = { type: "string", description: TRAIN_DATA_FLAGS[k as TrainDataFlag].description };
  }
  const parsed = parseFlags(joinDataFlagValues(argv), spec, {
    usage: "run deno task train --help",
  });
  const out: Parsed = { control: new Map(), overrides: {} };
  const cfgPath = parsed.values.config === undefined
    ? undefined
    : resolveUserPath(parsed.values.config as string);
  if (cfgPath) {
    let json: unknown;
    try {
      json = JSON.parse(await Deno.readTextFile(cfgPath));
    } catch (e) {
      throw new ConfigError(`cannot read config: ${(e as Error).message}`, { file: cfgPath });
    }
    if (!json || typeof json !== "object" || Array.isArray(json)) {
      throw new ConfigError("config must be a JSON object of option values", { file: cfgPath });
    }
    applyConfigValues(out, json as Record<string, unknown>, cfgPath);
  }
  const flagValues = new Map<string, unknown>();
  const flagData = new Map<string, unknown>(); // BYOD (issue 19)
  for (const [k, v] of Object.entries(parsed.values)) {
    if (v === undefined || k === "config") continue;
    if (isTrainDataFlag(k)) flagData.set(k, v);
    else flagValues.set(k, convert(BY_NAME.get(k)!, v, {}));
  }
  toOverrides(flagValues, out);
  addDataOverrides(out, dataFlagOverrides(flagData));
  const preset = out.control.get("preset") as string | undefined;
  if (preset !== undefined && preset !== "none" && preset !== "list" && !TRADING_PRESETS[preset]) {
    throw new ConfigError(
      `--preset must be one of none, list, ${Object.keys(TRADING_PRESETS).join(", ")} (got ${
        JSON.stringify(preset)
      })`,
      { parameter: "preset" },
      "--preset list shows them",
    );
  }
  return out;
}

const FIELD_NAMES: Record<string, string> = {
  enabled: "enabled",
  weight: "weight",
  threshold: "threshold",
  thresholdbars: "thresholdBars",
  "threshold-bars": "thresholdBars",
};

/**
 * Parse a `--reward` string (`drawdown=off,sharpe=off,pnl=100,duration.thresholdBars=20`) into
 * reward overrides. `TERM=off|on` switches a term, `TERM=<number>` sets its weight and switches
 * it on, `TERM.FIELD=<value>` sets one field. Throws a {@link ConfigError} naming the bad part.
 */
export function parseRewardSpec(spec: string): RewardOverrides {
  const out: Record<string, Record<string, unknown>> = {};
  const parts = spec.split(",").map((x) => x.trim()).filter((x) => x.length > 0);
  if (parts.length === 0) throw new ConfigError("empty reward specification", {});
  const bool = (v: string): boolean | null =>
    ["on", "true", "1", "yes"].includes(v)
      ? true
      : ["off", "false", "0", "no"].includes(v)
      ? false
      : null;
  for (const part of parts) {
    const m = /^([A-Za-z_]+)(?:\.([A-Za-z_-]+))?=(.+)$/.exec(part);
    if (!m) {
      throw new ConfigError(
        `cannot parse "${part}" (expected TERM=VALUE or TERM.FIELD=VALUE)`,
        { parameter: "reward" },
        `e.g. --reward drawdown=off,pnl=100; terms: ${REWARD_TERMS.join(", ")}`,
      );
    }
    const [, term, rawField, rawValue] = m;
    if (!(REWARD_TERMS as readonly string[]).includes(term)) {
      throw new ConfigError(
        `unknown reward term "${term}"`,
        { parameter: `reward.${term}` },
        `known terms: ${REWARD_TERMS.join(", ")}`,
      );
    }
    const value = rawValue.trim().toLowerCase();
    const t = out[term] ??= {};
    if (rawField === undefined) {
      const b = bool(value);
      const n = Number(value);
      if (b !== null && !/^[01]$/.test(value)) t.enabled = b;
      else if (value !== "" && Number.isFinite(n)) {
        t.weight = n;
        t.enabled = true;
      } else {
        throw new ConfigError(
          `reward.${term}: expected on, off or a number, got "${rawValue}"`,
          { parameter: `reward.${term}` },
          "e.g. drawdown=off or pnl=100",
        );
      }
      continue;
    }
    const field = FIELD_NAMES[rawField.toLowerCase()];
    if (!field || !(field in (resolveRewardConfig()[term as keyof RewardConfig]))) {
      const fields = Object.keys(resolveRewardConfig()[term as keyof RewardConfig]);
      throw new ConfigError(
        `reward term "${term}" has no field "${rawField}"`,
        { parameter: `reward.${term}.${rawField}` },
        `fields of ${term}: ${fields.join(", ")}`,
      );
    }
    if (field === "enabled") {
      const b = bool(value);
      if (b === null) {
        throw new ConfigError(
          `reward.${term}.enabled: expected on or off, got "${rawValue}"`,
          { parameter: `reward.${term}.enabled` },
        );
      }
      t.enabled = b;
    } else {
      const n = Number(value);
      if (value === "" || !Number.isFinite(n)) {
        throw new ConfigError(
          `reward.${term}.${field}: expected a number, got "${rawValue}"`,
          { parameter: `reward.${term}.${field}` },
        );
      }
      t[field] = n;
    }
  }
  return out as RewardOverrides;
}

/** The option values (by --help name) a preset sets. */
export function presetOptionValues(preset: Readonly<TradingPreset>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const o of OPTIONS) {
    if (!o.path || o.name === "reward") continue;
    const v = getPath(preset.config, o.path);
    if (v !== undefined) out.set(o.name, Array.isArray(v) ? [...v] : v);
  }
  return out;
}

/** `--preset list`: every preset with the values it sets. */
export function presetListText(): string {
  const lines: string[] = [];
  for (const p of Object.values(TRADING_PRESETS)) {
    lines.push(`${p.name}: ${p.description}`);
    for (const [k, v] of presetOptionValues(p)) {
      lines.push(`  --${k.padEnd(16)} ${Array.isArray(v) ? v.join(",") : String(v)}`);
    }
    const r = resolveRewardConfig(p.config.reward ?? {});
    const terms = REWARD_TERMS.map((t) => r[t].enabled ? `${t}=${r[t].weight}` : `${t}=off`).join(
      ",",
    );
    lines.push(`  --${"reward".padEnd(16)} ${terms}`);
    lines.push("");
  }
  lines.push("Any flag (or --config key) given with --preset overrides the preset's value.");
  lines.push("Every other value is the specification's default (see --help).");
  return lines.join("\n");
}

/** Exit code of a process stopped by `signal` (128 + its number, as a shell reports it). */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * SIGINT (Ctrl-C) and SIGTERM request a clean stop: training finishes the current update, saves
 * the final model and a checkpoint and marks the manifest `interrupted`; the process then exits
 * 130 / 143. A second signal exits at once without saving.
 */
function stopOnSignals(): AbortSignal {
  const abort = new AbortController();
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(name, () => {
      if (abort.signal.aborted) {
        console.error(`\n${name} again: exiting without saving`);
        Deno.exit(SIGNAL_EXIT[name]);
      }
      console.error(
        `\n${name}: stopping; once training has started, after the current update, with a ` +
          `checkpoint (send ${name === "SIGINT" ? "Ctrl-C" : name} again to quit without saving)`,
      );
      abort.abort(name);
    });
  }
  return abort.signal;
}

async function main(): Promise<void> {
  const { control, overrides } = await parseCommandLine(Deno.args);
  if (control.get("help")) {
    console.log(helpText());
    return;
  }
  const preset = control.get("preset") as string | undefined;
  if (preset === "list") {
    console.log(presetListText());
    return;
  }
  const signal = stopOnSignals();
  const res = await trainRun(overrides, {
    signal,
    preset: preset === undefined || preset === "none" ? undefined : preset,
    out: control.has("out") ? resolveUserPath(control.get("out") as string) : undefined,
    resume: control.get("resume") === undefined || control.get("resume") === "none"
      ? undefined
      : resolveUserPath(control.get("resume") as string),
    progress: !(control.get("no-progress") ?? false),
    ...(control.has("signals-cache")
      ? { signalsCache: control.get("signals-cache") as string | null }
      : {}),
  });
  console.log(summaryText(res, {
    agent: res.config.agent,
    engine: res.config.engine,
    preset: res.config.preset ?? undefined,
    metric: res.config.evaluation.metric,
  }));
}

/**
 * Fill each config-backed option's `def` from the defaults (when every agent has the same
 * value) or append every agent's default to its help (when they differ).
 */
function withDefaults(options: Opt[], defaults: (agent: AgentName) => RunConfig): Opt[] {
  const show = (v: unknown): string =>
    v === null
      ? "none"
      : Array.isArray(v)
      ? v.join(",")
      : typeof v === "object"
      ? "spec"
      : String(v);
  return options.map((o) => {
    if (!o.path) return o;
    const per = AGENT_NAMES.map((a) => {
      const v = getPath(defaults(a), o.path!);
      return o.kind === "onoff" && typeof v === "boolean" ? (v ? "on" : "off") : show(v);
    });
    if (o.name === "agent") return { ...o, def: "ppo" };
    if (per.every((v) => v === per[0])) return { ...o, def: per[0] };
    const list = AGENT_NAMES.map((a, i) => `${a} ${per[i] === "none" ? "n/a" : per[i]}`).join("; ");
    return { ...o, help: `${o.help} (default: ${list})` };
  });
}

function evalQualified(res: Awaited<ReturnType<typeof trainRun>>): boolean | null {
  const q = res.evaluations.map((e) => (e as { qualified?: boolean }).qualified);
  return q.length === 0 ? null : q.some((x) => x === true);
}

/** The closing summary printed by `deno task train` (stdout). */
export function summaryText(
  res: Awaited<ReturnType<typeof trainRun>>,
  info: { agent: string; engine: string; preset?: string; metric?: string },
): string {
  const num = (x: number | null | undefined, d: number, sign = false): string =>
    x === null || x === undefined || !Number.isFinite(x)
      ? "n/a"
      : (sign && x > 0 ? "+" : "") + x.toLocaleString("en-US", {
        minimumFractionDigits: d,
        maximumFractionDigits: d,
      });
  type R = Awaited<ReturnType<typeof trainRun>>["validation"]["final"];
  const pct = (r: R | null) => r?.totalReturn == null ? null : r.totalReturn * 100;
  const row = (name: string, r: R | null) =>
    r
      ? `  ${name.padEnd(13)}${num(pct(r), 2, true).padStart(10)}${num(r.sharpe, 2).padStart(9)}${
        num(r.trades, 0).padStart(8)
      }${num(r.finalEquity, 2).padStart(15)}${num(r.meanReturn, 1).padStart(13)}`
      : `  ${name.padEnd(13)}${"(none)".padStart(10)}`;
  const v = res.validation;
  const final = pct(v.final);
  const vs = (name: string, r: R) => {
    const d = final === null || pct(r) === null ? null : final - pct(r)!;
    return `vs ${name} (${num(pct(r), 2, true)} %): ${
      d === null ? "n/a" : `${num(d, 2, true)} points${d > 0 ? ", better" : d < 0 ? ", worse" : ""}`
    }`;
  };
  const t = res.train;
  return [
    "",
    `trained ${info.agent}${info.preset ? ` (preset ${info.preset})` : ""} for ${
      t.timesteps.toLocaleString("en-US")
    } steps in ${t.seconds.toFixed(1)} s (${
      Math.round(t.timesteps / t.seconds).toLocaleString("en-US")
    } steps/s, engine ${info.engine}, backend ${res.backend})` +
    (res.stoppedEarly ? " — stopped early" : ""),
    res.config.maskActions
      ? "invalid actions masked in training and evaluation (MaskablePPO-style; --mask-actions off = the specification's plain PPO)"
      : "no action masking (--mask-actions off): invalid actions reached the env as no-ops",
    "",
    `validation split (${
      (res.setup.split.validation.end - res.setup.split.validation.start).toLocaleString("en-US")
    } bars, deterministic policy; return = final / initial equity − 1, fees and funding included;`,
    "Sharpe annualised from per-bar equity returns; trades = closed trades; reward = env reward sum):",
    `  ${"".padEnd(13)}${"return %".padStart(10)}${"Sharpe".padStart(9)}${"trades".padStart(8)}${
      "final equity".padStart(15)
    }${"reward".padStart(13)}`,
    row("final model", v.final),
    row("best model", v.best),
    row("always flat", v.flat),
    row("random", v.random),
    `  final model ${num(final, 2, true)} % ${vs("always flat", v.flat)}; ${
      vs("random", v.random)
    }`,
    ...(v.final.lengths[0] < v.flat.lengths[0]
      ? [
        `  the final model's episode ended after ${v.final.lengths[0].toLocaleString("en-US")} of ${
          v.flat.lengths[0].toLocaleString("en-US")
        } bars (equity ruin or liquidation)`,
      ]
      : []),
    v.best
      ? `  best model = highest validation ${
        info.metric ?? "sharpe"
      } among the evaluations during ` +
        `training with ≥ ${res.config.evaluation.minTrades} trades and ≥ ${
          (res.config.evaluation.minExposure * 100).toFixed(0)
        } % exposure${
          res.train && evalQualified(res) === false
            ? " (NONE qualified: kept the best of the rest)"
            : ""
        }: chosen ON this split, so its figures are optimistic; judge it with deno task evaluate ${res.runDir}`
      : "  (no best model: no evaluation ran during training)",
    "",
    `saved: ${res.runDir}  (config.json, manifest.json, metrics.jsonl, best/, checkpoints/)`,
    `  notebook:    const run = await loadRun("${res.runDir}")`,
    `  TensorBoard: tensorboard --logdir ${res.runDir}   (then open http://localhost:6006)`,
  ].join("\n");
}

if (import.meta.main) {
  await runCli(async () => {
    try {
      await main();
    } catch (e) {
      if (!(e instanceof TrainingInterruptedError)) throw e;
      console.error(e.message);
      Deno.exit(SIGNAL_EXIT[e.reason] ?? 130);
    }
  });
}
