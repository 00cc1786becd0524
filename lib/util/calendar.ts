/**
 * Bar intervals and market calendars: how many bars a year has. Never a silent 252.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";

/** A market calendar: `crypto` trades 24/7; `us_equity` trades 252 days × 6.5 h. */
export type MarketCalendar = "crypto" | "us_equity";

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parse an interval such as `"1m"`, `"5m"`, `"1h"`, `"8h"`, `"1d"` into milliseconds. */
export function intervalToMs(interval: string): number {
  const m = /^(\d+)([smhdw])$/.exec(interval.trim());
  if (!m || Number(m[1]) <= 0) {
    throw new ConfigError(
      `unknown bar interval "${interval}"`,
      { parameter: "interval" },
      "use a number followed by s, m, h, d or w, e.g. 5m or 1h",
    );
  }
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** Format milliseconds as the shortest interval string (`300000` → `"5m"`). */
export function msToInterval(ms: number): string {
  for (const unit of ["w", "d", "h", "m", "s"]) {
    const u = UNIT_MS[unit];
    if (ms % u === 0) return `${ms / u}${unit}`;
  }
  return `${ms / 1000}s`;
}

/**
 * Bars per year for an interval under a calendar: 365 × 288 = 105,120 for 5-minute bars of a
 * 24/7 crypto market; 252 × 78 = 19,656 for US regular-hours 5-minute bars; 252 for daily
 * US bars.
 */
export function periodsPerYear(
  interval: string | number,
  calendar: MarketCalendar = "crypto",
): number {
  const ms = typeof interval === "number" ? interval : intervalToMs(interval);
  if (calendar === "crypto") return (365 * 86_400_000) / ms;
  const sessionMs = 6.5 * 3_600_000;
  if (ms >= 86_400_000) return 252 * (86_400_000 / ms);
  return 252 * Math.floor(sessionMs / ms);
}
