/**
 * The US equity market calendar (NYSE / Nasdaq regular sessions) as versioned rules, not a
 * list of years: which New York dates trade, when they open and close (UTC epoch ms), and
 * which close early at 13:00.
 *
 * Rules (each with the years it applies to):
 * - Regular session 09:30–16:00 America/New_York; the UTC times follow daylight saving
 *   through `Temporal` (09:30 New York is 14:30 UTC in winter, 13:30 UTC in summer).
 * - Holidays (NYSE Rule 7.2): New Year's Day, Martin Luther King Jr. Day (3rd Monday of
 *   January), Washington's Birthday (3rd Monday of February), Good Friday (two days before
 *   Gregorian Easter), Memorial Day (last Monday of May), Juneteenth National Independence
 *   Day (19 June, from 2022), Independence Day (4 July), Labor Day (1st Monday of September),
 *   Thanksgiving Day (4th Thursday of November), Christmas Day (25 December).
 * - Observance: a holiday on a Sunday is observed on the following Monday; a holiday on a
 *   Saturday is observed on the preceding Friday, EXCEPT New Year's Day: NYSE Rule 7.2 keeps
 *   the market open on the Friday when it ends a monthly or yearly accounting period, so a
 *   Saturday 1 January closes nothing (31 Dec 2021 and 31 Dec 2027 trade).
 * - Early closes at 13:00 New York, whenever the day is itself a trading day: 3 July (the
 *   day before Independence Day; when 3 July is a Friday it is the observed holiday, and
 *   when 4 July is a Monday or Saturday there is no early close), the Friday after
 *   Thanksgiving, and 24 December (a Friday 24 December is the observed Christmas holiday).
 * - Ad-hoc early closes at 13:00: 5 Jul 2002 and 26 Dec 2003 (the rules above did not yet
 *   fix the early closes).
 * - Ad-hoc closures announced by the exchange: 11–14 Sep 2001 (attacks of 11 September),
 *   11 Jun 2004 (President Reagan, national day of mourning), 2 Jan 2007 (President Ford),
 *   29–30 Oct 2012 (Hurricane Sandy), 5 Dec 2018 (President G. H. W. Bush), 9 Jan 2025
 *   (President Carter). Late opens would be entries of the same table; none occurred in the
 *   covered years, so `lateOpen` is always false for now.
 *
 * Sources: NYSE Rule 7.2 ("Holidays"), the NYSE "Holidays & Trading Hours" page (published
 * three years ahead: 2025–2027 at the time of writing, with the footnoted 13:00 early
 * closes), NYSE notices for the ad-hoc closures above, and the Juneteenth National
 * Independence Day Act (Pub. L. 117-17, 2021; first observed by NYSE in 2022). Years after
 * the last published NYSE calendar (2027) are projections of these rules. Covered years:
 * {@link US_EQUITY_CALENDAR_YEARS}; any other year throws a {@link ConfigError} rather than
 * guessing.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";

/** One regular trading session of the US equity market. */
export interface MarketSession {
  /** The trading date in New York, `YYYY-MM-DD`. */
  date: string;
  /** Regular-session open, UTC epoch milliseconds. */
  openMs: number;
  /** Regular-session close, UTC epoch milliseconds. */
  closeMs: number;
  /** True when the session closes early (13:00 New York). */
  earlyClose: boolean;
  /** True when the session opens late (ad-hoc; none in the covered years). */
  lateOpen: boolean;
}

/** Version of the rule set below; bump it whenever a rule or the ad-hoc table changes. */
export const US_EQUITY_CALENDAR_VERSION = "nyse-rules-2025.1";

/** Inclusive range of calendar years the rules are stated for. */
export const US_EQUITY_CALENDAR_YEARS: { readonly first: number; readonly last: number } = {
  first: 2001,
  last: 2030,
};

/** The market's time zone. */
export const US_EQUITY_TIME_ZONE = "America/New_York";

const OPEN = { hour: 9, minute: 30 };
const CLOSE = { hour: 16, minute: 0 };
const EARLY_CLOSE = { hour: 13, minute: 0 };

type Observance = "weekend_nearest" | "sunday_to_monday" | "none";

interface HolidayRule {
  name: string;
  fromYear: number;
  toYear?: number;
  /** The nominal date in `year`. */
  nominal(year: number): Temporal.PlainDate;
  observance: Observance;
}

const fixed = (month: number, day: number) => (year: number) =>
  Temporal.PlainDate.from({ year, month, day });

/** The n-th (1-based) given ISO weekday (1 = Monday) of a month. */
function nthWeekday(year: number, month: number, weekday: number, n: number): Temporal.PlainDate {
  const first = Temporal.PlainDate.from({ year, month, day: 1 });
  const offset = (weekday - first.dayOfWeek + 7) % 7;
  return first.add({ days: offset + 7 * (n - 1) });
}

