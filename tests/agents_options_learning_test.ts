/**
 * Learning proofs on the options env (issue 12): PPO (Gaussian head on the `Box(−1, 1)`
 * action) and GRPO, each trained by `trainRun` exactly as `deno task train --env options`
 * does (run folder, validation evaluations, best model), beat always-flat, always-call and
 * always-put on the HELD-OUT test split of a seeded synthetic SPY/VIX market whose planted
 * edge is a one-hour reversal. Every figure comes from the one episode loop
 * (`evaluatePolicy` → `runEpisode`) over the whole test split, deterministic.
 *
 * Setup: one year of 5-minute RTH bars (252 sessions, data seed 7; 70/15/15 split: the test
 * split is the last ~38 sessions), 390-bar (five-session) random-start training episodes,
 * observation normalisation, the env's default reward; the model is the best one by
 * validation Sharpe (chosen on validation, judged on test).
 *
 * What this cannot catch: whether the agents would learn on real SPY (no planted edge is
 * known there), or with other seeds at this budget (the seeds are fixed; the report of issue
 * 12 lists the others measured).
 */
import assert from "node:assert/strict";
import { trainFresh } from "../lib/experiment/train.ts";
import { type RunConfigOverrides, type RunSetup } from "../lib/experiment/config.ts";
import { buildOptionsSetup, optionsEnvDefaults } from "../lib/experiment/options_setup.ts";
import {
  ConstantOptionsPolicy,
  evaluatePolicy,
  MomentumOptionsPolicy,
} from "../lib/backtest/mod.ts";
import type { Policy } from "../lib/env/mod.ts";

let shared: Promise<RunSetup> | null = null;
const setup = () =>
  shared ??= buildOptionsSetup({
    dataSeed: 7,
    episodeLength: 390,
    config: { ...optionsEnvDefaults(), sessions: 252 },
  });

async function proof(name: string, overrides: RunConfigOverrides): Promise<void> {
  const t0 = performance.now();
  const s = await setup();
  const out = await Deno.makeTempDir({ prefix: `options-${name}-` });
  try {
    const run = await trainFresh({ env: "options", normObs: true, ...overrides }, {
      out,
      setup: s,
      which: "best",
    });
    const test = s.makeEvalEnv("test");
    const ret = (p: Policy) =>
      evaluatePolicy(test, p, { periodsPerYear: s.periodsPerYear }).totalReturn!;
    const learned = ret(run.policy);
    const flat = ret(new ConstantOptionsPolicy(0));
    const call = ret(new ConstantOptionsPolicy(1));
    const put = ret(new ConstantOptionsPolicy(-1));
    const rule = ret(new MomentumOptionsPolicy("reversal"));
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    console.log(
      `  [${name}] ${((performance.now() - t0) / 1000).toFixed(1)} s; test split: learned ${
        pct(learned)
      }, flat ${pct(flat)}, always call ${pct(call)}, always put ${pct(put)}, reversal rule ${
        pct(rule)
      }`,
    );
    assert.equal(run.result.config.env, "options");
    assert.equal(flat, 0);
    // beats every trivial rule by at least 2 points of the initial balance
    for (const [what, x] of [["flat", flat], ["always call", call], ["always put", put]] as const) {
      assert.ok(learned > x + 0.02, `${name} ${pct(learned)} vs ${what} ${pct(x)}`);
    }
    run.engine.dispose();
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

Deno.test("learning: PPO (Gaussian head) beats always-flat, always-call and always-put on the options env's held-out test split", async () => {
  await proof("ppo", {
    agent: "ppo",
    seed: 1,
    timesteps: 100_000,
    nEnvs: 4,
    algorithm: { nSteps: 256, entCoef: 0 },
    evaluation: { evalFreq: 10_000, checkpointFreq: 0 },
  });
});

Deno.test("learning: GRPO beats always-flat, always-call and always-put on the options env's held-out test split", async () => {
  await proof("grpo", {
    agent: "grpo",
    seed: 1,
    timesteps: 100_000,
    evaluation: { evalFreq: 10_000, checkpointFreq: 0 },
  });
});
