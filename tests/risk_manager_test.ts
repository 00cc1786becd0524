/**
 * Scenario tables for the risk manager: one table per rule. Each row is a step at a wall-clock
 * time (ISO with offset, so the New York hour is visible) and what the manager must answer.
 *
 * What these tests cannot catch: whether the limits are the right ones for a given strategy
 * (they are the specification's), or a caller that forgets to call `observe` every bar.
 */
import assert from "node:assert/strict";
import {
  type RiskConfig,
  RiskError,
  type RiskEvent,
  RiskManager,
  sessionAt,
  sessionCalendarFor,
} from "../lib/risk/mod.ts";
import { exitPreset, riskPreset } from "../lib/risk/mod.ts";
import { ConfigError } from "../lib/util/errors.ts";

type Step =
  & { at: string }
  & (
    | { buy: RiskCtx; expect: [allowed: boolean, rule: string | null, reason?: RegExp] }
    | { close: RiskCtx; expect: [allowed: boolean, rule: string | null, reason?: RegExp] }
    | { observe: number }
    | { closed: number }
    | { kill: string }
    | { resetKill: true }
    | { reset: "daily_loss" | "loss_streak" | "max_drawdown" }
    | { saveRestore: true }
  );
type RiskCtx = { equity: number; ivRank?: number; vix?: number; spreadFraction?: number };

/** Run a scenario table; returns the manager and every event it emitted. */
function run(
  steps: Step[],
  config: Partial<RiskConfig> = {},
): { rm: RiskManager; events: RiskEvent[] } {
  let rm = new RiskManager(config);
  const events: RiskEvent[] = [];
  steps.forEach((s, i) => {
    const timeMs = Date.parse(s.at);
    const where = `step ${i} (${s.at})`;
    if ("buy" in s || "close" in s) {
      const ctx = "buy" in s ? s.buy : s.close;
      const d = rm.checkTrade(
        { symbol: "SPY", side: "buy", qty: 10, price: 500, reducesExposure: "close" in s },
        { timeMs, ...ctx },
      );
      assert.equal(d.allowed, s.expect[0], `${where}: allowed? ${d.reason}`);
      assert.equal(d.rule, s.expect[1], `${where}: rule; ${d.reason}`);
      if (s.expect[2]) assert.match(d.reason, s.expect[2], where);
    } else if ("observe" in s) rm.observe({ timeMs, equity: s.observe });
    else if ("closed" in s) rm.recordTradeClosed({ symbol: "SPY", pnl: s.closed, timeMs });
    else if ("kill" in s) rm.setKill(s.kill, timeMs);
    else if ("resetKill" in s) rm.resetKill(timeMs);
    else if ("reset" in s) rm.resetRule(s.reset, timeMs);
    else if ("saveRestore" in s) {
      events.push(...rm.takeEvents());
      rm = RiskManager.restore(JSON.parse(JSON.stringify(rm.state())));
    }
    events.push(...rm.takeEvents());
  });
  return { rm, events };
}

const E = 10_000;

Deno.test("daily_loss: 2 % of the session's first equity shuts new exposure down until the next NY session", () => {
  const { events } = run([
    { at: "2026-01-05T09:30:00-05:00", buy: { equity: E }, expect: [true, null] },
    { at: "2026-01-05T10:00:00-05:00", buy: { equity: 9_801 }, expect: [true, null] }, // 1.99 %
    { at: "2026-01-05T10:05:00-05:00", observe: 9_769 }, // 2.31 % → latched
    {
      at: "2026-01-05T10:06:00-05:00",
      buy: { equity: 9_769 },
      expect: [false, "daily_loss", /daily loss 2\.31 % ≥ limit 2\.00 %/],
    },
    {
      at: "2026-01-05T10:07:00-05:00",
      close: { equity: 9_769 },
      expect: [true, "daily_loss", /exposure-reducing order allowed/],
    },
    // recovery does not lift the shutdown within the session
    { at: "2026-01-05T15:59:00-05:00", buy: { equity: 10_500 }, expect: [false, "daily_loss"] },
    // the next New York trading date does
    { at: "2026-01-06T09:30:00-05:00", buy: { equity: 9_769 }, expect: [true, null] },
  ]);
  assert.deepEqual(
    events.map((e) => e.rule),
    ["daily_loss", "daily_loss", "daily_loss", "daily_loss"], // latch, 2 denials, cleared
  );
  assert.equal(events[0].numbers.limit, 0.02);
  assert.ok(Math.abs(events[0].numbers.dailyLossFraction - 0.0231) < 1e-12);
});