/** The last given ISO weekday of a month. */
function lastWeekday(year: number, month: number, weekday: number): Temporal.PlainDate {
  const last = Temporal.PlainDate.from({ year, month, day: 1 }).add({ months: 1 }).subtract({
    days: 1,
  });
  const back = (last.dayOfWeek - weekday + 7) % 7;
  return last.subtract({ days: back });
}

/** Gregorian Easter Sunday (the anonymous Gregorian computus, Meeus/Jones/Butcher). */
function easterSunday(year: number): Temporal.PlainDate {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return Temporal.PlainDate.from({ year, month, day });
}

const HOLIDAY_RULES: readonly HolidayRule[] = [
  { name: "New Year's Day", fromYear: 1, nominal: fixed(1, 1), observance: "sunday_to_monday" },
  {
    name: "Martin Luther King Jr. Day",
    fromYear: 1998,
    nominal: (y) => nthWeekday(y, 1, 1, 3),
    observance: "none",
  },
  {
    name: "Washington's Birthday",
    fromYear: 1971,
    nominal: (y) => nthWeekday(y, 2, 1, 3),
    observance: "none",
  },
  {
    name: "Good Friday",
    fromYear: 1,
    nominal: (y) => easterSunday(y).subtract({ days: 2 }),
    observance: "none",
  },
  {
    name: "Memorial Day",
    fromYear: 1971,
    nominal: (y) => lastWeekday(y, 5, 1),
    observance: "none",
  },
  {
    name: "Juneteenth National Independence Day",
    fromYear: 2022,
    nominal: fixed(6, 19),
    observance: "weekend_nearest",
  },
  { name: "Independence Day", fromYear: 1, nominal: fixed(7, 4), observance: "weekend_nearest" },
  { name: "Labor Day", fromYear: 1, nominal: (y) => nthWeekday(y, 9, 1, 1), observance: "none" },
  {
    name: "Thanksgiving Day",
    fromYear: 1942,
    nominal: (y) => nthWeekday(y, 11, 4, 4),
    observance: "none",
  },
  { name: "Christmas Day", fromYear: 1, nominal: fixed(12, 25), observance: "weekend_nearest" },
];

interface EarlyCloseRule {
  name: string;
  fromYear: number;
  date(year: number): Temporal.PlainDate;
}

const EARLY_CLOSE_RULES: readonly EarlyCloseRule[] = [
  { name: "Day before Independence Day", fromYear: 1, date: fixed(7, 3) },
  {
    name: "Day after Thanksgiving",
    fromYear: 1,
    date: (y) => nthWeekday(y, 11, 4, 4).add({ days: 1 }),
  },
  { name: "Christmas Eve", fromYear: 1, date: fixed(12, 24) },
];

interface AdHocEvent {
  date: string;
  kind: "closed" | "early_close" | "late_open";
  reason: string;
  /** New York wall time of the early close or late open (default 13:00 / none). */
  time?: { hour: number; minute: number };
}

const AD_HOC: readonly AdHocEvent[] = [
  { date: "2001-09-11", kind: "closed", reason: "September 11 attacks" },
  { date: "2001-09-12", kind: "closed", reason: "September 11 attacks" },
  { date: "2001-09-13", kind: "closed", reason: "September 11 attacks" },
  { date: "2001-09-14", kind: "closed", reason: "September 11 attacks" },
  { date: "2002-07-05", kind: "early_close", reason: "Day after Independence Day (2002 only)" },
  { date: "2003-12-26", kind: "early_close", reason: "Day after Christmas (2003 only)" },
  { date: "2004-06-11", kind: "closed", reason: "National day of mourning, President Reagan" },
  { date: "2007-01-02", kind: "closed", reason: "National day of mourning, President Ford" },
  { date: "2012-10-29", kind: "closed", reason: "Hurricane Sandy" },
  { date: "2012-10-30", kind: "closed", reason: "Hurricane Sandy" },
  {
    date: "2018-12-05",
    kind: "closed",
    reason: "National day of mourning, President G. H. W. Bush",
  },
  { date: "2025-01-09", kind: "closed", reason: "National day of mourning, President Carter" },
];

function observe(d: Temporal.PlainDate, rule: Observance): Temporal.PlainDate | null {
  const dow = d.dayOfWeek; // 6 = Saturday, 7 = Sunday
  if (dow === 7 && rule !== "none") return d.add({ days: 1 });
  if (dow === 6) return rule === "weekend_nearest" ? d.subtract({ days: 1 }) : null;
  return d;
}

