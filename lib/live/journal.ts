/**
 * The journal of a trading loop: one SQLite file (`node:sqlite`, WAL mode) per loop holding
 * everything the loop saw, decided and did, so a restart after `kill -9` can reconcile with
 * the broker and the dashboard can stream it while the loop writes.
 *
 * What is recorded (one table each, see {@link MIGRATIONS} for the exact columns):
 * `agents` (the runs traded side by side; a run is an agent), `bars` (every bar seen),
 * `decisions` (observation hash, action, action probabilities, decision and its reason:
 * `acted`, `held`, `smoothed_away`, `blocked` by a risk rule, `exited` by a ladder level),
 * `orders` (written with status `pending_submit` BEFORE the order goes to the broker, keyed by
 * its client order id), `broker_responses`, `fills` (unique per broker execution id, so a
 * replayed fill is never counted twice), `positions` and `equity` snapshots, `trades` (closed
 * round trips from the accounting), `risk_events`, `scheduler_events`, `kill_switch_events`,
 * and `loop_events` (start/stop, reconciliation results, broker-state adoption, watchdogs).
 *
 * Durability: WAL with `synchronous = FULL` by default, so a committed row survives the
 * process being killed (and power loss); every `record*` call is its own transaction unless
 * grouped with {@link Journal.transaction}. Readers (the dashboard) open the file with
 * `{ readOnly: true }`: in WAL mode they read a consistent snapshot and never block the writer.
 *
 * Schema versions live in `PRAGMA user_version`; {@link MIGRATIONS} upgrades an older file
 * in place, one version at a time, each step in a transaction.
 *
 * Crash-safety protocol the paper loop follows (so `kill -9` at any moment is recoverable):
 * 1. `recordBar`, then `recordDecision` (observation hash, action, probabilities, outcome).
 * 2. For each order: `id = newClientOrderId(agent, barTimeMs, seq)` (deterministic), then
 *    `recordOrderIntent` — committed BEFORE the broker is called — then submit with that id.
 * 3. `recordBrokerResponse` for the ack/reject (updates the order's status and broker id),
 *    `recordFill` for each execution (deduplicated by the broker's execution id).
 * 4. On restart, reconcile before trading: every `openOrders()` row (including
 *    `pending_submit` ones, which may or may not have reached the broker) is looked up at the
 *    broker BY CLIENT ORDER ID — found: journal its status and fills; not found: journal
 *    `{ kind: "reconcile_not_found", status: "canceled" }`; never re-submit blindly. Then
 *    `positionsFromFills()` must equal the broker's positions, or the loop refuses to start
 *    (a `loop_events` row records the diff, or the adoption with `--adopt-broker-state`).
 *
 * Units: times are UTC epoch milliseconds; quantities in base units (contracts/shares);
 * prices and money in quote currency; probabilities are fractions.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { ConfigError, ToolkitError } from "../util/mod.ts";

/** A journal file could not be opened, is newer than this code, or a write broke an invariant. */
export class JournalError extends ToolkitError {}

/**
 * Schema migrations: entry `k` upgrades a file from version `k` to `k + 1`. Never edit a
 * published step; append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // v1: the first journal layout.
  `
  CREATE TABLE agents (
    agent TEXT PRIMARY KEY, run_dir TEXT, symbol TEXT NOT NULL, account TEXT,
    created_ms INTEGER NOT NULL, config_json TEXT);
  CREATE TABLE bars (
    id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, interval TEXT NOT NULL,
    open_time_ms INTEGER NOT NULL, open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL,
    close REAL NOT NULL, volume REAL NOT NULL, received_ms INTEGER NOT NULL,
    UNIQUE (symbol, interval, open_time_ms));
  CREATE TABLE decisions (
    id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, agent TEXT NOT NULL, symbol TEXT NOT NULL,
    bar_time_ms INTEGER NOT NULL, obs_hash TEXT, action REAL, probs_json TEXT,
    decision TEXT NOT NULL, reason TEXT, target_position REAL);
  CREATE INDEX decisions_agent ON decisions (agent, id);
  CREATE TABLE orders (
    client_order_id TEXT PRIMARY KEY, agent TEXT NOT NULL, symbol TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')), qty REAL NOT NULL CHECK (qty > 0),
    type TEXT NOT NULL, limit_price REAL, stop_price REAL, time_in_force TEXT,
    decision_id INTEGER, reason TEXT, created_ms INTEGER NOT NULL, status TEXT NOT NULL,
    broker_order_id TEXT, filled_qty REAL NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL);
  CREATE INDEX orders_status ON orders (status);
  CREATE TABLE broker_responses (
    id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, client_order_id TEXT, kind TEXT NOT NULL,
    status TEXT, broker_order_id TEXT, payload_json TEXT);
  CREATE TABLE fills (
    id INTEGER PRIMARY KEY, fill_id TEXT NOT NULL UNIQUE, client_order_id TEXT NOT NULL,
    broker_order_id TEXT, agent TEXT NOT NULL, symbol TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')), qty REAL NOT NULL, price REAL NOT NULL,
    fee REAL NOT NULL DEFAULT 0, ts_ms INTEGER NOT NULL);
  CREATE INDEX fills_agent ON fills (agent, id);
  CREATE TABLE positions (
    id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, agent TEXT NOT NULL, symbol TEXT NOT NULL,
    qty REAL NOT NULL, avg_price REAL, unrealized_pnl REAL, source TEXT NOT NULL);
  CREATE TABLE equity (
    id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, agent TEXT NOT NULL, equity REAL NOT NULL,
    cash REAL, realized_pnl REAL, unrealized_pnl REAL);
  CREATE INDEX equity_agent ON equity (agent, id);
  CREATE TABLE risk_events (
    id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, agent TEXT, rule TEXT NOT NULL,
    action TEXT NOT NULL, detail_json TEXT);
  CREATE TABLE scheduler_events (
    id INTEGER PRIMARY KEY, job TEXT NOT NULL, scheduled_ms INTEGER NOT NULL,
    at_ms INTEGER NOT NULL, session_date TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT);
  CREATE INDEX scheduler_job ON scheduler_events (job, scheduled_ms);
  `,
  // v2: closed trades for per-agent metrics, kill-switch events, loop events (start/stop,
  // reconciliation, adoption of the broker's state, watchdogs), and the decision's smoothed
  // action next to the raw one.
  `
  CREATE TABLE trades (
    id INTEGER PRIMARY KEY, agent TEXT NOT NULL, symbol TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('long', 'short')), qty REAL NOT NULL,
    entry_ms INTEGER NOT NULL, exit_ms INTEGER NOT NULL, entry_price REAL NOT NULL,
    exit_price REAL NOT NULL, pnl REAL NOT NULL, fees REAL NOT NULL DEFAULT 0,
    funding REAL NOT NULL DEFAULT 0, exit_reason TEXT);
  CREATE INDEX trades_agent ON trades (agent, exit_ms);
  CREATE TABLE kill_switch_events (
    id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, action TEXT NOT NULL, reason TEXT,
    source TEXT);
  CREATE TABLE loop_events (
    id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, kind TEXT NOT NULL, detail_json TEXT);
  ALTER TABLE decisions ADD COLUMN smoothed_action REAL;
  `,
];

/** The schema version this code writes. */
export const JOURNAL_SCHEMA_VERSION: number = MIGRATIONS.length;

