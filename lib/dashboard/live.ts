/**
 * The live half of the dashboard: which journals it shows (`--journal <file|folder>`, each
 * under a short id, never a path in a URL) and one shared read-side model per journal.
 *
 * Reading never blocks the loop's writes: the journal is opened with a read-only
 * `node:sqlite` connection (`Journal.open(path, { readOnly: true })`); in WAL mode a reader
 * reads a snapshot while the writer appends to the `-wal` file, and every query here is a
 * short statement (no transaction is held between passes). New rows are read by row id
 * (`Journal.since(table, id)`), so a pass costs what was appended, not the journal's size.
 * A pass runs when the folder watcher reports a change of the journal file, its `-wal` or its
 * `.KILL` file (and on a slow stat fallback), once however many browser tabs follow it.
 *
 * Journal ids:
 * - `--journal <file>`: the file's name without extension, or the run folder's name for the
 *   default layout `<run>/paper/journal.sqlite`. The file may not exist yet (the page then
 *   says the loop has not started); its folder must.
 * - `--journal <folder>`: every `*.sqlite`, `*.sqlite3` or `*.db` directly in it (id = name
 *   without extension) and every `<run>/paper/journal.sqlite` one level down (id = `<run>`),
 *   rescanned on each listing. Hidden names and a paper session's broker logs
 *   (`<journal>.<agent>.broker.sqlite`) are skipped; a file whose real path (symlinks
 *   resolved) leaves the folder is skipped.
 * Ids are made of `[A-Za-z0-9._-]`; clashes get `-2`, `-3`, … in path order.
 *
 * "Today" is the market day of the newest journaled row, decisions by their bar time (a replay
 * stamps them with the wall clock but runs in bar time), for
 * `us_equity` the New York session date, for `crypto` the UTC date.
 *
 * @module
 */
import {
  buildDailyReport,
  dayWindow,
  type DecisionRow,
  isPaperBrokerStore,
  Journal,
  journalMetrics,
  type JournalTable,
  type KillSwitchEventRow,
  marketDate,
  type OrderRow,
  readKillSwitch,
  renderDailyReportHtml,
  type RiskEventRow,
  type ScheduleMarket,
} from "../live/mod.ts";
import { DEFAULT_RISK_CONFIG } from "../risk/mod.ts";
import type { TrackerMetrics } from "../metrics/mod.ts";
import { ConfigError } from "../util/mod.ts";
import type { RunWatchers } from "./_watch.ts";

/** A journal the dashboard shows. */
export interface LiveJournalEntry {
  /** Short id used in URLs (`/live/:id`). */
  id: string;
  /** Absolute path of the SQLite file (may not exist yet for a `--journal <file>`). */
  path: string;
}

const JOURNAL_EXT = /\.(sqlite3?|db)$/;
const ID_CHARS = /[^A-Za-z0-9._-]/g;
/** Words that name API routes under `/api/live/` and can therefore not be journal ids. */
const RESERVED = new Set(["state", "decisions", "stream", "kill", "rows", "reports"]);

function dirOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}
function baseOf(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

function idFor(path: string): string {
  const parts = path.split("/");
  const name = parts.at(-1) ?? "journal";
  const raw = name === "journal.sqlite" && parts.at(-2) === "paper" && parts.length >= 3
    ? parts.at(-3)!
    : name.replace(JOURNAL_EXT, "");
  let id = raw.replace(ID_CHARS, "_").replace(/^\.+/, "_").replace(/\.\.+/g, "_").slice(0, 120);
  if (!id) id = "journal";
  if (RESERVED.has(id)) id = `${id}-journal`;
  return id;
}

async function realOrNull(p: string): Promise<string | null> {
  try {
    return await Deno.realPath(p);
  } catch {
    return null;
  }
}

/** True when `child` is strictly inside `root` (both real, absolute paths). */
function inside(root: string, child: string): boolean {
  const base = root.endsWith("/") ? root : root + "/";
  return child.startsWith(base) && child.length > base.length;
}

type Spec = { kind: "file"; path: string } | { kind: "folder"; real: string };

/** The configured journals (see the module doc for how ids are formed). */
export class LiveJournals {
  readonly #specs: Spec[];

  private constructor(specs: Spec[]) {
    this.#specs = specs;
  }

  /** Number of `--journal` arguments. */
  get configured(): number {
    return this.#specs.length;
  }

  /**
   * Check the `--journal` arguments: a folder must exist; a file's folder must exist (the
   * file itself may appear later, when the loop starts).
   * @throws ConfigError naming `--journal`
   */
  static async create(paths: readonly string[]): Promise<LiveJournals> {
    const specs: Spec[] = [];
    for (const p of paths) {
      const st = await Deno.stat(p).catch(() => null);
      if (st?.isDirectory) {
        specs.push({ kind: "folder", real: await Deno.realPath(p) });
        continue;
      }
      const folder = await realOrNull(dirOf(p.startsWith("/") ? p : `${Deno.cwd()}/${p}`));
      if (folder === null) {
        throw new ConfigError(
          `journal ${p}: its folder does not exist`,
          { parameter: "--journal", file: p },
          "pass the loop's journal file (it may not exist yet) or a folder of journals",
        );
      }
      specs.push({ kind: "file", path: `${folder}/${baseOf(p)}` });
    }
    return new LiveJournals(specs);
  }

  /** Every journal with its id (folders are rescanned on each call). */
  async list(): Promise<LiveJournalEntry[]> {
    const paths: string[] = [];
    for (const s of this.#specs) {
      if (s.kind === "file") {
        paths.push(s.path);
        continue;
      }
      const found: string[] = [];
      for await (const e of Deno.readDir(s.real)) {
        if (e.name.startsWith(".")) continue;
        // a paper session's sub-account logs sit next to its journal: not journals
        if ((e.isFile || e.isSymlink) && JOURNAL_EXT.test(e.name) && !isPaperBrokerStore(e.name)) {
          found.push(`${s.real}/${e.name}`);
        } else if (e.isDirectory) {
          const p = `${s.real}/${e.name}/paper/journal.sqlite`;
          if (await Deno.stat(p).then((x) => x.isFile).catch(() => false)) found.push(p);
        }
      }
      for (const p of found.sort()) {
        const real = await realOrNull(p);
        if (real !== null && inside(s.real, real)) paths.push(p);
      }
    }
    const seen = new Map<string, number>();
    const out: LiveJournalEntry[] = [];
    for (const path of paths) {
      if (out.some((e) => e.path === path)) continue;
      const base = idFor(path);
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      out.push({ id: n === 1 ? base : `${base}-${n}`, path });
    }
    return out;
  }

  /** The journal with this id, or null (an id is looked up, never joined to a path). */
  async get(id: string): Promise<LiveJournalEntry | null> {
    return (await this.list()).find((e) => e.id === id) ?? null;
  }
}

/** Live figures of one agent (money in quote currency; fractions, not percent). */
export interface AgentLive {
  /** Agent name (a run is an agent). */
  agent: string;
  /** Instrument. */
  symbol: string | null;
  /** Latest equity snapshot, or null before the first one. */
  equity: number | null;
  /** Time of the latest snapshot, UTC epoch ms. */
  equityMs: number | null;
  /** First journaled equity. */
  startEquity: number | null;
  /** First equity of the loop's current day. */
  dayStartEquity: number | null;
  /** equity − dayStartEquity. */
  pnlToday: number | null;
  /** pnlToday / dayStartEquity. */
  pnlTodayFraction: number | null;
  /** equity − startEquity. */
  pnlSinceStart: number | null;
  /** pnlSinceStart / startEquity. */
  pnlSinceStartFraction: number | null;
  /** Current drawdown from the running peak since start, positive fraction (0 at a peak). */
  drawdown: number;
  /** Largest drawdown since start, positive fraction. */
  maxDrawdown: number;
  /** Current drawdown from today's peak, positive fraction. */
  drawdownToday: number;
  /** Largest drawdown within today, positive fraction. */
  maxDrawdownToday: number;
  /** Daily loss used: (dayStartEquity − equity) / dayStartEquity, clipped at 0 (fraction). */
  dailyLossUsed: number;
  /** Daily-loss limit (fraction) from the agent's risk config, the specification's default, or null when risk is off. */
  dailyLossLimit: number | null;
  /** Losing closed trades in a row today. */
  lossStreak: number;
  /** Loss-streak limit, or null when risk is off. */
  lossStreakLimit: number | null;
}

/** A position as last journaled, with the quantity the fills imply. */
export interface PositionLive {
  /** Agent name. */
  agent: string;
  /** Instrument. */
  symbol: string;
  /** Signed quantity of the latest snapshot (base units), or null when only fills exist. */
  qty: number | null;
  /** Net signed quantity implied by the journaled fills (base units). */
  qtyFromFills: number;
  /** Average entry price (quote). */
  avgPrice: number | null;
  /** Unrealised P&L (quote). */
  unrealizedPnl: number | null;
  /** Snapshot time, UTC epoch ms. */
  tsMs: number | null;
}

/** A latched halt or lockout in force. */
export interface HaltLive {
  /** Agent, or null for the account. */
  agent: string | null;
  /** Rule name (`daily_loss`, `loss_streak`, `max_drawdown`, `kill_switch`, …). */
  rule: string;
  /** When it latched, UTC epoch ms. */
  sinceMs: number;
  /** Why, as journaled. */
  reason: string | null;
}

/** Everything the Live page shows except the equity curves and decision rows. */
export interface LiveState {
  /** Journal id. */
  id: string;
  /** False while the journal file is missing or unreadable (see `problem`). */
  available: boolean;
  /** Why it is not available. */
  problem: string | null;
  /** Market (sets the day boundaries). */
  market: ScheduleMarket;
  /** The loop's day (`YYYY-MM-DD`, market date of the newest journaled row), or null. */
  day: string | null;
  /** Newest journaled row time (bar time in a replay), UTC epoch ms, or null. */
  asOfMs: number | null;
  /** Last modification of the journal file or its WAL (wall clock), UTC epoch ms. */
  lastWriteMs: number | null;
  /**
   * The loop's last lifecycle event from `loop_events` (`start` = running since, `stop` =
   * stopped, with its journaled detail, e.g. `{reason: "kill_switch"}`), or null.
   */
  loop: { kind: "start" | "stop"; tsMs: number; detail: unknown } | null;
  /** The newest `loop_events` row of any kind (reconciliation, drift, watchdogs, …). */
  lastLoopEvent: { kind: string; tsMs: number } | null;
  /** Per-agent figures. */
  agents: AgentLive[];
  /** Sum over agents of equity, start and day-start equity, and the P&L (null without equity). */
  total: {
    equity: number;
    startEquity: number;
    dayStartEquity: number;
    pnlToday: number;
    pnlSinceStart: number;
  } | null;
  /** Latest position per agent and symbol. */
  positions: PositionLive[];
  /** Orders not in a terminal state (pending_submit included). */
  openOrders: OrderRow[];
  /** Risk state: halts and lockouts in force, recent events, the kill switch. */
  risk: {
    halts: HaltLive[];
    recent: RiskEventRow[];
    killSwitch: {
      set: boolean;
      reason: string | null;
      setAtMs: number | null;
      source: string | null;
    };
    killEvents: KillSwitchEventRow[];
  };
  /** Per-agent performance (`journalMetrics`), recomputed at most once a second. */
  metrics: { overall: TrackerMetrics; byAgent: unknown[] } | null;
  /** Daily reports: written by the loop (`<journal dir>/reports/`) or built on demand. */
  reports: { date: string; written: boolean }[];
  /** Row counts. */
  counts: { decisions: number; fills: number; trades: number; equity: number };
}

/** New rows of one pass, by table, oldest first (snake_case columns, JSON columns parsed). */
export type LiveRows = Partial<Record<JournalTable, Record<string, unknown>[]>>;

/** What a subscriber receives after a pass. */
export interface LiveUpdate {
  /** New rows (empty object when only the state changed). */
  rows: LiveRows;
  /** The state after the pass. */
  state: LiveState;
}

/** The first message of a stream: the state, the equity curves and the latest decisions. */
export interface LiveSnapshot {
  /** Current state. */
  state: LiveState;
  /** Equity per agent: times (UTC epoch ms) and values (quote), at most the last 5000. */
  curves: Record<string, { t: number[]; equity: number[] }>;
  /** The latest decisions, newest first (at most 100). */
  decisions: DecisionRow[];
}

const STREAMED: readonly JournalTable[] = [
  "equity",
  "positions",
  "decisions",
  "fills",
  "trades",
  "risk_events",
  "kill_switch_events",
  "loop_events",
];
const LATCHING = new Set(["daily_loss", "loss_streak", "max_drawdown", "kill_switch"]);
const PER_DAY = new Set(["daily_loss", "loss_streak"]);
const CURVE_POINTS = 5000;
const PAGE = 2000;

interface Curve {
  t: number[];
  e: number[];
  peak: number;
  maxDd: number;
}

function riskLimits(config: unknown): { daily: number | null; streak: number | null } {
  const risk = (config as { risk?: unknown } | null)?.risk;
  if (risk === "off") return { daily: null, streak: null };
  const r = (typeof risk === "object" && risk !== null ? risk : {}) as Record<string, unknown>;
  return {
    daily: typeof r.maxDailyLossFraction === "number"
      ? r.maxDailyLossFraction
      : DEFAULT_RISK_CONFIG.maxDailyLossFraction,
    streak: typeof r.maxLossStreak === "number"
      ? r.maxLossStreak
      : DEFAULT_RISK_CONFIG.maxLossStreak,
  };
}

/** Options of {@link LiveFeed}. */
export interface LiveFeedOptions {
  /** Market; default: `crypto` when the first agent's symbol looks like a crypto pair, else `us_equity`. */
  market?: ScheduleMarket | null;
  /** The server's shared folder watchers. */
  watchers: RunWatchers;
  /** Minimum time between two per-agent metrics computations, ms (default 1000). */
  metricsEveryMs?: number;
}

/**
 * The shared read side of one journal: one read-only connection, row-id cursors per table,
 * the derived figures, and the subscribers (SSE streams) it wakes after each pass.
 */
export class LiveFeed {
  /** The journal shown. */
  readonly entry: LiveJournalEntry;
  readonly #o: LiveFeedOptions;
  #journal: Journal | null = null;
  #problem: string | null = "not read yet";
  #cursor: Partial<Record<JournalTable, number>> = {};
  #curves = new Map<string, Curve>();
  #positions = new Map<string, PositionLive>();
  #decisions: DecisionRow[] = [];
  #trades: { agent: string; exitMs: number; pnl: number }[] = [];
  #risk: RiskEventRow[] = [];
  #latched = new Map<string, HaltLive & { action: string }>();
  #kills: KillSwitchEventRow[] = [];
  #loop: LiveState["loop"] = null;
  #lastLoopEvent: LiveState["lastLoopEvent"] = null;
  #asOf: number | null = null;
  #counts = { decisions: 0, fills: 0, trades: 0, equity: 0 };
  #metrics: LiveState["metrics"] = null;
  #metricsAt = 0;
  #metricsDirty = true;
  #metricsTimer: ReturnType<typeof setTimeout> | undefined;
  #reports: { date: string; written: boolean }[] = [];
  #reportsAt = 0;
  #listeners = new Set<(u: LiveUpdate) => void>();
  #unwatch: (() => void) | null = null;
  #busy = false;
  #dirty = false;
  #state: LiveState | null = null;

  /** A feed over `entry` (nothing is opened until the first pass). */
  constructor(entry: LiveJournalEntry, options: LiveFeedOptions) {
    this.entry = entry;
    this.#o = options;
  }

  /** Number of subscribers (open streams). */
  get subscribers(): number {
    return this.#listeners.size;
  }

  /** Read what is new, then return the state. */
  async state(): Promise<LiveState> {
    await this.pass();
    return this.#state!;
  }

  /** Read what is new, then return the snapshot a new stream starts with. */
  async snapshot(): Promise<LiveSnapshot> {
    await this.pass();
    const curves: LiveSnapshot["curves"] = {};
    for (const [agent, c] of this.#curves) {
      curves[agent] = { t: c.t.slice(-CURVE_POINTS), equity: c.e.slice(-CURVE_POINTS) };
    }
    return { state: this.#state!, curves, decisions: [...this.#decisions].reverse() };
  }

  /** Decisions with id > `afterId`, oldest first (at most `limit`), straight from the journal. */
  decisionsSince(
    afterId: number,
    limit: number,
  ): { rows: Record<string, unknown>[]; nextId: number } {
    const j = this.#open();
    if (!j) return { rows: [], nextId: afterId };
    return j.since("decisions", afterId, limit);
  }

  /** The daily report of `date` as HTML, built from the journal (null without a journal). */
  dailyReportHtml(date: string): string | null {
    const j = this.#open();
    if (!j) return null;
    return renderDailyReportHtml(buildDailyReport(j, date, { market: this.#market(j) }));
  }

  /** Wake `listener` after every pass that found something new; returns the unsubscribe. */
  subscribe(listener: (u: LiveUpdate) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#unwatch) {
      const dir = dirOf(this.entry.path);
      const name = baseOf(this.entry.path);
      this.#unwatch = this.#o.watchers.subscribe(
        dir,
        () => void this.pass(),
        [name, `${name}-wal`, `${name}.KILL`],
      );
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        this.#unwatch?.();
        this.#unwatch = null;
      }
    };
  }

  /** Close the reader connection and stop watching. */
  close(): void {
    this.#unwatch?.();
    this.#unwatch = null;
    this.#listeners.clear();
    if (this.#metricsTimer !== undefined) clearTimeout(this.#metricsTimer);
    this.#journal?.close();
    this.#journal = null;
  }

  #market(j: Journal): ScheduleMarket {
    if (this.#o.market) return this.#o.market;
    const sym = j.agents()[0]?.symbol ?? "";
    return /\/|USDT?$|^(BTC|ETH)/i.test(sym) ? "crypto" : "us_equity";
  }

  #open(): Journal | null {
    if (this.#journal) return this.#journal;
    try {
      Deno.statSync(this.entry.path);
    } catch {
      this.#problem = "the journal does not exist yet (has the loop started?)";
      return null;
    }
    try {
      // a short busy timeout: a reader is only ever busy while the writer recovers the WAL,
      // and this connection is synchronous (a long wait would stall the server)
      this.#journal = Journal.open(this.entry.path, { readOnly: true, busyTimeoutMs: 200 });
      this.#problem = null;
    } catch (e) {
      // no server path in what the page shows
      this.#problem = (e as Error).message.replaceAll(this.entry.path, this.entry.id)
        .replaceAll(dirOf(this.entry.path), "…");
      this.#journal = null;
    }
    return this.#journal;
  }

  /**
   * One pass: read every table's new rows by id, update the figures, wake the subscribers.
   * Concurrent calls coalesce (one more pass runs after the current one).
   */
  async pass(): Promise<void> {
    if (this.#busy) {
      this.#dirty = true;
      while (this.#busy) await new Promise((r) => setTimeout(r, 5));
      return;
    }
    this.#busy = true;
    try {
      do {
        this.#dirty = false;
        await this.#refreshReports();
        let rows: LiveRows = {};
        let more = false;
        const j = this.#open();
        if (j) {
          try {
            ({ rows, more } = this.#ingest(j));
          } catch (e) {
            // e.g. the file was replaced: reopen on the next pass
            this.#problem = `reading the journal failed: ${(e as Error).message}`;
            this.#journal?.close();
            this.#journal = null;
          }
        }
        const changed = Object.keys(rows).length > 0;
        const before = this.#state ? JSON.stringify(this.#state) : "";
        this.#state = this.#compute(this.#journal);
        const stateChanged = JSON.stringify(this.#state) !== before;
        if (changed || stateChanged) {
          for (const l of [...this.#listeners]) l({ rows, state: this.#state });
        }
        if (more) this.#dirty = true;
        if (this.#dirty) await new Promise((r) => setTimeout(r, 0)); // let the server breathe
      } while (this.#dirty);
    } finally {
      this.#busy = false;
    }
  }

  #ingest(j: Journal): { rows: LiveRows; more: boolean } {
    const rows: LiveRows = {};
    let more = false;
    for (const table of STREAMED) {
      const from = this.#cursor[table] ?? 0;
      const page = j.since(table, from, PAGE);
      if (!page.rows.length) continue;
      if (page.rows.length === PAGE) more = true;
      this.#cursor[table] = page.nextId;
      rows[table] = page.rows;
      for (const r of page.rows) this.#apply(table, r);
    }
    if (rows.trades || rows.decisions) this.#metricsDirty = true;
    return { rows, more };
  }

  #seen(ts: unknown): void {
    const t = Number(ts);
    if (Number.isFinite(t) && (this.#asOf === null || t > this.#asOf)) this.#asOf = t;
  }

  #apply(table: JournalTable, r: Record<string, unknown>): void {
    const agent = r.agent === null || r.agent === undefined ? null : String(r.agent);
    switch (table) {
      case "equity": {
        const t = Number(r.ts_ms);
        const e = Number(r.equity);
        let c = this.#curves.get(agent!);
        if (!c) {
          c = { t: [], e: [], peak: e, maxDd: 0 };
          this.#curves.set(agent!, c);
        }
        c.t.push(t);
        c.e.push(e);
        if (e > c.peak) c.peak = e;
        if (c.peak > 0) c.maxDd = Math.max(c.maxDd, (c.peak - e) / c.peak);
        this.#counts.equity++;
        this.#seen(t);
        break;
      }
      case "positions": {
        const key = `${agent}\0${r.symbol}`;
        const prev = this.#positions.get(key);
        this.#positions.set(key, {
          agent: agent!,
          symbol: String(r.symbol),
          qty: Number(r.qty),
          qtyFromFills: prev?.qtyFromFills ?? 0,
          avgPrice: r.avg_price as number | null,
          unrealizedPnl: r.unrealized_pnl as number | null,
          tsMs: Number(r.ts_ms),
        });
        this.#seen(r.ts_ms);
        break;
      }
      case "fills": {
        const key = `${agent}\0${r.symbol}`;
        const p = this.#positions.get(key) ?? {
          agent: agent!,
          symbol: String(r.symbol),
          qty: null,
          qtyFromFills: 0,
          avgPrice: null,
          unrealizedPnl: null,
          tsMs: null,
        };
        p.qtyFromFills += (r.side === "buy" ? 1 : -1) * Number(r.qty);
        this.#positions.set(key, p);
        this.#counts.fills++;
        this.#seen(r.ts_ms);
        break;
      }
      case "decisions": {
        this.#decisions.push({
          id: Number(r.id),
          tsMs: Number(r.ts_ms),
          agent: agent!,
          symbol: String(r.symbol),
          barTimeMs: Number(r.bar_time_ms),
          obsHash: r.obs_hash as string | null,
          action: r.action as number | null,
          smoothedAction: r.smoothed_action as number | null,
          probs: r.probs as number[] | null,
          decision: r.decision as DecisionRow["decision"],
          reason: r.reason as string | null,
          targetPosition: r.target_position as number | null,
        });
        if (this.#decisions.length > 200) this.#decisions.splice(0, 100);
        this.#counts.decisions++;
        // the market time of the decision: a replay stamps ts_ms with the wall clock
        this.#seen(r.bar_time_ms);
        break;
      }
      case "trades":
        this.#trades.push({ agent: agent!, exitMs: Number(r.exit_ms), pnl: Number(r.pnl) });
        this.#counts.trades++;
        this.#seen(r.exit_ms);
        break;
      case "risk_events": {
        const ev: RiskEventRow = {
          id: Number(r.id),
          tsMs: Number(r.ts_ms),
          agent,
          rule: String(r.rule),
          action: String(r.action),
          detail: r.detail,
        };
        this.#risk.push(ev);
        if (this.#risk.length > 100) this.#risk.splice(0, 50);
        if (LATCHING.has(ev.rule)) {
          const reason = typeof (ev.detail as { reason?: unknown })?.reason === "string"
            ? String((ev.detail as { reason: string }).reason)
            : null;
          this.#latched.set(`${agent}\0${ev.rule}`, {
            agent,
            rule: ev.rule,
            sinceMs: ev.tsMs,
            reason,
            action: ev.action,
          });
        }
        this.#seen(r.ts_ms);
        break;
      }
      case "kill_switch_events":
        this.#kills.push({
          id: Number(r.id),
          tsMs: Number(r.ts_ms),
          action: String(r.action),
          reason: r.reason as string | null,
          source: r.source as string | null,
        });
        if (this.#kills.length > 40) this.#kills.splice(0, 20);
        break;
      case "loop_events": {
        const kind = String(r.kind);
        this.#lastLoopEvent = { kind, tsMs: Number(r.ts_ms) };
        if (kind === "start" || kind === "stop") {
          this.#loop = { kind, tsMs: Number(r.ts_ms), detail: r.detail ?? null };
        }
        break;
      }
      default:
        break;
    }
  }

  async #refreshReports(): Promise<void> {
    if (Date.now() - this.#reportsAt < 2000) return;
    this.#reportsAt = Date.now();
    const dir = `${dirOf(this.entry.path)}/reports`;
    const dates: string[] = [];
    try {
      const realDir = await Deno.realPath(dir);
      if (inside(dirOf(await Deno.realPath(this.entry.path)), realDir)) {
        for await (const e of Deno.readDir(realDir)) {
          const m = /^daily_report_(\d{4}-\d{2}-\d{2})\.html$/.exec(e.name);
          if (m && e.isFile) dates.push(m[1]);
        }
      }
    } catch { /* no reports yet */ }
    this.#reports = dates.sort().reverse().map((date) => ({ date, written: true }));
  }

  /** Path of a report the loop wrote for `date`, confined to `<journal dir>/reports`, or null. */
  async writtenReport(date: string): Promise<string | null> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
    try {
      const folder = await Deno.realPath(dirOf(this.entry.path));
      const real = await Deno.realPath(`${folder}/reports/daily_report_${date}.html`);
      return inside(`${folder}/reports`, real) ? real : null;
    } catch {
      return null;
    }
  }

  #lastWrite(): number | null {
    let t: number | null = null;
    for (const p of [this.entry.path, `${this.entry.path}-wal`]) {
      try {
        const m = Deno.statSync(p).mtime?.getTime() ?? null;
        if (m !== null && (t === null || m > t)) t = m;
      } catch { /* absent */ }
    }
    return t;
  }

  #compute(j: Journal | null): LiveState {
    const kill = readKillSwitch(this.entry.path);
    const killSwitch = {
      set: kill !== null,
      reason: kill?.reason ?? null,
      setAtMs: kill && Number.isFinite(kill.setAtMs) ? kill.setAtMs : null,
      source: kill?.source ?? null,
    };
    const market = j ? this.#market(j) : (this.#o.market ?? "us_equity");
    const base: LiveState = {
      id: this.entry.id,
      available: j !== null,
      problem: j ? null : this.#problem,
      market,
      day: null,
      asOfMs: this.#asOf,
      lastWriteMs: this.#lastWrite(),
      loop: this.#loop,
      lastLoopEvent: this.#lastLoopEvent,
      agents: [],
      total: null,
      positions: [],
      openOrders: [],
      risk: { halts: [], recent: [], killSwitch, killEvents: [...this.#kills].reverse() },
      metrics: this.#metrics,
      reports: this.#reports,
      counts: { ...this.#counts },
    };
    if (!j) return base;
    const day = this.#asOf === null ? null : marketDate(this.#asOf, market);
    const win = day ? dayWindow(day, market) : null;
    const registered = j.agents();
    const names = new Set([...registered.map((a) => a.agent), ...this.#curves.keys()]);
    const agents: AgentLive[] = [...names].sort().map((agent) => {
      const reg = registered.find((a) => a.agent === agent);
      const limits = riskLimits(reg?.config ?? null);
      const c = this.#curves.get(agent);
      const n = c?.t.length ?? 0;
      const equity = n ? c!.e[n - 1] : null;
      const start = n ? c!.e[0] : null;
      // first snapshot of the day (binary search over the time-ordered curve)
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (c!.t[mid] < (win?.fromMs ?? -Infinity)) lo = mid + 1;
        else hi = mid;
      }
      const dayStart = lo < n ? c!.e[lo] : equity;
      let dayPeak = dayStart ?? 0;
      let dayMaxDd = 0;
      for (let i = lo; i < n; i++) {
        const e = c!.e[i];
        if (e > dayPeak) dayPeak = e;
        if (dayPeak > 0) dayMaxDd = Math.max(dayMaxDd, (dayPeak - e) / dayPeak);
      }
      let streak = 0;
      for (let i = this.#trades.length - 1; i >= 0; i--) {
        const t = this.#trades[i];
        if (t.agent !== agent) continue;
        if (win && t.exitMs < win.fromMs) break;
        if (t.pnl < 0) streak++;
        else if (t.pnl > 0) break;
      }
      const frac = (a: number | null, b: number | null) =>
        a === null || b === null || !(b > 0) ? null : (a - b) / b;
      return {
        agent,
        symbol: reg?.symbol ?? null,
        equity,
        equityMs: n ? c!.t[n - 1] : null,
        startEquity: start,
        dayStartEquity: dayStart,
        pnlToday: equity === null || dayStart === null ? null : equity - dayStart,
        pnlTodayFraction: frac(equity, dayStart),
        pnlSinceStart: equity === null || start === null ? null : equity - start,
        pnlSinceStartFraction: frac(equity, start),
        drawdown: c && c.peak > 0 && equity !== null ? (c.peak - equity) / c.peak : 0,
        maxDrawdown: c?.maxDd ?? 0,
        drawdownToday: dayPeak > 0 && equity !== null
          ? Math.max(0, (dayPeak - equity) / dayPeak)
          : 0,
        maxDrawdownToday: dayMaxDd,
        dailyLossUsed: equity !== null && dayStart !== null && dayStart > 0
          ? Math.max(0, (dayStart - equity) / dayStart)
          : 0,
        dailyLossLimit: limits.daily,
        lossStreak: streak,
        lossStreakLimit: limits.streak,
      };
    });
    const withEq = agents.filter((a) => a.equity !== null);
    const sum = (f: (a: AgentLive) => number | null) => withEq.reduce((s, a) => s + (f(a) ?? 0), 0);
    const halts: HaltLive[] = [];
    for (const h of this.#latched.values()) {
      if (h.action === "resume" || h.action === "reset") continue;
      if (PER_DAY.has(h.rule) && win && h.sinceMs < win.fromMs) continue; // reset next session
      halts.push({ agent: h.agent, rule: h.rule, sinceMs: h.sinceMs, reason: h.reason });
    }
    const rs = j.riskState({ recent: 0 });
    for (const h of rs.halted) {
      if (!halts.some((x) => x.rule === h.rule && x.agent === (h.agent ?? null))) {
        halts.push({ agent: h.agent ?? null, rule: h.rule, sinceMs: h.tsMs, reason: null });
      }
    }
    this.#maybeMetrics(j, market);
    return {
      ...base,
      day,
      agents,
      total: withEq.length
        ? {
          equity: sum((a) => a.equity),
          startEquity: sum((a) => a.startEquity),
          dayStartEquity: sum((a) => a.dayStartEquity),
          pnlToday: sum((a) => a.pnlToday),
          pnlSinceStart: sum((a) => a.pnlSinceStart),
        }
        : null,
      positions: [...this.#positions.values()].sort((a, b) =>
        a.agent.localeCompare(b.agent) || a.symbol.localeCompare(b.symbol)
      ),
      openOrders: j.openOrders(),
      risk: { ...base.risk, halts, recent: [...this.#risk].reverse().slice(0, 20) },
      metrics: this.#metrics,
      reports: this.#reportsWithToday(day),
    };
  }

  #reportsWithToday(day: string | null): { date: string; written: boolean }[] {
    if (!day || this.#reports.some((r) => r.date === day)) return this.#reports;
    return [{ date: day, written: false }, ...this.#reports];
  }

  #maybeMetrics(j: Journal, market: ScheduleMarket): void {
    if (!this.#metricsDirty) return;
    const every = this.#o.metricsEveryMs ?? 1000;
    const wait = this.#metricsAt + every - Date.now();
    if (wait > 0) {
      // trailing computation: the last change is never left out
      if (this.#metricsTimer === undefined) {
        this.#metricsTimer = setTimeout(() => {
          this.#metricsTimer = undefined;
          void this.pass();
        }, wait);
      }
      return;
    }
    this.#metricsDirty = false;
    this.#metricsAt = Date.now();
    try {
      const m = journalMetrics(j, { market });
      this.#metrics = { overall: m.overall, byAgent: m.byAgent };
    } catch (e) {
      console.error(`dashboard: metrics of journal ${this.entry.id}: ${(e as Error).message}`);
    }
  }
}
