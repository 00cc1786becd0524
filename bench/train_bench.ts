/**
 * Training throughput on the futures env (one env, the specification's hyperparameters:
 * PPO lr 3e-4 constant, n_steps 2048, batch 64, 10 epochs, γ 0.99, λ 0.95, clip 0.2,
 * ent 0.01, vf 0.5, grad-norm 0.5; A2C lr 7e-4, n_steps 5, λ 1, RMSprop), 64×64 tanh nets,
 * both engines. Prints ONE JSON line:
 *
 * `{"bench":"train","ppo_steps_per_s","a2c_steps_per_s","backend","engine","fast_precision",
 *   "rollout_share","engines":{"fast":{…},"fast_float64":{…},"tfjs":{…},"tfjs_cpu":{…}},
 *   "timesteps":{…},"sb3_reference":{…}}`
 *
 * The fast engine runs on its default path (`fast_precision`, float32 WebAssembly SIMD when the
 * kernels load) and on the other one (`engines.fast_float64`, the JavaScript reference), the
 * measurement behind the default.
 *
 * The default engine (fast) trains 50,000 steps per algorithm. tfjs is ~20× slower, so it
 * trains fewer steps (`timesteps.tfjs_*`, override with `--tfjs-steps`) on `wasm` and on `cpu`:
 * steps/s is a rate, but with few PPO updates the share of the first (JIT-cold) update is
 * larger, so its figure is slightly pessimistic. Signals are off (zeros: same 20-dim
 * observation, so the cost is identical) to keep the data setup short.
 *
 * Reference on this machine: Stable-Baselines3 2.3.2 (PyTorch 1.13, CPU) trains 718 PPO and
 * 621 A2C steps/s on the specification's env.
 *
 * Usage: `deno task bench:train [--steps 50000] [--tfjs-steps 8192] [--skip-tfjs]`
 *
 * @module
 */
import { parseFlagsOrExit } from "../lib/util/mod.ts";
import {
  buildEngine,
  DEFAULT_FAST_PRECISION,
  type EngineKind,
  FastEngine,
  type FastPrecision,
  measureTrainingThroughput,
  networkConfigFor,
  selectBackend,
  type ThroughputResult,
  WASM_KERNELS,
} from "../lib/agents/mod.ts";
import { buildTradingSetup } from "../lib/experiment/mod.ts";
import { SyncVecEnv } from "../lib/env/mod.ts";

const args = parseFlagsOrExit(Deno.args, {
  steps: { type: "integer", default: 50000, range: { min: 1 }, description: "fast-engine steps" },
  "tfjs-steps": { type: "integer", default: 8192, range: { min: 1 }, description: "tfjs steps" },
  "skip-tfjs": { type: "boolean", default: false, description: "skip the tfjs engine" },
}, { usage: "usage: deno task bench:train [--steps N] [--tfjs-steps N] [--skip-tfjs]" });
const STEPS = args.values.steps;
const TFJS_STEPS = args.values["tfjs-steps"];

const setup = await buildTradingSetup({ signals: "none" });

/** 1-minute load average (other processes share the cores: figures scale with it). */
function load1(): number | null {
  try {
    return Math.round(Deno.loadavg()[0] * 100) / 100;
  } catch {
    return null;
  }
}
const loadBefore = load1();

async function measure(
  algorithm: "ppo" | "a2c",
  engine: EngineKind,
  timesteps: number,
  precision?: FastPrecision,
): Promise<ThroughputResult> {
  const env = new SyncVecEnv([setup.makeTrainEnv(0)]);
  const net = networkConfigFor(algorithm, { obsDim: env.obsDim, actionSpace: env.actionSpace });
  const e = precision ? new FastEngine(net, { seed: 0, precision }) : buildEngine(engine, net, {
    seed: 0,
  });
  try {
    return await measureTrainingThroughput(algorithm, env, {
      engine: e,
      timesteps,
      seed: 0,
      ppo: { annealLr: false }, // the specification (SB3) keeps the learning rate constant
      a2c: {},
    });
  } finally {
    e.dispose();
  }
}

function summary(ppo: ThroughputResult, a2c: ThroughputResult) {
  const r = (x: number) => Math.round(x);
  const s = (x: number) => Math.round(x * 1000) / 1000;
  return {
    ppo_steps_per_s: r(ppo.stepsPerSecond),
    a2c_steps_per_s: r(a2c.stepsPerSecond),
    ppo_rollout_share: s(ppo.rolloutShare),
    a2c_rollout_share: s(a2c.rolloutShare),
    ppo_seconds: s(ppo.seconds),
    a2c_seconds: s(a2c.seconds),
  };
}

const { backend } = await selectBackend("auto");
const fastPpo = await measure("ppo", "fast", STEPS, DEFAULT_FAST_PRECISION);
const fastA2c = await measure("a2c", "fast", STEPS, DEFAULT_FAST_PRECISION);
const engines: Record<string, unknown> = {
  fast: { precision: DEFAULT_FAST_PRECISION, ...summary(fastPpo, fastA2c) },
};
// the other arithmetic path of the fast engine, for the choice of the default
const other: FastPrecision = DEFAULT_FAST_PRECISION === "float32" ? "float64" : "float32";
if (other === "float64" || WASM_KERNELS) {
  engines[`fast_${other}`] = {
    precision: other,
    ...summary(
      await measure("ppo", "fast", STEPS, other),
      await measure("a2c", "fast", STEPS, other),
    ),
  };
}
if (!args.values["skip-tfjs"]) {
  for (const b of backend === "cpu" ? ["cpu"] : [backend, "cpu"]) {
    await selectBackend(b as "wasm" | "cpu");
    const p = await measure("ppo", "tfjs", TFJS_STEPS);
    const a = await measure("a2c", "tfjs", Math.min(TFJS_STEPS, 5000));
    engines[b === backend ? "tfjs" : `tfjs_${b}`] = { backend: b, ...summary(p, a) };
  }
}

console.log(JSON.stringify({
  bench: "train",
  ppo_steps_per_s: Math.round(fastPpo.stepsPerSecond),
  a2c_steps_per_s: Math.round(fastA2c.stepsPerSecond),
  backend,
  engine: "fast",
  fast_precision: DEFAULT_FAST_PRECISION,
  rollout_share: Math.round(fastPpo.rolloutShare * 1000) / 1000,
  engines,
  timesteps: {
    fast_ppo: STEPS,
    fast_a2c: STEPS,
    tfjs_ppo: args.values["skip-tfjs"] ? 0 : TFJS_STEPS,
    tfjs_a2c: args.values["skip-tfjs"] ? 0 : Math.min(TFJS_STEPS, 5000),
  },
  env:
    `FuturesTradingEnv, ${setup.market.time.length} synthetic ${setup.market.interval} bars, 1 env, episode ${setup.episodeLength} steps, signals off`,
  sb3_reference: { ppo_steps_per_s: 718, a2c_steps_per_s: 621 },
  cpus: navigator.hardwareConcurrency,
  load_average_1m: { before: loadBefore, after: load1() },
  speedup_vs_sb3: {
    ppo: Math.round(fastPpo.stepsPerSecond / 718 * 100) / 100,
    a2c: Math.round(fastA2c.stepsPerSecond / 621 * 100) / 100,
  },
}));
