/**
 * The learning-proof tasks shared by `agents_fast_learning_test.ts` and
 * `agents_tfjs_learning_e2e_test.ts`, so both engines are held to the same tasks, hyperparameters
 * and scoring (not a test file itself).
 */
import type { Callback } from "../lib/agents/callbacks.ts";
import { linearSchedule } from "../lib/agents/common.ts";
import type { Policy } from "../lib/env/policy.ts";
import type { PpoOptions } from "../lib/agents/ppo.ts";
import type { GrpoOptions } from "../lib/agents/grpo.ts";
import { CartPoleEnv, OffsetMatchEnv, PointMassEnv } from "../lib/env/classic_control.ts";

/** rl-baselines3-zoo's CartPole-v1 PPO settings (8 envs; seed and budget set by the test). */
export const ZOO_CARTPOLE_PPO: Omit<PpoOptions, "totalTimesteps"> = {
  nSteps: 32,
  batchSize: 256,
  nEpochs: 20,
  gamma: 0.98,
  gaeLambda: 0.8,
  learningRate: linearSchedule(1e-3),
  annealLr: true,
  clipRange: linearSchedule(0.2),
  entCoef: 0,
};

/** Gaussian PPO on the point-mass task (8 envs, 50k steps). */
export const POINT_MASS_PPO: Omit<PpoOptions, "totalTimesteps"> = {
  nSteps: 64,
  batchSize: 128,
  nEpochs: 10,
  gamma: 0.95,
  gaeLambda: 0.95,
  learningRate: 1e-3,
  annealLr: true, // linear decay to 0, as these proofs were calibrated with
  entCoef: 0,
};

/** GRPO on the offset-match task (4-step episodes = the horizon). */
export const OFFSET_MATCH_GRPO: Omit<GrpoOptions, "totalTimesteps" | "advantage"> = {
  horizon: 4,
  groupsPerUpdate: 16,
  learningRate: 1e-3,
};

/** Mean return of `episodes` deterministic CartPole episodes (seeds 10_000 + k). */
export function evaluateCartPole(policy: Policy, episodes = 20): number {
  const env = new CartPoleEnv();
  let total = 0;
  for (let k = 0; k < episodes; k++) {
    let obs = env.reset({ seed: 10_000 + k }).observation;
    for (;;) {
      const r = env.step(policy.act(obs, { deterministic: true }).actions[0]);
      total += r.reward;
      obs = r.observation;
      if (r.terminated || r.truncated) break;
    }
  }
  return total / episodes;
}

/** Stops training once the deterministic CartPole score reaches `target`; records when. */
export function solvedStopper(
  policy: Policy,
  target: number,
  everySteps: number,
): { cb: Callback; state: { solvedAt: number; best: number; lastEval: number } } {
  const state = { solvedAt: -1, best: -Infinity, lastEval: 0 };
  const cb: Callback = {
    onUpdate(ctx) {
      if (ctx.timesteps - state.lastEval < everySteps) return;
      state.lastEval = ctx.timesteps;
      const score = evaluateCartPole(policy);
      state.best = Math.max(state.best, score);
      if (score >= target) {
        state.solvedAt = ctx.timesteps;
        return false;
      }
    },
  };
  return { cb, state };
}

/**
 * Mean return of 50 point-mass episodes (seeds 20_000 + k) under `act` (observation →
 * 2-d action).
 */
export function evaluatePointMass(
  act: (obs: Float64Array) => ArrayLike<number>,
  options: { maxEpisodeSteps?: number } = {},
): number {
  const e = new PointMassEnv(options);
  const a = new Float64Array(2);
  let total = 0;
  for (let k = 0; k < 50; k++) {
    let obs = e.reset({ seed: 20_000 + k }).observation;
    for (;;) {
      a.set(act(obs));
      const r = e.step(a);
      total += r.reward;
      obs = r.observation;
      if (r.truncated) break;
    }
  }
  return total / 50;
}

/** Deterministic hit rate over 100 offset-match episodes (seeds 30_000 + k). */
export function offsetMatchHitRate(policy: Policy): number {
  const e = new OffsetMatchEnv();
  let hits = 0;
  let n = 0;
  for (let k = 0; k < 100; k++) {
    let obs = e.reset({ seed: 30_000 + k }).observation;
    for (;;) {
      const r = e.step(policy.act(obs, { deterministic: true }).actions[0]);
      hits += r.info.hit ? 1 : 0;
      n++;
      obs = r.observation;
      if (r.truncated) break;
    }
  }
  return hits / n;
}
