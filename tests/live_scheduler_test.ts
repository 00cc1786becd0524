import assert from "node:assert/strict";
import { SimulatedClock } from "../lib/live/clock.ts";
import {
  type JobContext,
  type JobName,
  marketPhase,
  type SchedulerEvent,
  TradingScheduler,
} from "../lib/live/scheduler.ts";
import { ConfigError } from "../lib/util/errors.ts";

const NY = "America/New_York";

/** New York wall time of a UTC epoch ms, as "YYYY-MM-DD HH:MM". */
function ny(ms: number): string {
  const z = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(NY);
  return `${z.toPlainDate()} ${z.toPlainTime().toString().slice(0, 5)}`;
}

function nyMs(date: string, time: string): number {
  return Temporal.ZonedDateTime.from(`${date}T${time}[${NY}]`).epochMilliseconds;
}

function recorder() {
  const ran: JobContext[] = [];
  const h = (ctx: JobContext) => {
    ran.push(ctx);
  };
  const handlers: Record<JobName, typeof h> = {
    pre_market_warmup: h,
    market_open: h,
    close_flatten: h,
    recurring: h,
    daily_report: h,
  };
  return { ran, handlers };
}

Deno.test("scheduler: a simulated month across the autumn DST switch, Thanksgiving and an early close", async () => {
  // 2026-10-29 (EDT) → 2026-11-30 (EST): DST ends Sunday 1 Nov; Thanksgiving Thursday 26 Nov;
  // Friday 27 Nov closes at 13:00.
  const start = nyMs("2026-10-29", "00:00");
  const clock = new SimulatedClock(start);
  const { ran, handlers } = recorder();
  const events: SchedulerEvent[] = [];
  const s = new TradingScheduler({ market: "us_equity" }, handlers, {
    clock,
    resumeFromMs: start,
    onEvent: (e) => events.push(e),
  });
  await s.runUntil(nyMs("2026-11-30", "23:59"));

  assert.ok(events.every((e) => e.outcome === "fired"), "nothing late in a clean simulation");
  assert.ok(ran.every((r) => r.firedMs === r.scheduledMs && !r.late));
  const byJob = (j: JobName) => ran.filter((r) => r.job === j);

  // Warm-up at 08:00 New York, once per session day, both sides of the switch.
  const warm = byJob("pre_market_warmup");
  const days = warm.map((r) => ny(r.scheduledMs).slice(0, 10));
  assert.equal(new Set(days).size, days.length, "once per day");
  assert.ok(warm.every((r) => ny(r.scheduledMs).endsWith(" 08:00")));
  const oct30 = warm.find((r) => r.session.date === "2026-10-30")!;
  const nov2 = warm.find((r) => r.session.date === "2026-11-02")!;
  assert.equal(new Date(oct30.scheduledMs).getUTCHours(), 12); // EDT
  assert.equal(new Date(nov2.scheduledMs).getUTCHours(), 13); // EST
  // Sessions: 22 trading days (23 weekdays minus Thanksgiving), none on weekends.
  assert.equal(days.length, 22);
  assert.ok(!days.includes("2026-11-26"));
  for (const d of days) assert.ok(Temporal.PlainDate.from(d).dayOfWeek <= 5);
  for (const j of ["market_open", "close_flatten", "daily_report"] as const) {
    assert.equal(byJob(j).length, 22, j);
  }
  assert.ok(byJob("market_open").every((r) => ny(r.scheduledMs).endsWith(" 09:30")));
  // Close-flatten 15:50 and report 16:05, except on the 13:00 close: 12:50 and 13:05.
  for (const r of byJob("close_flatten")) {
    assert.equal(ny(r.scheduledMs).slice(11), r.session.date === "2026-11-27" ? "12:50" : "15:50");
  }
  for (const r of byJob("daily_report")) {
    assert.equal(ny(r.scheduledMs).slice(11), r.session.date === "2026-11-27" ? "13:05" : "16:05");
  }
  // Recurring every 5 min from 09:30 to 15:55 (78), 09:30 to 12:55 on the early close (42).
  const rec = byJob("recurring");
  for (const d of days) {
    const ticks = rec.filter((r) => r.session.date === d).map((r) => ny(r.scheduledMs).slice(11));
    const early = d === "2026-11-27";
    assert.equal(ticks.length, early ? 42 : 78, d);
    assert.equal(ticks[0], "09:30");
    assert.equal(ticks[ticks.length - 1], early ? "12:55" : "15:55");
  }
  // Same-instant order: market_open before recurring at 09:30, flatten before recurring.
  const i = ran.findIndex((r) => r.job === "market_open");
  assert.equal(ran[i + 1].job, "recurring");
  assert.equal(ran[i + 1].scheduledMs, ran[i].scheduledMs);
});

