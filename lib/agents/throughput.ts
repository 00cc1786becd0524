/**
 * Training-throughput measurement for the benchmark (`bench/train_bench.ts`): run PPO or A2C
 * with given hyperparameters for a fixed number of env steps and report env steps per second
 * and where the time went (rollout collection vs gradient steps).
 *
 * @module
 */
import { Rng } from "../util/mod.ts";
import {
  Box,
  Discrete,
  type Env,
  type ResetOptions,
  type ResetResult,
  type StepResult,
  type VecEnv,
} from "../env/mod.ts";
import type { ActorCriticEngine } from "./engines/engine.ts";
import { type PpoOptions, trainPpo } from "./ppo.ts";
import { type A2cOptions, trainA2c } from "./a2c.ts";

/** Result of {@link measureTrainingThroughput}. */
export interface ThroughputResult {
  algorithm: "ppo" | "a2c";
  /** Which engine trained. */
  engine: string;
  /** Environment steps taken. */
  timesteps: number;
  /** Wall-clock seconds of the whole `train` call. */
  seconds: number;
  /** Training env steps per second (timesteps / seconds). */
  stepsPerSecond: number;
  /** Fraction (0–1) of the time spent collecting rollouts (env steps + inference). */
  rolloutShare: number;
}

/**
 * Train `engine` on `env` for `options.timesteps` env steps with PPO or A2C (the other
 * hyperparameters default to the specification's: PPO 2048/64/10, A2C n_steps 5) and time it.
 */
export async function measureTrainingThroughput(
  algorithm: "ppo" | "a2c",
  env: VecEnv,
  options: {
    engine: ActorCriticEngine;
    timesteps: number;
    seed?: number;
    ppo?: Omit<PpoOptions, "totalTimesteps">;
    a2c?: Omit<A2cOptions, "totalTimesteps">;
  },
): Promise<ThroughputResult> {
  const seed = options.seed ?? 0;
  const t0 = performance.now();
  const res = algorithm === "ppo"
    ? await trainPpo(env, options.engine, {
      ...options.ppo,
      totalTimesteps: options.timesteps,
      seed,
    })
    : await trainA2c(env, options.engine, {
      ...options.a2c,
      totalTimesteps: options.timesteps,
      seed,
    });
  const seconds = (performance.now() - t0) / 1000;
  return {
    algorithm,
    engine: options.engine.engine,
    timesteps: res.timesteps,
    seconds,
    stepsPerSecond: res.timesteps / seconds,
    rolloutShare: res.rolloutSeconds / seconds,
  };
}

/**
 * A cheap synthetic env for engine benchmarks: `obsDim` (default 20) standard-normal features,
 * Discrete(`nActions`, default 6), reward = obs[action] (so there is something to learn),
 * truncated every `episodeLength` (default 1000) steps. Its step cost is negligible, so the
 * measured throughput is the agent's.
 */
export class RandomFeatureEnv implements Env<number> {
  readonly observationSpace: Box;
  readonly actionSpace: Discrete;
  readonly episodeLength: number;
  #rng = new Rng(0);
  #obs: Float64Array;
  #t = 0;
  #result: StepResult;

  /** @param options `obsDim` (20), `nActions` (6), `episodeLength` (1000 steps). */
  constructor(options: { obsDim?: number; nActions?: number; episodeLength?: number } = {}) {
    const d = options.obsDim ?? 20;
    this.observationSpace = new Box(-Infinity, Infinity, d);
    this.actionSpace = new Discrete(options.nActions ?? 6);
    this.episodeLength = options.episodeLength ?? 1000;
    this.#obs = new Float64Array(d);
    this.#result = {
      observation: this.#obs,
      reward: 0,
      terminated: false,
      truncated: false,
      info: {},
    };
  }

  #draw(): void {
    for (let i = 0; i < this.#obs.length; i++) this.#obs[i] = this.#rng.normal();
  }

  reset(opts: ResetOptions = {}): ResetResult {
    if (opts.seed !== undefined) this.#rng = new Rng(opts.seed);
    this.#t = 0;
    this.#draw();
    return { observation: this.#obs, info: {} };
  }

  step(action: number): StepResult {
    const r = this.#result;
    r.reward = this.#obs[action % this.#obs.length];
    this.#t++;
    this.#draw();
    r.terminated = false;
    r.truncated = this.#t >= this.episodeLength;
    return r;
  }
}
