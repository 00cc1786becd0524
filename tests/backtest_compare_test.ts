import assert from "node:assert/strict";
import { bootstrapRows, comparisonRows, tradeRows, walkForwardRows } from "../lib/report/mod.ts";
import {
  alignReturns,
  AlwaysFlatPolicy,
  backtest,
  type BacktestResult,
  bootstrapSharpeDifference,
  BuyAndHoldPolicy,
  checkTargets,
  compareOnSplit,
  compareToBaseline,
  comparisonTable,
  consecutiveFolds,
  FixedRuleBaseline,
  formatComparisonTable,
  optimalBlockLength,
  RandomPolicy,
  sixMonthReturn,
  walkForward,
} from "../lib/backtest/mod.ts";
import { computePerformance, performanceRows, sharpeRatio } from "../lib/metrics/mod.ts";
import { Rng } from "../lib/util/prng.ts";
import { FakeTradingEnv } from "./backtest_fixture.ts";

const P = 105_120;

function noise(n: number, seed: number, mu: number, sd: number): Float64Array {
  const r = new Rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mu + sd * r.normal();
  return out;
}

Deno.test("bootstrap: identical strategies → difference 0, p = 1", () => {
  const a = noise(2000, 1, 0.0001, 0.001);
  const t = bootstrapSharpeDifference(a, a, { periodsPerYear: P, samples: 300, seed: 1 });
  assert.equal(t.difference, 0);
  assert.equal(t.ciLow, 0);
  assert.equal(t.ciHigh, 0);
  assert.equal(t.pValue, 1);
});

Deno.test("bootstrap: a clearly better strategy is significant; noise is not; seeded", () => {
  const n = 3000;
  const b = noise(n, 2, 0, 0.001);
  const good = noise(n, 3, 0.0004, 0.001); // per-bar Sharpe 0.4
  const t = bootstrapSharpeDifference(good, b, { periodsPerYear: P, samples: 400, seed: 5 });
  assert.ok(Math.abs(t.sharpeA - (sharpeRatio(good, P) as number)) < 1e-6);
  assert.ok(t.difference > 0);
  assert.ok(t.pValue < 0.01, `p = ${t.pValue}`);
  assert.ok(t.ciLow > 0 && t.ciLow <= t.difference && t.difference <= t.ciHigh);
  const same = noise(n, 4, 0, 0.001);
  const u = bootstrapSharpeDifference(same, b, { periodsPerYear: P, samples: 400, seed: 5 });
  assert.ok(u.pValue > 0.05, `p = ${u.pValue}`);
  assert.ok(u.ciLow < 0 && u.ciHigh > 0);
  const again = bootstrapSharpeDifference(good, b, { periodsPerYear: P, samples: 400, seed: 5 });
  assert.deepEqual(again, t);
  assert.throws(() => bootstrapSharpeDifference(good, b.subarray(1), { periodsPerYear: P }));
});

Deno.test("Politis–White block length grows with autocorrelation", () => {
  const iid = noise(4000, 9, 0, 1);
  const ar = new Float64Array(4000);
  for (let i = 1; i < ar.length; i++) ar[i] = 0.9 * ar[i - 1] + iid[i];
  const bi = optimalBlockLength(iid);
  const ba = optimalBlockLength(ar);
  assert.ok(bi >= 1 && bi < 5, `iid block ${bi}`);
  assert.ok(ba > 10, `AR(0.9) block ${ba}`);
  assert.ok(ba <= Math.ceil(Math.min(3 * Math.sqrt(4000), 4000 / 3)));
  assert.equal(optimalBlockLength([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]), 1);
});

Deno.test("alignReturns pairs common bars and carries an ended curve flat", () => {
  const al = alignReturns([0, 1, 2, 3], [100, 110, 99, 99], [0, 1, 2], [50, 55, 55]);
  assert.deepEqual([...al.time], [1, 2, 3]);
  assert.deepEqual([...al.a].map((x) => +x.toFixed(12)), [0.1, -0.1, 0]);
  assert.deepEqual([...al.b].map((x) => +x.toFixed(12)), [0.1, 0, 0]);
});

function fakeResult(equity: number[], pnls: number[], days = 182.5): BacktestResult {
  const n = equity.length;
  const step = (days * 86_400_000) / (n - 1);
  const time = Float64Array.from({ length: n }, (_, i) => i * step);
  const trades = pnls.map((p, i) => ({
    side: 1 as const,
    entryBar: i,
    exitBar: i + 1,
    entryTime: 0,
    exitTime: step,
    entryPrice: 1,
    exitPrice: 1,
    size: 1,
    pnl: p,
    fees: 0,
    funding: 0,
  }));
  const metrics = computePerformance({ equity, trades }, { periodsPerYear: P });
  return {
    name: "x",
    steps: n - 1,
    time,
    bar: time,
    equity: Float64Array.from(equity),
    position: new Float64Array(n),
    price: new Float64Array(n),
    actions: new Uint8Array(n - 1),
    rewards: new Float64Array(n - 1),
    rewardComponents: {},
    trades,
    actionCounts: [n - 1, 0, 0, 0, 0, 0],
    feesPaid: 0,
    fundingPaid: 0,
    tradedNotional: 0,
    terminated: false,
    metrics,
    riskEvents: [],
    riskCounts: {},
  };
}

