/**
 * The learning proofs on the tfjs engine (tfjs autodiff, float32), with the same tasks and
 * hyperparameters as `agents_fast_learning_test.ts`, so both engines are shown to learn:
 * - PPO (rl-baselines3-zoo CartPole settings) reaches ≥ 475 over 20 deterministic episodes
 *   within 150k steps;
 * - Gaussian PPO on the point-mass task reaches the expert's return (−0.5) in 50k steps;
 * - GRPO (outcome advantages) learns the offset-match task in 10k steps.
 * float32 rounding makes the trajectories differ from the fast engine's after a few updates,
 * so the solve step differs; the criteria are the same. Uses the wasm backend when available
 * (needs --allow-read), else cpu. Each test prints its wall time; measured with wasm on the
 * shared 2-core machine: CartPole 11 s (solved at 10,240 steps), point mass 41 s (−6.23 vs
 * expert −5.81), offset-match 2.5 s (hit rate 1.0) — about 1 min in total.
 */
import assert from "node:assert/strict";
import { selectBackend } from "../lib/agents/backend.ts";
import { TfjsEngine } from "../lib/agents/tfjs_engine.ts";
import { linearSchedule, networkConfigFor } from "../lib/agents/common.ts";
import { trainPpo } from "../lib/agents/ppo.ts";
import { trainGrpo } from "../lib/agents/grpo.ts";
import type { Callback } from "../lib/agents/callbacks.ts";
import type { Policy } from "../lib/agents/policy.ts";
import {
  CartPoleEnv,
  OffsetMatchEnv,
  PointMassEnv,
  pointMassExpert,
} from "../lib/env/classic_control.ts";
import { SyncVecEnv } from "../lib/env/vec_env.ts";

const { backend } = await selectBackend("auto");

function cartPoleScore(policy: Policy, episodes = 20): number {
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

function timed(name: string, t0: number, extra: string): void {
  console.log(
    `  [${name}, tfjs ${backend}] ${((performance.now() - t0) / 1000).toFixed(1)} s, ${extra}`,
  );
}

Deno.test("tfjs learning: PPO (zoo hyperparameters) solves CartPole-v1 within 150k steps", async () => {
  const t0 = performance.now();
  const seed = 1;
  const env = new SyncVecEnv(Array.from({ length: 8 }, () => new CartPoleEnv()));
  const engine = new TfjsEngine(networkConfigFor("ppo", env), { seed });
  const state = { solvedAt: -1, best: -Infinity, lastEval: 0 };
  const stopper: Callback = {
    onUpdate(ctx) {
      if (ctx.timesteps - state.lastEval < 5120) return;
      state.lastEval = ctx.timesteps;
      const score = cartPoleScore(engine);
      state.best = Math.max(state.best, score);
      if (score >= 475) {
        state.solvedAt = ctx.timesteps;
        return false;
      }
    },
  };
  try {
    await trainPpo(env, engine, {
      totalTimesteps: 150_000,
      seed,
      nSteps: 32,
      batchSize: 256,
      nEpochs: 20,
      gamma: 0.98,
      gaeLambda: 0.8,
      learningRate: linearSchedule(1e-3),
      clipRange: linearSchedule(0.2),
      entCoef: 0,
      callbacks: [stopper],
    });
    timed("ppo cartpole", t0, `solved at ${state.solvedAt} steps, best ${state.best}`);
    assert.ok(state.solvedAt > 0, `best score ${state.best}`);
    assert.ok(cartPoleScore(engine) >= 475);
  } finally {
    engine.dispose();
  }
});

Deno.test("tfjs learning: Gaussian PPO reaches the expert's return on the point-mass task in 50k steps", async () => {
  const t0 = performance.now();
  const seed = 1;
  const env = new SyncVecEnv(Array.from({ length: 8 }, () => new PointMassEnv()));
  const engine = new TfjsEngine(networkConfigFor("ppo", env), { seed });
  try {
    await trainPpo(env, engine, {
      totalTimesteps: 50_000,
      seed,
      nSteps: 64,
      batchSize: 128,
      nEpochs: 10,
      gamma: 0.95,
      gaeLambda: 0.95,
      learningRate: 1e-3,
      entCoef: 0,
    });
    const evaluate = (act: (o: Float64Array) => ArrayLike<number>): number => {
      const e = new PointMassEnv();
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
    };
    const learned = evaluate((o) => engine.act(o, { deterministic: true }).actions);
    const expert = evaluate((o) => pointMassExpert(o, new Float64Array(2)));
    timed("ppo point mass", t0, `return ${learned.toFixed(2)} vs expert ${expert.toFixed(2)}`);
    assert.ok(learned >= expert - 0.5, `learned ${learned} vs expert ${expert}`);
  } finally {
    engine.dispose();
  }
});

Deno.test("tfjs learning: GRPO (outcome advantages) learns the offset-match task in 10k steps", async () => {
  const t0 = performance.now();
  const seed = 1;
  const env = new OffsetMatchEnv();
  const engine = new TfjsEngine(
    networkConfigFor("grpo", { obsDim: env.observationSpace.size, actionSpace: env.actionSpace }),
    { seed },
  );
  try {
    await trainGrpo(env, engine, {
      totalTimesteps: 10_240,
      seed,
      horizon: 4,
      groupsPerUpdate: 16,
      learningRate: 1e-3,
      advantage: "outcome",
    });
    const e = new OffsetMatchEnv();
    let hits = 0;
    let n = 0;
    for (let k = 0; k < 100; k++) {
      let obs = e.reset({ seed: 30_000 + k }).observation;
      for (;;) {
        const r = e.step(engine.act(obs, { deterministic: true }).actions[0]);
        hits += r.info.hit ? 1 : 0;
        n++;
        obs = r.observation;
        if (r.truncated) break;
      }
    }
    timed("grpo offset-match", t0, `hit rate ${hits / n}`);
    assert.ok(hits / n >= 0.95, `hit rate ${hits / n} (random: 0.25)`);
  } finally {
    engine.dispose();
  }
});