interface YearTable {
  closed: Map<string, string>;
  early: Map<string, { hour: number; minute: number }>;
  late: Map<string, { hour: number; minute: number }>;
}

const yearCache = new Map<number, YearTable>();

function yearTable(year: number): YearTable {
  const cached = yearCache.get(year);
  if (cached) return cached;
  const closed = new Map<string, string>();
  for (const r of HOLIDAY_RULES) {
    if (year < r.fromYear || (r.toYear !== undefined && year > r.toYear)) continue;
    const obs = observe(r.nominal(year), r.observance);
    if (obs !== null && obs.year === year) closed.set(obs.toString(), r.name);
  }
  const early = new Map<string, { hour: number; minute: number }>();
  const late = new Map<string, { hour: number; minute: number }>();
  for (const ev of AD_HOC) {
    if (!ev.date.startsWith(`${year}-`)) continue;
    if (ev.kind === "closed") closed.set(ev.date, ev.reason);
    else if (ev.kind === "early_close") early.set(ev.date, ev.time ?? EARLY_CLOSE);
    else late.set(ev.date, ev.time ?? OPEN);
  }
  for (const r of EARLY_CLOSE_RULES) {
    if (year < r.fromYear) continue;
    const d = r.date(year);
    const key = d.toString();
    if (d.dayOfWeek <= 5 && !closed.has(key) && !early.has(key)) early.set(key, EARLY_CLOSE);
  }
  const table = { closed, early, late };
  yearCache.set(year, table);
  return table;
}

function parseDate(date: string, parameter: string): Temporal.PlainDate {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    throw new ConfigError(`"${date}" is not a YYYY-MM-DD date`, { parameter });
  }
  let d: Temporal.PlainDate;
  try {
    d = Temporal.PlainDate.from(date, { overflow: "reject" });
  } catch {
    throw new ConfigError(`"${date}" is not a valid calendar date`, { parameter });
  }
  const { first, last } = US_EQUITY_CALENDAR_YEARS;
  if (d.year < first || d.year > last) {
    throw new ConfigError(
      `the US equity calendar covers ${first}–${last}, not ${d.year}`,
      { parameter },
      "extend the rules in lib/util/us_equity_calendar.ts (and bump its version) first",
    );
  }
  return d;
}

function epochMs(d: Temporal.PlainDate, t: { hour: number; minute: number }): number {
  return d.toZonedDateTime({
    timeZone: US_EQUITY_TIME_ZONE,
    plainTime: Temporal.PlainTime.from(t),
  }).epochMilliseconds;
}

function sessionOf(d: Temporal.PlainDate): MarketSession | null {
  if (d.dayOfWeek >= 6) return null;
  const key = d.toString();
  const t = yearTable(d.year);
  if (t.closed.has(key)) return null;
  const early = t.early.get(key);
  const late = t.late.get(key);
  return {
    date: key,
    openMs: epochMs(d, late ?? OPEN),
    closeMs: epochMs(d, early ?? CLOSE),
    earlyClose: early !== undefined,
    lateOpen: late !== undefined,
  };
}

/**
 * The regular session on a New York date, or `null` on weekends, holidays and ad-hoc
 * closures.
 *
 * @example
 * ```ts
 * usEquitySession("2025-11-28"); // { openMs: 14:30 UTC, closeMs: 18:00 UTC, earlyClose: true, … }
 * usEquitySession("2025-01-09"); // null (national day of mourning)
 * ```
 * @throws {ConfigError} on a malformed date or a year outside {@link US_EQUITY_CALENDAR_YEARS}.
 */
export function usEquitySession(date: string): MarketSession | null {
  return sessionOf(parseDate(date, "date"));
}

/**
 * Every regular session between two New York dates, both inclusive, in date order.
 *
 * @example
 * ```ts
 * usEquitySessions("2025-12-22", "2025-12-26").map((s) => s.date);
 * // ["2025-12-22", "2025-12-23", "2025-12-24", "2025-12-26"]
 * ```
 * @throws {ConfigError} on malformed dates, `fromDate` after `toDate`, or years outside
 * {@link US_EQUITY_CALENDAR_YEARS}.
 */
export function usEquitySessions(fromDate: string, toDate: string): MarketSession[] {
  const from = parseDate(fromDate, "fromDate");
  const to = parseDate(toDate, "toDate");
  if (Temporal.PlainDate.compare(from, to) > 0) {
    throw new ConfigError(`fromDate ${fromDate} is after toDate ${toDate}`, {
      parameter: "fromDate",
    });
  }
  const out: MarketSession[] = [];
  for (let d = from; Temporal.PlainDate.compare(d, to) <= 0; d = d.add({ days: 1 })) {
    const s = sessionOf(d);
    if (s) out.push(s);
  }
  return out;
}
