/**
 * Proof that the algorithms learn, on the fast engine, with fixed seeds (deterministic):
 * - PPO on CartPole-v1 with rl-baselines3-zoo's hyperparameters (8 envs, n_steps 32,
 *   batch 256, 20 epochs, γ 0.98, λ 0.8, lr linear 1e-3 → 0, clip linear 0.2 → 0, ent 0):
 *   mean return ≥ 475 over 20 deterministic episodes within 150k steps (checked every
 *   5,120 steps; training stops once reached);
 * - A2C on CartPole-v1 (zoo: 8 envs, ent 0; otherwise SB3 defaults n_steps 5, lr 7e-4,
 *   RMSprop): the same criterion within a 200k-step budget;
 * - Gaussian PPO on the point-mass task: the deterministic policy's return is within 0.5 of
 *   the straight-line expert after 50k steps (random/zero policies score ≈ −48);
 * - GRPO on the offset-match task (per-episode reward offsets of ±5 swamp the 0/1 signal
 *   unless the group baseline removes them): deterministic hit rate ≥ 0.95 within 10k steps
 *   for the outcome and process variants, while the same run with raw returns as advantages
 *   (no baseline) stays below 0.9 (measured 0.63).
 * Each test prints its wall time. Typical total on a quiet 2-core machine: ~40 s.
 */
import assert from "node:assert/strict";
import { FastEngine } from "../lib/agents/engines/fast/fast_engine.ts";
import { networkConfigFor } from "../lib/agents/common.ts";
import { trainPpo } from "../lib/agents/ppo.ts";
import { trainA2c } from "../lib/agents/a2c.ts";
import { trainGrpo } from "../lib/agents/grpo.ts";
import {
  CartPoleEnv,
  OffsetMatchEnv,
  PointMassEnv,
  pointMassExpert,
} from "../lib/env/classic_control.ts";
import { SyncVecEnv } from "../lib/env/vec_env.ts";
import {
  evaluateCartPole,
  evaluatePointMass,
  OFFSET_MATCH_GRPO,
  offsetMatchHitRate,
  POINT_MASS_PPO,
  solvedStopper,
  ZOO_CARTPOLE_PPO,
} from "./learning_tasks.ts";

function timed(name: string, t0: number, extra: string): void {
  console.log(`  [${name}] ${((performance.now() - t0) / 1000).toFixed(1)} s, ${extra}`);
}

Deno.test("learning: PPO (zoo hyperparameters) solves CartPole-v1 (≥ 475 over 20 deterministic episodes) within 150k steps", async () => {
  const t0 = performance.now();
  const seed = 1;
  const env = new SyncVecEnv(Array.from({ length: 8 }, () => new CartPoleEnv()));
  const engine = new FastEngine(networkConfigFor("ppo", env), { seed });
  const { cb, state } = solvedStopper(engine, 475, 5120);
  const res = await trainPpo(env, engine, {
    ...ZOO_CARTPOLE_PPO,
    totalTimesteps: 150_000,
    seed,
    callbacks: [cb],
  });
  timed("ppo cartpole", t0, `solved at ${state.solvedAt} steps, best ${state.best}`);
  assert.ok(state.solvedAt > 0 && state.solvedAt <= 150_000, `best score ${state.best}`);
  assert.ok(evaluateCartPole(engine) >= 475);
  assert.ok(res.stoppedEarly);
});

Deno.test("learning: A2C (SB3 defaults, 8 envs, ent 0) solves CartPole-v1 within a 200k-step budget", async () => {
  const t0 = performance.now();
  const seed = 1;
  const env = new SyncVecEnv(Array.from({ length: 8 }, () => new CartPoleEnv()));
  const engine = new FastEngine(networkConfigFor("a2c", env), { seed });
  const { cb, state } = solvedStopper(engine, 475, 10_000);
  await trainA2c(env, engine, {
    totalTimesteps: 200_000,
    seed,
    entCoef: 0,
    logInterval: 50,
    callbacks: [cb],
  });
  timed("a2c cartpole", t0, `solved at ${state.solvedAt} steps, best ${state.best}`);
  assert.ok(state.solvedAt > 0 && state.solvedAt <= 200_000, `best score ${state.best}`);
});

