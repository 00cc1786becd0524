/**
 * Metrics of a trading loop read back from its journal: the journal's closed trades,
 * decisions and predictions feed `MetricsTracker` (P&L, win rate, annualised Sharpe of daily
 * returns, drawdown), per agent (a run is an agent, each with its own capital) and overall,
 * plus the daily report as JSON and as one self-contained HTML file (inline CSS and SVG, no
 * script, no CDN).
 *
 * Days: for `us_equity` the New York session date, for `crypto` the UTC date. The tracker's
 * own daily figures count UTC days; US regular hours (13:30–21:00 UTC) always fall inside the
 * UTC day of their New York date, so both agree for everything that trades in the session.
 * The "up to the end of the day" metrics of a report end at the end of that UTC day (after-hours
 * fills after 20:00 New York count from the next report on).
 *
 * @module
 */
import {
  type DailyReport as TrackerDailyReport,
  drawdownStats,
  MetricsTracker,
  type TrackerMetrics,
} from "../metrics/mod.ts";
import { ConfigError, writeFileAtomic } from "../util/mod.ts";
import type {
  DecisionKind,
  Journal,
  KillSwitchEventRow,
  RiskEventRow,
  SchedulerEventRow,
} from "./journal.ts";
import type { JobHandler, ScheduleMarket } from "./scheduler.ts";

const DAY_MS = 86_400_000;
const DEFAULT_CAPITAL = 2000;

/** Options of {@link trackerFromJournal} and friends. */
export interface JournalMetricsOptions {
  /** Market (sets the Sharpe calendar and the day boundaries). Default `us_equity`. */
  market?: ScheduleMarket;
  /** Only this agent (default: all). */
  agent?: string;
  /**
   * Starting capital (quote). Default: the agent's first journaled equity (summed over agents
   * for the overall tracker), else 2000 (the specification's balance).
   */
  initialCapital?: number;
  /** Ignore rows after this time (UTC epoch ms). Default: everything. */
  toMs?: number;
}

function firstEquity(journal: Journal, agent: string): number | null {
  const curve = journal.equityCurve(agent);
  return curve.length ? curve[0].equity : null;
}

function capitalOf(journal: Journal, agents: string[], override?: number): number {
  if (override !== undefined) {
    if (!(override > 0)) {
      throw new ConfigError(`initialCapital must be > 0, got ${override}`, {
        parameter: "initialCapital",
      });
    }
    return override;
  }
  let sum = 0;
  for (const a of agents) {
    const e = firstEquity(journal, a);
    sum += e !== null && e > 0 ? e : DEFAULT_CAPITAL;
  }
  return agents.length ? sum : DEFAULT_CAPITAL;
}

function agentsOf(journal: Journal, agent?: string): string[] {
  if (agent !== undefined) return [agent];
  const names = new Set(journal.agents().map((a) => a.agent));
  for (const t of journal.trades()) names.add(t.agent);
  return [...names].sort();
}

const EXECUTED: Record<DecisionKind, boolean | undefined> = {
  acted: true,
  exited: true,
  blocked: false,
  held: undefined,
  smoothed_away: undefined,
};

/**
 * A `MetricsTracker` filled from the journal: closed trades (by exit time), decisions (action
 * = the raw action, `executed` true when acted/exited, false when blocked, with the reason)
 * and predictions (the action probabilities, confidence = the largest probability).
 */