Deno.test("scheduler: spring DST week — 08:00 New York stays 08:00 local, once a day", async () => {
  const start = nyMs("2026-03-06", "00:00"); // Friday; DST starts Sunday 8 March
  const clock = new SimulatedClock(start);
  const { ran, handlers } = recorder();
  await new TradingScheduler({ market: "us_equity", recurringMinutes: null }, handlers, {
    clock,
    resumeFromMs: start,
  }).runUntil(nyMs("2026-03-13", "23:00"));
  const warm = ran.filter((r) => r.job === "pre_market_warmup");
  assert.deepEqual(warm.map((r) => ny(r.scheduledMs)), [
    "2026-03-06 08:00",
    "2026-03-09 08:00",
    "2026-03-10 08:00",
    "2026-03-11 08:00",
    "2026-03-12 08:00",
    "2026-03-13 08:00",
  ]);
  assert.deepEqual(warm.map((r) => new Date(r.scheduledMs).getUTCHours()), [
    13,
    12,
    12,
    12,
    12,
    12,
  ]);
});

/** Restart scenario: the journal says everything before `handledBefore` was handled. */
async function restartAt(nowMs: number, handledBefore: number) {
  const clock = new SimulatedClock(nowMs);
  const { ran, handlers } = recorder();
  const events: SchedulerEvent[] = [];
  const s = new TradingScheduler({ market: "us_equity" }, handlers, {
    clock,
    onEvent: (e) => events.push(e),
    alreadyHandled: (_job, t) => t < handledBefore,
  });
  await s.runDue();
  return { ran, events };
}

Deno.test("scheduler: missed close-flatten runs once when restarted at 15:55", async () => {
  const { ran, events } = await restartAt(
    nyMs("2026-03-11", "15:55"),
    nyMs("2026-03-11", "15:40"),
  );
  const flatten = ran.filter((r) => r.job === "close_flatten");
  assert.equal(flatten.length, 1);
  assert.ok(flatten[0].late);
  assert.equal(flatten[0].firedMs, nyMs("2026-03-11", "15:55"));
  // Recurring 15:40…15:50 collapse into the on-time 15:55 tick.
  const rec = ran.filter((r) => r.job === "recurring");
  assert.deepEqual(rec.map((r) => ny(r.scheduledMs).slice(11)), ["15:55"]);
  assert.equal(events.filter((e) => e.reason === "coalesced into a later run").length, 3);
  // Nothing else ran (no warm-up, no activation, no report yet).
  assert.deepEqual(ran.map((r) => r.job).sort(), ["close_flatten", "recurring"]);
});

Deno.test("scheduler: after restart at 11:00, warm-up is skipped, activation catches up once", async () => {
  // Fresh start (no journal): look back 24 h by default.
  const clock = new SimulatedClock(nyMs("2026-03-11", "11:00"));
  const { ran, handlers } = recorder();
  const events: SchedulerEvent[] = [];
  await new TradingScheduler({ market: "us_equity" }, handlers, {
    clock,
    onEvent: (e) => events.push(e),
  }).runDue();
  const ev = (job: JobName, date: string) =>
    events.filter((e) => e.job === job && e.sessionDate === date).map((e) => e.outcome);
  assert.deepEqual(ev("pre_market_warmup", "2026-03-11"), ["skipped"]);
  assert.deepEqual(ev("market_open", "2026-03-11"), ["caught_up"]);
  // Yesterday's flatten and report are useless after today's open.
  assert.deepEqual(ev("close_flatten", "2026-03-10"), ["skipped"]);
  assert.deepEqual(ev("daily_report", "2026-03-10"), ["skipped"]);
  // One recurring run (the on-time 11:00), earlier ticks coalesced.
  const rec = ran.filter((r) => r.job === "recurring");
  assert.deepEqual(rec.map((r) => [ny(r.scheduledMs).slice(11), r.late]), [["11:00", false]]);
  assert.equal(ran.filter((r) => r.job === "market_open").length, 1);
});

Deno.test("scheduler: a crash before the close → next morning the report catches up, flatten does not", async () => {
  const { events } = await restartAt(nyMs("2026-03-12", "07:00"), nyMs("2026-03-11", "15:00"));
  const out = (job: JobName) =>
    events.filter((e) => e.job === job && e.sessionDate === "2026-03-11").map((e) => e.outcome);
  assert.deepEqual(out("close_flatten"), ["skipped"]);
  assert.deepEqual(out("daily_report"), ["caught_up"]);
  assert.ok(out("recurring").every((o) => o === "skipped"));
});

Deno.test("scheduler: already-handled occurrences never run twice after a restart", async () => {
  const { ran } = await restartAt(nyMs("2026-03-11", "15:55"), nyMs("2026-03-11", "15:52"));
  assert.equal(ran.filter((r) => r.job === "close_flatten").length, 0);
  assert.deepEqual(ran.map((r) => ny(r.scheduledMs).slice(11)), ["15:55"]);
});

