/**
 * The one episode loop (`runEpisode`): validation (`evaluatePolicy`) and `backtest()` run the
 * same episode and so report the same equity, return and trade count for the same policy and
 * env; the per-step hook can replace actions (the growth point for risk guards and exits) and
 * sees every step. Small seeded market, a scripted policy that trades.
 *
 * What it cannot catch: a future hook that changes results only on real market data, or a
 * difference that appears only with Box-action envs (covered by the agents' CartPole tests).
 */
import assert from "node:assert/strict";
import { backtest } from "../lib/backtest/backtest.ts";
import { evaluatePolicy, runEpisode } from "../lib/backtest/evaluate.ts";
import { FuturesTradingEnv } from "../lib/env/futures_env.ts";
import { Action, type ActResult, type Policy } from "../lib/env/policy.ts";
import { DEFAULT_TRADING_CONFIG } from "../lib/trading/config.ts";
import { makeTestFeatures, makeTestMarket } from "./env_fixtures.ts";

const MD = makeTestMarket({ bars: 3000, seed: 5 });
const FM = makeTestFeatures(MD);
const env = () =>
  new FuturesTradingEnv({ market: MD, features: FM, range: { start: 1500, end: 3000 } });

/** Enters long every 40 bars and exits 20 bars later (counts its own steps). */
class Scripted implements Policy {
  readonly name = "scripted";
  #t = 0;
  act(): ActResult {
    const k = this.#t++ % 40;
    const a = k === 0 ? Action.ENTER_LONG : k === 20 ? Action.EXIT : Action.HOLD;
    return {
      actions: Float64Array.of(a),
      logProb: Float64Array.of(0),
      value: Float64Array.of(NaN),
    };
  }
  reset(): void {
    this.#t = 0;
  }
}

Deno.test("evaluate: validation and backtest report the same episode", () => {
  const ppy = 105_120;
  const ev = evaluatePolicy(env(), new Scripted(), { periodsPerYear: ppy });
  const bt = backtest(new Scripted(), env(), { periodsPerYear: ppy });
  assert.ok(bt.trades.length > 10, "the script trades");
  assert.equal(ev.lengths[0], bt.steps);
  assert.equal(ev.finalEquity, bt.equity[bt.steps]);
  assert.equal(ev.totalReturn, bt.equity[bt.steps] / bt.equity[0] - 1);
  assert.equal(ev.trades, bt.trades.length);
  const rewardSum = bt.rewards.reduce((s, r) => s + r, 0);
  assert.ok(Math.abs(ev.meanReturn - rewardSum) < 1e-9 * Math.max(1, Math.abs(rewardSum)));
});

Deno.test("evaluate: beforeStep can replace actions and afterStep sees every step", () => {
  let seen = 0;
  let replaced = 0;
  const r = runEpisode(new Scripted(), env(), {
    hooks: {
      // a guard that forbids entering: every ENTER_LONG becomes HOLD
      beforeStep: (_n, a) => {
        if (a === Action.ENTER_LONG) {
          replaced++;
          return Action.HOLD;
        }
      },
      afterStep: () => void seen++,
    },
  });
  assert.ok(replaced > 10);
  assert.equal(seen, r.steps);
  const info = r.lastInfo as { totalTrades: number; equity: number };
  assert.equal(info.totalTrades, 0, "no entry got through the guard");
  assert.equal(
    info.equity,
    DEFAULT_TRADING_CONFIG.initialBalance,
    "flat all the way: equity stays at the initial balance",
  );
  const free = runEpisode(new Scripted(), env());
  assert.ok(
    (free.lastInfo as { totalTrades: number }).totalTrades > 10,
    "without the guard it trades",
  );
});