export function trackerFromJournal(
  journal: Journal,
  options: JournalMetricsOptions = {},
): MetricsTracker {
  const agents = agentsOf(journal, options.agent);
  const tracker = new MetricsTracker({
    initialCapital: capitalOf(journal, agents, options.initialCapital),
    calendar: options.market === "crypto" ? "crypto" : "us_equity",
  });
  const to = options.toMs ?? Infinity;
  for (const t of journal.trades(options.agent === undefined ? {} : { agent: options.agent })) {
    if (t.exitMs > to) continue;
    tracker.recordTrade({
      time: t.exitMs,
      entryTime: t.entryMs,
      symbol: t.symbol,
      entryPrice: t.entryPrice,
      exitPrice: t.exitPrice,
      quantity: t.qty,
      side: t.side,
      pnl: t.pnl,
      agent: t.agent,
      fees: t.fees,
      funding: t.funding,
    });
  }
  let cursor = 0;
  for (;;) {
    const page = journal.since("decisions", cursor, 5000);
    if (!page.rows.length) break;
    cursor = page.nextId;
    for (const r of page.rows) {
      const agent = String(r.agent);
      const time = Number(r.ts_ms);
      if (time > to || (options.agent !== undefined && agent !== options.agent)) continue;
      const action = r.action === null ? "none" : String(r.action);
      tracker.recordDecision({
        time,
        agent,
        action,
        symbol: String(r.symbol),
        executed: EXECUTED[r.decision as DecisionKind],
        reason: r.reason === null ? undefined : String(r.reason),
      });
      const probs = r.probs as number[] | null;
      if (probs || r.action !== null) {
        tracker.recordPrediction({
          time,
          model: agent,
          symbol: String(r.symbol),
          value: probs ?? Number(r.action),
          confidence: probs ? Math.max(...probs) : undefined,
        });
      }
    }
  }
  return tracker;
}

/** Per-agent metrics: the tracker's (trade-based) plus the equity curve's. */
export interface AgentMetrics extends TrackerMetrics {
  /** Agent name (a run is an agent). */
  agent: string;
  /** Capital the returns are measured against (quote). */
  initialCapital: number;
  /** Latest journaled equity (quote), or null. */
  latestEquity: number | null;
  /** Max drawdown of the journaled equity snapshots (negative fraction or 0). */
  equityMaxDrawdown: number;
}

/** Metrics of every agent (a run is an agent, each on its own capital) and of all together. */
export function journalMetrics(
  journal: Journal,
  options: JournalMetricsOptions = {},
): { overall: TrackerMetrics; byAgent: AgentMetrics[] } {
  const to = options.toMs ?? Infinity;
  const overall = trackerFromJournal(journal, options).calculateMetrics(
    Number.isFinite(to) ? { now: to } : {},
  );
  const byAgent = agentsOf(journal, options.agent).map((agent) => {
    const tracker = trackerFromJournal(journal, { ...options, agent });
    const m = tracker.calculateMetrics(Number.isFinite(to) ? { now: to } : {});
    const curve = journal.equityCurve(agent).filter((e) => e.tsMs <= to).map((e) => e.equity);
    return {
      agent,
      ...m,
      initialCapital: tracker.initialCapital,
      latestEquity: curve.length ? curve[curve.length - 1] : null,
      equityMaxDrawdown: curve.length ? drawdownStats(curve).maxDrawdown : 0,
    };
  });
  return { overall, byAgent };
}

/** The daily report of a loop, as written to `daily_report_<date>.json`. */
export interface LiveDailyReport {
  /** Session date `YYYY-MM-DD` (New York for us_equity, UTC for crypto). */
  date: string;
  /** Market (sets the calendar). */
  market: ScheduleMarket;
  /** The day's window, UTC epoch ms, [from, to). */
  fromMs: number;
  /** End of the window (exclusive), UTC epoch ms. */
  toMs: number;
  /** When the report was generated, UTC epoch ms. */
  generatedAtMs: number;
  /** The tracker's report of the day (trades, P&L, win rate, decisions by action, …). */
  tracker: Omit<TrackerDailyReport, "text">;
  /** Plain-text rendering (the tracker's). */
  text: string;
  /** Metrics up to the end of the day, overall and per agent. */
  overall: TrackerMetrics;
  /** Per-agent metrics up to the end of the day, with the day's equity. */
  agents: (AgentMetrics & {
    /** Equity at the first and last snapshot of the day (quote), null without snapshots. */
    dayStartEquity: number | null;
    dayEndEquity: number | null;
    /** The day's equity snapshots [ms, equity], for the chart. */
    equity: [number, number][];
  })[];
  /** Decisions of the day by outcome, and blocked ones by rule. */
  decisions: { byKind: Record<string, number>; blockedByRule: Record<string, number> };
  /** Orders and fills of the day (fees in quote). */
  orders: { submitted: number; filled: number; fills: number; fees: number };
  /** Risk events of the day. */
  riskEvents: RiskEventRow[];
  /** Kill-switch events of the day. */
  killSwitchEvents: KillSwitchEventRow[];
  /** Scheduler events of the day. */
  schedulerEvents: SchedulerEventRow[];
}

