/**
 * Backtests through the real FuturesTradingEnv and Account on a hand-built market: the
 * baseline's trades follow the rules, fills/fees/funding follow the accounting rules, and a
 * different policy issuing the same actions is charged exactly the same.
 */
import assert from "node:assert/strict";
import {
  backtest,
  BASELINE_REASON_NAMES,
  BuyAndHoldPolicy,
  FixedRuleBaseline,
  RandomPolicy,
  ReplayPolicy,
  SPEC_OBSERVATION_LAYOUT,
} from "../lib/backtest/mod.ts";
import type { ActOptions, ActResult, Policy } from "../lib/env/policy.ts";
import type { MarketData } from "../lib/data/market_data.ts";
import type { FeatureMatrix } from "../lib/features/feature_matrix.ts";
import type { Signals } from "../lib/env/signals.ts";
import { FuturesTradingEnv } from "../lib/env/futures_env.ts";
import { OBSERVATION_NAMES } from "../lib/env/policy.ts";
import { DEFAULT_TRADING_CONFIG } from "../lib/trading/config.ts";
import { periodsPerYear } from "../lib/util/calendar.ts";

const FIVE_MIN = 300_000;
const P = periodsPerYear("5m", "crypto");

interface Path {
  close: number[];
  /** 0 down, 1 flat, 2 up (the Signals encoding). */
  signal: number[];
  confidence: number[];
  divergence: number[];
  funding?: number[];
}

function build(p: Path): { market: MarketData; features: FeatureMatrix; signals: Signals } {
  const n = p.close.length;
  const time = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * FIVE_MIN);
  const close = Float64Array.from(p.close);
  const market: MarketData = {
    symbol: "TEST",
    interval: "5m",
    intervalMs: FIVE_MIN,
    time,
    open: close.slice(),
    high: close.slice(),
    low: close.slice(),
    close,
    volume: new Float64Array(n).fill(1),
    fundingRate: p.funding ? Float64Array.from(p.funding) : undefined,
  };
  // the columns the env reads (its ENV_FEATURES list)
  const names = [
    "return_20",
    "natr",
    "rsi_14",
    "oi_price_divergence_20",
    "oi_change_20",
    "funding_rate",
    "volume_ratio",
    "bb_position",
    "atr_14",
  ];
  const cols = names.length;
  const data = new Float64Array(n * cols);
  for (let i = 0; i < n; i++) {
    const row: Record<string, number> = {
      return_20: 0,
      natr: 0.001,
      rsi_14: 50,
      oi_price_divergence_20: p.divergence[i],
      oi_change_20: 0,
      funding_rate: 0,
      volume_ratio: 1,
      bb_position: 0.5,
      atr_14: 1,
    };
    names.forEach((name, j) => (data[i * cols + j] = row[name]));
  }
  const features: FeatureMatrix = {
    names,
    rows: n,
    cols,
    data,
    time,
    firstValidRow: 0,
    valid: new Uint8Array(n).fill(1),
    available: { openInterest: true, funding: true },
  };
  const signals: Signals = {
    time,
    signal: Int8Array.from(p.signal),
    confidence: Float64Array.from(p.confidence),
    target: new Float64Array(n),
    available: new Uint8Array(n).fill(1),
    horizon: 12,
  };
  return { market, features, signals };
}

class Recording implements Policy {
  readonly name = "baseline";
  reasons: string[] = [];
  constructor(readonly inner: FixedRuleBaseline) {}
  act(obs: Float64Array, o?: ActOptions): ActResult {
    const r = this.inner.act(obs, o);
    this.reasons.push(BASELINE_REASON_NAMES[this.inner.lastReasons[0]]);
    return r;
  }
}

// Sizing with the defaults at price 100 and ATR 1: risk notional 0.02 × 2000 × 100 / 1.5 =
// 2,666.67 (below the cap 2000 × 5 × 0.5 = 5,000), i.e. 26.67 contracts; a 1-point move is
// ≈ 1.33 % of equity. Slippage 0.02 % moves fills against the trader.
const N = 40;
const close = new Array(N).fill(100);
close[3] = 100.3; // +0.4 % of equity: hold
close[4] = 101; // ≈ +1.3 %: take profit (decided on bar 4, filled at its close)
close[8] = 100.2; // short from 100 at bar 7: ≈ −0.27 %: hold
close[9] = 100.5; // ≈ −0.67 %: stop loss
for (let i = 10; i < N; i++) close[i] = 100.5;
const signal = new Array(N).fill(1);
const confidence = new Array(N).fill(0);
const divergence = new Array(N).fill(0);
const sig = (t: number, s: number, c: number, d: number) => {
  signal[t] = s;
  confidence[t] = c;
  divergence[t] = d;
};
sig(2, 2, 0.7, 0.1); // up → LONG at bar 2
sig(6, 2, 0.7, -0.1); // up but divergence < 0: no entry
sig(7, 0, 0.8, -0.1); // down → SHORT at bar 7
sig(11, 2, 0.61, 0.05); // up → LONG at bar 11, then flat prices → time exit at bar 32 (held 21 > 20)
const funding = new Array(N).fill(NaN);
funding[5] = 0.0001; // flat then: nothing paid
funding[9] = 0.0002; // the short receives… the rate is positive: shorts RECEIVE
funding[20] = 0.0003; // the long pays
const path = { close, signal, confidence, divergence, funding };
const makeEnv = () => new FuturesTradingEnv({ ...build(path) });

