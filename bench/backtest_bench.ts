/**
 * Backtest benchmark: one year of 5-minute bars (105,120) of the seeded synthetic market
 * through the futures env with a saved PPO policy (spec network 64×64 tanh, fast engine,
 * orthogonal initial weights saved to a model folder and loaded back with `loadRun`, as a
 * trained run would be). Prints ONE JSON line:
 * `{"bench":"backtest","bars":…,"steps":…,"backtest_1y_s":…,"steps_per_s":…,"baseline_1y_s":…,
 *   "load_s":…,"prep_s":…}`.
 * `backtest_1y_s` times `backtest()` alone (policy forward passes, env steps, recording,
 * metrics); data/feature preparation and model loading are reported separately.
 *
 * Run: `deno task bench:backtest`.
 */
import { generateSyntheticMarket } from "../lib/data/synthetic.ts";
import { computeFeatures } from "../lib/features/features.ts";
import { FuturesTradingEnv } from "../lib/env/futures_env.ts";
import { FastEngine } from "../lib/agents/engines/fast/fast_engine.ts";
import type { NetworkConfig } from "../lib/agents/engines/engine.ts";
import { saveModel } from "../lib/agents/engines/model_io.ts";
import { loadRun } from "../lib/agents/run.ts";
import { backtest, FixedRuleBaseline } from "../lib/backtest/mod.ts";
import { periodsPerYear } from "../lib/util/calendar.ts";

const BARS = 105_120;
const t0 = performance.now();
const market = generateSyntheticMarket({ bars: BARS, seed: 42 });
const features = computeFeatures(market);
const prepS = (performance.now() - t0) / 1000;

const network: NetworkConfig = {
  obsDim: 20,
  piHidden: [64, 64],
  vfHidden: [64, 64],
  critic: true,
  head: { kind: "categorical", n: 6 },
  optimizer: { kind: "adam", eps: 1e-5 },
};
const dir = await Deno.makeTempDir({ prefix: "rlt-bench-backtest-" });
try {
  const engine = new FastEngine(network, { seed: 1, name: "ppo" });
  await saveModel(dir, {
    network,
    weights: engine.getWeights(),
    metadata: { algorithm: "ppo", note: "benchmark: initial weights" },
  });
  const t1 = performance.now();
  const run = await loadRun(dir);
  const loadS = (performance.now() - t1) / 1000;

  const P = periodsPerYear(market.interval, "crypto");
  // An untrained policy can ruin the account within days; for a full-year throughput figure
  // the bench disables the ruin/liquidation stops (ruin at 0 equity, liquidations continue).
  const makeEnv = () =>
    new FuturesTradingEnv({
      market,
      features,
      trading: { ruinFraction: 0 },
      terminateOnLiquidation: false,
    });
  // warm-up run on a short window so the JIT has seen the hot path
  backtest(run.policy, makeEnv, { periodsPerYear: P, maxSteps: 2000 });
  const t2 = performance.now();
  const res = backtest(run.policy, makeEnv, { periodsPerYear: P });
  const btS = (performance.now() - t2) / 1000;
  const t3 = performance.now();
  backtest(new FixedRuleBaseline(), makeEnv, { periodsPerYear: P });
  const baseS = (performance.now() - t3) / 1000;
  console.log(JSON.stringify({
    bench: "backtest",
    bars: BARS,
    steps: res.steps,
    backtest_1y_s: +btS.toFixed(3),
    steps_per_s: Math.round(res.steps / btS),
    baseline_1y_s: +baseS.toFixed(3),
    load_s: +loadS.toFixed(3),
    prep_s: +prepS.toFixed(3),
    trades: res.trades.length,
  }));
} finally {
  await Deno.remove(dir, { recursive: true });
}