Deno.test("targets table: each target met / not met from the numbers", () => {
  // +30 % over exactly six months with a −10 % drawdown; 3 wins of 4, PF = 30 / 5 = 6,
  // payoff = 10 / 5 = 2 (minTrades lowered to 4 so the trade ratios are scored)
  const r = fakeResult([100, 110, 99, 120, 130], [10, 10, 10, -5]);
  const rows = checkTargets(r, { minTrades: 4 });
  const byName = Object.fromEntries(rows.map((x) => [x.metric.split(" (")[0], x]));
  assert.equal(rows.length, 6);
  assert.equal(byName["Max drawdown"].met, true); // −10 % better than −20 %
  assert.equal(byName["Win rate"].met, true); // 75 %
  assert.equal(byName["Profit factor"].value, 6);
  assert.equal(byName["Profit factor"].met, true);
  assert.equal(byName["Payoff ratio"].value, 2);
  assert.equal(byName["Payoff ratio"].met, true);
  assert.ok(Math.abs((byName["Total return"].value as number) - 0.3) < 1e-9);
  assert.equal(byName["Total return"].met, true);
  assert.equal(byName["Total return"].note, undefined);
  assert.match(byName["Sharpe ratio"].note ?? "", /measured on 182\.5 days/);
  // with the default minimum of 30 trades, 4 trades give no trade ratios at all
  const strict = checkTargets(r);
  for (const m of ["Win rate", "Profit factor", "Payoff ratio"]) {
    const row = strict.find((x) => x.metric.startsWith(m))!;
    assert.equal(row.value, null, m);
    assert.equal(row.met, false, m);
    assert.match(row.display, /^n\/a \(too few trades: 4 < 30\)$/, m);
  }
  // the same return over three months is NOT scaled up to six months: n/a, not met
  const q = checkTargets(fakeResult([100, 110, 99, 120, 130], [10], 91.25));
  const tr = q.find((x) => x.metric.startsWith("Total return"))!;
  assert.equal(tr.value, null);
  assert.equal(tr.met, false);
  assert.match(tr.display, /n\/a \(window < 6 months: 91\.3 days\)/);
  // a year-long window is scaled DOWN to six months by compounding, with a note
  const y = checkTargets(fakeResult([100, 110, 99, 120, 130], [10], 365));
  const ty = y.find((x) => x.metric.startsWith("Total return"))!;
  assert.ok(Math.abs((ty.value as number) - (Math.sqrt(1.3) - 1)) < 1e-9);
  assert.match(ty.note ?? "", /365\.0 days/);
  // losing run, no trades: nothing met, no exceptions
  const bad = checkTargets(fakeResult([100, 90, 70, 75], []));
  assert.ok(bad.every((x) => x.met === false));
  assert.match(bad.find((x) => x.metric === "Win rate")!.display, /too few trades: 0 < 30/);
  // all wins: profit factor unbounded counts as met once enough trades exist
  const wins = checkTargets(fakeResult([100, 101, 102], [1, 1]), { minTrades: 2 });
  assert.equal(wins.find((x) => x.metric.startsWith("Profit factor"))!.met, true);
  assert.equal(sixMonthReturn(r.metrics, 0), null);
});

