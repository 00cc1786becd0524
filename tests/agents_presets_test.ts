/**
 * The reward option of the training setup and the presets' use of it (one mechanism:
 * `withEnvConfig`): overrides reach the train and evaluation envs, are validated before any
 * data is loaded, and merge term by term under a preset. Small synthetic markets, no ML
 * signals, no training (≈ 2 s).
 */
import assert from "node:assert/strict";
import {
  buildRunSetup,
  mergeRewardOverrides,
  resolveRunConfig,
  runDefaults,
  SYNTHETIC_PPO_PRESET,
  tradingPreset,
  withReward,
} from "../lib/experiment/config.ts";
import { buildTradingSetup } from "../lib/experiment/setup.ts";
import { DEFAULT_REWARD_CONFIG } from "../lib/env/reward.ts";
import type { FuturesTradingEnv } from "../lib/env/futures_env.ts";
import { ConfigError } from "../lib/util/errors.ts";

const SMALL = { bars: 6000, signals: "none" as const, episodeLength: 512 };

/** Sum of each reward component over a fixed action script (long, hold, exit, repeat). */
function componentSums(env: FuturesTradingEnv): Record<string, number> {
  env.reset({ seed: 0 });
  const sums: Record<string, number> = { total: 0, drawdown: 0, sharpe: 0, pnl: 0 };
  for (let t = 0; t < 400; t++) {
    const a = t % 40 === 0 ? 1 : t % 40 === 30 ? 3 : 0; // 1 = ENTER_LONG, 3 = EXIT
    const r = env.step(a);
    sums.total += r.reward;
    sums.drawdown += r.info.rewardDrawdown;
    sums.sharpe += r.info.rewardSharpe;
    sums.pnl += r.info.rewardPnl;
    if (r.terminated || r.truncated) break;
  }
  return sums;
}

Deno.test("trading setup: the reward option reaches train and evaluation envs", async () => {
  const spec = await buildTradingSetup(SMALL);
  assert.deepEqual(spec.reward, DEFAULT_REWARD_CONFIG);
  const off = await buildTradingSetup({
    ...SMALL,
    reward: { drawdown: { enabled: false }, pnl: { weight: 50 } },
  });
  assert.equal(off.reward!.drawdown.enabled, false);
  assert.equal(off.reward!.pnl.weight, 50);
  assert.equal(off.reward!.sharpe.enabled, true); // untouched terms keep the spec's values
  assert.equal(off.dataHash, spec.dataHash);
  for (const make of [() => off.makeEvalEnv(), () => off.makeTrainEnv(3)]) {
    const a = componentSums(make());
    assert.equal(a.drawdown, 0);
  }
  const a = componentSums(spec.makeEvalEnv());
  const b = componentSums(off.makeEvalEnv());
  assert.ok(a.drawdown < 0, "the spec's drawdown term charges something on this script");
  assert.ok(Math.abs(b.pnl - a.pnl / 2) < 1e-9 * Math.max(1, Math.abs(a.pnl)), "pnl weight 50");
  // withReward is the same mechanism: same envs from the same setup
  const again = withReward(spec, { drawdown: { enabled: false }, pnl: { weight: 50 } }, {
    episodeLength: 512,
  });
  assert.deepEqual(again.reward, off.reward);
  assert.deepEqual(componentSums(again.makeEvalEnv()), b);
});

Deno.test("trading setup: a bad reward is a ConfigError naming the parameter, before loading data", async () => {
  await assert.rejects(
    () => buildTradingSetup({ data: "/nonexistent/file.csv", reward: { pnl: { weight: NaN } } }),
    (e: unknown) => e instanceof ConfigError && /reward\.pnl\.weight/.test(e.message),
  );
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => buildTradingSetup({ data: "/nonexistent/file.csv", reward: { bonus: {} } as any }),
    (e: unknown) => e instanceof ConfigError && /unknown reward term "bonus"/.test(e.message),
  );
});

Deno.test("presets: reward overrides merge term by term over the preset's", async () => {
  assert.deepEqual(
    mergeRewardOverrides({ drawdown: { enabled: false } }, { drawdown: { weight: 2 } }),
    { drawdown: { enabled: false, weight: 2 } },
  );
  assert.deepEqual(mergeRewardOverrides(undefined, { pnl: { weight: 1 } }), {
    pnl: { weight: 1 },
  });
  assert.equal(tradingPreset("synthetic-ppo"), SYNTHETIC_PPO_PRESET);
  assert.throws(() => tradingPreset("nope"), /known presets: synthetic-ppo/);
  const config = resolveRunConfig({
    data: { bars: SMALL.bars, signals: SMALL.signals, episodeLength: SMALL.episodeLength },
    reward: { sharpe: { enabled: true }, pnl: { weight: 80 } },
    seed: 4,
  }, { preset: SYNTHETIC_PPO_PRESET.name });
  const setup = await buildRunSetup(config);
  assert.equal(setup.episodeLength, 512);
  assert.equal(setup.reward!.drawdown.enabled, false); // the preset's
  assert.equal(setup.reward!.sharpe.enabled, true); // the caller's override wins
  assert.equal(setup.reward!.pnl.weight, 80);
  assert.equal(config.preset, "synthetic-ppo");
  assert.deepEqual(config.reward, setup.reward); // the full resolved reward
  assert.equal(config.normObs, true);
  assert.equal(config.nEnvs, 4);
  assert.equal(config.seed, 4);
  // the preset only departs where it says so: everything else is the specification's PPO
  const spec = runDefaults("ppo");
  assert.equal(config.algorithm.nSteps, 512);
  assert.equal(config.algorithm.annealLr, true);
  assert.equal(spec.algorithm.annealLr, false, "the specification (SB3) keeps lr constant");
  for (
    const k of ["learningRate", "batchSize", "nEpochs", "gamma", "gaeLambda", "clipRange"] as const
  ) {
    assert.equal(config.algorithm[k], spec.algorithm[k], k);
  }
});

Deno.test("run config: defaults < preset < overrides, typed errors name the parameter", () => {
  assert.equal(resolveRunConfig({ agent: "a2c" }).algorithm.nSteps, 5);
  assert.equal(resolveRunConfig({ agent: "a2c" }).timesteps, 500_000);
  assert.equal(resolveRunConfig({ agent: "grpo" }).algorithm.entCoef, 0);
  // the preset under the caller's values
  const c = resolveRunConfig({ algorithm: { nSteps: 256 } }, { preset: "synthetic-ppo" });
  assert.equal(c.algorithm.nSteps, 256);
  assert.equal(c.nEnvs, 4);
  // resolving a resolved config again changes nothing (what resume and config.json rely on)
  assert.deepEqual(resolveRunConfig(JSON.parse(JSON.stringify(c))), c);
  const bad: [Parameters<typeof resolveRunConfig>[0], string][] = [
    [{ algorithm: { batchSize: 0 } }, "algorithm.batchSize"],
    [{ algorithm: { gamma: 1.5 } }, "algorithm.gamma"],
    [{ nEnvs: 2, agent: "grpo" }, "nEnvs"],
    [{ evaluation: { metric: "calmar" as "sharpe" } }, "evaluation.metric"],
    [{ agent: "dqn" as "ppo" }, "agent"],
  ];
  for (const [o, parameter] of bad) {
    assert.throws(
      () => resolveRunConfig(o),
      (e) => e instanceof ConfigError && e.where.parameter === parameter,
      parameter,
    );
  }
  assert.throws(
    () => resolveRunConfig({ agent: "a2c" }, { preset: "synthetic-ppo" }),
    /PPO preset/,
  );
});
