/**
 * The trading scheduler (the specification's STEP 4): five jobs on the market's own clock.
 *
 * | job | default | anchored to | on a 13:00 early close |
 * |---|---|---|---|
 * | `pre_market_warmup` | 08:00 New York | the regular open (09:30) | 08:00 |
 * | `market_open` | 09:30 | the regular open | 09:30 |
 * | `close_flatten` | 15:50 | the regular close (16:00) | 12:50 |
 * | `daily_report` | 16:05 | the regular close | 13:05 |
 * | `recurring` | every 5 min | open + k·5 min while before the close | 09:30 … 12:55 |
 *
 * **Early-close rule.** A job's configured wall time is turned into an offset from the
 * boundary it is anchored to (15:50 = close − 10 min, 08:00 = open − 90 min), and that offset
 * is applied to the session's ACTUAL open or close. So flatten moves to 12:50 and the report
 * to 13:05 on a 13:00 close; a late open would move the warm-up and the activation with it.
 *
 * **Time zones and DST.** Sessions come from `lib/util/us_equity_calendar.ts` (Temporal,
 * America/New_York), so a job at 08:00 New York is 12:00 UTC in summer and 13:00 UTC in
 * winter, and fires once per session day on both sides of a switch (switches happen at 02:00
 * on a Sunday, never inside a session day's jobs).
 *
 * **Crypto 24/7 mode.** The "session" is the UTC calendar day [00:00, 24:00): `market_open`
 * fires at 00:00 UTC (the daily risk limits reset there), `recurring` every N minutes all day,
 * `daily_report` at the session end (00:00 UTC of the next day). Pre-market warm-up and
 * close-flatten are off unless configured (as minutes from 00:00 UTC).
 *
 * **Missed jobs (after a restart or a slow job).** An occurrence is late when the scheduler
 * reaches it more than `lateToleranceMs` (default 60 s) after its time. A late occurrence
 * runs ONCE if it is still useful, otherwise it is skipped and reported:
 * - `pre_market_warmup`: only before the session's open (restart at 11:00 → skipped);
 * - `market_open` (activation): only before the session's close;
 * - `close_flatten`: only before the session's close (restart at 15:55 → runs at 15:55);
 * - `recurring`: only before the session's close, and missed ticks collapse into the latest
 *   tick due (which may be an on-time one); the others are skipped as `coalesced`;
 * - `daily_report`: only before the next session's open (crypto: within 24 h).
 * Occurrences the caller already handled (`alreadyHandled`, e.g. read from the journal's
 * scheduler events) are never run twice. On start the scheduler looks back `resumeFromMs`
 * (default 24 h before now) for missed occurrences.
 *
 * @module
 */
import { ConfigError, type MarketSession, usEquitySession } from "../util/mod.ts";
import type { Clock } from "./clock.ts";
import { SystemClock } from "./clock.ts";

/** The scheduler's jobs. */
export type JobName =
  | "pre_market_warmup"
  | "market_open"
  | "close_flatten"
  | "recurring"
  | "daily_report";

/** Jobs in the order they run when due at the same instant. */
export const JOB_NAMES: readonly JobName[] = [
  "pre_market_warmup",
  "market_open",
  "close_flatten",
  "recurring",
  "daily_report",
];

/** Which market's calendar drives the schedule. */
export type ScheduleMarket = "us_equity" | "crypto";

/** Scheduler configuration; `null` switches a job off. */
export interface SchedulerConfig {
  /** `us_equity` (NYSE sessions, America/New_York) or `crypto` (24/7, UTC days). */
  market: ScheduleMarket;
  /** Wall time `HH:MM` (market time zone). Default 08:00 (us_equity), off (crypto). */
  preMarketWarmup?: string | null;
  /** Wall time `HH:MM`. Default 09:30 (us_equity), 00:00 (crypto). */
  marketOpen?: string | null;
  /** Wall time `HH:MM`. Default 15:50 (us_equity), off (crypto). */
  closeFlatten?: string | null;
  /** Wall time `HH:MM`. Default 16:05 (us_equity), 24:00 = end of the UTC day (crypto). */
  dailyReport?: string | null;
  /** Minutes between recurring runs during market hours. Default 5. */
  recurringMinutes?: number | null;
  /** How late (ms) an occurrence may run and still count as on time. Default 60,000. */
  lateToleranceMs?: number;
}