Deno.test("daily_loss: exactly at the limit latches (≥), one cent less does not", () => {
  run([
    { at: "2026-01-05T10:00:00-05:00", observe: E },
    { at: "2026-01-05T10:01:00-05:00", buy: { equity: 9_800.01 }, expect: [true, null] },
    { at: "2026-01-05T10:02:00-05:00", buy: { equity: 9_800 }, expect: [false, "daily_loss"] },
  ]);
});

Deno.test("loss_streak: 3 losing trades in a row shut down; a win resets; the next session or a reset clears", () => {
  const t = (h: string) => `2026-01-05T${h}:00-05:00`;
  const { rm } = run([
    { at: t("09:31"), observe: E },
    { at: t("10:00"), closed: -10 },
    { at: t("10:10"), closed: -10 },
    { at: t("10:20"), closed: +5 }, // streak reset
    { at: t("10:30"), closed: -10 },
    { at: t("10:40"), closed: 0 }, // breakeven leaves the streak
    { at: t("10:50"), closed: -10 },
    { at: t("10:55"), buy: { equity: E }, expect: [true, null] }, // streak 2
    { at: t("11:00"), closed: -10 }, // streak 3 → shutdown
    {
      at: t("11:01"),
      buy: { equity: E },
      expect: [false, "loss_streak", /loss streak 3 ≥ limit 3/],
    },
    { at: t("11:02"), close: { equity: E }, expect: [true, "loss_streak"] },
    { at: t("11:03"), closed: +50 }, // a win after shutdown does not lift it
    { at: t("11:04"), buy: { equity: E }, expect: [false, "loss_streak"] },
    { at: "2026-01-06T09:30:00-05:00", buy: { equity: E }, expect: [true, null] },
    { at: "2026-01-06T10:00:00-05:00", closed: -1 },
    { at: "2026-01-06T10:01:00-05:00", closed: -1 },
    { at: "2026-01-06T10:02:00-05:00", closed: -1 },
    { at: "2026-01-06T10:03:00-05:00", buy: { equity: E }, expect: [false, "loss_streak"] },
    { at: "2026-01-06T10:04:00-05:00", reset: "loss_streak" },
    { at: "2026-01-06T10:05:00-05:00", buy: { equity: E }, expect: [true, null] },
  ]);
  assert.equal(rm.state().lossStreak, 0);
});

Deno.test("kill_switch: denies everything but exposure-reducing orders, across sessions, until reset", () => {
  const { rm } = run([
    { at: "2026-01-05T10:00:00-05:00", kill: "operator file data/KILL present" },
    {
      at: "2026-01-05T10:01:00-05:00",
      buy: { equity: E },
      expect: [false, "kill_switch", /kill switch: operator file/],
    },
    { at: "2026-01-05T10:02:00-05:00", close: { equity: E }, expect: [true, "kill_switch"] },
    { at: "2026-01-09T10:00:00-05:00", buy: { equity: E }, expect: [false, "kill_switch"] },
    { at: "2026-01-09T10:01:00-05:00", resetKill: true },
    { at: "2026-01-09T10:02:00-05:00", buy: { equity: E }, expect: [true, null] },
  ]);
  assert.equal(rm.state().counts.kill_switch, 4); // set, 2 denials, reset
});

