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
import { selectBackend } from "../lib/agents/engines/tfjs/backend.ts";
import { TfjsEngine } from "../lib/agents/engines/tfjs/tfjs_engine.ts";
import { networkConfigFor } from "../lib/agents/common.ts";
import { trainPpo } from "../lib/agents/ppo.ts";
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

const { backend } = await selectBackend("auto");

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
  const { cb, state } = solvedStopper(engine, 475, 5120);
  try {
    await trainPpo(env, engine, {
      ...ZOO_CARTPOLE_PPO,
      totalTimesteps: 150_000,
      seed,
      callbacks: [cb],
    });
    timed("ppo cartpole", t0, `solved at ${state.solvedAt} steps, best ${state.best}`);
    assert.ok(state.solvedAt > 0, `best score ${state.best}`);
    assert.ok(evaluateCartPole(engine) >= 475);
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
      ...POINT_MASS_PPO,
      totalTimesteps: 50_000,
      seed,
    });
    const learned = evaluatePointMass((o) => engine.act(o, { deterministic: true }).actions);
    const expert = evaluatePointMass((o) => pointMassExpert(o, new Float64Array(2)));
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
      ...OFFSET_MATCH_GRPO,
      totalTimesteps: 10_240,
      seed,
      advantage: "outcome",
    });
    const hitRate = offsetMatchHitRate(engine);
    timed("grpo offset-match", t0, `hit rate ${hitRate}`);
    assert.ok(hitRate >= 0.95, `hit rate ${hitRate} (random: 0.25)`);
  } finally {
    engine.dispose();
  }
});
