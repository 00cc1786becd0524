/**
 * Proof that PPO learns to trade on the synthetic market (issue: "On the synthetic market,
 * PPO's deterministic validation return must beat both the random and the always-flat
 * policy"), with the documented `synthetic-ppo` preset (lib/experiment/config.ts: the
 * specification's env and PPO without the drawdown-level and Sharpe-bonus reward terms,
 * normalised observations, 4 envs × 512 steps, 300k steps on the fast engine), trained through
 * the same path as `deno task train --preset synthetic-ppo` (`trainRun`: a run folder,
 * validation every 25k steps, the best model by validation Sharpe kept in `best/`).
 *
 * Setup: the strong-edge learning market (`synthetic:learning`, seed 42, 52,560 × 5 min), causal features,
 * walk-forward out-of-sample ML signals, chronological 70/15/15 split. PPO trains on random
 * 2,048-bar episodes of the TRAINING split only (the observation normaliser is fitted on those
 * rollouts and frozen). Every policy is run deterministically through whole splits with the
 * same env and accounting (lib/backtest `backtest`).
 *
 * Why the best-by-validation model, and why the TEST split is asserted too: PPO training on
 * this market is chaotic. With seed 0 (the first seed tried, not picked) the validation
 * evaluations during training swing between Sharpe −23 and +12, and the FINAL model of the
 * run happens to hold a scaled-in long into ruin on validation (−50.5 %) while earning
 * +240 % on test. Asserting on one final snapshot would test luck. The product keeps the best
 * model by validation Sharpe (as SB3's EvalCallback does), so the test asserts what the
 * product delivers: the best model beats always-flat and random on validation — and, because a
 * model chosen on validation is optimistic there, the same model must also beat them on the
 * held-out TEST split, which played no part in training or selection. Measured for seed 0
 * (after the minimum-order-size fix): best model (239,616 steps) validation +84.3 %
 * (Sharpe 12.0), test +174.6 % (Sharpe 18.0); always-flat 0 %; random −50.2 % / −50.1 %
 * (ruined). The synthetic market's planted OI–price divergence edge is strong: the
 * specification's fixed-rule baseline earns +20.9 % on validation (Sharpe 9.3).
 *
 * Runtime: ~20 s for the signals + ~55 s of training and evaluations (75 s measured).
 */
import assert from "node:assert/strict";
import { buildRunSetup, resolveRunConfig, SYNTHETIC_PPO_PRESET } from "../lib/experiment/config.ts";
import { trainRun } from "../lib/experiment/train.ts";
import { loadRun } from "../lib/experiment/run_dir.ts";
import { backtest, type BacktestResult } from "../lib/backtest/backtest.ts";
import { AlwaysFlatPolicy, FixedRuleBaseline, RandomPolicy } from "../lib/backtest/policies.ts";
import type { Policy } from "../lib/env/policy.ts";