Deno.test("a 1-trade run scores nothing it cannot earn: no 100 % win rate, no ∞ profit factor", () => {
  // one winning trade of +5 % over 27 days: the flattering reading would be win rate 100 %,
  // profit factor ∞ and a compounded "6-month return" of ≈ +39 %. What this cannot catch:
  // whether 30 is the right minimum (it is the documented, configurable default).
  const one = fakeResult([100, 101, 103, 105], [5], 27);
  const rows = checkTargets(one);
  const get = (m: string) => rows.find((x) => x.metric.startsWith(m))!;
  for (const m of ["Win rate", "Profit factor", "Payoff ratio", "Total return"]) {
    assert.equal(get(m).value, null, m);
    assert.equal(get(m).met, false, m);
    assert.match(get(m).display, /^n\/a \(/, m);
  }
  assert.match(get("Sharpe ratio").note ?? "", /measured on 27\.0 days/);
  const [row] = comparisonTable([{ name: "one", group: "ppo", result: one }]);
  assert.equal(row.winRate, null);
  assert.equal(row.profitFactor, null);
  assert.equal(row.payoffRatio, null);
  assert.equal(row.annualReturn, null); // 27 days are not annualised
  assert.equal(row.calmar, null);
  assert.equal(row.fewTrades, true);
  assert.ok(row.targetsMet <= 2); // at most Sharpe and drawdown, which it earned
  const text = formatComparisonTable([row]);
  assert.match(text, /n\/a\*/);
  assert.match(text, /too few trades/);
  assert.doesNotMatch(text, /∞/);
});

Deno.test("comparison and conclusion on the fake market say plainly when RL does not win", () => {
  // a long, noisy path so the bootstrap has something to chew on
  const n = 600;
  const rng = new Rng(11);
  const close: number[] = [100];
  for (let i = 1; i < n; i++) close.push(close[i - 1] * (1 + 0.002 * rng.normal()));
  const signal = close.map((_, i) => (i % 7 === 0 ? 1 : i % 11 === 0 ? -1 : 0));
  const confidence = close.map(() => 0.8);
  const divergence = signal.map((s) => s * 0.1);
  const bars = { close, signal, confidence, divergence };
  const env = () => new FakeTradingEnv(bars, { initial: 1000, feeRate: 0.0004 });
  const run = (p: { name: string } & Parameters<typeof backtest>[0]) =>
    backtest(p, env, { periodsPerYear: P });
  const base = { name: "baseline", group: "baseline", result: run(new FixedRuleBaseline()) };
  const rl = [1, 2, 3].map((s) => ({
    name: `random s${s}`,
    group: "random",
    result: run(new RandomPolicy({ seed: s })),
  }));
  const bh = { name: "buy&hold", group: "bh", result: run(new BuyAndHoldPolicy()) };
  const rows = comparisonTable([...rl, base, bh]);
  assert.equal(rows.length, 5);
  assert.equal(rows[3].trades, base.result.trades.length);
  const text = formatComparisonTable(rows);
  assert.match(text, /strategy/);
  assert.match(text, /baseline/);
  const c = compareToBaseline(rl, base, { periodsPerYear: P, samples: 200, split: "test" });
  assert.equal(c.tests.length, 3);
  // random policies cannot all beat the baseline significantly
  assert.equal(c.rlBeatsBaseline, false);
  assert.match(
    c.conclusion,
    /does (NOT|not reliably) beat the fixed-rule baseline on the test split/,
  );
  const again = compareToBaseline(rl, base, { periodsPerYear: P, samples: 200, split: "test" });
  assert.equal(again.conclusion, c.conclusion);
  // identical run vs itself is never "better"
  const self = compareToBaseline([base], base, { periodsPerYear: P, samples: 100 });
  assert.equal(self.significantlyBetter, 0);
  assert.match(self.conclusion, /does NOT beat/);
});

Deno.test("walk-forward trains on fold k and tests on fold k + 1 for every fold", async () => {
  const n = 200;
  const close = Array.from({ length: n }, (_, i) => 100 + Math.sin(i / 5));
  const windows = [0, 1, 2, 3].map((k) => ({ start: k * 50, end: (k + 1) * 50 }));
  const pairs = consecutiveFolds(windows);
  assert.equal(pairs.length, 3);
  assert.deepEqual(pairs[1], { train: windows[1], test: windows[2] });
  const trainedOn: number[] = [];
  const report = await walkForward(pairs, {
    train: (r, k) => {
      trainedOn.push(r.start);
      return new RandomPolicy({ seed: k });
    },
    evaluate: (policy, r) =>
      backtest(policy, new FakeTradingEnv({ close: close.slice(r.start, r.end) }), {
        periodsPerYear: P,
      }),
    references: () => [new FixedRuleBaseline()],
  });
  assert.deepEqual(trainedOn, [0, 50, 100]);
  assert.equal(report.folds.length, 3);
  assert.ok("baseline" in report.folds[0].references);
  assert.equal(typeof report.meanRlSharpe, "number");
  assert.ok(report.foldsRlAhead.baseline >= 0 && report.foldsRlAhead.baseline <= 3);
});

Deno.test("compareOnSplit backtests every entry on the same split and tests RL vs baseline", () => {
  const n = 400;
  const rng = new Rng(21);
  const close: number[] = [100];
  for (let i = 1; i < n; i++) close.push(close[i - 1] * (1 + 0.002 * rng.normal()));
  const bars = {
    close,
    signal: close.map((_, i) => (i % 9 === 0 ? 1 : 0)),
    confidence: close.map(() => 0.7),
    divergence: close.map(() => 0.05),
  };
  const out = compareOnSplit(
    [
      { name: "rnd s1", group: "ppo", policy: new RandomPolicy({ seed: 1 }) },
      { name: "rnd s2", group: "a2c", policy: new RandomPolicy({ seed: 2 }) },
      { name: "baseline", group: "baseline", policy: new FixedRuleBaseline() },
      { name: "buy & hold", group: "buy_and_hold", policy: new BuyAndHoldPolicy() },
    ],
    () => new FakeTradingEnv(bars, { feeRate: 0.0004 }),
    { split: "validation", periodsPerYear: P, samples: 100 },
  );
  assert.equal(out.runs.length, 4);
  assert.equal(out.rows.length, 4);
  assert.equal(out.targets.length, 4);
  assert.equal(out.runs[0].result.steps, n - 1);
  assert.ok(out.vsBaseline !== null);
  assert.deepEqual(out.vsBaseline!.tests.map((t) => t.name), ["rnd s1", "rnd s2"]);
  assert.match(out.vsBaseline!.conclusion, /validation split/);
});

Deno.test("display rows of trades, comparison, bootstrap and walk-forward", async () => {
  const close = Array.from({ length: 120 }, (_, i) => 100 + Math.sin(i / 3) * 2);
  const bars = {
    close,
    signal: close.map((_, i) => (i % 10 === 0 ? 1 : 0)),
    confidence: close.map(() => 0.7),
    divergence: close.map(() => 0.1),
  };
  const env = () => new FakeTradingEnv(bars, { feeRate: 0.0004 });
  const base = backtest(new FixedRuleBaseline(), env, { periodsPerYear: P });
  const rows = tradeRows(base, 3);
  assert.equal(rows.length, Math.min(3, base.trades.length));
  assert.equal(rows[0].side, "long");
  assert.equal(rows[0].pnl, +base.trades[0].pnl.toFixed(4));
  const perf = performanceRows(base.metrics);
  assert.ok(perf.some((r) => r.metric.startsWith("payoff ratio")));
  assert.ok(perf.every((r) => !r.value.includes("NaN")));
  const cmp = comparisonRows(comparisonTable([{ name: "b", group: "baseline", result: base }]));
  assert.equal(cmp[0].trades, base.trades.length);
  const rl = [{
    name: "r",
    group: "ppo",
    result: backtest(new RandomPolicy(), env, { periodsPerYear: P }),
  }];
  const c = compareToBaseline(rl, { name: "b", group: "baseline", result: base }, {
    periodsPerYear: P,
    samples: 50,
  });
  const br = bootstrapRows(c);
  assert.equal(br[0].run, "r");
  assert.match(String(br[0]["95 % CI"]), /^\[.*\]$/);
  const wf = await walkForward(consecutiveFolds([{ start: 0, end: 60 }, { start: 60, end: 120 }]), {
    train: () => new RandomPolicy(),
    evaluate: (p, r) =>
      backtest(p, new FakeTradingEnv({ ...bars, close: close.slice(r.start, r.end) }), {
        periodsPerYear: P,
      }),
    references: () => [new FixedRuleBaseline()],
  });
  const wr = walkForwardRows(wf);
  assert.equal(wr.length, 1);
  assert.ok("baseline Sharpe" in wr[0]);
});

Deno.test("bootstrap p-value and percentile interval agree", () => {
  for (const [mu, seed] of [[0.0001, 1], [0.00015, 2], [0.0002, 3], [0.00005, 4]] as const) {
    const a = noise(1500, 100 + seed, mu, 0.001);
    const b = noise(1500, 200 + seed, 0, 0.001);
    const t = bootstrapSharpeDifference(a, b, { periodsPerYear: P, samples: 500, seed });
    const excludesZero = t.ciLow > 0 || t.ciHigh < 0;
    assert.equal(excludesZero, t.pValue <= 0.05, `CI [${t.ciLow}, ${t.ciHigh}] vs p ${t.pValue}`);
  }
});

Deno.test("the conclusion counts RL runs that never traded", () => {
  const close = Array.from({ length: 300 }, (_, i) => 100 + Math.sin(i / 4) * 3);
  const bars = {
    close,
    signal: close.map((_, i) => (i % 12 === 0 ? 1 : 0)),
    confidence: close.map(() => 0.7),
    divergence: close.map(() => 0.1),
  };
  const env = () => new FakeTradingEnv(bars, { feeRate: 0.0004 });
  const run = (name: string, group: string, p: Parameters<typeof backtest>[0]) => ({
    name,
    group,
    result: backtest(p, env, { periodsPerYear: P }),
  });
  const base = run("baseline", "baseline", new FixedRuleBaseline());
  const c = compareToBaseline(
    [run("flat", "ppo", new AlwaysFlatPolicy()), run("rnd", "a2c", new RandomPolicy())],
    base,
    { periodsPerYear: P, samples: 100 },
  );
  assert.equal(c.idleRuns, 1);
  assert.match(c.conclusion, /1 of 2 RL runs never traded/);
});