/** A session window the jobs of one day hang on. */
export interface SessionWindow {
  /** Session date (`YYYY-MM-DD`, New York for us_equity, UTC for crypto). */
  date: string;
  /** Session start, UTC epoch ms. */
  openMs: number;
  /** Session end, UTC epoch ms. */
  closeMs: number;
  /** True on a shortened session (13:00 close). */
  earlyClose: boolean;
}

/** One scheduled occurrence of a job. */
export interface JobOccurrence {
  /** Job name. */
  job: JobName;
  /** When it is due, UTC epoch ms. */
  scheduledMs: number;
  /** The session it belongs to. */
  session: SessionWindow;
}

/** What a job handler receives. */
export interface JobContext extends JobOccurrence {
  /** When it actually started, UTC epoch ms (from the injected clock). */
  firedMs: number;
  /** True when run as a catch-up of a missed occurrence. */
  late: boolean;
}

/** A job's code. Errors are caught, reported as `failed`, and do not stop the scheduler. */
export type JobHandler = (ctx: JobContext) => void | Promise<void>;

/** What happened to one occurrence (journaled as a scheduler event). */
export interface SchedulerEvent {
  /** Job name. */
  job: JobName;
  /** When it was due, UTC epoch ms. */
  scheduledMs: number;
  /** When the decision was taken, UTC epoch ms. */
  atMs: number;
  /** Session date `YYYY-MM-DD`. */
  sessionDate: string;
  /** `fired` on time, `caught_up` late but still useful, `skipped` late and useless, `failed`. */
  outcome: "fired" | "caught_up" | "skipped" | "failed";
  /** Why it was skipped, or the error message. */
  reason?: string;
}

/** Options of {@link TradingScheduler}. */
export interface SchedulerOptions {
  /** Time source (default the wall clock). */
  clock?: Clock;
  /** Called for every occurrence processed (the journal writes these). */
  onEvent?: (event: SchedulerEvent) => void;
  /** True when the occurrence was already handled before a restart (read from the journal). */
  alreadyHandled?: (job: JobName, scheduledMs: number) => boolean;
  /** Look for missed occurrences from this time on (UTC epoch ms). Default now − 24 h. */
  resumeFromMs?: number;
}

const MIN = 60_000;
const DAY = 86_400_000;
const NY = "America/New_York";
const REG_OPEN_MIN = 9 * 60 + 30;
const REG_CLOSE_MIN = 16 * 60;

/** One fixed-time job as an offset (minutes) from the session boundary it is anchored to. */
export interface JobSpec {
  /** The job. */
  job: Exclude<JobName, "recurring">;
  /** Session boundary the job hangs on. */
  anchor: "open" | "close";
  /** Minutes after the anchor (negative: before). */
  offsetMin: number;
}

/** The resolved schedule: the jobs as offsets from their anchors, plus the recurring step. */
export interface ResolvedSchedule {
  /** Market (sets the calendar). */
  market: ScheduleMarket;
  /** The fixed-time jobs. */
  jobs: readonly JobSpec[];
  /** Recurring step in ms (null: off). */
  recurringMs: number | null;
  /** Lateness (ms) still counted as on time. */
  lateToleranceMs: number;
}

