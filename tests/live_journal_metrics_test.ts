import assert from "node:assert/strict";
import { Journal } from "../lib/live/journal.ts";
import { SimulatedClock } from "../lib/live/clock.ts";
import { TradingScheduler } from "../lib/live/scheduler.ts";
import {
  buildDailyReport,
  dailyReportHandler,
  dayWindow,
  journalMetrics,
  trackerFromJournal,
  writeDailyReport,
} from "../lib/live/journal_metrics.ts";
import { MetricsTracker } from "../lib/metrics/mod.ts";

const ny = (d: string, t: string) =>
  Temporal.ZonedDateTime.from(`${d}T${t}[America/New_York]`).epochMilliseconds;

/** Two agents over two sessions, with trades, decisions, equity, risk and scheduler rows. */
async function fixtureJournal(): Promise<{ j: Journal; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "journal_metrics_" });
  const j = Journal.open(`${dir}/journal.sqlite`);
  j.registerAgent({ agent: "ppo-1", symbol: "SPY", createdMs: 0 });
  j.registerAgent({ agent: "<b>grpo</b>", symbol: "SPY", createdMs: 0 });
  const eq = [[ny("2026-03-10", "09:30"), 1000], [ny("2026-03-10", "12:00"), 1100], [
    ny("2026-03-11", "10:00"),
    990,
  ], [ny("2026-03-11", "15:00"), 1050]];
  for (const [t, e] of eq) j.recordEquity({ tsMs: t, agent: "ppo-1", equity: e });
  j.recordEquity({ tsMs: ny("2026-03-10", "09:30"), agent: "<b>grpo</b>", equity: 500 });
  j.recordEquity({ tsMs: ny("2026-03-11", "15:00"), agent: "<b>grpo</b>", equity: 490 });
  const trade = (agent: string, day: string, pnl: number, side: "long" | "short" = "long") =>
    j.recordTrade({
      agent,
      symbol: "SPY",
      side,
      qty: 1,
      entryMs: ny(day, "10:00"),
      exitMs: ny(day, "11:00"),
      entryPrice: 100,
      exitPrice: 100 + pnl,
      pnl,
      fees: 0.1,
    });
  trade("ppo-1", "2026-03-10", 100);
  trade("ppo-1", "2026-03-11", -110);
  trade("ppo-1", "2026-03-11", 60, "short");
  trade("<b>grpo</b>", "2026-03-11", -10);
  const dec = (
    agent: string,
    t: number,
    decision: "acted" | "blocked" | "held" | "exited",
    reason?: string,
  ) =>
    j.recordDecision({
      tsMs: t,
      agent,
      symbol: "SPY",
      barTimeMs: t - 300_000,
      action: 2,
      probs: [0.2, 0.1, 0.7],
      decision,
      reason,
    });
  dec("ppo-1", ny("2026-03-11", "10:00"), "acted");
  dec("ppo-1", ny("2026-03-11", "10:05"), "blocked", "daily_loss_limit");
  dec("<b>grpo</b>", ny("2026-03-11", "10:05"), "blocked", "daily_loss_limit");
  dec("<b>grpo</b>", ny("2026-03-11", "10:10"), "blocked", "max_drawdown");
  dec("ppo-1", ny("2026-03-11", "10:15"), "exited", "ladder_level_1");
  dec("ppo-1", ny("2026-03-10", "10:15"), "held");
  j.recordRiskEvent({
    tsMs: ny("2026-03-11", "10:05"),
    agent: "ppo-1",
    rule: "daily_loss_limit",
    action: "halt",
  });
  j.recordSchedulerEvent({
    job: "close_flatten",
    scheduledMs: ny("2026-03-11", "15:50"),
    atMs: ny("2026-03-11", "15:50"),
    sessionDate: "2026-03-11",
    outcome: "fired",
  });
  j.recordKillSwitchEvent({
    tsMs: ny("2026-03-11", "14:00"),
    action: "set",
    reason: "test <script>",
    source: "cli",
  });
  return { j, dir };
}