/** Tables a since-id cursor can stream. */
export type JournalTable =
  | "bars"
  | "decisions"
  | "broker_responses"
  | "fills"
  | "positions"
  | "equity"
  | "risk_events"
  | "scheduler_events"
  | "kill_switch_events"
  | "trades"
  | "loop_events";

const STREAMABLE: readonly JournalTable[] = [
  "bars",
  "decisions",
  "broker_responses",
  "fills",
  "positions",
  "equity",
  "risk_events",
  "scheduler_events",
  "kill_switch_events",
  "trades",
  "loop_events",
];

/** Options of {@link Journal.open}. */
export interface JournalOptions {
  /** Open for reading only (the dashboard). Default false. */
  readOnly?: boolean;
  /**
   * SQLite `synchronous` level for the writer: `FULL` (default; committed rows survive power
   * loss) or `NORMAL` (survive a process kill, not power loss; faster replays).
   */
  synchronous?: "FULL" | "NORMAL";
  /** How long (ms) to wait for another writer's lock (e.g. `paper:kill`). Default 5000. */
  busyTimeoutMs?: number;
}

/** A run traded by the loop (a run is an agent). */
export interface AgentRow {
  /** Agent name (a run is an agent). */
  agent: string;
  /** Instrument, e.g. `SPY`. */
  symbol: string;
  /** Run folder the agent was loaded from, if any. */
  runDir?: string | null;
  /** Broker sub-account the agent trades on, if any. */
  account?: string | null;
  /** When it was created, UTC epoch ms. */
  createdMs: number;
  /** Any JSON-serialisable configuration. */
  config?: unknown;
}

/** A bar the loop saw. */
export interface BarRow {
  /** Row id, assigned by the journal (the since-id cursor). */
  id?: number;
  /** Instrument, e.g. `SPY`. */
  symbol: string;
  /** Bar interval, e.g. `5m`. */
  interval: string;
  /** Bar open time, UTC epoch ms. */
  openTimeMs: number;
  /** Open price (quote currency). */
  open: number;
  /** High price (quote currency). */
  high: number;
  /** Low price (quote currency). */
  low: number;
  /** Close price (quote currency). */
  close: number;
  /** Volume (base units). */
  volume: number;
  /** When the loop received it, UTC epoch ms. */
  receivedMs: number;
}

/** What became of a policy's action on one bar. */
export type DecisionKind = "acted" | "held" | "smoothed_away" | "blocked" | "exited";

/** One policy decision (the specification's "RL prediction logging" and "decision logging"). */
export interface DecisionRow {
  /** Row id, assigned by the journal (the since-id cursor). */
  id?: number;
  /** When it happened, UTC epoch ms. */
  tsMs: number;
  /** Agent name (a run is an agent). */
  agent: string;
  /** Instrument, e.g. `SPY`. */
  symbol: string;
  /** Open time of the bar the decision was made on (at its close), UTC epoch ms. */
  barTimeMs: number;
  /** Hash of the observation vector (e.g. SHA-256 hex of its Float64 bytes). */
  obsHash?: string | null;
  /** The raw policy action (index or continuous value). */
  action?: number | null;
  /** The action after EMA smoothing, if smoothing is on. */
  smoothedAction?: number | null;
  /** Action probabilities (fractions summing to 1), for categorical policies. */
  probs?: number[] | null;
  /** What became of the action. */
  decision: DecisionKind;
  /** Why: the risk rule that blocked, the ladder level that exited, … */
  reason?: string | null;
  /** Target position after the decision (base units, signed). */
  targetPosition?: number | null;
}

/** Order lifecycle states; `pending_submit` is written before the broker sees the order. */
export type OrderStatus =
  | "pending_submit"
  | "submitted"
  | "accepted"
  | "partially_filled"
  | "filled"
  | "canceled"
  | "rejected"
  | "expired";