function parseWallTime(s: string, parameter: string, maxHour: number): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s);
  if (!m || Number(m[1]) > maxHour || Number(m[2]) > 59) {
    throw new ConfigError(`"${s}" is not a wall time HH:MM`, { parameter }, 'use e.g. "15:50"');
  }
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Validate a config and turn wall times into anchored offsets (see the module docs). */
export function resolveSchedule(config: SchedulerConfig): ResolvedSchedule {
  const market = config.market;
  if (market !== "us_equity" && market !== "crypto") {
    throw new ConfigError(
      `unknown market "${market}"`,
      { parameter: "market" },
      "use us_equity or crypto",
    );
  }
  const eq = market === "us_equity";
  const regOpen = eq ? REG_OPEN_MIN : 0;
  const regClose = eq ? REG_CLOSE_MIN : 24 * 60;
  const pick = (v: string | null | undefined, def: string | null) => v === undefined ? def : v;
  const table: [JobSpec["job"], string | null, "open" | "close"][] = [
    ["pre_market_warmup", pick(config.preMarketWarmup, eq ? "08:00" : null), "open"],
    ["market_open", pick(config.marketOpen, eq ? "09:30" : "00:00"), "open"],
    ["close_flatten", pick(config.closeFlatten, eq ? "15:50" : null), "close"],
    ["daily_report", pick(config.dailyReport, eq ? "16:05" : "24:00"), "close"],
  ];
  const jobs: JobSpec[] = [];
  for (const [job, t, anchor] of table) {
    if (t === null) continue;
    const param = job.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const minutes = parseWallTime(t, param, eq ? 23 : 47);
    jobs.push({ job, anchor, offsetMin: minutes - (anchor === "open" ? regOpen : regClose) });
  }
  const rm = config.recurringMinutes === undefined ? 5 : config.recurringMinutes;
  if (rm !== null && (!Number.isFinite(rm) || rm <= 0 || rm > 24 * 60)) {
    throw new ConfigError(`recurringMinutes ${rm} is not in (0, 1440]`, {
      parameter: "recurringMinutes",
    });
  }
  const tol = config.lateToleranceMs ?? MIN;
  if (!Number.isFinite(tol) || tol < 0) {
    throw new ConfigError(`lateToleranceMs ${tol} must be ≥ 0`, { parameter: "lateToleranceMs" });
  }
  return { market, jobs, recurringMs: rm === null ? null : rm * MIN, lateToleranceMs: tol };
}

function toWindow(s: MarketSession): SessionWindow {
  return { date: s.date, openMs: s.openMs, closeMs: s.closeMs, earlyClose: s.earlyClose };
}

function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The market date (`YYYY-MM-DD`) containing `ms`: New York for us_equity, UTC for crypto. */
export function marketDate(ms: number, market: ScheduleMarket): string {
  if (market === "crypto") return utcDate(ms);
  return Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(NY).toPlainDate()
    .toString();
}

const sessionCache = new Map<string, SessionWindow | null>();

function sessionOn(d: Temporal.PlainDate, market: ScheduleMarket): SessionWindow | null {
  const key = `${market}:${d}`;
  let s = sessionCache.get(key);
  if (s === undefined) {
    if (market === "us_equity") {
      const m = usEquitySession(d.toString());
      s = m ? toWindow(m) : null;
    } else {
      const openMs = Date.UTC(d.year, d.month - 1, d.day);
      s = { date: d.toString(), openMs, closeMs: openMs + DAY, earlyClose: false };
    }
    if (s) Object.freeze(s);
    sessionCache.set(key, s);
  }
  return s;
}

/** Session windows whose dates lie in `[fromDate, toDate]`, in order. */
export function sessionWindows(
  fromDate: string,
  toDate: string,
  market: ScheduleMarket,
): SessionWindow[] {
  if (market === "us_equity") {
    // Validate both ends (format, covered years) with the calendar's own errors.
    usEquitySession(fromDate);
    usEquitySession(toDate);
  }
  const out: SessionWindow[] = [];
  let d = Temporal.PlainDate.from(fromDate);
  const end = Temporal.PlainDate.from(toDate);
  while (Temporal.PlainDate.compare(d, end) <= 0) {
    const s = sessionOn(d, market);
    if (s) out.push(s);
    d = d.add({ days: 1 });
  }
  return out;
}

/**
 * Every occurrence due in `[fromMs, toMs)`, ordered by time then by {@link JOB_NAMES} order.
 */