/** The [from, to) window of a market date, UTC epoch ms. */
export function dayWindow(date: string, market: ScheduleMarket): { fromMs: number; toMs: number } {
  let d: Temporal.PlainDate;
  try {
    d = Temporal.PlainDate.from(date, { overflow: "reject" });
  } catch {
    throw new ConfigError(`"${date}" is not a YYYY-MM-DD date`, { parameter: "date" });
  }
  if (market === "crypto") {
    const fromMs = Date.UTC(d.year, d.month - 1, d.day);
    return { fromMs, toMs: fromMs + DAY_MS };
  }
  const tz = "America/New_York";
  return {
    fromMs: d.toZonedDateTime({ timeZone: tz }).epochMilliseconds,
    toMs: d.add({ days: 1 }).toZonedDateTime({ timeZone: tz }).epochMilliseconds,
  };
}

function inWindow<T>(rows: Record<string, unknown>[], key: string, from: number, to: number): T[] {
  return rows.filter((r) => Number(r[key]) >= from && Number(r[key]) < to) as T[];
}

function allRows(
  journal: Journal,
  table: Parameters<Journal["since"]>[0],
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let cursor = 0;
  for (;;) {
    const page = journal.since(table, cursor, 5000);
    if (!page.rows.length) return out;
    out.push(...page.rows);
    cursor = page.nextId;
  }
}

/** Build the daily report of `date` from the journal. */
export function buildDailyReport(
  journal: Journal,
  date: string,
  options: JournalMetricsOptions & { nowMs?: number } = {},
): LiveDailyReport {
  const market = options.market ?? "us_equity";
  const { fromMs, toMs } = dayWindow(date, market);
  // The tracker counts UTC days; end the metrics window inside the UTC day of `date` so a New
  // York day (which ends at 04:00/05:00 UTC) does not add an empty UTC day to the Sharpe.
  const endMs = Math.min(toMs, dayWindow(date, "crypto").toMs) - 1;
  const tracker = trackerFromJournal(journal, { ...options, market, toMs: endMs });
  const { text, ...day } = tracker.dailyReport(date);
  const { overall, byAgent } = journalMetrics(journal, { ...options, market, toMs: endMs });
  const agents = byAgent.map((a) => {
    const eq = journal.equityCurve(a.agent).filter((e) => e.tsMs >= fromMs && e.tsMs < toMs);
    return {
      ...a,
      dayStartEquity: eq.length ? eq[0].equity : null,
      dayEndEquity: eq.length ? eq[eq.length - 1].equity : null,
      equity: eq.map((e) => [e.tsMs, e.equity] as [number, number]),
    };
  });
  const decisions = inWindow<Record<string, unknown>>(
    allRows(journal, "decisions"),
    "ts_ms",
    fromMs,
    toMs,
  )
    .filter((r) => options.agent === undefined || r.agent === options.agent);
  const byKind: Record<string, number> = {};
  const blockedByRule: Record<string, number> = {};
  for (const d of decisions) {
    const k = String(d.decision);
    byKind[k] = (byKind[k] ?? 0) + 1;
    if (k === "blocked") {
      const rule = d.reason === null ? "(unspecified)" : String(d.reason);
      blockedByRule[rule] = (blockedByRule[rule] ?? 0) + 1;
    }
  }
  const fills = journal.fills(options.agent === undefined ? {} : { agent: options.agent }).filter(
    (f) => f.tsMs >= fromMs && f.tsMs < toMs,
  );
  const responses = inWindow<Record<string, unknown>>(
    allRows(journal, "broker_responses"),
    "ts_ms",
    fromMs,
    toMs,
  );
  const risk = inWindow<Record<string, unknown>>(
    allRows(journal, "risk_events"),
    "ts_ms",
    fromMs,
    toMs,
  );
  const kill = inWindow<Record<string, unknown>>(
    allRows(journal, "kill_switch_events"),
    "ts_ms",
    fromMs,
    toMs,
  );
  const sched = inWindow<Record<string, unknown>>(
    allRows(journal, "scheduler_events"),
    "at_ms",
    fromMs,
    toMs,
  );
  return {
    date,
    market,
    fromMs,
    toMs,
    generatedAtMs: options.nowMs ?? toMs,
    tracker: day,
    text,
    overall,
    agents,
    decisions: { byKind, blockedByRule },
    orders: {
      submitted: responses.filter((r) => r.kind === "submit_ack").length,
      filled: new Set(fills.map((f) => f.clientOrderId)).size,
      fills: fills.length,
      fees: fills.reduce((s, f) => s + (f.fee ?? 0), 0),
    },
    riskEvents: risk.map((r) => ({
      id: Number(r.id),
      tsMs: Number(r.ts_ms),
      agent: r.agent as string | null,
      rule: String(r.rule),
      action: String(r.action),
      detail: r.detail,
    })),
    killSwitchEvents: kill.map((r) => ({
      id: Number(r.id),
      tsMs: Number(r.ts_ms),
      action: String(r.action),
      reason: r.reason as string | null,
      source: r.source as string | null,
    })),
    schedulerEvents: sched.map((r) => ({
      id: Number(r.id),
      job: String(r.job),
      scheduledMs: Number(r.scheduled_ms),
      atMs: Number(r.at_ms),
      sessionDate: String(r.session_date),
      outcome: String(r.outcome),
      reason: r.reason as string | null,
    })),
  };
}