/** Statuses after which an order can no longer fill. */
export const TERMINAL_ORDER_STATUSES: readonly OrderStatus[] = [
  "filled",
  "canceled",
  "rejected",
  "expired",
];

/** An order the loop intends to submit (journaled BEFORE submission). */
export interface OrderIntent {
  /** Client order id (unique in the journal; see `newClientOrderId`). */
  clientOrderId: string;
  /** Agent name (a run is an agent). */
  agent: string;
  /** Instrument, e.g. `SPY`. */
  symbol: string;
  /** Order side. */
  side: "buy" | "sell";
  /** Quantity in base units, > 0. */
  qty: number;
  /** E.g. `market`, `limit`, `stop`, `stop_limit`. */
  type: string;
  /** Limit price (quote), for limit orders. */
  limitPrice?: number | null;
  /** Stop price (quote), for stop orders. */
  stopPrice?: number | null;
  /** Time in force, e.g. `day`, `gtc`, `ioc`. */
  timeInForce?: string | null;
  /** The decision that caused the order (`decisions.id`). */
  decisionId?: number | null;
  /** Why (free text). */
  reason?: string | null;
  /** When it was created, UTC epoch ms. */
  createdMs: number;
}

/** An order as journaled, with its latest known state. */
export interface OrderRow extends OrderIntent {
  /** Latest known status. */
  status: OrderStatus;
  /** The broker's order id, once known. */
  brokerOrderId: string | null;
  /** Filled quantity so far (base units). */
  filledQty: number;
  /** Last change, UTC epoch ms. */
  updatedMs: number;
}

/** A broker's answer about an order (ack, reject, status poll, cancel ack, error). */
export interface BrokerResponseRow {
  /** Row id, assigned by the journal (the since-id cursor). */
  id?: number;
  /** When it happened, UTC epoch ms. */
  tsMs: number;
  /** Client order id (unique in the journal; see `newClientOrderId`). */
  clientOrderId?: string | null;
  /** E.g. `submit_ack`, `reject`, `status`, `cancel_ack`, `error`. */
  kind: string;
  /** The order status this response implies, if any (updates `orders.status`). */
  status?: OrderStatus | null;
  /** The broker's order id, once known. */
  brokerOrderId?: string | null;
  /** The raw response (any JSON). */
  payload?: unknown;
}

/** One execution. */
export interface FillRow {
  /** Row id, assigned by the journal (the since-id cursor). */
  id?: number;
  /** The broker's unique execution id (deduplication key). */
  fillId: string;
  /** Client order id (unique in the journal; see `newClientOrderId`). */
  clientOrderId: string;
  /** The broker's order id, once known. */
  brokerOrderId?: string | null;
  /** Agent name (a run is an agent). */
  agent: string;
  /** Instrument, e.g. `SPY`. */
  symbol: string;
  /** Order side. */
  side: "buy" | "sell";
  /** Quantity (base units, > 0). */
  qty: number;
  /** Execution price (quote). */
  price: number;
  /** Fee in quote currency. */
  fee?: number;
  /** When it happened, UTC epoch ms. */
  tsMs: number;
}

/** A position snapshot, from the loop's own accounting or from the broker. */
export interface PositionRow {
  /** Row id, assigned by the journal (the since-id cursor). */
  id?: number;
  /** When it happened, UTC epoch ms. */
  tsMs: number;
  /** Agent name (a run is an agent). */
  agent: string;
  /** Instrument, e.g. `SPY`. */
  symbol: string;
  /** Signed quantity, base units. */
  qty: number;
  /** Average entry price (quote). */
  avgPrice?: number | null;
  /** Unrealised P&L (quote). */
  unrealizedPnl?: number | null;
  /** Whose view: the loop's own accounting or the broker's. */
  source: "journal" | "broker";
}

/** An equity snapshot (quote currency). */
export interface EquityRow {
  /** Row id, assigned by the journal (the since-id cursor). */
  id?: number;
  /** When it happened, UTC epoch ms. */
  tsMs: number;
  /** Agent name (a run is an agent). */
  agent: string;
  /** Equity (quote). */
  equity: number;
  /** Cash (quote). */
  cash?: number | null;
  /** Realised P&L so far (quote). */
  realizedPnl?: number | null;
  /** Unrealised P&L (quote). */
  unrealizedPnl?: number | null;
}

/** A risk-manager or watchdog event. */
export interface RiskEventRow {
  /** Row id, assigned by the journal (the since-id cursor). */
  id?: number;
  /** When it happened, UTC epoch ms. */
  tsMs: number;
  /** Agent name (a run is an agent). */
  agent?: string | null;
  /** The rule, e.g. `daily_loss_limit`, `max_drawdown`, `stale_data`, `dead_man`. */
  rule: string;
  /** E.g. `blocked`, `flatten`, `halt`, `resume`, `warn`. */
  action: string;
  /** Details (any JSON). */
  detail?: unknown;
}

/** A scheduler event (see `scheduler.ts`). */
export interface SchedulerEventRow {
  /** Row id, assigned by the journal (the since-id cursor). */
  id?: number;
  /** Job name. */
  job: string;
  /** When it was due, UTC epoch ms. */
  scheduledMs: number;
  /** When it was handled, UTC epoch ms. */
  atMs: number;
  /** Session date `YYYY-MM-DD`. */
  sessionDate: string;
  /** `fired`, `caught_up`, `skipped` or `failed`. */
  outcome: string;
  /** Why (free text). */
  reason?: string | null;
}

/** A kill-switch event. */
export interface KillSwitchEventRow {
  /** Row id, assigned by the journal (the since-id cursor). */
  id?: number;
  /** When it happened, UTC epoch ms. */
  tsMs: number;
  /** `set`, `reset`, `observed` (the loop saw it), `flattened`. */
  action: string;
  /** Why (free text). */
  reason?: string | null;
  /** Who: `cli`, `dashboard`, `loop`, … */
  source?: string | null;
}

