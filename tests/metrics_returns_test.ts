import assert from "node:assert/strict";
import {
  annualReturn,
  annualVolatility,
  calmarRatio,
  computePerformance,
  cumulativeReturns,
  downsideRisk,
  drawdownSeries,
  drawdownStats,
  maxDrawdown,
  rollingSharpe,
  sharpeRatio,
  simpleReturns,
  sortinoRatio,
  totalReturn,
} from "../lib/metrics/mod.ts";
import { periodsPerYear } from "../lib/util/mod.ts";
import { ConfigError, DataError } from "../lib/util/errors.ts";

const close = (a: number | null, b: number, tol = 1e-12) => {
  assert.ok(a !== null, `expected ${b}, got null`);
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `expected ${b}, got ${a}`);
};

// Hand-computed case: r = [+1 %, −2 %, +3 %, −1 %], P = 12 (monthly bars).
// mean = 0.0025; deviations 0.0075, −0.0225, 0.0275, −0.0125; Σd² = 0.001475;
// std(ddof 1) = √(0.001475 / 3) = 0.02217355; Sharpe = 0.0025 / 0.02217355 × √12 = 0.390567.
// downside: min(r,0)² = 0, 4e-4, 0, 1e-4 → mean over ALL 4 bars 1.25e-4 → √ = 0.01118034;
// Sortino = 0.0025 × 12 / (0.01118034 × √12) = 0.774597.
// wealth 1.01 · 0.98 · 1.03 · 0.99 = 1.00929906 → total 0.00929906;
// annual = 1.00929906^(12/4) − 1 = 0.0281574; max DD = 0.9898/1.01 − 1 = −0.02; Calmar 1.40787.
const R = [0.01, -0.02, 0.03, -0.01];

Deno.test("empyrical definitions on a hand-computed series", () => {
  close(totalReturn(R), 0.00929906);
  close(annualReturn(R, 12), 0.028157401663773785);
  close(annualVolatility(R, 12), 0.07681145747868608);
  close(sharpeRatio(R, 12), 0.3905667329424714);
  close(downsideRisk(R, 12), Math.sqrt(1.25e-4) * Math.sqrt(12));
  close(sortinoRatio(R, 12), 0.7745966692414831);
  close(maxDrawdown(R), -0.02);
  close(calmarRatio(R, 12), 1.4078700831886892);
  const c = cumulativeReturns(R);
  close(c[0], 0.01);
  close(c[1], 0.9898 - 1);
});

Deno.test("Sortino averages the squared downside over all bars, not only losing ones", () => {
  // Only one losing bar of 4: mean of min(r,0)² over 4 bars = 0.01²/4.
  const r = [0.02, 0.02, -0.01, 0.01];
  const m = 0.01;
  close(sortinoRatio(r, 365), (m * 365) / (Math.sqrt(0.0001 / 4) * Math.sqrt(365)));
});

Deno.test("Sharpe risk-free is per bar and subtracted from every return", () => {
  close(
    sharpeRatio(R, 12, { riskFree: 0.001 }),
    ((0.0025 - 0.001) / 0.02217355782608345) * Math.sqrt(12),
    1e-9,
  );
});

Deno.test("empyrical max_drawdown ignores a first-bar loss; drawdownStats includes the start", () => {
  const r = [-0.1, 0.05];
  assert.equal(maxDrawdown(r), 0);
  const eq = [100, 90, 94.5];
  close(drawdownStats(eq).maxDrawdown, -0.1);
  const p = computePerformance({ equity: eq }, { periodsPerYear: 365 });
  close(p.maxDrawdown, -0.1);
  close(p.calmar, (annualReturn(simpleReturns(eq), 365) as number) / 0.1);
});

Deno.test("drawdown depth and duration on a hand-built equity curve", () => {
  // peak 110 at 1, under water at 2, 3, recovered at 4 (111): 3 bars; peak 111 at 4, under water
  // to the end (5, 6): 2 bars, unrecovered. Deepest: 90 / 111 − 1.
  const eq = [100, 110, 99, 105, 111, 100, 90];
  const s = drawdownStats(eq, 300_000);
  close(s.maxDrawdown, 90 / 111 - 1);
  assert.equal(s.peakIndex, 4);
  assert.equal(s.troughIndex, 6);
  assert.equal(s.maxDurationBars, 3);
  assert.equal(s.maxDurationMs, 900_000);
  assert.equal(s.recovered, true);
  const dd = drawdownSeries(eq);
  close(dd[2], 99 / 110 - 1);
  assert.equal(dd[4], 0);
  // unrecovered spell longer than any recovered one
  const s2 = drawdownStats([100, 90, 95, 99, 98]);
  assert.equal(s2.maxDurationBars, 4);
  assert.equal(s2.recovered, false);
});