export function occurrencesBetween(
  schedule: ResolvedSchedule,
  fromMs: number,
  toMs: number,
): JobOccurrence[] {
  if (!(toMs > fromMs)) return [];
  // Offsets reach at most ~2 days from a session's anchors; widen the date range to match.
  const d0 = marketDate(fromMs - 2 * DAY, schedule.market);
  const d1 = marketDate(toMs + 2 * DAY, schedule.market);
  const out: JobOccurrence[] = [];
  for (const session of sessionWindows(d0, d1, schedule.market)) {
    for (const spec of schedule.jobs) {
      const base = spec.anchor === "open" ? session.openMs : session.closeMs;
      const t = base + spec.offsetMin * MIN;
      if (t >= fromMs && t < toMs) out.push({ job: spec.job, scheduledMs: t, session });
    }
    if (schedule.recurringMs !== null) {
      const step = schedule.recurringMs;
      const k0 = Math.max(0, Math.ceil((fromMs - session.openMs) / step));
      for (let t = session.openMs + k0 * step; t < session.closeMs && t < toMs; t += step) {
        out.push({ job: "recurring", scheduledMs: t, session });
      }
    }
  }
  const rank = (j: JobName) => JOB_NAMES.indexOf(j);
  out.sort((a, b) => a.scheduledMs - b.scheduledMs || rank(a.job) - rank(b.job));
  return out;
}

/** Where the market is at `ms`. */
export type MarketPhase = "pre_market" | "regular" | "after_hours" | "closed";

/**
 * Market phase at `ms` (UTC epoch ms). us_equity: pre-market 04:00 New York → open, regular
 * open → close, after-hours close → 20:00 (17:00 on a 13:00 early close, as the exchanges
 * end the late session four hours after an early close), else closed (also all day on
 * weekends and holidays). crypto: always `regular`.
 */
export function marketPhase(ms: number, market: ScheduleMarket): MarketPhase {
  if (market === "crypto") return "regular";
  const date = marketDate(ms, "us_equity");
  const s = usEquitySession(date);
  if (!s) return "closed";
  const preStart = Temporal.PlainDate.from(date).toZonedDateTime({
    timeZone: NY,
    plainTime: Temporal.PlainTime.from("04:00"),
  }).epochMilliseconds;
  if (ms >= s.openMs && ms < s.closeMs) return "regular";
  if (ms >= preStart && ms < s.openMs) return "pre_market";
  if (ms >= s.closeMs && ms < s.closeMs + 4 * 3_600_000) return "after_hours";
  return "closed";
}

/**
 * Runs the jobs of a {@link SchedulerConfig} on an injectable {@link Clock}, with the missed-job
 * rules of the module documentation.
 *
 * @example
 * ```ts
 * const clock = new SimulatedClock(Date.UTC(2026, 2, 6));
 * const s = new TradingScheduler({ market: "us_equity" }, { close_flatten: flatten }, { clock });
 * await s.runUntil(Date.UTC(2026, 2, 14)); // a simulated week, in milliseconds
 * ```
 */
export class TradingScheduler {
  /** The resolved schedule. */
  readonly schedule: ResolvedSchedule;
  #handlers: Partial<Record<JobName, JobHandler>>;
  #clock: Clock;
  #onEvent?: (e: SchedulerEvent) => void;
  #handled?: (job: JobName, scheduledMs: number) => boolean;
  #cursor: number;

  /** Build a scheduler; `handlers` maps job names to code (missing jobs just log events). */
  constructor(
    config: SchedulerConfig,
    handlers: Partial<Record<JobName, JobHandler>>,
    options: SchedulerOptions = {},
  ) {
    this.schedule = resolveSchedule(config);
    this.#handlers = handlers;
    this.#clock = options.clock ?? new SystemClock();
    this.#onEvent = options.onEvent;
    this.#handled = options.alreadyHandled;
    this.#cursor = options.resumeFromMs ?? this.#clock.now() - DAY;
  }