/** A closed round trip, as computed by the accounting. */
export interface TradeRow {
  /** Row id, assigned by the journal (the since-id cursor). */
  id?: number;
  /** Agent name (a run is an agent). */
  agent: string;
  /** Instrument, e.g. `SPY`. */
  symbol: string;
  /** Side of the position the round trip held. */
  side: "long" | "short";
  /** Quantity (base units, > 0). */
  qty: number;
  /** Entry time, UTC epoch ms. */
  entryMs: number;
  /** Exit time, UTC epoch ms. */
  exitMs: number;
  /** Average entry price (quote). */
  entryPrice: number;
  /** Average exit price (quote). */
  exitPrice: number;
  /** Net P&L after fees and funding (quote). */
  pnl: number;
  /** Fees paid (quote). */
  fees?: number;
  /** Funding paid (quote; negative = received). */
  funding?: number;
  /** E.g. `signal`, `ladder_level_2`, `stop`, `close_flatten`, `kill_switch`. */
  exitReason?: string | null;
}

/** A loop-level event (start, stop, reconciliation, adoption, watchdog). */
export interface LoopEventRow {
  /** Row id, assigned by the journal (the since-id cursor). */
  id?: number;
  /** When it happened, UTC epoch ms. */
  tsMs: number;
  /** Event kind, e.g. `loop_start`, `reconcile_mismatch`, `adopt_broker_state`, `watchdog`. */
  kind: string;
  /** Details (any JSON). */
  detail?: unknown;
}

type Row = Record<string, SQLInputValue>;

/** FNV-1a 32-bit hash of a string, as 8 hex digits. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * A client order id for `agent`'s `seq`-th order on the bar at `barTimeMs`: deterministic (a
 * restarted loop derives the same id for the same intent), at most 36 characters of
 * `[a-z0-9-]` (accepted by Alpaca, ≤ 128, and Binance, ≤ 36 of `[.A-Z:/a-z0-9_-]`).
 *
 * @example
 * ```ts
 * newClientOrderId("ppo-1", 1767225600000, 0); // "rl5663e500-mjuohs00-0"
 * ```
 */
export function newClientOrderId(agent: string, barTimeMs: number, seq: number): string {
  if (!Number.isSafeInteger(barTimeMs) || barTimeMs < 0) {
    throw new ConfigError(`barTimeMs ${barTimeMs} is not a non-negative integer`, {
      parameter: "barTimeMs",
    });
  }
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new ConfigError(`seq ${seq} is not a non-negative integer`, { parameter: "seq" });
  }
  return `rl${fnv1a(agent)}-${barTimeMs.toString(36)}-${seq.toString(36)}`;
}

/**
 * The scheduler options that make a restarted scheduler continue from the journal: resume
 * after the newest journaled occurrence (or `fallbackResumeMs` for a fresh journal), never
 * repeat a handled occurrence, journal every new scheduler event. A loop that was down for
 * days journals the occurrences it missed as `skipped` (the truth) rather than forgetting them.
 */
export function schedulerOptionsFromJournal(
  journal: Journal,
  fallbackResumeMs: number,
): {
  resumeFromMs: number;
  alreadyHandled: (job: string, scheduledMs: number) => boolean;
  onEvent: (e: SchedulerEventRow) => void;
} {
  const last = journal.lastSchedulerEventMs();
  return {
    resumeFromMs: last ?? fallbackResumeMs,
    alreadyHandled: (job, t) => journal.schedulerHandled(job, t),
    onEvent: (e) => void journal.recordSchedulerEvent(e),
  };
}

const json = (v: unknown): string | null =>
  v === undefined || v === null ? null : JSON.stringify(v);
const parse = (v: unknown): unknown => typeof v === "string" ? JSON.parse(v) : null;
const opt = <T>(v: T | undefined): T | null => v === undefined ? null : v;

/**
 * A loop's journal. Open one writer per file (the loop) and any number of read-only readers.
 *
 * @example
 * ```ts
 * const j = Journal.open("models/run-1/paper/journal.sqlite");
 * j.recordOrderIntent({ clientOrderId: "run-1-1700000000000-0", agent: "run-1", … });
 * // … only now submit to the broker …
 * j.close();
 * ```
 */
export class Journal {
  /** Path of the SQLite file. */
  readonly path: string;
  /** True when opened read-only. */
  readonly readOnly: boolean;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #depth = 0;

  private constructor(path: string, db: DatabaseSync, readOnly: boolean) {
    this.path = path;
    this.#db = db;
    this.readOnly = readOnly;
  }