Deno.test({
  name:
    "PPO (synthetic-ppo preset, seed 0): the best model by validation beats always-flat and random on validation and on the held-out test split",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const t0 = performance.now();
    // the strong-edge learning market (the default market before its recalibration) with its
    // former 70/15/15 split: this test proves PPO can learn, not that the weak realistic edge pays
    const preset = resolveRunConfig({
      data: {
        source: "synthetic:learning",
        split: { by: "fraction", train: 0.7, validation: 0.15, test: 0.15 },
      },
    }, { preset: SYNTHETIC_PPO_PRESET.name });
    const setup = await buildRunSetup(preset);
    const { split, signals } = setup;
    const tSetup = (performance.now() - t0) / 1000;

    // ---- no leakage: training envs never reach validation; evaluation bars all have signals
    const trainEnv = setup.makeTrainEnv(0);
    assert.ok(
      trainEnv.lastBar < split.validation.start,
      "training episodes stay in the train split",
    );
    assert.ok(signals, "ML signals are built");
    for (const range of [split.validation, split.test]) {
      let missing = 0;
      for (let i = range.start; i < range.end; i++) if (signals!.available[i] !== 1) missing++;
      assert.equal(missing, 0, "every evaluation bar has an out-of-sample signal");
    }
    const evalEnv = setup.makeEvalEnv("validation");
    assert.equal(evalEnv.rewardConfig.drawdown.enabled, false, "the preset's reward is in force");
    assert.equal(evalEnv.rewardConfig.sharpe.enabled, false);

    // ---- train through the product's path (deterministic: one seed drives everything)
    const out = await Deno.makeTempDir({ prefix: "rlt_synth_ppo_" });
    const tTrain = performance.now();
    const res = await trainRun({
      seed: 0,
      evaluation: { evalFreq: 25_000, checkpointFreq: 0 },
    }, { preset: preset.preset, setup, out: `${out}/run`, progress: false, log: () => {} });
    const trainSeconds = (performance.now() - tTrain) / 1000;
    assert.equal(res.train.timesteps, Math.ceil(preset.timesteps / 2048) * 2048);
    assert.ok(res.evaluations.length >= 10, "validation evaluations during training");
    const best = await loadRun(res.runDir, { which: "best" });
    const final = await loadRun(res.runDir, { which: "final" });
    assert.ok(best.normalizer && best.normalizer.training === false, "frozen normaliser saved");
    const frozenBefore = JSON.stringify(best.normalizer!.toJSON());

    // ---- evaluate every policy through whole splits, deterministically
    const run = (p: Policy, which: "validation" | "test", deterministic = true): BacktestResult =>
      backtest(p, setup.makeEvalEnv(which), {
        periodsPerYear: setup.periodsPerYear,
        deterministic,
      });
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
    const results = {} as Record<"validation" | "test", Record<string, BacktestResult>>;
    for (const which of ["validation", "test"] as const) {
      results[which] = {
        best: run(best.policy, which),
        final: run(final.policy, which),
        flat: run(new AlwaysFlatPolicy(), which),
        random: run(new RandomPolicy({ seed: 0 }), which, false),
        baseline: run(new FixedRuleBaseline(), which),
      };
      console.log(`${which} split:`);
      console.table(Object.entries(results[which]).map(([k, r]) => row(k, r)));
    }
    console.log(
      `best model at ${best.state?.timesteps ?? "?"} steps; setup ${tSetup.toFixed(1)} s, ` +
        `training + evaluations ${trainSeconds.toFixed(1)} s, total ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s`,
    );
    const again = run(best.policy, "validation");
    assert.deepEqual(again.equity, results.validation.best.equity, "deterministic evaluation");
    assert.equal(JSON.stringify(best.normalizer!.toJSON()), frozenBefore, "normaliser unchanged");
    await Deno.remove(out, { recursive: true });

    // ---- the claim on validation: money, risk-adjusted and reward, not one lucky bet
    const v = results.validation;
    assert.equal(v.flat.metrics.endEquity, v.best.equity[0], "always-flat keeps its capital");
    assert.ok(
      v.best.metrics.endEquity > v.flat.metrics.endEquity,
      `validation: PPO final equity ${v.best.metrics.endEquity} > flat ${v.flat.metrics.endEquity}`,
    );
    assert.ok(
      v.best.metrics.endEquity > v.random.metrics.endEquity,
      `validation: PPO ${v.best.metrics.endEquity} > random ${v.random.metrics.endEquity}`,
    );
    assert.ok(v.best.metrics.sharpe !== null && v.best.metrics.sharpe > 0, "positive Sharpe");
    assert.ok(
      v.random.metrics.sharpe === null || v.best.metrics.sharpe! > v.random.metrics.sharpe,
      "Sharpe above random's",
    );
    assert.ok(sum(v.best.rewards) > sum(v.flat.rewards), "reward sum above always-flat's");
    assert.ok(sum(v.best.rewards) > sum(v.random.rewards), "reward sum above random's");
    assert.ok(v.best.trades.length >= 5, `PPO closed ${v.best.trades.length} trades`);
    assert.ok(v.best.metrics.exposure !== null && v.best.metrics.exposure < 0.5, "selective");

    // ---- the honest check: the same model on the held-out test split (never used to select)
    const t = results.test;
    assert.ok(
      t.best.metrics.endEquity > t.flat.metrics.endEquity,
      `test: PPO final equity ${t.best.metrics.endEquity} > flat ${t.flat.metrics.endEquity}`,
    );
    assert.ok(
      t.best.metrics.endEquity > t.random.metrics.endEquity,
      `test: PPO ${t.best.metrics.endEquity} > random ${t.random.metrics.endEquity}`,
    );
    assert.ok(t.best.metrics.sharpe !== null && t.best.metrics.sharpe > 0, "test: positive Sharpe");
    assert.ok(t.best.trades.length >= 5, `test: PPO closed ${t.best.trades.length} trades`);
  },
});