  /** The next occurrence strictly after everything processed so far, or null if none in 10 days. */
  nextOccurrence(): JobOccurrence | null {
    let from = this.#cursor;
    for (let i = 0; i < 10; i++) {
      const occ = occurrencesBetween(this.schedule, from, from + DAY);
      if (occ.length) return occ[0];
      from += DAY;
    }
    return null;
  }

  /**
   * Process everything due up to the clock's current time (inclusive): on-time occurrences
   * run, late ones follow the missed-job rules. Returns the events produced.
   */
  async runDue(): Promise<SchedulerEvent[]> {
    const events: SchedulerEvent[] = [];
    let now = this.#clock.now();
    while (this.#cursor <= now) {
      const due = occurrencesBetween(this.schedule, this.#cursor, now + 1);
      this.#cursor = now + 1;
      // The latest recurring occurrence of each session in this batch; earlier late ones
      // collapse into it.
      const lastRecurring = new Map<string, number>();
      for (const o of due) {
        if (o.job === "recurring") lastRecurring.set(o.session.date, o.scheduledMs);
      }
      for (const o of due) {
        if (this.#handled?.(o.job, o.scheduledMs)) continue;
        const at = this.#clock.now();
        const late = at - o.scheduledMs > this.schedule.lateToleranceMs;
        const skip = late ? this.#skipReason(o, at, lastRecurring) : null;
        if (skip !== null) {
          events.push(this.#emit(o, at, "skipped", skip));
          continue;
        }
        const handler = this.#handlers[o.job];
        try {
          if (handler) await handler({ ...o, firedMs: at, late });
          events.push(this.#emit(o, at, late ? "caught_up" : "fired"));
        } catch (err) {
          events.push(
            this.#emit(o, at, "failed", err instanceof Error ? err.message : String(err)),
          );
        }
      }
      // A slow handler may have moved the clock on; process what became due meanwhile.
      now = this.#clock.now();
    }
    return events;
  }

  /** Sleep to each occurrence and run it, until `endMs` (UTC epoch ms) or `signal` aborts. */
  async runUntil(endMs: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    const signal = options.signal;
    await this.runDue();
    while (!signal?.aborted) {
      const next = this.nextOccurrence();
      const wake = next === null ? endMs : Math.min(next.scheduledMs, endMs);
      await this.#clock.sleepUntil(wake, signal);
      if (signal?.aborted) return;
      await this.runDue();
      if (this.#clock.now() >= endMs) return;
    }
  }

  #skipReason(o: JobOccurrence, now: number, latest: Map<string, number>): string | null {
    const s = o.session;
    switch (o.job) {
      case "pre_market_warmup":
        return now < s.openMs ? null : "missed: the session has already opened";
      case "market_open":
        return now < s.closeMs ? null : "missed: the session has closed";
      case "close_flatten":
        return now < s.closeMs ? null : "missed: the session has closed (positions carried)";
      case "recurring":
        if (now >= s.closeMs) return "missed: the session has closed";
        return latest.get(s.date) === o.scheduledMs ? null : "coalesced into a later run";
      case "daily_report": {
        const limit = this.schedule.market === "crypto" ? o.scheduledMs + DAY : this.#nextOpen(s);
        return now < limit ? null : "missed: the next session has opened";
      }
    }
  }

  #nextOpen(s: SessionWindow): number {
    const from = Temporal.PlainDate.from(s.date).add({ days: 1 });
    const next = sessionWindows(from.toString(), from.add({ days: 10 }).toString(), "us_equity");
    return next.length ? next[0].openMs : Infinity;
  }

  #emit(
    o: JobOccurrence,
    at: number,
    outcome: SchedulerEvent["outcome"],
    reason?: string,
  ): SchedulerEvent {
    const e: SchedulerEvent = {
      job: o.job,
      scheduledMs: o.scheduledMs,
      atMs: at,
      sessionDate: o.session.date,
      outcome,
      ...(reason !== undefined ? { reason } : {}),
    };
    this.#onEvent?.(e);
    return e;
  }
}
