import assert from "node:assert/strict";
import {
  backtest,
  BuyAndHoldPolicy,
  checkTargets,
  comparisonTable,
  FixedRuleBaseline,
  RandomPolicy,
} from "../lib/backtest/mod.ts";
import {
  actionDistributionFigure,
  comparisonTableFigure,
  drawdownFigure,
  equityFigure,
  rewardComponentsFigure,
  rollingSharpeFigure,
  targetsTableFigure,
  tradePnlHistogramFigure,
  tradesOnPriceFigure,
} from "../lib/report/figures_backtest.ts";
import { scriptSafeJson } from "../lib/report/display.ts";
import { Rng } from "../lib/util/prng.ts";
import { FakeTradingEnv } from "./backtest_fixture.ts";

const P = 105_120;
const n = 5000;
const rng = new Rng(3);
const close: number[] = [100];
for (let i = 1; i < n; i++) close.push(close[i - 1] * (1 + 0.002 * rng.normal()));
const bars = {
  close,
  signal: close.map((_, i) => (i % 13 === 0 ? 1 : i % 17 === 0 ? -1 : 0)),
  confidence: close.map(() => 0.9),
  divergence: close.map((_, i) => (i % 13 === 0 ? 0.1 : -0.1)),
};
const env = () => new FakeTradingEnv(bars, { initial: 1000, feeRate: 0.0004 });
const base = backtest(new FixedRuleBaseline(), env, { periodsPerYear: P });
const rnd = backtest(new RandomPolicy({ seed: 1 }), env, { periodsPerYear: P });
const bh = backtest(new BuyAndHoldPolicy(), env, { periodsPerYear: P });

Deno.test("equity and drawdown figures: one trace per strategy, thinned, date axis", () => {
  const f = equityFigure([rnd, base, bh], { maxPoints: 1000 });
  assert.equal(f.data.length, 3);
  assert.deepEqual(f.data.map((d) => d.name), [rnd.name, "baseline", "buy_and_hold"]);
  const y = f.data[1].y as Float64Array;
  assert.ok(y.length <= 1001 && y.length >= 1000);
  assert.equal(y[0], base.equity[0]);
  assert.equal(y[y.length - 1], base.equity[base.equity.length - 1]); // last point kept
  assert.equal((f.layout!.xaxis as { type: string }).type, "date");
  assert.match(String(f.layout!.title), /every 5th bar/);
  const g = equityFigure([base], { normalise: true });
  assert.equal((g.data[0].y as Float64Array)[0], 1);

  const d = drawdownFigure([bh, base], { maxPoints: 500 });
  const dy = d.data[0].y as Float64Array;
  assert.ok(dy.every((v) => v <= 0));
  // the deepest drawdown survives thinning (percent)
  assert.ok(Math.abs(Math.min(...dy) - bh.metrics.maxDrawdown * 100) < 1e-9);
});

Deno.test("trades on price: markers per side at the fills", () => {
  const f = tradesOnPriceFigure(base);
  assert.equal(f.data.length, 5);
  const longEntry = f.data.find((d) => d.name === "long entry")!;
  const shortExit = f.data.find((d) => d.name === "short exit")!;
  const longs = base.trades.filter((t) => t.side === 1);
  const shorts = base.trades.filter((t) => t.side === -1);
  assert.ok(longs.length > 0 && shorts.length > 0);
  assert.deepEqual(longEntry.x, longs.map((t) => t.entryTime));
  assert.deepEqual(longEntry.y, longs.map((t) => t.entryPrice));
  assert.deepEqual(shortExit.y, shorts.map((t) => t.exitPrice));
  assert.equal((longEntry.marker as { color: string }).color, "#2ca02c");
  // exits in a darker shade of the side's colour: no two traces share a colour
  assert.equal((shortExit.marker as { color: string }).color, "#8b1414");
});

Deno.test("action distribution, rolling Sharpe, reward components, PnL histogram", () => {
  const a = actionDistributionFigure([rnd, base]);
  assert.deepEqual(a.data[0].x, ["HOLD", "LONG", "SHORT", "EXIT", "SCALE_IN", "SCALE_OUT"]);
  const shares = a.data[0].y as number[];
  assert.ok(Math.abs(shares.reduce((s, v) => s + v, 0) - 100) < 1e-9);

  const r = rollingSharpeFigure([base], { window: 288, periodsPerYear: P });
  const ry = r.data[0].y as Float64Array;
  assert.ok(Number.isNaN(ry[0])); // warm-up
  assert.ok(ry.some((v) => Number.isFinite(v)));

  const c = rewardComponentsFigure(rnd);
  assert.deepEqual(c.data.map((d) => d.name), ["pnl", "action", "total reward"]);
  const total = c.data[2].y as Float64Array;
  const sum = rnd.rewards.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(total[total.length - 1] - sum) < 1e-9);

  const h = tradePnlHistogramFigure([base, rnd]);
  assert.equal(h.data.length, 2);
  assert.equal((h.data[0].x as number[]).length, base.trades.length);
  assert.equal(h.data[0].type, "histogram");
});

Deno.test("comparison and targets tables; figures serialise without NaN", () => {
  const rows = comparisonTable([
    { name: "random", group: "random", result: rnd },
    { name: "baseline", group: "baseline", result: base },
  ]);
  const t = comparisonTableFigure(rows);
  const cells = (t.data[0].cells as { values: string[][] }).values;
  assert.equal(cells.length, 12);
  assert.deepEqual(cells[0], ["random", "baseline"]);
  const tt = targetsTableFigure([
    { name: "random", checks: checkTargets(rnd) },
    { name: "baseline", checks: checkTargets(base) },
  ]);
  const tv = (tt.data[0].cells as { values: string[][] }).values;
  assert.equal(tv.length, 4);
  assert.equal(tv[0].length, 6);
  assert.ok(tv[2].every((s) => s.endsWith("✓") || s.endsWith("✗")));
  for (const fig of [t, tt, rollingSharpeFigure([base], { window: 50, periodsPerYear: P })]) {
    const json = scriptSafeJson(fig);
    assert.ok(!json.includes("NaN"));
    JSON.parse(json);
  }
});