Deno.test("baseline through the real env: entries and each exit reason", () => {
  const rec = new Recording(new FixedRuleBaseline());
  const r = backtest(rec, makeEnv, { periodsPerYear: P });
  assert.equal(r.steps, N - 1);
  assert.deepEqual(
    r.trades.map((t) => [t.side, t.entryBar, t.exitBar, t.exitReason]),
    [[1, 2, 4, "exit"], [-1, 7, 9, "exit"], [1, 11, 32, "exit"]],
  );
  assert.equal(rec.reasons[2], "entry_long");
  assert.equal(rec.reasons[3], "none");
  assert.equal(rec.reasons[4], "take_profit");
  assert.equal(rec.reasons[6], "none");
  assert.equal(rec.reasons[7], "entry_short");
  assert.equal(rec.reasons[8], "none");
  assert.equal(rec.reasons[9], "stop_loss");
  assert.equal(rec.reasons[11], "entry_long");
  assert.equal(rec.reasons[31], "none"); // held 20 bars: not > 20
  assert.equal(rec.reasons[32], "time");
  assert.equal(r.metrics.trades.trades, 3);
});

Deno.test("fills, fees and funding follow the accounting rules and do not depend on the policy", () => {
  const base = backtest(new FixedRuleBaseline(), makeEnv, { periodsPerYear: P });
  const { feeRate, slippage } = DEFAULT_TRADING_CONFIG;
  for (const t of base.trades) {
    const entryFill = close[t.entryBar] * (1 + slippage * t.side);
    const exitFill = close[t.exitBar] * (1 - slippage * t.side);
    assert.ok(Math.abs(t.entryPrice - entryFill) < 1e-9);
    assert.ok(Math.abs(t.exitPrice - exitFill) < 1e-9);
    const fees = feeRate * t.size * (entryFill + exitFill);
    assert.ok(Math.abs(t.fees - fees) < 1e-9, `fees ${t.fees} vs ${fees}`);
    // funding on every bar held through (entryBar, exitBar]: side × size × close × rate
    let f = 0;
    for (let b = t.entryBar + 1; b <= t.exitBar; b++) {
      if (!Number.isNaN(funding[b])) f += t.side * t.size * close[b] * funding[b];
    }
    assert.ok(Math.abs((t.funding ?? 0) - f) < 1e-9, `funding ${t.funding} vs ${f}`);
    const gross = t.size * (exitFill - entryFill) * t.side;
    assert.ok(Math.abs(t.pnl - (gross - fees - f)) < 1e-9);
  }
  assert.ok(base.trades[1].funding < 0); // the short received
  assert.ok(base.trades[2].funding > 0); // the long paid
  // an "RL" policy that issues the same actions is charged exactly the same
  const rl = backtest(new ReplayPolicy(base.actions, { name: "ppo" }), makeEnv, {
    periodsPerYear: P,
  });
  assert.deepEqual(rl.trades, base.trades);
  assert.equal(rl.feesPaid, base.feesPaid);
  assert.equal(rl.fundingPaid, base.fundingPaid);
  assert.deepEqual(rl.equity, base.equity);
  assert.equal(base.fundingPaid, base.trades.reduce((s, t) => s + t.funding, 0));
});

Deno.test("real env: determinism, reward components, buy-and-hold closes at the end", () => {
  const a = backtest(new RandomPolicy({ seed: 4 }), makeEnv, { periodsPerYear: P });
  const b = backtest(new RandomPolicy({ seed: 4 }), makeEnv, { periodsPerYear: P });
  assert.deepEqual(a.equity, b.equity);
  assert.deepEqual(a.actions, b.actions);
  assert.deepEqual(a.trades, b.trades);
  assert.deepEqual(Object.keys(a.rewardComponents).sort(), [
    "action",
    "drawdown",
    "duration",
    "liquidation",
    "pnl",
    "sharpe",
    "volatility",
  ]);
  for (let i = 0; i < a.steps; i++) {
    let s = 0;
    for (const k of Object.keys(a.rewardComponents)) s += a.rewardComponents[k][i];
    assert.ok(Math.abs(s - a.rewards[i]) < 1e-9);
  }
  // the env's action masks are passed by default: a random policy requests only valid actions
  for (let i = 0; i < a.steps; i++) {
    const act = a.actions[i];
    if (a.position[i] !== 0) assert.ok(act !== 1 && act !== 2, `entry while in a position at ${i}`);
    else assert.ok(act !== 3 && act !== 4 && act !== 5, `exit/scale while flat at ${i}`);
  }
  const unmasked = backtest(new RandomPolicy({ seed: 4 }), makeEnv, {
    periodsPerYear: P,
    useMasks: false,
  });
  assert.notDeepEqual(unmasked.actions, a.actions);
  // equity[0] is the starting balance at the first valid bar; times step by 5 minutes
  assert.equal(a.equity[0], 2000);
  assert.equal(a.time[1] - a.time[0], FIVE_MIN);
  const bh = backtest(new BuyAndHoldPolicy(), makeEnv, { periodsPerYear: P });
  assert.equal(bh.trades.length, 1);
  assert.equal(bh.trades[0].exitReason, "end_of_data");
  assert.equal(bh.metrics.exposure, 1);
});

Deno.test("the baseline's observation layout matches the env's observation names", () => {
  const L = SPEC_OBSERVATION_LAYOUT;
  assert.equal(OBSERVATION_NAMES.length, L.obsDim);
  assert.equal(OBSERVATION_NAMES[L.position], "position");
  assert.equal(OBSERVATION_NAMES[L.positionPnl], "unrealised_pnl_over_equity");
  assert.equal(OBSERVATION_NAMES[L.timeInPosition], "time_in_position");
  assert.equal(OBSERVATION_NAMES[L.signal], "ml_signal");
  assert.equal(OBSERVATION_NAMES[L.confidence], "ml_confidence");
  assert.equal(OBSERVATION_NAMES[L.divergence], "oi_price_divergence_20");
});