function esc(s: unknown): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function num(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(digits);
}

function pct(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x)
    ? "n/a"
    : `${(x * 100).toFixed(digits)} %`;
}

function sparkline(points: [number, number][], width = 480, height = 90): string {
  if (points.length < 2) return `<p class="muted">fewer than two equity snapshots</p>`;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const y0 = Math.min(...ys);
  const y1 = Math.max(...ys);
  const sx = (x: number) => x1 > x0 ? ((x - x0) / (x1 - x0)) * (width - 8) + 4 : width / 2;
  const sy = (y: number) =>
    y1 > y0 ? height - 4 - ((y - y0) / (y1 - y0)) * (height - 8) : height / 2;
  const d = points.map((p, i) => `${i ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`)
    .join("");
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" ` +
    `aria-label="equity from ${num(ys[0])} to ${num(ys[ys.length - 1])}">` +
    `<path d="${d}" fill="none" stroke="#1f77b4" stroke-width="1.5"/></svg>` +
    `<div class="muted">min ${num(y0)} · max ${num(y1)}</div>`;
}

function table(head: string[], rows: unknown[][]): string {
  if (!rows.length) return `<p class="muted">none</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("") +
    `</tbody></table>`;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

/** Render a {@link LiveDailyReport} as one self-contained HTML page (no script, no network). */
export function renderDailyReportHtml(r: LiveDailyReport): string {
  const agents = r.agents.map((a) =>
    `<section><h3>${esc(a.agent)}</h3>` +
    table([
      "P&L (all time)",
      "return",
      "win rate",
      "Sharpe (ann.)",
      "max DD (trades)",
      "max DD (equity)",
      "trades",
      "equity",
    ], [[
      num(a.totalPnl),
      pct(a.returnOnCapital),
      pct(a.stats.winRate, 1),
      num(a.sharpe),
      pct(a.maxDrawdown),
      pct(a.equityMaxDrawdown),
      a.stats.trades,
      num(a.latestEquity),
    ]]) + sparkline(a.equity) + `</section>`
  ).join("");
  const t = r.tracker;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Daily report ${esc(r.date)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1000px}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.muted{color:#777;font-size:12px}
pre{background:#f8f8f8;padding:.5em}
</style></head><body>
<h1>Daily report ${esc(r.date)}</h1>
<p class="muted">${esc(r.market)} · window ${esc(iso(r.fromMs))} → ${
    esc(iso(r.toMs))
  } · generated ${esc(iso(r.generatedAtMs))}</p>
<h2>The day</h2>
${
    table(["trades", "P&L", "win rate", "profit factor", "fees", "cumulative P&L"], [[
      t.trades,
      num(t.pnl),
      pct(t.winRate, 1),
      num(t.profitFactor),
      num(t.feesPaid),
      num(t.cumulativePnl),
    ]])
  }
${
    table(
      ["agent", "trades", "P&L", "win rate"],
      Object.entries(t.byAgent).map(([a, s]) => [a, s.trades, num(s.pnl), pct(s.winRate, 1)]),
    )
  }
<h2>Decisions</h2>
${table(["outcome", "count"], Object.entries(r.decisions.byKind))}
<h3>Blocked by rule</h3>
${table(["rule", "count"], Object.entries(r.decisions.blockedByRule))}
<h2>Orders</h2>
${
    table(["submitted", "orders filled", "fills", "fees"], [[
      r.orders.submitted,
      r.orders.filled,
      r.orders.fills,
      num(r.orders.fees),
    ]])
  }
<h2>Agents (up to the end of the day)</h2>
${
    table(["all agents: P&L", "return", "win rate", "Sharpe (ann.)", "max DD"], [[
      num(r.overall.totalPnl),
      pct(r.overall.returnOnCapital),
      pct(r.overall.stats.winRate, 1),
      num(r.overall.sharpe),
      pct(r.overall.maxDrawdown),
    ]])
  }
${agents}
<h2>Risk events</h2>
${
    table(
      ["time", "agent", "rule", "action"],
      r.riskEvents.map((e) => [iso(e.tsMs), e.agent ?? "", e.rule, e.action]),
    )
  }
<h2>Kill switch</h2>
${
    table(
      ["time", "action", "reason", "source"],
      r.killSwitchEvents.map((e) => [iso(e.tsMs), e.action, e.reason ?? "", e.source ?? ""]),
    )
  }
<h2>Scheduler</h2>
${
    table(
      ["job", "scheduled", "at", "outcome", "reason"],
      r.schedulerEvents.map((
        e,
      ) => [e.job, iso(e.scheduledMs), iso(e.atMs), e.outcome, e.reason ?? ""]),
    )
  }
<h2>Text</h2><pre>${esc(r.text)}</pre>
</body></html>
`;
}