Deno.test("edge cases return defined values, never NaN or exceptions", () => {
  // constant equity
  const flat = computePerformance({ equity: [2000, 2000, 2000, 2000], position: [0, 0, 0] }, {
    periodsPerYear: periodsPerYear("5m", "crypto"),
  });
  assert.equal(flat.totalReturn, 0);
  assert.equal(flat.annualReturn, 0);
  assert.equal(flat.annualVolatility, 0);
  assert.equal(flat.sharpe, null);
  assert.equal(flat.sortino, null);
  assert.equal(flat.calmar, null);
  assert.equal(flat.maxDrawdown, 0);
  assert.equal(flat.maxDrawdownDurationBars, 0);
  assert.equal(flat.exposure, 0);
  assert.equal(flat.trades.trades, 0);
  // a single bar
  const one = computePerformance({ equity: [100, 101] }, { periodsPerYear: 12 });
  close(one.totalReturn, 0.01);
  close(one.annualReturn, Math.pow(1.01, 12) - 1);
  assert.equal(one.annualVolatility, null);
  assert.equal(one.sharpe, null);
  assert.equal(one.sortino, null);
  assert.equal(one.calmar, null);
  // no bars at all
  const none = computePerformance({ equity: [100] }, { periodsPerYear: 12 });
  assert.equal(none.bars, 0);
  assert.equal(none.totalReturn, 0);
  assert.equal(none.annualReturn, null);
  assert.equal(none.sharpe, null);
  // constant non-zero returns: std is zero up to rounding → null, not 1e17
  assert.equal(sharpeRatio([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], 252), null);
  // overflow of the annualised return on a tiny, very profitable sample → null
  assert.equal(annualReturn([0.5], 105_120), null);
  // no value anywhere is NaN
  for (const m of [flat, one, none]) {
    for (const v of Object.values(m)) if (typeof v === "number") assert.ok(!Number.isNaN(v));
  }
});

Deno.test("bad input raises typed errors", () => {
  assert.throws(() => sharpeRatio([0.1, NaN], 12), DataError);
  assert.throws(() => sharpeRatio(R, 0), ConfigError);
  assert.throws(() => simpleReturns([1, Infinity]), DataError);
  assert.throws(() => computePerformance({ equity: [] }, { periodsPerYear: 12 }), ConfigError);
  assert.throws(() => rollingSharpe(R, 1, 12), ConfigError);
});

Deno.test("exposure and turnover", () => {
  const p = computePerformance(
    { equity: [100, 100, 102, 101, 101], position: [0, 1, -1, 0], tradedNotional: 404 },
    { periodsPerYear: 8 },
  );
  assert.equal(p.exposure, 0.5);
  close(p.turnover, 404 / 100.8);
  close(p.annualTurnover, ((404 / 100.8) * 8) / 4);
});

Deno.test("rolling Sharpe equals the full Sharpe of each window", () => {
  const r = [0.01, -0.02, 0.03, -0.01, 0.02, 0.0, -0.005];
  const rs = rollingSharpe(r, 4, 12);
  assert.ok(Number.isNaN(rs[2]));
  close(rs[3], sharpeRatio(r.slice(0, 4), 12) as number);
  close(rs[6], sharpeRatio(r.slice(3, 7), 12) as number);
});

Deno.test("periods per year comes from the interval and calendar", () => {
  const r = [0.001, -0.002, 0.0015, 0.0005];
  const crypto = sharpeRatio(r, periodsPerYear("5m", "crypto")) as number;
  const us = sharpeRatio(r, periodsPerYear("5m", "us_equity")) as number;
  close(crypto / us, Math.sqrt(105_120 / 19_656));
});

Deno.test("drawdownStats and computePerformance reject a returns array passed as equity", () => {
  // The mistake users make: per-bar returns where the equity curve belongs. Silently accepted,
  // drawdownStats would measure a "drawdown" between return values (−0.02 vs peak 0.01) and
  // computePerformance would turn returns into returns of returns.
  const returns = [0.01, -0.02, 0.03, -0.01];
  assert.throws(() => drawdownStats(returns), (e: unknown) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, /equity at index 1 is -0\.02/);
    assert.match(e.message, /parameter equity/);
    return true;
  });
  assert.throws(() => drawdownStats([0, 0.01, 0.02]), /starting capital/);
  assert.throws(
    () => computePerformance({ equity: returns }, { periodsPerYear: 12 }),
    (e: unknown) => e instanceof DataError && /parameter equity/.test(e.message),
  );
  // Ruined curves floor at 0 and stay valid: a −100 % drawdown.
  close(drawdownStats([100, 40, 0, 0]).maxDrawdown, -1);
  // What the rule cannot catch: an all-positive returns array looks like a poor equity curve.
  assert.doesNotThrow(() => drawdownStats([0.01, 0.02, 0.005]));
});

Deno.test("computePerformance names the bad parameter instead of a bare TypeError", () => {
  const cases: [() => unknown, typeof ConfigError | typeof DataError, RegExp][] = [
    // deno-lint-ignore no-explicit-any
    [() => computePerformance(undefined as any, { periodsPerYear: 12 }), ConfigError, /input/],
    // deno-lint-ignore no-explicit-any
    [() => computePerformance({} as any, { periodsPerYear: 12 }), DataError, /equity/],
    // deno-lint-ignore no-explicit-any
    [() => computePerformance({ equity: [1, 2] }, undefined as any), ConfigError, /options/],
    [
      () => computePerformance({ equity: [1, 2] }, { periodsPerYear: NaN }),
      ConfigError,
      /periodsPerYear/,
    ],
    [
      () => computePerformance({ equity: [1, 2], position: [NaN] }, { periodsPerYear: 12 }),
      DataError,
      /position/,
    ],
    [
      () => computePerformance({ equity: [1, 2], tradedNotional: -5 }, { periodsPerYear: 12 }),
      ConfigError,
      /tradedNotional/,
    ],
    [
      // deno-lint-ignore no-explicit-any
      () => computePerformance({ equity: [1, 2], trades: {} as any }, { periodsPerYear: 12 }),
      ConfigError,
      /trades/,
    ],
    [
      () => computePerformance({ equity: [1, 2] }, { periodsPerYear: 12, intervalMs: -1 }),
      ConfigError,
      /intervalMs/,
    ],
  ];
  for (const [f, cls, re] of cases) {
    assert.throws(f, (e: unknown) => {
      assert.ok(e instanceof cls, `${re}: got ${e}`);
      assert.match((e as Error).message, re);
      return true;
    });
  }
});
