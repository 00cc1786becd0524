/**
 * `deno task train`: train PPO, A2C or GRPO on the futures env, evaluate on the validation
 * split, and save a run folder (`models/<run-id>/`) with checkpoints, the best model,
 * metrics.jsonl and TensorBoard event files. `--help` lists every option with its default.
 *
 * Precedence of option values: the specification's defaults < `--preset` < `--config` file <
 * command-line flags (`--resume` fills what none of these gives from the run's config.json).
 * `--reward` overrides are merged term by term in the same order.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, runCli } from "../lib/util/mod.ts";
import {
  mergeRewardOverrides,
  TRADING_PRESETS,
  type TradingPreset,
  tradingPreset,
  trainRun,
  type TrainRunOptions,
} from "../lib/experiment/mod.ts";
import {
  resolveRewardConfig,
  REWARD_TERMS,
  type RewardConfig,
  type RewardOverrides,
} from "../lib/env/mod.ts";

type Kind = "int" | "number" | "string" | "bool" | "list" | "nullable-number" | "reward";

/** One command-line option. */
export interface Opt {
  name: string;
  kind: Kind;
  /** Default shown in --help; `undefined` = per-agent or none. */
  def?: string;
  help: string;
  choices?: string[];
  group: string;
}

/** Every option of `deno task train`. Defaults are the specification's (SB3's PPO/A2C settings in 000_…). */
export const OPTIONS: Opt[] = [
  {
    name: "agent",
    kind: "string",
    def: "ppo",
    choices: ["ppo", "a2c", "grpo"],
    help: "algorithm",
    group: "run",
  },
  {
    name: "timesteps",
    kind: "int",
    help: "environment steps to train (default: ppo 1,000,000; a2c 500,000; grpo 200,000)",
    group: "run",
  },
  {
    name: "data",
    kind: "string",
    def: "synthetic",
    help: "`synthetic` (seeded default market) or a CSV/zip/Parquet file or folder",
    group: "data",
  },
  {
    name: "bars",
    kind: "int",
    def: "52560",
    help: "synthetic market: number of bars (5-minute bars)",
    group: "data",
  },
  { name: "data-seed", kind: "int", def: "42", help: "synthetic market seed", group: "data" },
  {
    name: "signals",
    kind: "string",
    def: "ml",
    choices: ["ml", "none"],
    help: "ML signal inputs: walk-forward out-of-sample model, or none (zeros)",
    group: "data",
  },
  {
    name: "episode-length",
    kind: "int",
    def: "2048",
    help: "steps per training episode (random start in the training split)",
    group: "data",
  },
  {
    name: "seed",
    kind: "int",
    def: "0",
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
    kind: "reward",
    def: "spec",
    help: "reward-term overrides, e.g. drawdown=off,sharpe=off,pnl=100,duration.thresholdBars=20",
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
    kind: "string",
    def: "auto",
    choices: ["auto", "tensorflow", "wasm", "cpu"],
    help: "tfjs backend for --engine tfjs and model export (auto: tensorflow → wasm → cpu)",
    group: "compute",
  },
  {
    name: "engine",
    kind: "string",
    def: "fast",
    choices: ["fast", "tfjs"],
    help: "actor-critic engine: fast (Float64Array, analytic gradients) or tfjs (autodiff)",
    group: "compute",
  },
  { name: "n-envs", kind: "int", def: "1", help: "parallel training envs", group: "compute" },
  {
    name: "hidden",
    kind: "list",
    def: "64,64",
    help: "hidden layer widths of the policy and value nets",
    group: "network",
  },
  {
    name: "norm-obs",
    kind: "bool",
    def: "false",
    help: "running observation normalisation (VecNormalize), saved with the model",
    group: "network",
  },
  {
    name: "norm-reward",
    kind: "bool",
    def: "false",
    help: "return-based reward scaling (VecNormalize)",
    group: "network",
  },
  {
    name: "lr",
    kind: "number",
    help: "learning rate (default: ppo/grpo 3e-4, a2c 7e-4)",
    group: "algorithm",
  },
  {
    name: "anneal-lr",
    kind: "bool",
    def: "false",
    help: "linearly anneal the learning rate to 0 (the spec/SB3 keeps it constant)",
    group: "algorithm",
  },
  {
    name: "n-steps",
    kind: "int",
    help: "steps per env per rollout (default: ppo 2048, a2c 5)",
    group: "algorithm",
  },
  {
    name: "batch-size",
    kind: "int",
    help: "minibatch size (default: ppo 64, grpo 256)",
    group: "algorithm",
  },
  {
    name: "n-epochs",
    kind: "int",
    help: "epochs per update (default: ppo 10, grpo 4)",
    group: "algorithm",
  },
  { name: "gamma", kind: "number", def: "0.99", help: "discount per step", group: "algorithm" },
  {
    name: "gae-lambda",
    kind: "number",
    help: "GAE λ (default: ppo 0.95, a2c 1.0)",
    group: "algorithm",
  },
  {
    name: "clip-range",
    kind: "number",
    def: "0.2",
    help: "PPO/GRPO ratio clip ε",
    group: "algorithm",
  },
  {
    name: "clip-range-vf",
    kind: "nullable-number",
    def: "none",
    help: "PPO value clip ε_v (none = off)",
    group: "algorithm",
  },
  {
    name: "ent-coef",
    kind: "number",
    def: "0.01",
    help: "entropy bonus coefficient",
    group: "algorithm",
  },
  {
    name: "vf-coef",
    kind: "number",
    def: "0.5",
    help: "value-loss coefficient",
    group: "algorithm",
  },
  {
    name: "max-grad-norm",
    kind: "number",
    def: "0.5",
    help: "global gradient-norm clip",
    group: "algorithm",
  },
  {
    name: "target-kl",
    kind: "nullable-number",
    def: "none",
    help: "PPO: stop an update's epochs once approx-KL exceeds this",
    group: "algorithm",
  },
  {
    name: "group-size",
    kind: "int",
    def: "16",
    help: "GRPO: rollouts per group (same start state)",
    group: "grpo",
  },
  { name: "horizon", kind: "int", def: "64", help: "GRPO: steps per group rollout", group: "grpo" },
  {
    name: "kl-coef",
    kind: "number",
    def: "0.04",
    help: "GRPO: KL penalty β to the reference policy",
    group: "grpo",
  },
  {
    name: "eval-freq",
    kind: "int",
    def: "10000",
    help: "evaluate on the validation split every N steps (0 = only at the end)",
    group: "evaluation",
  },
  {
    name: "eval-episodes",
    kind: "int",
    def: "1",
    help: "evaluation episodes (1 = the whole validation split once)",
    group: "evaluation",
  },
  {
    name: "metric",
    kind: "string",
    def: "sharpe",
    choices: ["sharpe", "mean_return"],
    help: "best-model / early-stopping metric on validation",
    group: "evaluation",
  },
  {
    name: "patience",
    kind: "int",
    def: "0",
    help: "early stop after N evaluations without improvement (0 = off)",
    group: "evaluation",
  },
  {
    name: "checkpoint-freq",
    kind: "int",
    def: "50000",
    help: "checkpoint every N steps (0 = off)",
    group: "evaluation",
  },
  {
    name: "keep-checkpoints",
    kind: "int",
    help: "keep only the newest N checkpoints (default: all)",
    group: "evaluation",
  },
  { name: "no-progress", kind: "bool", def: "false", help: "no progress bar", group: "run" },
  { name: "help", kind: "bool", def: "false", help: "show this help", group: "run" },
];

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
    "  deno task train --agent a2c --timesteps 200000 --seed 1 --out models/a2c-demo",
    "  deno task train --resume models/a2c-demo --timesteps 400000",
    "  tensorboard --logdir models/",
  );
  return lines.join("\n");
}