Deno.test("learning: Gaussian PPO reaches the expert's return on the point-mass task in 50k steps", async () => {
  const t0 = performance.now();
  const seed = 1;
  const env = new SyncVecEnv(Array.from({ length: 8 }, () => new PointMassEnv()));
  const engine = new FastEngine(networkConfigFor("ppo", env), { seed });
  await trainPpo(env, engine, {
    ...POINT_MASS_PPO,
    totalTimesteps: 50_000,
    seed,
  });
  const learned = evaluatePointMass((o) => engine.act(o, { deterministic: true }).actions);
  const expert = evaluatePointMass((o) => pointMassExpert(o, new Float64Array(2)));
  const idle = evaluatePointMass(() => [0, 0]);
  timed("ppo point mass", t0, `return ${learned.toFixed(2)} vs expert ${expert.toFixed(2)}`);
  assert.ok(idle < -40, `idle policy ${idle}`);
  assert.ok(learned >= expert - 0.5, `learned ${learned} vs expert ${expert}`);
});

/** Deterministic hit rate of a GRPO-trained policy on the offset-match task. */
async function grpoHitRate(advantage: "outcome" | "process" | "raw", steps: number): Promise<{
  hitRate: number;
  refKl: number | null;
}> {
  const seed = 1;
  const env = new OffsetMatchEnv();
  const engine = new FastEngine(
    networkConfigFor("grpo", { obsDim: env.observationSpace.size, actionSpace: env.actionSpace }),
    { seed },
  );
  const res = await trainGrpo(env, engine, {
    ...OFFSET_MATCH_GRPO,
    totalTimesteps: steps,
    seed,
    advantage,
  });
  return { hitRate: offsetMatchHitRate(engine), refKl: res.logs[res.logs.length - 1].refKl };
}

Deno.test("learning: GRPO (group baseline) learns the offset-match task in 10k steps; without the baseline it does not", async () => {
  const t0 = performance.now();
  const steps = 10_240; // 10 updates × 16 groups × 16 rollouts × 4 steps
  const outcome = await grpoHitRate("outcome", steps);
  const processV = await grpoHitRate("process", steps);
  const raw = await grpoHitRate("raw", steps); // ablation: advantage = raw return
  timed(
    "grpo offset-match",
    t0,
    `hit rate outcome ${outcome.hitRate}, process ${processV.hitRate}, no baseline ${raw.hitRate}`,
  );
  assert.ok(outcome.hitRate >= 0.95, `outcome hit rate ${outcome.hitRate} (random: 0.25)`);
  assert.ok(processV.hitRate >= 0.95, `process hit rate ${processV.hitRate}`);
  assert.ok(raw.hitRate < 0.9, `no-baseline hit rate ${raw.hitRate} should lag`);
  assert.ok(
    outcome.refKl !== null && outcome.refKl > 0,
    "the policy moved away from the reference",
  );
});

Deno.test("learning: GRPO with a Gaussian head (Box actions) learns the point-mass task", async () => {
  const t0 = performance.now();
  const seed = 1;
  const H = 20; // 20-step episodes = the GRPO horizon
  const env = new PointMassEnv({ maxEpisodeSteps: H });
  const engine = new FastEngine(
    networkConfigFor("grpo", { obsDim: 4, actionSpace: env.actionSpace }, { logStdInit: -0.5 }),
    { seed },
  );
  const evaluate = (act: (o: Float64Array) => ArrayLike<number>): number =>
    evaluatePointMass(act, { maxEpisodeSteps: H });
  const policy = (o: Float64Array) => engine.act(o, { deterministic: true }).actions;
  const before = evaluate(policy);
  await trainGrpo(env, engine, {
    totalTimesteps: 50_000,
    seed,
    horizon: H,
    groupsPerUpdate: 8,
    learningRate: 1e-3,
  });
  const after = evaluate(policy);
  const expert = evaluate((o) => pointMassExpert(o, new Float64Array(2)));
  timed(
    "grpo point mass",
    t0,
    `return ${before.toFixed(2)} → ${after.toFixed(2)}, expert ${expert.toFixed(2)}`,
  );
  assert.ok(after >= expert - 1.5, `after ${after}, expert ${expert}, before ${before}`);
  assert.ok(before < expert - 10, "the untrained policy is far from the expert");
});
