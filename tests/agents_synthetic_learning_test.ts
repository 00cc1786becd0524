/**
 * Proof that PPO learns to trade on the synthetic market (issue: "On the synthetic market,
 * PPO's deterministic validation return must beat both the random and the always-flat
 * policy"), with the documented `synthetic-ppo` preset (lib/agents/presets.ts: the
 * specification's env and PPO without the drawdown-level and Sharpe-bonus reward terms,
 * normalised observations, 4 envs × 512 steps, 300k steps on the fast engine).
 *
 * Setup: the default synthetic market (seed 42, 52,560 × 5 min), causal features,
 * walk-forward out-of-sample ML signals, chronological 70/15/15 split. PPO trains on random
 * 2,048-bar episodes of the TRAINING split only (the observation normaliser is fitted on those
 * rollouts and frozen); every policy is then run deterministically through the whole
 * VALIDATION split with the same env and accounting (lib/backtest `backtest`).
 *
 * Seed 0 is the one asserted here (the first seed tried, not picked). Measured over seeds
 * 0–9 with this exact preset (validation split, 7,884 bars ≈ 27 days, starting equity 2,000):
 *
 * | seed | return % | Sharpe | trades |   | seed | return % | Sharpe | trades |
 * |------|----------|--------|--------|---|------|----------|--------|--------|
 * | 0    | +47.5    | 10.2   | 13     |   | 5    | +34.6    | 8.3    | 54     |
 * | 1    | +101.7   | 13.1   | 39     |   | 6    | +36.4    | 7.4    | 32     |
 * | 2    | +78.2    | 12.3   | 64     |   | 7    | +58.8    | 8.7    | 44     |
 * | 3    | +69.0    | 9.7    | 21     |   | 8    | +51.8    | 12.0   | 27     |
 * | 4    | +3.9     | 2.5    | 19     |   | 9    | +49.2    | 12.3   | 19     |
 *
 * Mean +53.1 % (Sharpe 9.6). 10 of 10 seeds beat always-flat (0 %) and random (−50.1 %,
 * ruined) on validation and on the held-out test split (+24.8 … +154.6 %); 9 of 10 beat the
 * specification's fixed-rule baseline (+20.9 %, Sharpe 9.3, 42 trades; seed 4 does not).
 * What is learned is the synthetic market's planted OI–price divergence reversal (the
 * baseline's ML signals and the env's features carry it). With the specification's reward
 * (normalised observations, 100k steps, seed 0) this setup reproduces the first reported
 * failure exactly (−0.24 %, reward −1,194): PPO exploited the Sharpe bonus with a dust position
 * (repeated SCALE_OUT down to 5e-324 contracts); the ablation is in lib/agents/presets.ts.
 *
 * Runtime: ~20 s for the signals + ~55 s of training (≈ 72 s total) on a quiet 2-core
 * machine, 85 s with a second training job running (load 2).
 */
import assert from "node:assert/strict";
import { buildPresetSetup, SYNTHETIC_PPO_PRESET, trainPreset } from "../lib/agents/presets.ts";
import { backtest, type BacktestResult } from "../lib/backtest/backtest.ts";
import { AlwaysFlatPolicy, FixedRuleBaseline, RandomPolicy } from "../lib/backtest/policies.ts";
import type { Policy } from "../lib/agents/policy.ts";

