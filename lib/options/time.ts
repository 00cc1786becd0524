/**
 * Time to expiry. US equity options (SPY) stop trading at the 16:00 America/New_York close of
 * their expiration date; time to expiry is measured from a timestamp to that instant, in
 * years of 365 days (ACT/365, calendar time, the convention of the rates and of Yahoo's
 * `time_to_expire_years`). Daylight saving time is handled by `Temporal` (IANA zones).
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";

/** Milliseconds in one 365-day year. */
export const MS_PER_YEAR = 365 * 86_400_000;

/** The exchange time zone of US equity options. */
export const NEW_YORK = "America/New_York";

/**
 * UTC epoch ms of the 16:00 America/New_York close on `date` (`"YYYY-MM-DD"`).
 * Throws {@link ConfigError} naming the bad date.
 *
 * @example
 * ```ts
 * expiryCloseMs("2026-02-20"); // 2026-02-20T21:00:00Z (EST, UTC−5)
 * ```
 */
export function expiryCloseMs(date: string, options: { closeTime?: string } = {}): number {
  let d: Temporal.PlainDate;
  try {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error("format");
    d = Temporal.PlainDate.from(date);
  } catch {
    throw new ConfigError(`expiry date "${date}" is not a YYYY-MM-DD date`, {
      parameter: "expiry",
    });
  }
  const time = Temporal.PlainTime.from(options.closeTime ?? "16:00");
  return d.toZonedDateTime({ timeZone: NEW_YORK, plainTime: time }).epochMilliseconds;
}

/** Years (of 365 days) from `fromMs` to `toMs` (UTC epoch ms); negative when `toMs` is earlier. */
export function yearsBetween(fromMs: number, toMs: number): number {
  return (toMs - fromMs) / MS_PER_YEAR;
}

/**
 * Years (of 365 days) from `nowMs` (UTC epoch ms) to the 16:00 New York close of the
 * expiration date `expiry` (`"YYYY-MM-DD"`); ≤ 0 once expired.
 */
export function yearsToExpiry(nowMs: number, expiry: string): number {
  return (expiryCloseMs(expiry) - nowMs) / MS_PER_YEAR;
}

/** The New York calendar date (`"YYYY-MM-DD"`) of a UTC epoch ms instant. */
export function newYorkDate(ms: number): string {
  return Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(NEW_YORK).toPlainDate()
    .toString();
}

/** Minutes since New York midnight of a UTC epoch ms instant (09:30 → 570). */
export function newYorkMinuteOfDay(ms: number): number {
  const z = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(NEW_YORK);
  return z.hour * 60 + z.minute + z.second / 60;
}
