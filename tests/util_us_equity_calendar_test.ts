import assert from "node:assert/strict";
import {
  US_EQUITY_CALENDAR_YEARS,
  usEquitySession,
  usEquitySessions,
} from "../lib/util/us_equity_calendar.ts";
import { ConfigError } from "../lib/util/errors.ts";

// Independent expectations, typed in from the NYSE "Holidays & Trading Hours" tables (and the
// NYSE notice for 2025-01-09), NOT computed from the rules under test. A wrong observance
// rule, a wrong Easter, a missing Juneteenth start year or a missing ad-hoc closure makes the
// computed set differ from these lists.
const CLOSED_WEEKDAYS: Record<number, string[]> = {
  2020: ["01-01", "01-20", "02-17", "04-10", "05-25", "07-03", "09-07", "11-26", "12-25"],
  2021: ["01-01", "01-18", "02-15", "04-02", "05-31", "07-05", "09-06", "11-25", "12-24"],
  2022: ["01-17", "02-21", "04-15", "05-30", "06-20", "07-04", "09-05", "11-24", "12-26"],
  2023: ["01-02", "01-16", "02-20", "04-07", "05-29", "06-19", "07-04", "09-04", "11-23", "12-25"],
  2024: ["01-01", "01-15", "02-19", "03-29", "05-27", "06-19", "07-04", "09-02", "11-28", "12-25"],
  2025: [
    "01-01",
    "01-09",
    "01-20",
    "02-17",
    "04-18",
    "05-26",
    "06-19",
    "07-04",
    "09-01",
    "11-27",
    "12-25",
  ],
  2026: ["01-01", "01-19", "02-16", "04-03", "05-25", "06-19", "07-03", "09-07", "11-26", "12-25"],
  2027: ["01-01", "01-18", "02-15", "03-26", "05-31", "06-18", "07-05", "09-06", "11-25", "12-24"],
};

const EARLY_CLOSES: Record<number, string[]> = {
  2020: ["11-27", "12-24"],
  2021: ["11-26"],
  2022: ["11-25"],
  2023: ["07-03", "11-24"],
  2024: ["07-03", "11-29", "12-24"],
  2025: ["07-03", "11-28", "12-24"],
  2026: ["11-27", "12-24"],
  2027: ["11-26"],
};

function weekdays(year: number): string[] {
  const out: string[] = [];
  let d = Temporal.PlainDate.from({ year, month: 1, day: 1 });
  while (d.year === year) {
    if (d.dayOfWeek <= 5) out.push(d.toString());
    d = d.add({ days: 1 });
  }
  return out;
}

/** UTC epoch ms of a New York wall time, computed the slow, obvious way. */
function nyMs(date: string, time: string): number {
  return Temporal.ZonedDateTime.from(`${date}T${time}[America/New_York]`).epochMilliseconds;
}

Deno.test("calendar: every weekday closure 2020–2027 matches the NYSE published tables", () => {
  for (const [y, expected] of Object.entries(CLOSED_WEEKDAYS)) {
    const year = Number(y);
    const open = new Set(usEquitySessions(`${year}-01-01`, `${year}-12-31`).map((s) => s.date));
    const closed = weekdays(year).filter((d) => !open.has(d)).map((d) => d.slice(5));
    assert.deepEqual(closed, expected, `closures in ${year}`);
  }
});

Deno.test("calendar: early closes 2020–2027 are exactly the NYSE 13:00 days", () => {
  for (const [y, expected] of Object.entries(EARLY_CLOSES)) {
    const sessions = usEquitySessions(`${y}-01-01`, `${y}-12-31`);
    const early = sessions.filter((s) => s.earlyClose);
    assert.deepEqual(early.map((s) => s.date.slice(5)), expected, `early closes in ${y}`);
    for (const s of early) assert.equal(s.closeMs, nyMs(s.date, "13:00"));
    for (const s of sessions.filter((s) => !s.earlyClose)) {
      assert.equal(s.closeMs, nyMs(s.date, "16:00"), s.date);
    }
    for (const s of sessions) assert.equal(s.openMs, nyMs(s.date, "09:30"), s.date);
    assert.ok(sessions.every((s) => !s.lateOpen));
  }
});