/**
 * Build the daily report of `date` and write `daily_report_<date>.json` and `.html` into
 * `dir` (atomically). Returns the report and both paths.
 */
export async function writeDailyReport(
  journal: Journal,
  date: string,
  options: JournalMetricsOptions & { dir: string; nowMs?: number },
): Promise<{ report: LiveDailyReport; jsonPath: string; htmlPath: string }> {
  const report = buildDailyReport(journal, date, options);
  await Deno.mkdir(options.dir, { recursive: true });
  const base = `${options.dir.replace(/\/+$/, "")}/daily_report_${date}`;
  await writeFileAtomic(`${base}.json`, JSON.stringify(report, null, 1));
  await writeFileAtomic(`${base}.html`, renderDailyReportHtml(report));
  return { report, jsonPath: `${base}.json`, htmlPath: `${base}.html` };
}

/**
 * The scheduler's `daily_report` job: writes the report of the occurrence's session date into
 * `dir` (16:05 New York, or the UTC day end for crypto; a late catch-up writes the same day).
 */
export function dailyReportHandler(
  journal: Journal,
  options: JournalMetricsOptions & { dir: string },
): JobHandler {
  return async (ctx) => {
    await writeDailyReport(journal, ctx.session.date, { ...options, nowMs: ctx.firedMs });
  };
}