function convert(o: Opt, raw: unknown, where: { file?: string }): unknown {
  const fail = (what: string) => {
    throw new ConfigError(`--${o.name}: ${what}, got ${JSON.stringify(raw)}`, {
      ...where,
      parameter: o.name,
    }, "see --help");
  };
  switch (o.kind) {
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      return fail("expected true or false");
    case "int": {
      const v = typeof raw === "number" ? raw : Number(String(raw).replaceAll("_", ""));
      if (!Number.isInteger(v) || v < 0) fail("expected a non-negative integer");
      return v;
    }
    case "number": {
      const v = typeof raw === "number" ? raw : Number(raw);
      if (!Number.isFinite(v)) fail("expected a number");
      return v;
    }
    case "nullable-number": {
      if (raw === null || raw === "none" || raw === "null") return null;
      const v = typeof raw === "number" ? raw : Number(raw);
      if (!Number.isFinite(v) || v <= 0) fail("expected a positive number or none");
      return v;
    }
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
      const v = parts.map((x) => Number(x));
      if (v.length === 0 || v.some((x) => !Number.isInteger(x) || x < 1)) {
        fail("expected positive integers like 64,64");
      }
      return v;
    }
    default: {
      const s = String(raw);
      if (o.choices && !o.choices.includes(s)) fail(`expected one of ${o.choices.join(", ")}`);
      return s;
    }
  }
}