Deno.test("kill switch and daily-loss shutdown survive a JSON save/restore of the state", () => {
  const { rm } = run([
    { at: "2026-01-05T10:00:00-05:00", observe: E },
    { at: "2026-01-05T10:01:00-05:00", observe: 9_700 }, // daily loss latched
    { at: "2026-01-05T10:02:00-05:00", kill: "manual" },
    { at: "2026-01-05T10:03:00-05:00", saveRestore: true },
    { at: "2026-01-05T10:04:00-05:00", buy: { equity: 10_000 }, expect: [false, "kill_switch"] },
    { at: "2026-01-05T10:05:00-05:00", resetKill: true },
    { at: "2026-01-05T10:06:00-05:00", buy: { equity: 10_000 }, expect: [false, "daily_loss"] },
    { at: "2026-01-05T10:07:00-05:00", saveRestore: true },
    { at: "2026-01-06T10:00:00-05:00", buy: { equity: 10_000 }, expect: [true, null] },
  ]);
  // the restored manager kept the counters and the session
  assert.equal(rm.state().counts.kill_switch, 3);
  assert.equal(rm.state().session?.date, "2026-01-06");
});

Deno.test("max_drawdown: 10 % below the high-water mark halts across sessions until reset", () => {
  run([
    { at: "2026-01-05T10:00:00-05:00", observe: E },
    { at: "2026-01-06T10:00:00-05:00", observe: 11_000 }, // new peak
    { at: "2026-01-07T10:00:00-05:00", buy: { equity: 9_901 }, expect: [true, null] }, // 9.99 %
    {
      at: "2026-01-08T10:00:00-05:00",
      buy: { equity: 9_900 },
      expect: [false, "max_drawdown", /drawdown 10\.00 % ≥ limit 10\.00 %/],
    },
    { at: "2026-01-09T10:00:00-05:00", buy: { equity: 9_900 }, expect: [false, "max_drawdown"] },
    { at: "2026-01-09T10:01:00-05:00", reset: "max_drawdown" },
    { at: "2026-01-09T10:02:00-05:00", buy: { equity: 9_900 }, expect: [true, null] },
  ], { maxDailyLossFraction: 0.5 });
});

Deno.test("lockouts: IV rank > 95, VIX > 32, spread > 5 % deny new exposure while they last (not latched)", () => {
  const at = "2026-01-05T10:00:00-05:00";
  const rows: Array<[RiskCtx, boolean, string | null, RegExp?]> = [
    [{ equity: E, ivRank: 95, vix: 32, spreadFraction: 0.05 }, true, null],
    [{ equity: E, ivRank: 95.5 }, false, "iv_rank", /IV rank 95\.50 > limit 95\.00/],
    [{ equity: E, vix: 32.01 }, false, "vix", /VIX 32\.01 > limit 32\.00/],
    [{ equity: E, spreadFraction: 0.0501 }, false, "spread", /spread 5\.01 % > limit 5\.00 %/],
    [{ equity: E }, true, null], // lifted at once; missing values do not apply
    [{ equity: E, ivRank: 99, vix: 40 }, false, "iv_rank"], // first rule in check order
  ];
  const rm = new RiskManager();
  for (const [ctx, allowed, rule, re] of rows) {
    const d = rm.checkTrade({ symbol: "SPY", side: "sell", qty: 1, price: 5 }, {
      timeMs: Date.parse(at),
      ...ctx,
    });
    assert.equal(d.allowed, allowed, JSON.stringify(ctx));
    assert.equal(d.rule, rule, JSON.stringify(ctx));
    if (re) assert.match(d.reason, re);
    if (!allowed) assert.equal(d.level, "high");
    const closing = rm.checkTrade(
      { symbol: "SPY", side: "sell", qty: 1, price: 5, reducesExposure: true },
      { timeMs: Date.parse(at), ...ctx },
    );
    assert.equal(closing.allowed, true);
  }
  assert.deepEqual(rm.state().counts, { iv_rank: 2, vix: 1, spread: 1 });
});

