import assert from "node:assert/strict";
import { MetricsTracker, type TradeRecord, tradeStats } from "../lib/metrics/mod.ts";

const H = 3_600_000;
function trade(pnl: number, side: 1 | -1 = 1, hold = 2, fees = 1, funding = 0.5): TradeRecord {
  return {
    side,
    entryBar: 10,
    exitBar: 10 + hold,
    entryTime: 0,
    exitTime: hold * 300_000,
    entryPrice: 100,
    exitPrice: 101,
    size: 1,
    pnl,
    fees,
    funding,
  };
}

Deno.test("trade statistics by hand", () => {
  // pnl 10, −5, 20, −5, −10, 0: 2 wins (30), 3 losses (20), 1 breakeven.
  const s = tradeStats([
    trade(10),
    trade(-5, -1),
    trade(20, 1, 4),
    trade(-5),
    trade(-10, -1),
    trade(0),
  ]);
  assert.equal(s.trades, 6);
  assert.equal(s.wins, 2);
  assert.equal(s.losses, 3);
  assert.equal(s.breakeven, 1);
  assert.equal(s.winRate, 2 / 6);
  assert.equal(s.grossProfit, 30);
  assert.equal(s.grossLoss, 20);
  assert.equal(s.profitFactor, 1.5); // 30 / 20
  assert.equal(s.avgWin, 15);
  assert.equal(s.avgLoss, 20 / 3);
  assert.equal(s.payoffRatio, 15 / (20 / 3)); // 2.25: the spec's "profit factor"
  assert.equal(s.expectancy, 10 / 6);
  assert.equal(s.largestWin, 20);
  assert.equal(s.largestLoss, -10);
  assert.equal(s.maxConsecutiveLosses, 2);
  assert.equal(s.avgHoldingBars, (2 * 5 + 4) / 6);
  assert.equal(s.avgHoldingMs, ((2 * 5 + 4) / 6) * 300_000);
  assert.equal(s.feesPaid, 6);
  assert.equal(s.fundingPaid, 3);
  assert.equal(s.longTrades, 4);
  assert.equal(s.shortTrades, 2);
});

Deno.test("trade statistics edge cases: no trades, all wins, all losses", () => {
  const none = tradeStats([]);
  assert.equal(none.trades, 0);
  assert.equal(none.winRate, null);
  assert.equal(none.profitFactor, null);
  assert.equal(none.payoffRatio, null);
  assert.equal(none.expectancy, null);
  assert.equal(none.avgHoldingBars, null);
  assert.equal(none.feesPaid, 0);
  const wins = tradeStats([trade(5), trade(7)]);
  assert.equal(wins.winRate, 1);
  assert.equal(wins.profitFactor, null); // unbounded: no losing trade
  assert.equal(wins.grossLoss, 0);
  assert.equal(wins.payoffRatio, null);
  assert.equal(wins.avgLoss, null);
  assert.equal(wins.expectancy, 6);
  const losses = tradeStats([trade(-5), trade(-7)]);
  assert.equal(losses.winRate, 0);
  assert.equal(losses.profitFactor, 0);
  assert.equal(losses.payoffRatio, null);
  assert.equal(losses.maxConsecutiveLosses, 2);
});

Deno.test("metrics tracker: windowed metrics, per-agent performance, daily report", async () => {
  const day = 86_400_000;
  const t0 = Date.UTC(2024, 0, 1);
  const tr = new MetricsTracker({ initialCapital: 1000, calendar: "crypto" });
  const rec = (t: number, pnl: number, agent: string) =>
    tr.recordTrade({
      time: t,
      entryTime: t - H,
      symbol: "BTCUSDT",
      entryPrice: 100,
      exitPrice: 101,
      quantity: 1,
      side: "long",
      pnl,
      agent,
      fees: 0.1,
    });
  rec(t0 + 1 * H, 10, "ppo"); // day 0: +10 (ppo) −20 (baseline)
  rec(t0 + 2 * H, -20, "baseline");
  rec(t0 + 2 * day + H, 30, "ppo"); // day 2: +30; day 1 has no trades
  tr.recordDecision({ time: t0 + H, agent: "ppo", action: "ENTER_LONG" });
  tr.recordDecision({
    time: t0 + H,
    agent: "ppo",
    action: "HOLD",
    executed: false,
    reason: "risk",
  });
  tr.recordPrediction({ time: t0 + H, model: "ppo", value: [0.1, 0.9] });

  const m = tr.calculateMetrics();
  assert.equal(m.totalPnl, 20);
  assert.equal(m.returnOnCapital, 0.02);
  assert.equal(m.stats.trades, 3);
  // equity 1000 → 1010 → 990 → 1020: max DD = 990/1010 − 1
  assert.ok(Math.abs(m.maxDrawdown - (990 / 1010 - 1)) < 1e-15);
  // daily returns over 3 calendar days: −10/1000, 0/990, 30/990; Sharpe × √365
  const r = [-0.01, 0, 30 / 990];
  const mu = (r[0] + r[1] + r[2]) / 3;
  const sd = Math.sqrt(r.reduce((a, x) => a + (x - mu) ** 2, 0) / 2);
  assert.equal(m.days, 3);
  assert.ok(Math.abs((m.sharpe as number) - (mu / sd) * Math.sqrt(365)) < 1e-12);

  // look-back of 1 day from the last trade: only the day-2 trade
  const last = tr.calculateMetrics({ lookbackDays: 1 });
  assert.equal(last.stats.trades, 1);
  assert.equal(last.totalPnl, 30);

  const per = tr.getAgentPerformance();
  assert.deepEqual(Object.keys(per), ["baseline", "ppo"]);
  assert.equal(per.ppo.totalPnl, 40);
  assert.equal(per.ppo.stats.winRate, 1);
  assert.equal(per.baseline.stats.winRate, 0);

  const rep = tr.dailyReport("2024-01-01");
  assert.equal(rep.trades, 2);
  assert.equal(rep.pnl, -10);
  assert.equal(rep.byAgent.ppo.pnl, 10);
  assert.deepEqual(rep.decisions, { ENTER_LONG: 1, HOLD: 1 });
  assert.equal(rep.blockedDecisions, 1);
  assert.equal(rep.predictions, 1);
  assert.equal(rep.cumulativePnl, -10);
  assert.match(rep.text, /Daily report 2024-01-01/);
  assert.equal(tr.dailyReport(t0 + 2 * day).cumulativePnl, 20);
  assert.equal(tr.dailyReport("2024-01-02").trades, 0);

  // round trip through a file
  const dir = await Deno.makeTempDir();
  await tr.save(`${dir}/tracker.json`);
  const back = await MetricsTracker.load(`${dir}/tracker.json`);
  assert.deepEqual(back.calculateMetrics(), m);
  await Deno.remove(dir, { recursive: true });

  // empty tracker: defined values
  const empty = new MetricsTracker().calculateMetrics();
  assert.equal(empty.totalPnl, 0);
  assert.equal(empty.sharpe, null);
  assert.equal(empty.stats.winRate, null);
});

Deno.test("metrics tracker ingests a trade ledger", () => {
  const tr = new MetricsTracker({ initialCapital: 100 });
  tr.recordTrades([trade(2), trade(-1, -1)], { agent: "baseline", symbol: "X" });
  const m = tr.getAgentPerformance().baseline;
  assert.equal(m.stats.trades, 2);
  assert.equal(m.totalPnl, 1);
  assert.equal(m.stats.shortTrades, 1);
  assert.equal(m.stats.feesPaid, 2);
});