Deno.test("scheduler: a slow job makes the ticks it overran collapse into one", async () => {
  const start = nyMs("2026-03-11", "09:00");
  const clock = new SimulatedClock(start);
  const { ran, handlers } = recorder();
  handlers.market_open = (ctx) => {
    ran.push(ctx);
    clock.advance(20 * 60_000); // activation takes 20 minutes
  };
  await new TradingScheduler({ market: "us_equity" }, handlers, { clock, resumeFromMs: start })
    .runUntil(nyMs("2026-03-11", "10:01"));
  const rec = ran.filter((r) => r.job === "recurring").map((
    r,
  ) => [ny(r.scheduledMs).slice(11), r.late]);
  assert.deepEqual(rec, [
    ["09:30", true], // same batch as the activation, run after it, late
    ["09:50", false], // 09:35–09:45 coalesced
    ["09:55", false],
    ["10:00", false],
  ]);
});

Deno.test("scheduler: crypto 24/7 mode has UTC-day sessions, every-5-minute ticks and a day-end report", async () => {
  const start = Date.UTC(2026, 2, 7); // spans the US DST switch, which must not matter
  const clock = new SimulatedClock(start);
  const { ran, handlers } = recorder();
  await new TradingScheduler({ market: "crypto" }, handlers, { clock, resumeFromMs: start })
    .runUntil(Date.UTC(2026, 2, 10) - 1);
  const by = (j: JobName) => ran.filter((r) => r.job === j);
  assert.equal(by("pre_market_warmup").length, 0);
  assert.equal(by("close_flatten").length, 0);
  assert.deepEqual(by("market_open").map((r) => new Date(r.scheduledMs).toISOString()), [
    "2026-03-07T00:00:00.000Z",
    "2026-03-08T00:00:00.000Z",
    "2026-03-09T00:00:00.000Z",
  ]);
  assert.equal(by("recurring").length, 3 * 288);
  // Report of each UTC day at its end (00:00 of the next day); the first one, for 6 March, is
  // due exactly at the simulation's start.
  assert.deepEqual(
    by("daily_report").map((r) => [r.session.date, new Date(r.scheduledMs).toISOString()]),
    [
      ["2026-03-06", "2026-03-07T00:00:00.000Z"],
      ["2026-03-07", "2026-03-08T00:00:00.000Z"],
      ["2026-03-08", "2026-03-09T00:00:00.000Z"],
    ],
  );
  assert.equal(marketPhase(Date.UTC(2026, 2, 8, 3), "crypto"), "regular");
});

Deno.test("scheduler: market phases, early close included", () => {
  assert.equal(marketPhase(nyMs("2026-03-11", "03:59"), "us_equity"), "closed");
  assert.equal(marketPhase(nyMs("2026-03-11", "04:00"), "us_equity"), "pre_market");
  assert.equal(marketPhase(nyMs("2026-03-11", "09:29"), "us_equity"), "pre_market");
  assert.equal(marketPhase(nyMs("2026-03-11", "09:30"), "us_equity"), "regular");
  assert.equal(marketPhase(nyMs("2026-03-11", "15:59"), "us_equity"), "regular");
  assert.equal(marketPhase(nyMs("2026-03-11", "16:00"), "us_equity"), "after_hours");
  assert.equal(marketPhase(nyMs("2026-03-11", "20:00"), "us_equity"), "closed");
  assert.equal(marketPhase(nyMs("2026-11-27", "13:30"), "us_equity"), "after_hours");
  assert.equal(marketPhase(nyMs("2026-11-27", "17:00"), "us_equity"), "closed");
  assert.equal(marketPhase(nyMs("2026-11-26", "11:00"), "us_equity"), "closed"); // Thanksgiving
  assert.equal(marketPhase(nyMs("2026-03-07", "11:00"), "us_equity"), "closed"); // Saturday
});

Deno.test("scheduler: bad configuration is a typed error naming the parameter", () => {
  assert.throws(
    () => new TradingScheduler({ market: "us_equity", closeFlatten: "25:00" }, {}),
    (e) => e instanceof ConfigError && /closeFlatten/.test(e.message),
  );
  assert.throws(
    () => new TradingScheduler({ market: "us_equity", recurringMinutes: 0 }, {}),
    ConfigError,
  );
  assert.throws(
    () => new TradingScheduler({ market: "nyse" as "us_equity" }, {}),
    ConfigError,
  );
});

Deno.test("scheduler: a failing job is reported and the schedule goes on", async () => {
  const start = nyMs("2026-03-11", "09:00");
  const clock = new SimulatedClock(start);
  const events: SchedulerEvent[] = [];
  await new TradingScheduler({ market: "us_equity", recurringMinutes: null }, {
    market_open: () => {
      throw new Error("broker down");
    },
  }, { clock, resumeFromMs: start, onEvent: (e) => events.push(e) }).runUntil(
    nyMs("2026-03-11", "17:00"),
  );
  assert.deepEqual(events.map((e) => [e.job, e.outcome]), [
    ["market_open", "failed"],
    ["close_flatten", "fired"],
    ["daily_report", "fired"],
  ]);
  assert.equal(events[0].reason, "broker down");
});