  /**
   * Open (creating and migrating when writable) the journal at `path`.
   *
   * @throws {JournalError} when the file is not a journal, is newer than this code, or (read
   *   only) does not exist or is older than this code.
   */
  static open(path: string, options: JournalOptions = {}): Journal {
    const readOnly = options.readOnly ?? false;
    const sync = options.synchronous ?? "FULL";
    if (sync !== "FULL" && sync !== "NORMAL") {
      throw new ConfigError(`synchronous must be FULL or NORMAL, got ${sync}`, {
        parameter: "synchronous",
      });
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { readOnly });
    } catch (e) {
      throw new JournalError(
        `cannot open journal: ${(e as Error).message}`,
        { file: path },
        readOnly ? "is the loop's journal path right? it must exist for a reader" : undefined,
      );
    }
    try {
      db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      const version = Number(
        (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
      );
      if (version > JOURNAL_SCHEMA_VERSION) {
        throw new JournalError(
          `journal schema v${version} is newer than this code (v${JOURNAL_SCHEMA_VERSION})`,
          { file: path },
          "update the toolkit before opening this journal",
        );
      }
      if (readOnly) {
        if (version < JOURNAL_SCHEMA_VERSION) {
          throw new JournalError(
            `journal schema v${version} is older than v${JOURNAL_SCHEMA_VERSION}`,
            { file: path },
            "open it once read-write (the loop does) to migrate it",
          );
        }
      } else {
        db.exec("PRAGMA journal_mode = WAL");
        db.exec(`PRAGMA synchronous = ${sync}`);
        db.exec("PRAGMA foreign_keys = ON");
        for (let v = version; v < JOURNAL_SCHEMA_VERSION; v++) {
          db.exec("BEGIN IMMEDIATE");
          try {
            db.exec(MIGRATIONS[v]);
            db.exec(`PRAGMA user_version = ${v + 1}`);
            db.exec("COMMIT");
          } catch (e) {
            db.exec("ROLLBACK");
            throw new JournalError(
              `migration v${v} → v${v + 1} failed: ${(e as Error).message}`,
              { file: path },
            );
          }
        }
      }
    } catch (e) {
      db.close();
      if (e instanceof JournalError) throw e;
      throw new JournalError(`not a usable journal: ${(e as Error).message}`, { file: path });
    }
    return new Journal(path, db, readOnly);
  }

