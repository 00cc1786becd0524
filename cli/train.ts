/**
 * `deno task train`: train PPO, A2C or GRPO on the futures env, evaluate on the validation
 * split, and save a run folder (`models/<run-id>/`) with checkpoints, the best model,
 * metrics.jsonl and TensorBoard event files. `--help` lists every option with its default.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, runCli } from "../lib/util/errors.ts";
import { trainRun, type TrainRunOptions } from "../lib/agents/train_run.ts";

type Kind = "int" | "number" | "string" | "bool" | "list" | "nullable-number";

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
    "examples:",
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
    values.set(k, convert(BY_NAME.get(k)!, v, {}));
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
  return values;
}

const DEFAULT_TIMESTEPS = { ppo: 1_000_000, a2c: 500_000, grpo: 200_000 } as const;

async function main(): Promise<void> {
  const v = await parse(Deno.args);
  if (v.get("help")) {
    console.log(helpText());
    return;
  }
  const get = <T>(name: string): T | undefined => v.get(name) as T | undefined;
  const agent = (get<string>("agent") ?? "ppo") as "ppo" | "a2c" | "grpo";
  const timesteps = get<number>("timesteps") ?? DEFAULT_TIMESTEPS[agent];
  if (!(timesteps > 0)) {
    throw new ConfigError("--timesteps must be > 0", { parameter: "timesteps" });
  }
  const config: Record<string, unknown> = Object.fromEntries(v);
  config.agent = agent;
  config.timesteps = timesteps;
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
    },
    config,
  };
  for (const [k, val] of Object.entries(opts.hyper!)) {
    if (val === undefined) delete (opts.hyper as Record<string, unknown>)[k];
  }
  const res = await trainRun(opts);
  const fmt = (
    x: number | null | undefined,
    d = 3,
  ) => (x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(d));
  const row = (
    name: string,
    r: { meanReturn: number; sharpe: number | null; finalEquity: number | null } | null,
  ) =>
    r
      ? `  ${name.padEnd(14)} return ${fmt(r.meanReturn).padStart(10)}   Sharpe ${
        fmt(r.sharpe).padStart(8)
      }   final equity ${fmt(r.finalEquity, 2)}`
      : `  ${name.padEnd(14)} (none)`;
  console.log(
    [
      `trained ${agent} for ${res.train.timesteps.toLocaleString("en-US")} steps in ${
        res.train.seconds.toFixed(1)
      } s ` +
      `(${
        Math.round(res.train.timesteps / res.train.seconds).toLocaleString("en-US")
      } steps/s, engine ${opts.engine}, backend ${res.backend})` +
      (res.stoppedEarly ? " — stopped early" : ""),
      `validation split (deterministic):`,
      row("final model", res.validation.final),
      row("best model", res.validation.best),
      row("always flat", res.validation.flat),
      row("random", res.validation.random),
      `saved: ${res.runDir}  (load: loadRun("${res.runDir}"); tensorboard --logdir ${res.runDir})`,
    ].join("\n"),
  );
}

if (import.meta.main) await runCli(main);