Deno.test("journal metrics: the tracker from the journal equals a tracker fed the same trades by hand", async () => {
  const { j, dir } = await fixtureJournal();
  const fromJournal = trackerFromJournal(j, { agent: "ppo-1" });
  assert.equal(fromJournal.initialCapital, 1000, "capital = the agent's first equity");
  const byHand = new MetricsTracker({ initialCapital: 1000, calendar: "us_equity" });
  for (
    const [day, pnl, side] of [["2026-03-10", 100, "long"], ["2026-03-11", -110, "long"], [
      "2026-03-11",
      60,
      "short",
    ]] as const
  ) {
    byHand.recordTrade({
      time: ny(day, "11:00"),
      entryTime: ny(day, "10:00"),
      symbol: "SPY",
      entryPrice: 100,
      exitPrice: 100 + pnl,
      quantity: 1,
      side,
      pnl,
      agent: "ppo-1",
      fees: 0.1,
    });
  }
  assert.deepEqual(fromJournal.calculateMetrics(), byHand.calculateMetrics());
  const m = fromJournal.calculateMetrics();
  assert.equal(m.totalPnl, 50);
  assert.equal(m.stats.winRate, 2 / 3);
  // Decisions and predictions came along: blocked = executed false with the rule.
  const blocked = fromJournal.decisions.filter((d) => d.executed === false);
  assert.deepEqual(blocked.map((d) => d.reason), ["daily_loss_limit"]);
  assert.equal(fromJournal.predictions[0].confidence, 0.7);
  j.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("journal metrics: per agent on its own capital, equity drawdown from the snapshots", async () => {
  const { j, dir } = await fixtureJournal();
  const { overall, byAgent } = journalMetrics(j);
  assert.deepEqual(byAgent.map((a) => a.agent), ["<b>grpo</b>", "ppo-1"]);
  const ppo = byAgent[1];
  assert.equal(ppo.initialCapital, 1000);
  assert.equal(ppo.latestEquity, 1050);
  assert.ok(Math.abs(ppo.equityMaxDrawdown - (990 / 1100 - 1)) < 1e-15);
  assert.equal(byAgent[0].initialCapital, 500);
  assert.equal(byAgent[0].totalPnl, -10);
  assert.equal(overall.totalPnl, 40);
  assert.equal(overall.returnOnCapital, 40 / 1500);
  j.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("daily report: JSON and self-contained HTML for one New York session", async () => {
  const { j, dir } = await fixtureJournal();
  const { report, jsonPath, htmlPath } = await writeDailyReport(j, "2026-03-11", {
    dir: `${dir}/reports`,
  });
  const w = dayWindow("2026-03-11", "us_equity");
  assert.equal(w.toMs - w.fromMs, 86_400_000);
  assert.equal(report.tracker.trades, 3);
  assert.equal(report.tracker.pnl, -60);
  assert.deepEqual(report.decisions.byKind, { acted: 1, blocked: 3, exited: 1 });
  assert.deepEqual(report.decisions.blockedByRule, { daily_loss_limit: 2, max_drawdown: 1 });
  assert.equal(report.riskEvents.length, 1);
  assert.equal(report.schedulerEvents[0].job, "close_flatten");
  const ppo = report.agents.find((a) => a.agent === "ppo-1")!;
  assert.equal(ppo.dayStartEquity, 990);
  assert.equal(ppo.dayEndEquity, 1050);
  // Metrics are "up to the end of the day": the 10 March trade counts, nothing later would.
  assert.equal(ppo.totalPnl, 50);
  const saved = JSON.parse(await Deno.readTextFile(jsonPath));
  assert.equal(saved.date, "2026-03-11");
  const html = await Deno.readTextFile(htmlPath);
  assert.doesNotMatch(html, /<script|https?:\/\/|src=|<link/i, "no script, no network");
  assert.match(html, /&lt;b&gt;grpo&lt;\/b&gt;/, "agent names escaped");
  assert.match(html, /test &lt;script&gt;/);
  assert.match(html, /<svg/);
  assert.match(html, /max_drawdown/);
  // The previous session has its own report.
  const prev = buildDailyReport(j, "2026-03-10");
  assert.equal(prev.tracker.trades, 1);
  assert.deepEqual(prev.decisions.byKind, { held: 1 });
  j.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("daily report: crypto days are UTC days", async () => {
  const { j, dir } = await fixtureJournal();
  const w = dayWindow("2026-03-11", "crypto");
  assert.equal(w.fromMs, Date.UTC(2026, 2, 11));
  const r = buildDailyReport(j, "2026-03-11", { market: "crypto" });
  assert.equal(r.tracker.trades, 3);
  assert.throws(() => dayWindow("2026-02-30", "crypto"));
  j.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("daily report: the scheduler's 16:05 job writes the day's JSON and HTML", async () => {
  const { j, dir } = await fixtureJournal();
  const start = ny("2026-03-11", "15:00");
  const clock = new SimulatedClock(start);
  await new TradingScheduler({ market: "us_equity", recurringMinutes: null }, {
    daily_report: dailyReportHandler(j, { dir: `${dir}/reports` }),
  }, { clock, resumeFromMs: start }).runUntil(ny("2026-03-11", "17:00"));
  const saved = JSON.parse(await Deno.readTextFile(`${dir}/reports/daily_report_2026-03-11.json`));
  assert.equal(saved.generatedAtMs, ny("2026-03-11", "16:05"));
  assert.equal(saved.tracker.trades, 3);
  await Deno.stat(`${dir}/reports/daily_report_2026-03-11.html`);
  j.close();
  await Deno.remove(dir, { recursive: true });
});