Deno.test({
  name: "PPO (synthetic-ppo preset, seed 0) beats always-flat and random on the validation split",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const t0 = performance.now();
    const preset = SYNTHETIC_PPO_PRESET;
    const setup = await buildPresetSetup(preset, {});
    const { split, signals } = setup;
    const tSetup = (performance.now() - t0) / 1000;

    // ---- no leakage: training envs never reach validation; validation signals are all there
    const trainEnv = setup.makeTrainEnv(0);
    assert.ok(
      trainEnv.lastBar < split.validation.start,
      "training episodes stay in the train split",
    );
    assert.ok(signals, "ML signals are built");
    let missing = 0;
    for (let i = split.validation.start; i < split.validation.end; i++) {
      if (signals!.available[i] !== 1) missing++;
    }
    assert.equal(missing, 0, "every validation bar has an out-of-sample signal");
    const evalEnv = setup.makeEvalEnv("validation");
    assert.equal(evalEnv.rewardConfig.drawdown.enabled, false, "the preset's reward is in force");
    assert.equal(evalEnv.rewardConfig.sharpe.enabled, false);

    // ---- train (deterministic: one seed drives weights, sampling, shuffles and env starts)
    const seed = 0;
    const tTrain = performance.now();
    const { policy, normalizer, train } = await trainPreset(preset, setup, { seed });
    const trainSeconds = (performance.now() - tTrain) / 1000;
    assert.equal(train.timesteps, Math.ceil(preset.timesteps / 2048) * 2048);
    // the normaliser saw training observations only (one batch per vectorised step + reset)
    assert.ok(normalizer && policy.normalizer, "observations are normalised");
    const steps = train.timesteps / preset.nEnvs;
    assert.ok(
      Math.abs(normalizer!.obsRms.count - (steps + 1) * preset.nEnvs) < 1,
      `normaliser count ${normalizer!.obsRms.count} = training observations`,
    );
    assert.equal(policy.normalizer!.training, false, "frozen for evaluation");
    const frozenBefore = JSON.stringify(policy.normalizer!.toJSON());

    // ---- evaluate every policy through the whole validation split, deterministically
    const run = (p: Policy, deterministic = true): BacktestResult =>
      backtest(p, setup.makeEvalEnv("validation"), {
        periodsPerYear: setup.periodsPerYear,
        deterministic,
      });
    const ppo = run(policy);
    const ppoAgain = run(policy);
    const flat = run(new AlwaysFlatPolicy());
    const random = run(new RandomPolicy({ seed: 0 }), false);
    const baseline = run(new FixedRuleBaseline());
    assert.equal(JSON.stringify(policy.normalizer!.toJSON()), frozenBefore, "normaliser unchanged");
    assert.deepEqual(ppoAgain.equity, ppo.equity, "deterministic evaluation");

    const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);
    const row = (name: string, r: BacktestResult) => ({
      policy: name,
      finalEquity: +r.metrics.endEquity.toFixed(2),
      totalReturnPct: +(r.metrics.totalReturn * 100).toFixed(2),
      sharpe: r.metrics.sharpe === null ? null : +r.metrics.sharpe.toFixed(2),
      maxDrawdownPct: +(r.metrics.maxDrawdown * 100).toFixed(2),
      trades: r.trades.length,
      rewardSum: +sum(r.rewards).toFixed(2),
    });
    console.table([
      row("ppo", ppo),
      row("flat", flat),
      row("random", random),
      row("baseline", baseline),
    ]);
    console.log(
      `setup ${tSetup.toFixed(1)} s, training ${trainSeconds.toFixed(1)} s ` +
        `(${Math.round(train.timesteps / trainSeconds)} steps/s), total ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s`,
    );

    // ---- the claim: PPO beats always-flat and random in money, risk-adjusted and in reward
    const eq0 = ppo.equity[0];
    assert.equal(flat.metrics.endEquity, eq0, "always-flat keeps its capital");
    assert.ok(
      ppo.metrics.endEquity > flat.metrics.endEquity,
      `PPO final equity ${ppo.metrics.endEquity} > flat ${flat.metrics.endEquity}`,
    );
    assert.ok(
      ppo.metrics.endEquity > random.metrics.endEquity,
      `PPO final equity ${ppo.metrics.endEquity} > random ${random.metrics.endEquity}`,
    );
    assert.ok(ppo.metrics.sharpe !== null && ppo.metrics.sharpe > 0, "positive Sharpe");
    assert.ok(
      random.metrics.sharpe === null || ppo.metrics.sharpe! > random.metrics.sharpe,
      "Sharpe above random's",
    );
    assert.ok(sum(ppo.rewards) > sum(flat.rewards), "reward sum above always-flat's");
    assert.ok(sum(ppo.rewards) > sum(random.rewards), "reward sum above random's");
    // not one lucky directional bet: several round trips, mostly flat (a selective strategy)
    assert.ok(ppo.trades.length >= 5, `PPO closed ${ppo.trades.length} trades`);
    assert.ok(ppo.metrics.exposure !== null && ppo.metrics.exposure < 0.5, "selective exposure");
  },
});