/** Parse argv (+ optional --config file) into option values by name. */
async function parse(argv: string[]): Promise<Map<string, unknown>> {
  const spec: Record<string, { type: "string" | "boolean" }> = {};
  for (const o of OPTIONS) spec[o.name] = { type: o.kind === "bool" ? "boolean" : "string" };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false });
  } catch (e) {
    throw new ConfigError(
      (e as Error).message.replace(/\. To specify.*$/, ""),
      {},
      "run deno task train --help",
    );
  }
  const values = new Map<string, unknown>();
  const cfgPath = parsed.values.config as string | undefined;
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
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
      const name = k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`); // camelCase accepted too
      const o = BY_NAME.get(name);
      if (!o || name === "config" || name === "help") {
        throw new ConfigError(
          `unknown option "${k}"`,
          { file: cfgPath, parameter: k },
          "keys are the --help option names",
        );
      }
      values.set(name, convert(o, v, { file: cfgPath }));
    }
  }
  for (const [k, v] of Object.entries(parsed.values)) {
    if (v === undefined || k === "config") continue;
    const c = convert(BY_NAME.get(k)!, v, {});
    values.set(
      k,
      k === "reward"
        ? mergeRewardOverrides(values.get(k) as RewardOverrides, c as RewardOverrides)
        : c,
    );
  }
  // --resume: the run's saved config.json supplies every option not given now.
  const resume = values.get("resume") as string | undefined;
  if (resume) {
    const path = `${resume}/config.json`;
    let saved: Record<string, unknown>;
    try {
      saved = JSON.parse(await Deno.readTextFile(path));
    } catch (e) {
      throw new ConfigError(
        `cannot resume: ${(e as Error).message}`,
        { file: path },
        "--resume takes a run folder written by deno task train",
      );
    }
    for (const [k, v] of Object.entries(saved)) {
      const o = BY_NAME.get(k);
      if (!o || values.has(k) || ["out", "resume", "help", "config"].includes(k)) continue;
      values.set(k, convert(o, v, { file: path }));
    }
  }
  applyPreset(values);
  return values;
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
  const h = preset.hyper;
  return new Map<string, unknown>([
    ["agent", "ppo"],
    ["timesteps", preset.timesteps],
    ["n-envs", preset.nEnvs],
    ["norm-obs", preset.normObs],
    ["norm-reward", preset.normReward],
    ["hidden", [...preset.hidden]],
    ["episode-length", preset.episodeLength],
    ["lr", h.learningRate],
    ["anneal-lr", h.annealLr],
    ["n-steps", h.nSteps],
    ["batch-size", h.batchSize],
    ["n-epochs", h.nEpochs],
    ["gamma", h.gamma],
    ["gae-lambda", h.gaeLambda],
    ["clip-range", h.clipRange],
    ["ent-coef", h.entCoef],
    ["vf-coef", h.vfCoef],
    ["max-grad-norm", h.maxGradNorm],
  ]);
}

/**
 * Fill the values a `--preset` sets under those already given (config file, flags, resumed
 * config) and merge its reward under the given one. `--preset none` = no preset.
 */
function applyPreset(values: Map<string, unknown>): void {
  const name = values.get("preset") as string | undefined;
  if (name === undefined || name === "none" || name === "list") return;
  if (!TRADING_PRESETS[name]) {
    throw new ConfigError(
      `--preset: unknown preset "${name}"`,
      { parameter: "preset" },
      `known presets: ${Object.keys(TRADING_PRESETS).join(", ")} (--preset list shows them)`,
    );
  }
  const preset = tradingPreset(name);
  const agent = values.get("agent");
  if (agent !== undefined && agent !== "ppo") {
    throw new ConfigError(
      `--preset ${name} is a PPO preset, but --agent is ${agent}`,
      { parameter: "preset" },
      "drop --agent (or use --agent ppo) with this preset",
    );
  }
  for (const [k, v] of presetOptionValues(preset)) if (!values.has(k)) values.set(k, v);
  values.set(
    "reward",
    mergeRewardOverrides(preset.reward, values.get("reward") as RewardOverrides | undefined),
  );
  if (preset.hyper.normalizeAdvantage !== true) {
    throw new ConfigError(`preset ${name}: normalizeAdvantage must be true (no CLI flag)`, {});
  }
}

/** `--preset list`: every preset with the values it sets. */
export function presetListText(): string {
  const lines: string[] = [];
  for (const p of Object.values(TRADING_PRESETS)) {
    lines.push(`${p.name}: ${p.description}`);
    for (const [k, v] of presetOptionValues(p)) {
      lines.push(`  --${k.padEnd(16)} ${Array.isArray(v) ? v.join(",") : String(v)}`);
    }
    const r = resolveRewardConfig(p.reward);
    const terms = REWARD_TERMS.map((t) => r[t].enabled ? `${t}=${r[t].weight}` : `${t}=off`).join(
      ",",
    );
    lines.push(`  --${"reward".padEnd(16)} ${terms}`);
    lines.push("");
  }
  lines.push("Any flag (or --config key) given with --preset overrides the preset's value.");
  return lines.join("\n");
}

const DEFAULT_TIMESTEPS = { ppo: 1_000_000, a2c: 500_000, grpo: 200_000 } as const;

async function main(): Promise<void> {
  const v = await parse(Deno.args);
  if (v.get("help")) {
    console.log(helpText());
    return;
  }
  if (v.get("preset") === "list") {
    console.log(presetListText());
    return;
  }
  const presetName = v.get("preset") !== undefined && v.get("preset") !== "none"
    ? v.get("preset") as string
    : undefined;
  const get = <T>(name: string): T | undefined => v.get(name) as T | undefined;
  const agent = (get<string>("agent") ?? "ppo") as "ppo" | "a2c" | "grpo";
  const timesteps = get<number>("timesteps") ?? DEFAULT_TIMESTEPS[agent];
  if (!(timesteps > 0)) {
    throw new ConfigError("--timesteps must be > 0", { parameter: "timesteps" });
  }
  const rewardOverrides = (v.get("reward") ?? {}) as RewardOverrides;
  const reward = resolveRewardConfig(rewardOverrides);
  const config: Record<string, unknown> = Object.fromEntries(v);
  config.agent = agent;
  config.timesteps = timesteps;
  config.preset = presetName ?? "none";
  config.reward = reward; // the full resolved reward (defaults merged with the overrides)
  const opts: TrainRunOptions = {
    agent,
    timesteps,
    seed: get<number>("seed") ?? 0,
    out: get<string>("out"),
    resume: get<string>("resume"),
    engine: (get<string>("engine") ?? "fast") as "fast" | "tfjs",
    backend: (get<string>("backend") ?? "auto") as TrainRunOptions["backend"],
    nEnvs: get<number>("n-envs") ?? 1,
    evalFreq: get<number>("eval-freq") ?? 10_000,
    evalEpisodes: get<number>("eval-episodes") ?? 1,
    checkpointFreq: get<number>("checkpoint-freq") ?? 50_000,
    keepCheckpoints: get<number>("keep-checkpoints"),
    patience: get<number>("patience") ?? 0,
    metric: (get<string>("metric") ?? "sharpe") as "sharpe" | "mean_return",
    hidden: get<number[]>("hidden") ?? [64, 64],
    normObs: get<boolean>("norm-obs") ?? false,
    normReward: get<boolean>("norm-reward") ?? false,
    progress: !(get<boolean>("no-progress") ?? false),
    preset: presetName,
    hyper: {
      learningRate: get<number>("lr"),
      annealLr: get<boolean>("anneal-lr") ?? false,
      nSteps: get<number>("n-steps"),
      batchSize: get<number>("batch-size"),
      nEpochs: get<number>("n-epochs"),
      gamma: get<number>("gamma"),
      gaeLambda: get<number>("gae-lambda"),
      clipRange: get<number>("clip-range"),
      clipRangeVf: get<number | null>("clip-range-vf") ?? null,
      entCoef: get<number>("ent-coef"),
      vfCoef: get<number>("vf-coef"),
      maxGradNorm: get<number>("max-grad-norm"),
      targetKl: get<number | null>("target-kl") ?? null,
    },
    grpo: {
      ...(v.has("group-size") ? { groupSize: get<number>("group-size") } : {}),
      ...(v.has("horizon") ? { horizon: get<number>("horizon") } : {}),
      ...(v.has("kl-coef") ? { klCoef: get<number>("kl-coef") } : {}),
      ...(v.has("groups-per-update") ? { groupsPerUpdate: get<number>("groups-per-update") } : {}),
      ...(v.has("advantage") ? { advantage: get<"outcome" | "process">("advantage") } : {}),
    },
    setup: {
      data: get<string>("data") ?? "synthetic",
      bars: get<number>("bars"),
      dataSeed: get<number>("data-seed") ?? 42,
      signals: (get<string>("signals") ?? "ml") as "ml" | "none",
      episodeLength: get<number>("episode-length") ?? 2048,
      reward,
    },
    config,
  };
  for (const [k, val] of Object.entries(opts.hyper!)) {
    if (val === undefined) delete (opts.hyper as Record<string, unknown>)[k];
  }
  const res = await trainRun(opts);
  console.log(summaryText(res, {
    agent,
    engine: opts.engine!,
    preset: presetName,
    metric: opts.metric,
  }));
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
        "training: chosen ON this split, so its figures are optimistic"
      : "  (no best model: no evaluation ran during training)",
    "",
    `saved: ${res.runDir}  (config.json, manifest.json, metrics.jsonl, best/, checkpoints/)`,
    `  notebook:    const run = await loadRun("${res.runDir}")`,
    `  TensorBoard: tensorboard --logdir ${res.runDir}   (then open http://localhost:6006)`,
  ].join("\n");
}

if (import.meta.main) await runCli(main);