  /** Close the database (a writer checkpoints the WAL into the main file first). */
  close(): void {
    if (!this.#db.isOpen) return;
    if (!this.readOnly) {
      try {
        this.#db.exec("PRAGMA wal_checkpoint(PASSIVE)");
      } catch { /* a reader may hold the WAL; the next open checkpoints */ }
    }
    this.#db.close();
  }

  /** The schema version of the open file (`PRAGMA user_version`). */
  schemaVersion(): number {
    return Number(
      (this.#db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
    );
  }

  /**
   * Run `fn` in one transaction (nested calls join the outer one): all its writes commit
   * together or not at all.
   */
  transaction<T>(fn: () => T): T {
    if (this.#depth > 0) return fn();
    this.#db.exec("BEGIN IMMEDIATE");
    this.#depth++;
    try {
      const out = fn();
      this.#db.exec("COMMIT");
      return out;
    } catch (e) {
      this.#db.exec("ROLLBACK");
      throw e;
    } finally {
      this.#depth--;
    }
  }

  /** A prepared statement, compiled once per journal. */
  #stmt(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  #run(sql: string, params: SQLInputValue[]): number {
    return Number(this.#stmt(sql).run(...params).lastInsertRowid);
  }

  #all(sql: string, params: SQLInputValue[] = []): Row[] {
    return this.#stmt(sql).all(...params) as Row[];
  }

  // ---------------------------------------------------------------- writers

  /** Register (or update) an agent: a run traded by this loop. */
  registerAgent(a: AgentRow): void {
    this.#run(
      `INSERT INTO agents (agent, run_dir, symbol, account, created_ms, config_json)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (agent) DO UPDATE SET run_dir = excluded.run_dir, symbol = excluded.symbol,
         account = excluded.account, config_json = excluded.config_json`,
      [a.agent, opt(a.runDir), a.symbol, opt(a.account), a.createdMs, json(a.config)],
    );
  }

  /** Record a bar; a bar already journaled (same symbol, interval, open time) returns its id. */
  recordBar(b: BarRow): number {
    this.#run(
      `INSERT OR IGNORE INTO bars (symbol, interval, open_time_ms, open, high, low, close, volume,
         received_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [b.symbol, b.interval, b.openTimeMs, b.open, b.high, b.low, b.close, b.volume, b.receivedMs],
    );
    const r = this.#stmt(
      "SELECT id FROM bars WHERE symbol = ? AND interval = ? AND open_time_ms = ?",
    ).get(b.symbol, b.interval, b.openTimeMs) as { id: number };
    return Number(r.id);
  }

  /** Record a decision; returns its id (link orders to it). */
  recordDecision(d: DecisionRow): number {
    return this.#run(
      `INSERT INTO decisions (ts_ms, agent, symbol, bar_time_ms, obs_hash, action,
         smoothed_action, probs_json, decision, reason, target_position)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        d.tsMs,
        d.agent,
        d.symbol,
        d.barTimeMs,
        opt(d.obsHash),
        opt(d.action),
        opt(d.smoothedAction),
        json(d.probs),
        d.decision,
        opt(d.reason),
        opt(d.targetPosition),
      ],
    );
  }

  /**
   * Journal an order BEFORE it is submitted (status `pending_submit`). After a crash, an order
   * in this state may or may not have reached the broker: reconciliation asks the broker by
   * client order id before anything is re-submitted.
   *
   * @throws {JournalError} if the client order id is already journaled (never reuse one).
   */
  recordOrderIntent(o: OrderIntent): void {
    if (!(o.qty > 0)) {
      throw new JournalError(`order ${o.clientOrderId}: qty ${o.qty} must be > 0`, {
        parameter: "qty",
      });
    }
    try {
      this.#run(
        `INSERT INTO orders (client_order_id, agent, symbol, side, qty, type, limit_price,
           stop_price, time_in_force, decision_id, reason, created_ms, status, updated_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending_submit', ?)`,
        [
          o.clientOrderId,
          o.agent,
          o.symbol,
          o.side,
          o.qty,
          o.type,
          opt(o.limitPrice),
          opt(o.stopPrice),
          opt(o.timeInForce),
          opt(o.decisionId),
          opt(o.reason),
          o.createdMs,
          o.createdMs,
        ],
      );
    } catch (e) {
      if (/UNIQUE|PRIMARY KEY/i.test((e as Error).message)) {
        throw new JournalError(
          `client order id ${o.clientOrderId} is already in the journal`,
          { file: this.path, parameter: "clientOrderId" },
          "client order ids are never reused; a retry must look the order up instead",
        );
      }
      throw e;
    }
  }

  /**
   * Record a broker response and, when it carries a status or broker order id, update the
   * order (one transaction). Returns the response's id.
   */
  recordBrokerResponse(r: BrokerResponseRow): number {
    return this.transaction(() => {
      const id = this.#run(
        `INSERT INTO broker_responses (ts_ms, client_order_id, kind, status, broker_order_id,
           payload_json) VALUES (?, ?, ?, ?, ?, ?)`,
        [
          r.tsMs,
          opt(r.clientOrderId),
          r.kind,
          opt(r.status),
          opt(r.brokerOrderId),
          json(r.payload),
        ],
      );
      if (r.clientOrderId) {
        this.#run(
          `UPDATE orders SET status = COALESCE(?, status),
             broker_order_id = COALESCE(?, broker_order_id), updated_ms = ?
           WHERE client_order_id = ?`,
          [opt(r.status), opt(r.brokerOrderId), r.tsMs, r.clientOrderId],
        );
      }
      return id;
    });
  }

  /**
   * Record a fill once: a fill id already journaled is ignored (returns false), so replaying
   * the broker's fills after a restart never double-counts. Updates the order's filled
   * quantity and status (one transaction).
   */
  recordFill(f: FillRow): boolean {
    return this.transaction(() => {
      const before = this.#stmt("SELECT 1 FROM fills WHERE fill_id = ?").get(f.fillId);
      if (before) return false;
      this.#run(
        `INSERT INTO fills (fill_id, client_order_id, broker_order_id, agent, symbol, side, qty,
           price, fee, ts_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          f.fillId,
          f.clientOrderId,
          opt(f.brokerOrderId),
          f.agent,
          f.symbol,
          f.side,
          f.qty,
          f.price,
          f.fee ?? 0,
          f.tsMs,
        ],
      );
      this.#run(
        `UPDATE orders SET filled_qty = filled_qty + ?,
           status = CASE WHEN filled_qty + ? >= qty - 1e-12 * qty THEN 'filled'
                         ELSE 'partially_filled' END,
           updated_ms = ? WHERE client_order_id = ?`,
        [f.qty, f.qty, f.tsMs, f.clientOrderId],
      );
      return true;
    });
  }

  /** Record a position snapshot. */
  recordPosition(p: PositionRow): number {
    return this.#run(
      `INSERT INTO positions (ts_ms, agent, symbol, qty, avg_price, unrealized_pnl, source)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [p.tsMs, p.agent, p.symbol, p.qty, opt(p.avgPrice), opt(p.unrealizedPnl), p.source],
    );
  }

  /** Record an equity snapshot. */
  recordEquity(e: EquityRow): number {
    return this.#run(
      `INSERT INTO equity (ts_ms, agent, equity, cash, realized_pnl, unrealized_pnl)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [e.tsMs, e.agent, e.equity, opt(e.cash), opt(e.realizedPnl), opt(e.unrealizedPnl)],
    );
  }

  /** Record a closed trade. */
  recordTrade(t: TradeRow): number {
    return this.#run(
      `INSERT INTO trades (agent, symbol, side, qty, entry_ms, exit_ms, entry_price, exit_price,
         pnl, fees, funding, exit_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        t.agent,
        t.symbol,
        t.side,
        t.qty,
        t.entryMs,
        t.exitMs,
        t.entryPrice,
        t.exitPrice,
        t.pnl,
        t.fees ?? 0,
        t.funding ?? 0,
        opt(t.exitReason),
      ],
    );
  }

  /** Record a risk or watchdog event. */
  recordRiskEvent(e: RiskEventRow): number {
    return this.#run(
      "INSERT INTO risk_events (ts_ms, agent, rule, action, detail_json) VALUES (?, ?, ?, ?, ?)",
      [e.tsMs, opt(e.agent), e.rule, e.action, json(e.detail)],
    );
  }

  /** Record a scheduler event (pass the scheduler's `onEvent` objects straight in). */
  recordSchedulerEvent(e: SchedulerEventRow): number {
    return this.#run(
      `INSERT INTO scheduler_events (job, scheduled_ms, at_ms, session_date, outcome, reason)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [e.job, e.scheduledMs, e.atMs, e.sessionDate, e.outcome, opt(e.reason)],
    );
  }

  /** Record a kill-switch event. */
  recordKillSwitchEvent(e: KillSwitchEventRow): number {
    return this.#run(
      "INSERT INTO kill_switch_events (ts_ms, action, reason, source) VALUES (?, ?, ?, ?)",
      [e.tsMs, e.action, opt(e.reason), opt(e.source)],
    );
  }

  /** Record a loop event (start, stop, reconciliation, adoption, watchdog). */
  recordLoopEvent(e: LoopEventRow): number {
    return this.#run(
      "INSERT INTO loop_events (ts_ms, kind, detail_json) VALUES (?, ?, ?)",
      [e.tsMs, e.kind, json(e.detail)],
    );
  }

  // ---------------------------------------------------------------- queries

  /** Registered agents. */
  agents(): AgentRow[] {
    return this.#all("SELECT * FROM agents ORDER BY created_ms, agent").map((r) => ({
      agent: String(r.agent),
      symbol: String(r.symbol),
      runDir: r.run_dir as string | null,
      account: r.account as string | null,
      createdMs: Number(r.created_ms),
      config: parse(r.config_json),
    }));
  }

  /** Latest equity snapshot of each agent (or of one agent). */
  latestEquity(agent?: string): EquityRow[] {
    const rows = this.#all(
      `SELECT e.* FROM equity e JOIN (SELECT agent, MAX(id) AS id FROM equity
         ${agent === undefined ? "" : "WHERE agent = ?"} GROUP BY agent) m ON e.id = m.id
       ORDER BY e.agent`,
      agent === undefined ? [] : [agent],
    );
    return rows.map(toEquity);
  }

  /** Equity snapshots of one agent in time order (optionally from `fromMs`). */
  equityCurve(agent: string, fromMs = -Infinity): EquityRow[] {
    return this.#all(
      "SELECT * FROM equity WHERE agent = ? AND ts_ms >= ? ORDER BY ts_ms, id",
      [agent, Number.isFinite(fromMs) ? fromMs : -Number.MAX_SAFE_INTEGER],
    ).map(toEquity);
  }

  /** The last `n` decisions, newest first (optionally of one agent). */
  lastDecisions(n: number, options: { agent?: string } = {}): DecisionRow[] {
    const where = options.agent === undefined ? "" : "WHERE agent = ?";
    const params: SQLInputValue[] = options.agent === undefined ? [] : [options.agent];
    return this.#all(`SELECT * FROM decisions ${where} ORDER BY id DESC LIMIT ?`, [
      ...params,
      Math.max(0, Math.floor(n)),
    ]).map(toDecision);
  }

  /** One order by client order id, or null. */
  order(clientOrderId: string): OrderRow | null {
    const r = this.#stmt("SELECT * FROM orders WHERE client_order_id = ?").get(
      clientOrderId,
    ) as Row | undefined;
    return r ? toOrder(r) : null;
  }

  /** Orders not in a terminal state (including `pending_submit` ones), oldest first. */
  openOrders(agent?: string): OrderRow[] {
    const marks = TERMINAL_ORDER_STATUSES.map(() => "?").join(", ");
    const params: SQLInputValue[] = [...TERMINAL_ORDER_STATUSES];
    if (agent !== undefined) params.push(agent);
    return this.#all(
      `SELECT * FROM orders WHERE status NOT IN (${marks})
       ${agent === undefined ? "" : "AND agent = ?"} ORDER BY created_ms, client_order_id`,
      params,
    ).map(toOrder);
  }

  /** Orders whose state changed after `afterMs` (UTC epoch ms), by update time (streaming). */
  ordersUpdatedSince(afterMs: number): OrderRow[] {
    return this.#all(
      "SELECT * FROM orders WHERE updated_ms > ? ORDER BY updated_ms, client_order_id",
      [afterMs],
    ).map(toOrder);
  }

  /** Broker responses about one order, oldest first. */
  brokerResponses(clientOrderId: string): BrokerResponseRow[] {
    return this.#all(
      "SELECT * FROM broker_responses WHERE client_order_id = ? ORDER BY id",
      [clientOrderId],
    ).map((r) => ({
      id: Number(r.id),
      tsMs: Number(r.ts_ms),
      clientOrderId: r.client_order_id as string | null,
      kind: String(r.kind),
      status: r.status as OrderStatus | null,
      brokerOrderId: r.broker_order_id as string | null,
      payload: parse(r.payload_json),
    }));
  }

  /** Fills (optionally of one agent), oldest first. */
  fills(options: { agent?: string } = {}): FillRow[] {
    const where = options.agent === undefined ? "" : "WHERE agent = ?";
    return this.#all(
      `SELECT * FROM fills ${where} ORDER BY id`,
      options.agent === undefined ? [] : [options.agent],
    ).map(toFill);
  }

  /** Net position per agent and symbol implied by the journaled fills (signed base units). */
  positionsFromFills(): { agent: string; symbol: string; qty: number }[] {
    return this.#all(
      `SELECT agent, symbol, SUM(CASE side WHEN 'buy' THEN qty ELSE -qty END) AS qty
       FROM fills GROUP BY agent, symbol ORDER BY agent, symbol`,
    ).map((r) => ({ agent: String(r.agent), symbol: String(r.symbol), qty: Number(r.qty) }));
  }

  /** Closed trades (optionally of one agent), by exit time. */
  trades(options: { agent?: string } = {}): TradeRow[] {
    const where = options.agent === undefined ? "" : "WHERE agent = ?";
    return this.#all(
      `SELECT * FROM trades ${where} ORDER BY exit_ms, id`,
      options.agent === undefined ? [] : [options.agent],
    ).map(toTrade);
  }

  /**
   * The risk state the dashboard shows: the latest kill-switch event, the latest risk events
   * (newest first) and the last halt/resume per rule still in force.
   */
  riskState(options: { recent?: number } = {}): {
    killSwitch: KillSwitchEventRow | null;
    recent: RiskEventRow[];
    halted: RiskEventRow[];
  } {
    const ks = this.#all("SELECT * FROM kill_switch_events ORDER BY id DESC LIMIT 1")[0];
    const recent = this.#all("SELECT * FROM risk_events ORDER BY id DESC LIMIT ?", [
      options.recent ?? 20,
    ]).map(toRisk);
    const halted = this.#all(
      `SELECT r.* FROM risk_events r JOIN (SELECT rule, COALESCE(agent, '') AS a, MAX(id) AS id
         FROM risk_events WHERE action IN ('halt', 'resume') GROUP BY rule, a) m ON r.id = m.id
       WHERE r.action = 'halt' ORDER BY r.id`,
    ).map(toRisk);
    return { killSwitch: ks ? toKill(ks) : null, recent, halted };
  }

  /** True when a scheduler occurrence was already fired, caught up or skipped (for restarts). */
  schedulerHandled(job: string, scheduledMs: number): boolean {
    return this.#stmt(
      `SELECT 1 FROM scheduler_events WHERE job = ? AND scheduled_ms = ?
         AND outcome IN ('fired', 'caught_up', 'skipped') LIMIT 1`,
    ).get(job, scheduledMs) !== undefined;
  }

  /** Time of the newest scheduler event (where a restarted scheduler resumes), or null. */
  lastSchedulerEventMs(): number | null {
    const r = this.#stmt("SELECT MAX(scheduled_ms) AS t FROM scheduler_events").get() as {
      t: number | null;
    };
    return r.t === null ? null : Number(r.t);
  }

  /**
   * Rows of `table` with id greater than `afterId`, oldest first, at most `limit` (default
   * 1000): a since-id cursor for streaming. Rows come back with snake_case column names and
   * JSON columns parsed; `nextId` is the cursor for the next call.
   */
  since(
    table: JournalTable,
    afterId: number,
    limit = 1000,
  ): { rows: Record<string, unknown>[]; nextId: number } {
    if (!STREAMABLE.includes(table)) {
      throw new ConfigError(`table ${table} cannot be streamed`, { parameter: "table" });
    }
    const rows = this.#all(`SELECT * FROM ${table} WHERE id > ? ORDER BY id LIMIT ?`, [
      afterId,
      limit,
    ]).map((r) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r)) {
        if (k.endsWith("_json")) out[k.slice(0, -5)] = parse(v);
        else out[k] = v;
      }
      return out;
    });
    const nextId = rows.length ? Number(rows[rows.length - 1].id) : afterId;
    return { rows, nextId };
  }

  /** Row count of a table (diagnostics and tests). */
  count(table: JournalTable | "orders" | "agents"): number {
    if (!STREAMABLE.includes(table as JournalTable) && table !== "orders" && table !== "agents") {
      throw new ConfigError(`unknown table ${table}`, { parameter: "table" });
    }
    return Number((this.#db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as Row).n);
  }

  /** SQLite's `PRAGMA integrity_check` result (`"ok"` when the file is sound). */
  integrityCheck(): string {
    return String((this.#db.prepare("PRAGMA integrity_check").get() as Row).integrity_check);
  }
}

function toEquity(r: Row): EquityRow {
  return {
    id: Number(r.id),
    tsMs: Number(r.ts_ms),
    agent: String(r.agent),
    equity: Number(r.equity),
    cash: r.cash as number | null,
    realizedPnl: r.realized_pnl as number | null,
    unrealizedPnl: r.unrealized_pnl as number | null,
  };
}

function toDecision(r: Row): DecisionRow {
  return {
    id: Number(r.id),
    tsMs: Number(r.ts_ms),
    agent: String(r.agent),
    symbol: String(r.symbol),
    barTimeMs: Number(r.bar_time_ms),
    obsHash: r.obs_hash as string | null,
    action: r.action as number | null,
    smoothedAction: r.smoothed_action as number | null,
    probs: parse(r.probs_json) as number[] | null,
    decision: r.decision as DecisionKind,
    reason: r.reason as string | null,
    targetPosition: r.target_position as number | null,
  };
}

function toOrder(r: Row): OrderRow {
  return {
    clientOrderId: String(r.client_order_id),
    agent: String(r.agent),
    symbol: String(r.symbol),
    side: r.side as "buy" | "sell",
    qty: Number(r.qty),
    type: String(r.type),
    limitPrice: r.limit_price as number | null,
    stopPrice: r.stop_price as number | null,
    timeInForce: r.time_in_force as string | null,
    decisionId: r.decision_id === null ? null : Number(r.decision_id),
    reason: r.reason as string | null,
    createdMs: Number(r.created_ms),
    status: r.status as OrderStatus,
    brokerOrderId: r.broker_order_id as string | null,
    filledQty: Number(r.filled_qty),
    updatedMs: Number(r.updated_ms),
  };
}

function toFill(r: Row): FillRow {
  return {
    id: Number(r.id),
    fillId: String(r.fill_id),
    clientOrderId: String(r.client_order_id),
    brokerOrderId: r.broker_order_id as string | null,
    agent: String(r.agent),
    symbol: String(r.symbol),
    side: r.side as "buy" | "sell",
    qty: Number(r.qty),
    price: Number(r.price),
    fee: Number(r.fee),
    tsMs: Number(r.ts_ms),
  };
}

function toTrade(r: Row): TradeRow {
  return {
    id: Number(r.id),
    agent: String(r.agent),
    symbol: String(r.symbol),
    side: r.side as "long" | "short",
    qty: Number(r.qty),
    entryMs: Number(r.entry_ms),
    exitMs: Number(r.exit_ms),
    entryPrice: Number(r.entry_price),
    exitPrice: Number(r.exit_price),
    pnl: Number(r.pnl),
    fees: Number(r.fees),
    funding: Number(r.funding),
    exitReason: r.exit_reason as string | null,
  };
}

function toRisk(r: Row): RiskEventRow {
  return {
    id: Number(r.id),
    tsMs: Number(r.ts_ms),
    agent: r.agent as string | null,
    rule: String(r.rule),
    action: String(r.action),
    detail: parse(r.detail_json),
  };
}

function toKill(r: Row): KillSwitchEventRow {
  return {
    id: Number(r.id),
    tsMs: Number(r.ts_ms),
    action: String(r.action),
    reason: r.reason as string | null,
    source: r.source as string | null,
  };
}