Deno.test("every rule can be switched off by name; `off` preset allows what `spec` denies", () => {
  const at = (d: number, h: number) => new Date(Date.UTC(2026, 0, d, h)).toISOString();
  const path: Step[] = [
    { at: at(5, 15), observe: E },
    { at: at(5, 16), kill: "k" },
    { at: at(5, 17), observe: 9_000 }, // daily loss 10 % and drawdown 10 %
    { at: at(5, 18), closed: -1 },
    { at: at(5, 18), closed: -1 },
    { at: at(5, 18), closed: -1 },
  ];
  const ctx = { equity: 9_000, ivRank: 99, vix: 50, spreadFraction: 0.2 };
  const order = [
    "kill_switch",
    "max_drawdown",
    "daily_loss",
    "loss_streak",
    "spread",
    "iv_rank",
    "vix",
  ];
  // switching rules off one by one (in check order) exposes the next rule each time
  for (let k = 0; k <= order.length; k++) {
    const cfg = { disabled: order.slice(0, k) as RiskConfig["disabled"] };
    const expectRule = k < order.length ? order[k] : null;
    run([...path, { at: at(5, 19), buy: ctx, expect: [expectRule === null, expectRule] }], cfg);
  }
  run([...path, { at: at(5, 19), buy: ctx, expect: [true, null] }], riskPreset("off"));
  run([...path, { at: at(5, 19), buy: ctx, expect: [false, "kill_switch"] }], riskPreset("spec"));
  assert.deepEqual(exitPreset("off").levels, []);
  assert.equal(exitPreset("spec").levels.length, 5);
  assert.throws(() => riskPreset("tight"), ConfigError);
  assert.equal(riskPreset("spec").session, undefined); // left to the consumer
  assert.equal(riskPreset("spec", { calendar: "crypto" }).session?.timeZone, "UTC");
  assert.equal(riskPreset("spec", { calendar: "us_equity" }).session?.timeZone, "America/New_York");
});

Deno.test("session reset: a New York calendar resets at NY midnight, a UTC calendar at UTC midnight", () => {
  // Loss latched at 20:00 NY on Jan 5 = 01:00 UTC Jan 6.
  const steps = (probe: string, allowed: boolean): Step[] => [
    { at: "2026-01-05T19:00:00-05:00", observe: E },
    { at: "2026-01-05T20:00:00-05:00", observe: 9_700 },
    { at: probe, buy: { equity: 9_700 }, expect: [allowed, allowed ? null : "daily_loss"] },
  ];
  const ny = { session: sessionCalendarFor("us_equity") };
  const utc = { session: sessionCalendarFor("crypto") };
  // 23:59 NY Jan 5 (04:59 UTC Jan 6): same NY session, blocked
  run(steps("2026-01-06T04:59:00Z", false), ny);
  // 00:00 NY Jan 6 (05:00 UTC): new NY session
  run(steps("2026-01-06T05:00:00Z", true), ny);
  // UTC calendar: the loss happened on UTC Jan 6 (01:00Z) while the first equity was Jan 6 00:00Z
  run(steps("2026-01-06T23:59:00Z", false), utc);
  run(steps("2026-01-07T00:00:00Z", true), utc);
});

