/**
 * Session boundaries of a market's calendar, computed with `Temporal` in an IANA time zone:
 * the risk manager's daily counters (daily loss, loss streak, fills) reset when a new session
 * starts. US equities and options use the America/New_York trading date, crypto the UTC day.
 *
 * A session is the local calendar day in `timeZone`, shifted by `startMinute` (minutes after
 * local midnight; e.g. 1080 = 18:00 for a futures session that opens the evening before).
 * Daylight-saving days are 23 or 25 hours long: boundaries follow the wall clock, not a fixed
 * 24 h step.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import type { MarketCalendar } from "../util/mod.ts";

/** Where a session starts: an IANA zone and the local wall-clock minute of the boundary. */
export interface SessionCalendar {
  /** IANA time zone, e.g. `"America/New_York"` or `"UTC"`. */
  timeZone: string;
  /** Minutes after local midnight at which a session starts, in [0, 1440). Default 0. */
  startMinute: number;
}

/** One session: its trading date (local, ISO `YYYY-MM-DD`) and its [start, end) in UTC ms. */
export interface SessionWindow {
  /** The session's trading date in the calendar's zone, `YYYY-MM-DD`. */
  date: string;
  /** First millisecond of the session (UTC epoch ms). */
  startMs: number;
  /** First millisecond of the next session (UTC epoch ms). */
  endMs: number;
}

/** The session calendar of a market: America/New_York days for `us_equity`, UTC days for `crypto`. */
export function sessionCalendarFor(market: MarketCalendar): SessionCalendar {
  return market === "us_equity"
    ? { timeZone: "America/New_York", startMinute: 0 }
    : { timeZone: "UTC", startMinute: 0 };
}

/** Throw a {@link ConfigError} unless `cal` names a valid IANA zone and start minute. */
export function validateSessionCalendar(cal: SessionCalendar, parameter = "session"): void {
  try {
    Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(cal.timeZone);
  } catch {
    throw new ConfigError(
      `unknown time zone "${cal.timeZone}"`,
      { parameter: `${parameter}.timeZone` },
      'use an IANA zone such as "America/New_York" or "UTC"',
    );
  }
  if (!Number.isInteger(cal.startMinute) || cal.startMinute < 0 || cal.startMinute >= 1440) {
    throw new ConfigError(
      `session start minute must be an integer in [0, 1440), got ${cal.startMinute}`,
      { parameter: `${parameter}.startMinute` },
    );
  }
}

/**
 * The session containing `timeMs` (UTC epoch ms). Allocates Temporal objects: call it once per
 * session and compare later times against the returned window's `[startMs, endMs)`.
 */
export function sessionAt(timeMs: number, cal: SessionCalendar): SessionWindow {
  const zdt = Temporal.Instant.fromEpochMilliseconds(timeMs).toZonedDateTimeISO(cal.timeZone);
  let date = zdt.toPlainDate();
  if (zdt.hour * 60 + zdt.minute < cal.startMinute) date = date.subtract({ days: 1 });
  let start = boundary(date, cal);
  // A start minute inside a DST gap moves that day's boundary later (02:30 → 03:30): the
  // wall-clock guess above can then be one session off; settle on the window holding timeMs.
  if (timeMs < start) {
    date = date.subtract({ days: 1 });
    start = boundary(date, cal);
  }
  let end = boundary(date.add({ days: 1 }), cal);
  if (timeMs >= end) {
    date = date.add({ days: 1 });
    start = end;
    end = boundary(date.add({ days: 1 }), cal);
  }
  return { date: date.toString(), startMs: start, endMs: end };
}

function boundary(date: Temporal.PlainDate, cal: SessionCalendar): number {
  const time = new Temporal.PlainTime(Math.floor(cal.startMinute / 60), cal.startMinute % 60);
  // "compatible": a wall time skipped by a DST jump maps to the instant just after the jump.
  return date.toZonedDateTime({ timeZone: cal.timeZone, plainTime: time }).epochMilliseconds;
}