Deno.test("calendar: observance rules one by one", () => {
  // New Year's Day on a Saturday closes nothing (NYSE Rule 7.2 accounting-period exception).
  assert.ok(usEquitySession("2021-12-31"));
  assert.ok(usEquitySession("2027-12-31"));
  // New Year's Day on a Sunday moves to Monday.
  assert.equal(usEquitySession("2023-01-02"), null);
  // Saturday holidays move to Friday, Sunday ones to Monday.
  assert.equal(usEquitySession("2020-07-03"), null); // 4 July 2020 is a Saturday
  assert.equal(usEquitySession("2021-07-05"), null); // 4 July 2021 is a Sunday
  assert.equal(usEquitySession("2021-12-24"), null); // Christmas 2021 is a Saturday
  assert.equal(usEquitySession("2022-12-26"), null); // Christmas 2022 is a Sunday
  // Juneteenth exists from 2022 on, with the same observance.
  assert.ok(usEquitySession("2021-06-18"));
  assert.equal(usEquitySession("2022-06-20"), null);
  assert.equal(usEquitySession("2027-06-18"), null);
  // No early close on 2 July when 3 July is the observed holiday (2020, 2026), none on
  // 1/2 July when 4 July is a Monday or Sunday (2022, 2021).
  for (const d of ["2020-07-02", "2026-07-02", "2022-07-01", "2021-07-02"]) {
    assert.equal(usEquitySession(d)?.earlyClose, false, d);
  }
  // Ad-hoc closures.
  assert.equal(usEquitySession("2018-12-05"), null);
  assert.equal(usEquitySession("2012-10-29"), null);
  assert.equal(usEquitySession("2012-10-30"), null);
  assert.equal(usEquitySession("2025-01-09"), null);
  // Weekends.
  assert.equal(usEquitySession("2026-03-07"), null);
  assert.equal(usEquitySession("2026-03-08"), null);
});

Deno.test("calendar: UTC open/close follow daylight saving on both sides of each switch", () => {
  const h = 3_600_000;
  // 2026: DST starts Sunday 8 March, ends Sunday 1 November.
  const fri = usEquitySession("2026-03-06")!;
  const mon = usEquitySession("2026-03-09")!;
  assert.equal(fri.openMs, Date.UTC(2026, 2, 6, 14, 30)); // EST = UTC−5
  assert.equal(mon.openMs, Date.UTC(2026, 2, 9, 13, 30)); // EDT = UTC−4
  assert.equal(fri.closeMs - fri.openMs, 6.5 * h);
  assert.equal(mon.closeMs - mon.openMs, 6.5 * h);
  assert.equal(usEquitySession("2026-10-30")!.openMs, Date.UTC(2026, 9, 30, 13, 30));
  assert.equal(usEquitySession("2026-11-02")!.openMs, Date.UTC(2026, 10, 2, 14, 30));
  // Early close on Black Friday (EST): 13:00 New York = 18:00 UTC.
  assert.equal(usEquitySession("2026-11-27")!.closeMs, Date.UTC(2026, 10, 27, 18, 0));
});

Deno.test("calendar: replayed Alpaca /v2/calendar responses agree date by date", async () => {
  const fixture = JSON.parse(
    await Deno.readTextFile(new URL("./fixtures/alpaca_v2_calendar.json", import.meta.url)),
  ) as {
    queries: {
      start: string;
      end: string;
      response: {
        date: string;
        open: string;
        close: string;
        session_open: string;
        session_close: string;
        settlement_date: string;
      }[];
    }[];
  };
  let rows = 0;
  for (const q of fixture.queries) {
    const ours = usEquitySessions(q.start, q.end);
    assert.deepEqual(ours.map((s) => s.date), q.response.map((r) => r.date), q.start);
    for (let i = 0; i < ours.length; i++) {
      const r = q.response[i];
      // Alpaca's wall times, converted independently of the calendar's own code path.
      assert.equal(ours[i].openMs, nyMs(r.date, r.open), r.date);
      assert.equal(ours[i].closeMs, nyMs(r.date, r.close), r.date);
      assert.equal(ours[i].earlyClose, r.close !== "16:00", r.date);
      // Shape: extended-hours window in HHMM around the regular session.
      assert.match(r.session_open, /^\d{4}$/);
      assert.match(r.session_close, /^\d{4}$/);
      const so = nyMs(r.date, `${r.session_open.slice(0, 2)}:${r.session_open.slice(2)}`);
      const sc = nyMs(r.date, `${r.session_close.slice(0, 2)}:${r.session_close.slice(2)}`);
      assert.ok(so < ours[i].openMs && sc > ours[i].closeMs);
      // Settlement (T+1) is the next session of our calendar.
      const next = usEquitySessions(
        Temporal.PlainDate.from(r.date).add({ days: 1 }).toString(),
        Temporal.PlainDate.from(r.date).add({ days: 10 }).toString(),
      )[0];
      assert.equal(r.settlement_date, next.date, `settlement of ${r.date}`);
      rows++;
    }
  }
  assert.ok(rows >= 60);
});