Deno.test("session reset across DST: NY midnight is 05:00Z in winter, 04:00Z in summer; days of 23 and 25 h", () => {
  const ny = sessionCalendarFor("us_equity");
  // Spring forward on Sunday 2026-03-08: that day has 23 hours.
  const mar8 = sessionAt(Date.parse("2026-03-08T12:00:00Z"), ny);
  assert.equal(mar8.date, "2026-03-08");
  assert.equal(mar8.startMs, Date.parse("2026-03-08T05:00:00Z"));
  assert.equal(mar8.endMs, Date.parse("2026-03-09T04:00:00Z"));
  // Fall back on Sunday 2026-11-01: 25 hours.
  const nov1 = sessionAt(Date.parse("2026-11-01T12:00:00Z"), ny);
  assert.equal(nov1.endMs - nov1.startMs, 25 * 3_600_000);
  // A shutdown latched on Mar 8 ends at 04:00Z Mar 9 (a fixed UTC−5 offset would say 05:00Z).
  const cfg = { session: ny };
  const latched: Step[] = [
    { at: "2026-03-08T16:00:00Z", observe: E },
    { at: "2026-03-08T17:00:00Z", observe: 9_000 },
  ];
  run([...latched, {
    at: "2026-03-09T03:59:59Z",
    buy: { equity: 9_000 },
    expect: [false, "daily_loss"],
  }], {
    ...cfg,
    maxDrawdownFraction: 0.5,
  });
  run([...latched, { at: "2026-03-09T04:00:00Z", buy: { equity: 9_000 }, expect: [true, null] }], {
    ...cfg,
    maxDrawdownFraction: 0.5,
  });
  // A session that starts at 18:00 local (futures-style) puts 17:59 and 18:00 in different sessions.
  const cme = { timeZone: "America/New_York", startMinute: 18 * 60 };
  assert.equal(sessionAt(Date.parse("2026-01-05T17:59:00-05:00"), cme).date, "2026-01-04");
  assert.equal(sessionAt(Date.parse("2026-01-05T18:00:00-05:00"), cme).date, "2026-01-05");
  // A start minute inside the spring-forward gap (02:30 does not exist on 2026-03-08): every
  // instant still lies inside the window it is assigned to, and the windows tile time.
  const gap = { timeZone: "America/New_York", startMinute: 150 };
  let prev = sessionAt(Date.parse("2026-03-07T12:00:00Z"), gap);
  for (let t = prev.startMs; t < Date.parse("2026-03-10T12:00:00Z"); t += 600_000) {
    const w = sessionAt(t, gap);
    assert.ok(w.startMs <= t && t < w.endMs, `${new Date(t).toISOString()} outside ${w.date}`);
    if (w.date !== prev.date) {
      assert.equal(w.startMs, prev.endMs, `${w.date} does not follow ${prev.date}`);
    }
    prev = w;
  }
});

Deno.test("decision levels grade how close the nearest limit is", () => {
  const rm = new RiskManager();
  const t = Date.parse("2026-01-05T10:00:00-05:00");
  const level = (ctx: RiskCtx) =>
    rm.checkTrade({ symbol: "X", side: "buy", qty: 1, price: 1 }, { timeMs: t, ...ctx }).level;
  assert.equal(level({ equity: E, vix: 15 }), "low"); // 47 % of the VIX limit
  assert.equal(level({ equity: E, vix: 20 }), "medium"); // 62.5 %
  assert.equal(level({ equity: E, ivRank: 90 }), "high"); // 94.7 %
  assert.equal(level({ equity: E, vix: 33 }), "high"); // denied lockout
  rm.setKill("x", t);
  assert.equal(level({ equity: E }), "critical");
});

Deno.test("bad input is a typed error naming the parameter; time may not run back into a past session", () => {
  assert.throws(() => new RiskManager({ maxDailyLossFraction: 2 }), /maxDailyLossFraction/);
  assert.throws(() => new RiskManager({ maxLossStreak: 0 }), ConfigError);
  assert.throws(() => new RiskManager({ disabled: ["nope" as "vix"] }), /unknown risk rule "nope"/);
  assert.throws(
    () => new RiskManager({ session: { timeZone: "Mars/Olympus", startMinute: 0 } }),
    /unknown time zone/,
  );
  const rm = new RiskManager();
  const t = Date.parse("2026-01-05T10:00:00-05:00");
  assert.throws(
    () => rm.checkTrade({ symbol: "X", side: "buy", qty: 1, price: 1 }, { timeMs: t, equity: NaN }),
    (e: unknown) => e instanceof RiskError && /equity/.test(e.message),
  );
  assert.throws(
    () => rm.checkTrade({ symbol: "X", side: "buy", qty: -1, price: 1 }, { timeMs: t, equity: 1 }),
    /qty/,
  );
  rm.observe({ timeMs: t, equity: 1 });
  assert.throws(
    () => rm.observe({ timeMs: t - 86_400_000, equity: 1 }),
    /before the current session/,
  );
  assert.throws(() => RiskManager.restore({} as never), RiskError);
});