Deno.test("calendar: bad dates and uncovered years are typed errors", () => {
  assert.throws(() => usEquitySession("2026-13-01"), ConfigError);
  assert.throws(() => usEquitySession("20260101"), ConfigError);
  assert.throws(() => usEquitySession(`${US_EQUITY_CALENDAR_YEARS.last + 1}-01-05`), ConfigError);
  assert.throws(() => usEquitySessions("2026-02-01", "2026-01-01"), ConfigError);
});

Deno.test("calendar: SPY daily bars 2001–2026 trade on exactly our sessions (skips without ../shared/data)", async () => {
  // Optional real-data check: every date with an SPY bar is a session and every session up to
  // the file's last bar has an SPY bar. Cannot see early closes (daily bars) — those are
  // held by the tables above.
  const path = new URL("../../shared/data/SPY-daily-1993-2026.csv", import.meta.url);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    console.log("skipped: ../shared/data/SPY-daily-1993-2026.csv not present");
    return;
  }
  const first = `${US_EQUITY_CALENDAR_YEARS.first}-01-01`;
  const dates = text.trim().split("\n").slice(1).map((l) => l.slice(0, 10)).filter((d) =>
    d >= first
  );
  const last = dates[dates.length - 1];
  const ours = usEquitySessions(first, last).map((s) => s.date);
  const bars = new Set(dates);
  const sessions = new Set(ours);
  const missingBars = ours.filter((d) => !bars.has(d));
  const extraBars = dates.filter((d) => !sessions.has(d));
  assert.deepEqual({ missingBars, extraBars }, { missingBars: [], extraBars: [] });
});

Deno.test("calendar: Alpaca's own SDK reads the replayed /v2/calendar from a loopback server and agrees", async () => {
  // The fixture is served by a 127.0.0.1 server; the official SDK (TradingClient, pinned in
  // deno.json) requests it with its own URL and query format and parses it with its own
  // OpenAPI model, so a field the fixture misnamed would come back undefined here.
  const { TradingClient } = await import("@alpacahq/alpaca-trade-api");
  const fixture = JSON.parse(
    await Deno.readTextFile(new URL("./fixtures/alpaca_v2_calendar.json", import.meta.url)),
  ) as { queries: { response: Record<string, string>[] }[] };
  const rows = fixture.queries.flatMap((q) => q.response);
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    seen.push(url.pathname);
    if (url.pathname !== "/v2/calendar") return new Response("not found", { status: 404 });
    const start = (url.searchParams.get("start") ?? "0000").slice(0, 10);
    const end = (url.searchParams.get("end") ?? "9999").slice(0, 10);
    return Response.json(rows.filter((r) => r.date >= start && r.date <= end));
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const client = new TradingClient({
      keyId: "test",
      secret: "test",
      paper: true,
      retry: false,
      rateLimit: false,
      fetchApi: (input: RequestInfo | URL, init?: RequestInit) => {
        const u = new URL(input instanceof Request ? input.url : String(input));
        return fetch(`${base}${u.pathname}${u.search}`, init);
      },
    });
    const days = await client.calendar.legacyCalendar({
      start: new Date("2025-11-26T00:00:00Z"),
      end: new Date("2025-12-29T00:00:00Z"),
    });
    const ours = usEquitySessions("2025-11-26", "2025-12-29");
    assert.deepEqual(days.map((d) => d.date.toISOString().slice(0, 10)), ours.map((s) => s.date));
    for (let i = 0; i < ours.length; i++) {
      const d = days[i];
      assert.equal(nyMs(ours[i].date, d.open), ours[i].openMs);
      assert.equal(nyMs(ours[i].date, d.close), ours[i].closeMs);
      assert.match(d.sessionOpen, /^\d{4}$/);
      assert.match(d.sessionClose, /^\d{4}$/);
      assert.ok(!Number.isNaN(d.settlementDate.getTime()));
    }
    assert.deepEqual(seen, ["/v2/calendar"]);
  } finally {
    await server.shutdown();
  }
});
