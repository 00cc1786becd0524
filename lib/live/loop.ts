/**
 * The paper-trading loop: a trained run acting on each closed bar of a live (or replayed) bar
 * stream through the risk manager, the profit manager and the execution engine, with
 * everything journaled so that `kill -9` at any moment is recoverable.
 *
 * ## One bar (per agent)
 * 1. The broker sees the bar (the paper broker: resting orders, liquidation, funding, mark).
 * 2. The agent's BOOK — a `lib/trading` `Account` run exactly like the env's (clock,
 *    liquidation, funding, mark) — advances; the equity statistics step
 *    (`stepEquityStats` of `lib/env/observation.ts`, the env's own code); the bar goes through
 *    `IncrementalFeatures` (identical to the batch features).
 * 3. Kill switch (flatten and stop), watchdogs (risk halts flatten), the profit manager's exits.
 * 4. The observation is assembled with the env's `writeObservation`, the mask with the env's
 *    `writeActionMask`; the policy (optionally EMA-smoothed) decides; the action is applied to
 *    the book with the env's own `Account` calls (so the order size is the env's), the risk
 *    manager checks the order, the decision is journaled, then the order (journaled BEFORE it
 *    is sent, with a deterministic client id `newClientOrderId(agent, barTime, seq)`) goes
 *    through the execution engine. When the broker's fills differ from what the book expected
 *    (partial fill, another price, a rejection) the book is rolled back and the ACTUAL fills
 *    are applied instead, so the book always equals the broker's record.
 * 5. Position and equity rows close the bar (the equity row at the bar's time marks the bar
 *    as complete).
 *
 * ## Crash safety (see also the journal's module docs)
 * - The paper broker logs its inputs before applying them in its own file
 *   (`paper_store.ts`); a restart rebuilds it exactly.
 * - The loop itself keeps no snapshot: features (the indicator objects have no serialiser),
 *   the book, the statistics, the smoothing EMA, the risk and exit managers are all rebuilt.
 * - Restart = deterministic replay: every journaled bar is fed again (the feed re-delivers it
 *   without pacing, see {@link BarFeed.fastForward}) through steps 2–5 in
 *   REPLAY mode — the same decisions are recomputed (their observation hashes are checked
 *   against the journal), nothing is recorded twice, nothing is sent, and the fills applied to
 *   the book come from the journal. The last, incomplete bar runs in RESUME mode: a decision
 *   already journaled is not journaled again and an order whose client id is already in the
 *   journal is never sent again.
 * - Before that, the startup reconciliation gate looks every non-terminal journal order up at
 *   the broker BY CLIENT ID (found: its fills are journaled, deduplicated by fill id; absent:
 *   it never reached the broker and is closed as `reconcile_not_found`), then requires the
 *   journal's positions (from fills), open orders and per-order filled quantities to equal the
 *   broker's exactly (prices within 1e-8 relative). A mismatch prints an exact diff and the
 *   loop refuses to start unless `adoptBrokerState` (journaled as `adopt_broker_state`).
 *
 * ## Watchdogs (each on by default, off by name: {@link WATCHDOGS})
 * `stale-data` (no bar within `staleIntervals` expected gaps of the feed: journaled, printed,
 * positions flattened at the last price; a `--speed max` replay never waits, so it never
 * fires), `broker-connectivity` (a dead-man switch: `maxFailedHeartbeats` failed
 * `getClock` heartbeats in a row cancel the open orders, flatten and stop), `daily-loss` and
 * `drawdown` (the risk manager's latches: flatten; new exposure stays blocked by the risk
 * manager itself). Every firing is a `risk_events` row with rule = the watchdog's name.
 *
 * ## Scheduler
 * Futures runs use the scheduler's crypto mode (24/7, UTC session): its `market_open` and
 * `daily_report` occurrences are evaluated in BAR time (a replay runs faster than the wall
 * clock) and journaled once each (`scheduler_events`); each `daily_report` writes the daily
 * report (JSON + HTML) of the UTC day that ended. The 5-minute `recurring` job is the periodic
 * reconciliation (open orders every `reconcileOrdersMs`, positions every
 * `reconcilePositionsMs`, drift journaled as `loop_events` kind `drift`).
 *
 * ## Limits (stated)
 * - The ML-signal observation inputs are 0 (as an env built with `signals: "none"`): the
 *   walk-forward signal models are not rebuilt live.
 * - Several runs side by side (`runs: [a, b]`) need the paper broker: each agent gets its own
 *   paper sub-account (its own broker log). A venue account is shared, so alpaca/binance take
 *   one run.
 * - A fill learned after the bar its order was sent on (a resting order, an unresolved
 *   outcome settled later) is journaled when learned and applied to the book at that bar;
 *   a restart's replay applies it at its order's bar instead (the book may then differ from
 *   the live one by that timing until the position changes; journal and broker still agree).
 * - A restart needs the feed to deliver the journaled bars again (the replay feed does; a live
 *   feed starts at the first journaled bar). OI and funding are not journaled, so they come
 *   from the feed.
 * - Price agreement in the reconciliation gate is relative 1e-8 (no per-instrument tick size
 *   is known to the loop); quantities agree to 1e-9 relative (sums of float fills).
 *
 * @module
 */
import {
  type Broker,
  ClientOrderIdFactory,
  ExecutionEngine,
  isTerminal,
  type Order,
  type RiskGate,
} from "../broker/mod.ts";
import {
  EQ_STAT_SIZE,
  EqStat,
  MARKET_OBS_FEATURES,
  OBS_STATE_SIZE,
  ObsState,
  resetEquityStats,
  stepEquityStats,
  writeActionMask,
  writeMarketBlock,
  writeObservation,
} from "../env/mod.ts";
import { exitPreset, ProfitManager, RiskManager, riskPreset } from "../risk/mod.ts";
import { Account, ExitCode } from "../trading/mod.ts";
import { ConfigError, periodsPerYear, ToolkitError } from "../util/mod.ts";
import { type Clock, SystemClock } from "./clock.ts";
import { FEATURE_NAMES } from "../features/mod.ts";
import { type FeatureBar, IncrementalFeatures, observationHash } from "./incremental_features.ts";
import { type DecisionKind, Journal, newClientOrderId, type OrderStatus } from "./journal.ts";
import { writeDailyReport } from "./journal_metrics.ts";
import { KillSwitchMonitor } from "./kill_switch.ts";
import type { RunPolicy } from "./run_policy.ts";
import { marketDate, occurrencesBetween, resolveSchedule } from "./scheduler.ts";

/** The loop refused to start or had to stop (reconciliation mismatch, dead broker, …). */
export class LoopError extends ToolkitError {}

/** One closed bar of the stream. */
export interface LoopBar extends FeatureBar {}

/** A source of closed bars, oldest first. */
export interface BarFeed {
  /** Symbol of the bars. */
  readonly symbol: string;
  /** Interval name, e.g. `5m`. */
  readonly interval: string;
  /** Interval, ms. */
  readonly intervalMs: number;
  /** Expected wall-clock gap between bars, ms (Infinity = as fast as possible). */
  readonly wallGapMs: number;
  /** The next bar (waits for it), `last` true on the final bar, or null at the end. */
  next(): Promise<{ bar: LoopBar; last: boolean } | null>;
  /** Deliver bars up to `timeMs` (already journaled, being replayed) without waiting. */
  fastForward?(timeMs: number): void;
}

/** Columns of a recorded bar file, as `MarketData` holds them. */
export interface BarColumns {
  symbol: string;
  interval: string;
  intervalMs: number;
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  openInterest?: Float64Array;
  fundingRate?: Float64Array;
}

/**
 * Replay recorded bars at `speed` × real time (`Infinity` = as fast as possible), waiting on
 * `clock` between bars.
 */
export function replayFeed(
  bars: BarColumns,
  options: { speed?: number; clock?: Clock; from?: number; to?: number } = {},
): BarFeed {
  const speed = options.speed ?? Infinity;
  if (!(speed > 0)) {
    throw new ConfigError(`speed must be > 0, got ${speed}`, { parameter: "speed" });
  }
  const clock = options.clock ?? new SystemClock();
  const end = Math.min(options.to ?? bars.time.length, bars.time.length);
  let i = options.from ?? 0;
  const gap = speed === Infinity ? Infinity : bars.intervalMs / speed;
  let due = clock.now();
  let fastUntil = -Infinity;
  return {
    symbol: bars.symbol,
    interval: bars.interval,
    intervalMs: bars.intervalMs,
    wallGapMs: gap,
    fastForward(timeMs: number) {
      fastUntil = timeMs;
    },
    async next() {
      if (i >= end) return null;
      if (bars.time[i] <= fastUntil) due = clock.now();
      else if (gap !== Infinity) {
        due += gap;
        await clock.sleepUntil(due);
      }
      const k = i++;
      const bar: LoopBar = {
        time: bars.time[k],
        open: bars.open[k],
        high: bars.high[k],
        low: bars.low[k],
        close: bars.close[k],
        volume: bars.volume[k],
        openInterest: bars.openInterest ? bars.openInterest[k] : undefined,
        fundingRate: bars.fundingRate ? bars.fundingRate[k] : undefined,
      };
      return { bar, last: k === end - 1 };
    },
  };
}

/** Names of the watchdogs (each on by default, switched off by name). */
export const WATCHDOGS = ["stale-data", "broker-connectivity", "daily-loss", "drawdown"] as const;
/** A watchdog's name. */
export type WatchdogName = typeof WATCHDOGS[number];

/** One agent (a run) of the loop. */
export interface LoopAgent {
  /** The loaded run. */
  policy: RunPolicy;
  /** The broker of this agent's sub-account. */
  broker: Broker;
  /** Hook before each bar's decision for a venue simulator (e.g. post the price). */
  onBar?: (bar: LoopBar) => Promise<void> | void;
}

/** Options of {@link PaperLoop}. */
export interface PaperLoopOptions {
  /** The journal (one file per loop). */
  journal: Journal;
  /** The agents. */
  agents: LoopAgent[];
  /** The bar stream. */
  feed: BarFeed;
  /** Time source. Default the system clock. */
  clock?: Clock;
  /** Risk preset: `spec` (default) or `off`. */
  risk?: "spec" | "off";
  /** Exit ladder preset: `spec` (default) or `off`. */
  exits?: "spec" | "off";
  /** Watchdogs switched off. */
  disabledWatchdogs?: WatchdogName[];
  /** Stale-data watchdog: fire after this many expected bar gaps without a bar. Default 3. */
  staleIntervals?: number;
  /** Dead-man switch: cancel and flatten after this many failed heartbeats. Default 3. */
  maxFailedHeartbeats?: number;
  /** Open orders reconciled at most this often (clock ms). Default 5000. */
  reconcileOrdersMs?: number;
  /** Positions reconciled at most this often (clock ms). Default 60000. */
  reconcilePositionsMs?: number;
  /** Start even when the journal disagrees with the broker (journaled). Default false. */
  adoptBrokerState?: boolean;
  /** Flatten at the close of the feed's last bar (a replay's end). Default true. */
  flattenAtEnd?: boolean;
  /** Write the daily report (JSON + HTML) of the last session day here at the end. */
  reportDir?: string;
  /** Progress and watchdog lines. Default: none. */
  log?: (line: string) => void;
  /**
   * Called with every observation the loop decides on (the buffer is reused: copy it), in
   * every mode — for tests and diagnostics.
   */
  onObservation?: (agent: string, barTimeMs: number, obs: Float64Array) => void;
  /**
   * Test aid: wait this long (ms) between journaling an order and sending it, and again
   * between the broker's answer and journaling it, so kill tests land in those windows often.
   * Default 0.
   */
  crashWindowMs?: number;
}

/** What a run of the loop did (printed as the summary). */
export interface LoopSummary {
  /** Bars processed live (excluding replayed ones). */
  bars: number;
  /** Bars replayed from the journal at start. */
  replayedBars: number;
  /** Decisions by kind (this process). */
  decisions: Record<string, number>;
  /** Orders sent. */
  orders: number;
  /** Fills journaled. */
  fills: number;
  /** Blocked decisions by risk rule. */
  blockedByRule: Record<string, number>;
  /** Exits by ladder level. */
  exitsByLevel: Record<string, number>;
  /** Per agent: equity now and return since the start (fraction). */
  agents: { agent: string; equity: number; initial: number; return: number; position: number }[];
  /** Why the loop stopped: `end_of_feed`, `kill_switch`, `dead_man`, `aborted`. */
  stopReason: string;
  /** Bars per second of wall time (live bars only). */
  barsPerSecond: number;
  /** Watchdog firings. */
  watchdogs: { name: string; detail: string }[];
  /** Daily report files written, if any. */
  report: { jsonPath: string; htmlPath: string } | null;
}

const ACTION_NAMES = ["HOLD", "ENTER_LONG", "ENTER_SHORT", "EXIT", "SCALE_IN", "SCALE_OUT"];
const ALLOW_ALL: RiskGate = {
  checkTrade: () => ({ allowed: true, rule: null, reason: "checked by the loop", level: "low" }),
};
const REL = 1e-9;

function near(a: number, b: number, rel = REL): boolean {
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

interface IntendedFill {
  side: "buy" | "sell";
  qty: number;
  price: number;
}

/** Per-agent state: book, features, statistics, managers, engine. */
class AgentRunner {
  readonly name: string;
  readonly symbol: string;
  readonly policy: RunPolicy;
  readonly broker: Broker;
  readonly engine: ExecutionEngine;
  readonly book: Account;
  readonly features = new IncrementalFeatures({ nanPolicy: "invalidate" });
  readonly risk: RiskManager;
  readonly exits: ProfitManager;
  readonly st = new Float64Array(EQ_STAT_SIZE);
  readonly ring: Float64Array;
  readonly annual: number;
  readonly obs: Float64Array;
  readonly mask = new Uint8Array(6);
  readonly row = new Float64Array(11); // 3 signal entries (0) + 8 market entries
  readonly state = new Float64Array(OBS_STATE_SIZE);
  readonly cols: number[];
  readonly atrCol: number;
  readonly onBar?: (bar: LoopBar) => Promise<void> | void;
  dur = 0;
  closed = 0;
  wins = 0;
  ledgerSeen = 0;
  /** Closed trades already journaled / reported to the risk manager. */
  tradesSeen = 0;
  barIndex = -1;
  started = false;
  failedHeartbeats = 0;
  halted = new Set<string>();

  constructor(
    a: LoopAgent,
    o: { risk: "spec" | "off"; exits: "spec" | "off"; intervalMs: number; symbol: string },
  ) {
    this.policy = a.policy;
    this.name = a.policy.name;
    this.broker = a.broker;
    this.onBar = a.onBar;
    this.symbol = o.symbol;
    this.engine = new ExecutionEngine(a.broker, {
      risk: ALLOW_ALL,
      ids: new ClientOrderIdFactory({ venue: a.broker.venue, session: "paper" }),
      maxAttempts: 3,
      baseDelayMs: 50,
    });
    this.book = new Account(a.policy.trading);
    this.risk = new RiskManager(riskPreset(o.risk, { calendar: "crypto" }));
    this.exits = new ProfitManager(exitPreset(o.exits));
    this.ring = new Float64Array(20);
    this.annual = Math.sqrt(periodsPerYear(o.intervalMs, "crypto"));
    this.obs = new Float64Array(a.policy.obsDim);
    this.cols = MARKET_OBS_FEATURES.map((n) => FEATURE_NAMES.indexOf(n));
    this.atrCol = FEATURE_NAMES.indexOf("atr_14");
  }

  get slip(): number {
    return this.book.config.slippage;
  }

  /** The env's bar advance (liquidation, funding at the close, mark) and statistics. */
  advance(bar: LoopBar): void {
    const a = this.book;
    this.barIndex++;
    a.setClock(this.barIndex, bar.time);
    if (!this.started) {
      a.mark(bar.close);
      return;
    }
    if (a.direction !== 0) {
      const liquidated = a.liquidateIfCrossed(bar.high, bar.low);
      if (!liquidated) {
        const rate = bar.fundingRate;
        if (rate !== undefined && rate === rate) {
          a.mark(bar.close);
          a.applyFunding(rate);
        }
      }
    }
    a.mark(bar.close);
    this.dur = a.direction !== 0 ? this.dur + 1 : 0;
    this.countClosed();
    stepEquityStats(this.st, this.ring, { equity: a.equity, annual: this.annual });
  }

  countClosed(): void {
    const l = this.book.ledger;
    for (let i = this.ledgerSeen; i < l.count; i++) {
      this.closed++;
      if (l.pnl[i] > 0) this.wins++;
    }
    this.ledgerSeen = l.count;
  }

  /** Start the episode on this bar (the env's reset). */
  start(bar: LoopBar): void {
    this.started = true;
    this.book.reset();
    this.book.setClock(this.barIndex, bar.time);
    this.book.mark(bar.close);
    this.dur = 0;
    this.closed = 0;
    this.wins = 0;
    this.ledgerSeen = 0;
    resetEquityStats(this.st, this.ring, this.book.equity);
  }

  /** Fill the observation from the feature row (the env's own assembly). */
  observe(featureRow: Float64Array): Float64Array {
    this.row[0] = 0;
    this.row[1] = 0;
    this.row[2] = 0;
    writeMarketBlock(featureRow, this.row, { srcOffset: 0, cols: this.cols, outOffset: 3 });
    const a = this.book;
    const s = this.state;
    s[ObsState.DIRECTION] = a.direction;
    s[ObsState.UNREALISED_PNL] = a.unrealisedPnl;
    s[ObsState.EQUITY] = this.st[EqStat.EQUITY];
    s[ObsState.DURATION] = this.dur;
    s[ObsState.DRAWDOWN] = this.st[EqStat.DRAWDOWN];
    s[ObsState.BALANCE] = a.balance;
    s[ObsState.INITIAL] = a.config.initialBalance;
    s[ObsState.SHARPE] = this.st[EqStat.SHARPE];
    s[ObsState.DISTANCE_TO_LIQUIDATION] = a.distanceToLiquidation();
    s[ObsState.CLOSED] = this.closed;
    s[ObsState.WINS] = this.wins;
    writeObservation(this.obs, { row: this.row, signalOffset: 0, marketOffset: 3, state: s });
    return this.obs;
  }

  /** Apply a broker fill exactly to the book (the paper broker's own sequence). */
  applyFill(f: IntendedFill, close: number): void {
    const a = this.book;
    const dir = f.side === "buy" ? 1 : -1;
    a.mark(f.price / (1 + this.slip * dir));
    const pos = a.direction * a.size;
    let qty = f.qty;
    if (pos === 0) {
      a.open(dir, qty);
      this.dur = 0;
    } else if (pos * dir > 0) a.scaleIn(1 + qty / a.size);
    else if (qty >= a.size * (1 - 1e-12)) {
      qty -= a.size;
      a.close();
      if (qty > 1e-12) {
        a.open(dir, qty);
        this.dur = 0;
      }
    } else a.reduce(qty);
    a.mark(close);
  }
}

function fillIdsOf(
  o: Order,
): { fillId: string; qty: number; price: number; fee: number; ts: number }[] {
  if (o.fills.length > 0) {
    return o.fills.map((f, k) => ({
      fillId: `${o.clientOrderId}#${k}`,
      qty: f.qty,
      price: f.price,
      fee: f.fee,
      ts: f.timeMs,
    }));
  }
  if (o.filledQty > 0) {
    return [{
      fillId: `${o.clientOrderId}#q${o.filledQty}`,
      qty: o.filledQty,
      price: o.avgFillPrice,
      fee: 0,
      ts: o.updatedAtMs,
    }];
  }
  return [];
}

function statusOf(o: Order): OrderStatus {
  return o.state === "new" ? "submitted" : o.state;
}

/** One difference between the journal and the broker. */
export interface ReconcileDiff {
  /** What differs: `position`, `order_unknown_to_journal`, `order_filled_qty`, `order_price`, `order_open`. */
  kind: string;
  /** Agent (journal side). */
  agent: string;
  /** Instrument or client order id. */
  key: string;
  /** The journal's value. */
  journal: number | string | null;
  /** The broker's value. */
  broker: number | string | null;
}

/**
 * Bring the journal up to date with the broker (look up every non-terminal journal order by
 * client id, journal its fills; absent = never reached the broker) and return every remaining
 * difference in orders, fills and positions. An empty list means they agree.
 */
export async function reconcileJournal(
  journal: Journal,
  options: { agent: string; broker: Broker; nowMs: number },
): Promise<ReconcileDiff[]> {
  const { agent, broker } = options;
  for (const o of journal.openOrders(agent)) {
    const b = await broker.getOrder(o.clientOrderId);
    if (b) syncOrder(journal, { agent, order: b, nowMs: options.nowMs, kind: "reconcile_found" });
    else {
      journal.recordBrokerResponse({
        tsMs: options.nowMs,
        clientOrderId: o.clientOrderId,
        kind: "reconcile_not_found",
        status: "canceled",
      });
    }
  }
  const diffs: ReconcileDiff[] = [];
  const mine = new Map<string, number>();
  for (const p of journal.positionsFromFills()) if (p.agent === agent) mine.set(p.symbol, p.qty);
  const theirs = new Map((await broker.getPositions()).map((p) => [p.symbol, p.qty]));
  for (const s of new Set([...mine.keys(), ...theirs.keys()])) {
    const j = mine.get(s) ?? 0, b = theirs.get(s) ?? 0;
    if (!near(j, b)) diffs.push({ kind: "position", agent, key: s, journal: j, broker: b });
  }
  const all = await broker.getOrders({ status: "all" });
  const journalFills = new Map<string, { qty: number; notional: number }>();
  for (const f of journal.fills({ agent })) {
    const x = journalFills.get(f.clientOrderId) ?? { qty: 0, notional: 0 };
    x.qty += f.qty;
    x.notional += f.qty * f.price;
    journalFills.set(f.clientOrderId, x);
  }
  for (const o of all) {
    if (o.parentClientOrderId) continue;
    const j = journal.order(o.clientOrderId);
    if (!j) {
      diffs.push({
        kind: "order_unknown_to_journal",
        agent,
        key: o.clientOrderId,
        journal: null,
        broker: `${o.side} ${o.qty} ${o.symbol} ${o.state} filled ${o.filledQty}`,
      });
      continue;
    }
    const jf = journalFills.get(o.clientOrderId) ?? { qty: 0, notional: 0 };
    if (!near(jf.qty, o.filledQty)) {
      diffs.push({
        kind: "order_filled_qty",
        agent,
        key: o.clientOrderId,
        journal: jf.qty,
        broker: o.filledQty,
      });
    } else if (o.filledQty > 0 && !near(jf.notional / jf.qty, o.avgFillPrice, 1e-8)) {
      diffs.push({
        kind: "order_price",
        agent,
        key: o.clientOrderId,
        journal: jf.notional / jf.qty,
        broker: o.avgFillPrice,
      });
    }
    const jOpen = !["filled", "canceled", "rejected", "expired"].includes(j.status);
    if (jOpen !== !isTerminal(o.state)) {
      diffs.push({
        kind: "order_open",
        agent,
        key: o.clientOrderId,
        journal: j.status,
        broker: o.state,
      });
    }
  }
  return diffs;
}

/** Journal an order's latest state and its fills (deduplicated by fill id). Returns new fills. */
function syncOrder(
  journal: Journal,
  o: { agent: string; order: Order; nowMs: number; kind: string },
): IntendedFill[] {
  const order = o.order;
  const out: IntendedFill[] = [];
  journal.transaction(() => {
    const known = journal.order(order.clientOrderId);
    let already = known ? known.filledQty : 0;
    for (const f of fillIdsOf(order)) {
      // venues reporting totals only: the id carries the cumulative quantity
      let qty = f.qty, price = f.price;
      if (f.fillId.includes("#q")) {
        qty = order.filledQty - already;
        if (!(qty > order.qty * 1e-12)) continue;
        const prevNotional = journal.fills({ agent: o.agent })
          .filter((x) => x.clientOrderId === order.clientOrderId)
          .reduce((s, x) => s + x.qty * x.price, 0);
        price = (order.avgFillPrice * order.filledQty - prevNotional) / qty;
      }
      const isNew = journal.recordFill({
        fillId: f.fillId,
        clientOrderId: order.clientOrderId,
        brokerOrderId: order.id,
        agent: o.agent,
        symbol: order.symbol,
        side: order.side,
        qty,
        price,
        fee: f.fee,
        tsMs: Number.isFinite(f.ts) ? f.ts : o.nowMs,
      });
      if (isNew) {
        already += qty;
        out.push({ side: order.side, qty, price });
      }
    }
    journal.recordBrokerResponse({
      tsMs: o.nowMs,
      clientOrderId: order.clientOrderId,
      kind: o.kind,
      status: statusOf(order),
      brokerOrderId: order.id,
      payload: {
        state: order.state,
        filledQty: order.filledQty,
        avgFillPrice: Number.isFinite(order.avgFillPrice) ? order.avgFillPrice : null,
        reason: order.reason ?? null,
      },
    });
  });
  return out;
}

/** Format reconciliation differences as an exact, aligned diff. */
export function formatDiff(diffs: ReconcileDiff[]): string {
  return diffs.map((d) =>
    `  ${d.kind.padEnd(24)} ${d.agent} ${d.key}: journal ${JSON.stringify(d.journal)} ≠ broker ${
      JSON.stringify(d.broker)
    }`
  ).join("\n");
}

type Mode = "replay" | "resume" | "live";

/** The paper-trading loop (see the module docs). */
export class PaperLoop {
  readonly #o: PaperLoopOptions;
  readonly #j: Journal;
  readonly #clock: Clock;
  readonly #agents: AgentRunner[];
  readonly #kill: KillSwitchMonitor;
  readonly #off: Set<string>;
  readonly #log: (line: string) => void;
  readonly #summary: LoopSummary;
  #lastOrdersReconcile = -Infinity;
  #lastPositionsReconcile = -Infinity;
  #lastDay = "";
  #lastBarClose: number | null = null;
  readonly #schedule = resolveSchedule({ market: "crypto" });
  /** Journaled orders by agent and decision bar (replay applies those no decision re-made). */
  #ordersByBar = new Map<string, string[]>();
  #applied = new Set<string>();

  /** Build the loop (nothing runs until {@link PaperLoop.run}). */
  constructor(options: PaperLoopOptions) {
    if (options.agents.length === 0) {
      throw new ConfigError("the loop needs at least one run", { parameter: "run" });
    }
    const names = new Set(options.agents.map((a) => a.policy.name));
    if (names.size !== options.agents.length) {
      throw new ConfigError(
        "two runs share a name",
        { parameter: "run" },
        "give each run its own folder name",
      );
    }
    for (const w of options.disabledWatchdogs ?? []) {
      if (!(WATCHDOGS as readonly string[]).includes(w)) {
        throw new ConfigError(
          `unknown watchdog "${w}"`,
          { parameter: "no-watchdog" },
          `known: ${WATCHDOGS.join(", ")}`,
        );
      }
    }
    this.#o = options;
    this.#j = options.journal;
    this.#clock = options.clock ?? new SystemClock();
    this.#agents = options.agents.map((a) =>
      new AgentRunner(a, {
        risk: options.risk ?? "spec",
        exits: options.exits ?? "spec",
        intervalMs: options.feed.intervalMs,
        symbol: options.feed.symbol,
      })
    );
    this.#kill = new KillSwitchMonitor(this.#j);
    this.#off = new Set(options.disabledWatchdogs ?? []);
    this.#log = options.log ?? (() => {});
    this.#summary = {
      bars: 0,
      replayedBars: 0,
      decisions: {},
      orders: 0,
      fills: 0,
      blockedByRule: {},
      exitsByLevel: {},
      agents: [],
      stopReason: "end_of_feed",
      barsPerSecond: 0,
      watchdogs: [],
      report: null,
    };
  }

  #event(kind: string, detail: unknown): void {
    this.#j.recordLoopEvent({ tsMs: this.#clock.now(), kind, detail });
  }

  #watchdog(
    name: string,
    agent: string | null,
    detail: string,
    numbers: Record<string, unknown> = {},
  ): void {
    this.#j.recordRiskEvent({
      tsMs: this.#clock.now(),
      agent,
      rule: name,
      action: "fired",
      detail: { detail, ...numbers },
    });
    this.#summary.watchdogs.push({ name, detail });
    this.#log(`WATCHDOG ${name}${agent ? ` [${agent}]` : ""}: ${detail}`);
  }

  /** Reconciliation gate, replay of the journal, then the live bars. */
  async run(): Promise<LoopSummary> {
    const j = this.#j;
    const now = this.#clock.now();
    for (const r of this.#agents) {
      j.registerAgent({
        agent: r.name,
        symbol: r.symbol,
        runDir: r.policy.runDir,
        account: r.broker.venue,
        createdMs: now,
        config: {
          trading: r.policy.trading,
          risk: this.#o.risk ?? "spec",
          exits: this.#o.exits ?? "spec",
        },
      });
    }
    this.#event("start", { agents: this.#agents.map((r) => r.name), pid: Deno.pid });
    // 1. the gate
    for (const r of this.#agents) {
      const diffs = await reconcileJournal(j, { agent: r.name, broker: r.broker, nowMs: now });
      if (diffs.length) {
        const text = formatDiff(diffs);
        if (!this.#o.adoptBrokerState) {
          this.#event("reconcile_mismatch", { agent: r.name, diffs });
          throw new LoopError(
            `journal and broker disagree for ${r.name}; refusing to trade:\n${text}`,
            { file: j.path },
            "inspect the diff; restart with --adopt-broker-state to accept the broker's state",
          );
        }
        this.#event("adopt_broker_state", { agent: r.name, diffs });
        this.#log(`adopting the broker's state for ${r.name}:\n${text}`);
      } else this.#event("reconcile_ok", { agent: r.name });
    }
    // 2. what the journal already holds: bars seen, and bars completed by every agent
    const seen = new Set<number>();
    const completed = new Map<number, number>();
    const sym = this.#o.feed.symbol;
    for (let cursor = 0;;) {
      const { rows, nextId } = j.since("bars", cursor, 5000);
      if (!rows.length) break;
      cursor = nextId;
      for (const b of rows) if (b.symbol === sym) seen.add(Number(b.open_time_ms));
    }
    for (let cursor = 0;;) {
      const { rows, nextId } = j.since("equity", cursor, 5000);
      if (!rows.length) break;
      cursor = nextId;
      for (const e of rows) {
        completed.set(Number(e.ts_ms), (completed.get(Number(e.ts_ms)) ?? 0) + 1);
      }
    }
    for (const o of j.ordersUpdatedSince(-1)) {
      const k = `${o.agent}|${o.createdMs}`;
      const l = this.#ordersByBar.get(k) ?? [];
      l.push(o.clientOrderId);
      this.#ordersByBar.set(k, l);
    }
    // 3. the bars: journaled ones are replayed (the feed re-delivers them), then live
    if (seen.size) this.#o.feed.fastForward?.(Math.max(...seen));
    const t0 = performance.now();
    let live = 0;
    let stop: string | null = null;
    const feed = this.#o.feed;
    const staleAfter = (this.#o.staleIntervals ?? 3) * feed.wallGapMs;
    let lastBar: LoopBar | null = null;
    for (;;) {
      const nextP = feed.next();
      if (!this.#off.has("stale-data") && Number.isFinite(staleAfter) && lastBar) {
        const ac = new AbortController();
        const waited = this.#clock.sleepUntil(this.#clock.now() + staleAfter, ac.signal)
          .then(() => "stale" as const);
        const first = await Promise.race([nextP, waited]);
        ac.abort();
        if (first === "stale") {
          this.#watchdog(
            "stale-data",
            null,
            `no bar within ${this.#o.staleIntervals ?? 3} intervals after ${
              new Date(lastBar.time).toISOString()
            }: flattening`,
          );
          for (const r of this.#agents) {
            if (r.book.direction !== 0) {
              await this.#flatten(r, lastBar, {
                mode: "live",
                id: newClientOrderId(r.name, lastBar.time, 98),
                reason: "watchdog stale-data",
              });
              this.#closeBar(r, lastBar, "live");
            }
          }
        }
      }
      const nx = await nextP;
      if (!nx) break;
      lastBar = nx.bar;
      const { bar, last } = nx;
      let mode: Mode = "live";
      if (seen.has(bar.time)) {
        mode = (completed.get(bar.time) ?? 0) >= this.#agents.length ? "replay" : "resume";
      }
      if (mode === "replay") this.#summary.replayedBars++;
      else live++;
      stop = await this.#bar(bar, { mode, last });
      if (stop) break;
    }
    const secs = (performance.now() - t0) / 1000;
    this.#summary.bars = live;
    this.#summary.barsPerSecond = secs > 0 ? (live + this.#summary.replayedBars) / secs : 0;
    this.#summary.stopReason = stop ?? "end_of_feed";
    for (const r of this.#agents) {
      const a = r.book;
      const init = a.config.initialBalance;
      this.#summary.agents.push({
        agent: r.name,
        equity: a.equity,
        initial: init,
        return: a.equity / init - 1,
        position: a.direction * a.size,
      });
    }
    if (this.#o.reportDir && this.#lastDay) {
      const rep = await writeDailyReport(j, this.#lastDay, {
        dir: this.#o.reportDir,
        market: "crypto",
        nowMs: this.#clock.now(),
      });
      this.#summary.report = { jsonPath: rep.jsonPath, htmlPath: rep.htmlPath };
    }
    this.#event("stop", { reason: this.#summary.stopReason, bars: live });
    return this.#summary;
  }

  async #bar(bar: LoopBar, ctx: { mode: Mode; last: boolean }): Promise<string | null> {
    const j = this.#j;
    const { mode } = ctx;
    const nowMs = this.#clock.now();
    if (mode !== "replay") {
      j.recordBar({
        symbol: this.#o.feed.symbol,
        interval: this.#o.feed.interval,
        openTimeMs: bar.time,
        open: bar.open,
        high: bar.high,
        low: bar.low,
        close: bar.close,
        volume: bar.volume,
        receivedMs: nowMs,
      });
    }
    // the scheduler's crypto (24/7, UTC session) jobs due while this bar was open, in bar
    // time (a replay runs faster than the wall clock): market_open and daily_report are
    // journaled (the daily report is written at each UTC session end); the 5-minute recurring
    // job is the periodic reconciliation below.
    const closeMs = bar.time + this.#o.feed.intervalMs;
    if (mode !== "replay" && this.#lastBarClose !== null) {
      for (const oc of occurrencesBetween(this.#schedule, this.#lastBarClose, closeMs)) {
        if (oc.job === "recurring" || j.schedulerHandled(oc.job, oc.scheduledMs)) continue;
        j.recordSchedulerEvent({
          job: oc.job,
          scheduledMs: oc.scheduledMs,
          atMs: closeMs,
          sessionDate: oc.session.date,
          outcome: "fired",
          reason: "crypto 24/7, UTC session",
        });
        if (oc.job === "daily_report" && this.#o.reportDir) {
          await writeDailyReport(j, oc.session.date, {
            dir: this.#o.reportDir,
            market: "crypto",
            nowMs: closeMs,
          });
        }
      }
    }
    this.#lastBarClose = closeMs;
    this.#lastDay = marketDate(bar.time, "crypto");
    let stop: string | null = null;
    for (const r of this.#agents) {
      const s = await this.#agentBar(r, bar, ctx);
      if (s) stop = s;
      if (mode === "replay") {
        // orders of this bar no replayed decision made (watchdog flattens): their fills
        for (const cid of this.#ordersByBar.get(`${r.name}|${bar.time}`) ?? []) {
          if (this.#applied.has(cid)) continue;
          for (const f of j.fills({ agent: r.name })) {
            if (f.clientOrderId === cid) r.applyFill(f, bar.close);
          }
        }
      }
    }
    if (mode !== "replay") await this.#periodic();
    return stop;
  }

  async #periodic(): Promise<void> {
    const now = this.#clock.now();
    const ordersDue = now - this.#lastOrdersReconcile >= (this.#o.reconcileOrdersMs ?? 5000);
    const posDue = now - this.#lastPositionsReconcile >= (this.#o.reconcilePositionsMs ?? 60000);
    if (!ordersDue && !posDue) return;
    for (const r of this.#agents) {
      try {
        if (ordersDue) {
          for (const o of this.#j.openOrders(r.name)) {
            const b = await r.broker.getOrder(o.clientOrderId);
            if (!b) continue;
            const fills = syncOrder(this.#j, { agent: r.name, order: b, nowMs: now, kind: "poll" });
            if (fills.length) {
              this.#event("drift", {
                agent: r.name,
                kind: "late_fill",
                clientOrderId: o.clientOrderId,
                fills,
              });
              for (const f of fills) r.applyFill(f, r.book.markPrice);
            }
          }
        }
        if (posDue) {
          const diffs =
            (await reconcileJournal(this.#j, { agent: r.name, broker: r.broker, nowMs: now }))
              .filter((d) => d.kind === "position");
          if (diffs.length) this.#event("drift", { agent: r.name, diffs });
        }
      } catch (e) {
        this.#event("reconcile_error", { agent: r.name, error: (e as Error).message });
      }
    }
    if (ordersDue) this.#lastOrdersReconcile = now;
    if (posDue) this.#lastPositionsReconcile = now;
  }

  async #widen(): Promise<void> {
    const ms = this.#o.crashWindowMs ?? 0;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }

  #count(kind: DecisionKind, reason?: string | null, rule?: string | null): void {
    const s = this.#summary;
    s.decisions[kind] = (s.decisions[kind] ?? 0) + 1;
    if (kind === "blocked" && rule) s.blockedByRule[rule] = (s.blockedByRule[rule] ?? 0) + 1;
    if (kind === "exited" && reason) s.exitsByLevel[reason] = (s.exitsByLevel[reason] ?? 0) + 1;
  }

  async #agentBar(
    r: AgentRunner,
    bar: LoopBar,
    ctx: { mode: Mode; last: boolean },
  ): Promise<string | null> {
    const j = this.#j;
    const { mode } = ctx;
    const nowMs = this.#clock.now();
    // 1. the broker sees the bar
    if (mode !== "replay") {
      const paper = r.broker as { onBar?: (s: string, b: unknown) => void };
      if (typeof paper.onBar === "function") {
        paper.onBar(r.symbol, {
          time: bar.time,
          open: bar.open,
          high: bar.high,
          low: bar.low,
          close: bar.close,
          volume: bar.volume,
          fundingRate: bar.fundingRate,
        });
      }
      await r.onBar?.(bar);
      // heartbeat (dead-man switch)
      if (!this.#off.has("broker-connectivity")) {
        try {
          await r.broker.getClock();
          r.failedHeartbeats = 0;
        } catch (e) {
          r.failedHeartbeats++;
          this.#event("heartbeat_failed", {
            agent: r.name,
            n: r.failedHeartbeats,
            error: (e as Error).message,
          });
          if (r.failedHeartbeats >= (this.#o.maxFailedHeartbeats ?? 3)) {
            this.#watchdog(
              "broker-connectivity",
              r.name,
              `${r.failedHeartbeats} failed heartbeats: cancelling open orders and flattening`,
            );
            await this.#deadMan(r, bar);
            return "dead_man";
          }
        }
      }
    }
    // 2. book, features, statistics
    r.advance(bar);
    const step = r.features.push(bar);
    const atr = step.valid ? step.row[r.atrCol] : NaN;
    if (!r.started && step.valid && atr >= 0) r.start(bar);
    let seq = 0;
    const nextId = () => newClientOrderId(r.name, bar.time, seq++);
    let stop: string | null = null;

    // 3. kill switch, watchdogs, exits
    if (mode !== "replay") {
      const ks = this.#kill.check(nowMs);
      if (ks) {
        this.#log(`KILL SWITCH set (${ks.reason}): flattening ${r.name} and stopping`);
        await this.#flatten(r, bar, { mode, id: nextId(), reason: `kill_switch: ${ks.reason}` });
        this.#closeBar(r, bar, mode);
        return "kill_switch";
      }
    }
    if (r.started) {
      r.risk.observe({ timeMs: bar.time, equity: r.book.equity });
      for (
        const [rule, name] of [["daily_loss", "daily-loss"], ["max_drawdown", "drawdown"]] as const
      ) {
        if (this.#off.has(name) || !r.risk.isHalted(rule) || r.halted.has(rule)) continue;
        r.halted.add(rule);
        if (mode !== "replay") {
          this.#watchdog(name, r.name, `risk manager latched ${rule}: flattening`);
        }
        if (r.book.direction !== 0) {
          await this.#flatten(r, bar, { mode, id: nextId(), reason: `watchdog ${name}` });
        }
      }
      for (const ev of r.risk.takeEvents()) {
        if (mode !== "replay") {
          j.recordRiskEvent({
            tsMs: ev.timeMs,
            agent: r.name,
            rule: ev.rule,
            action: "risk",
            detail: ev,
          });
        }
      }
      if (r.book.direction !== 0 && r.exits.has(r.symbol)) {
        const orders = r.exits.checkExits(r.symbol, {
          price: bar.close,
          open: bar.open,
          high: bar.high,
          low: bar.low,
          timeMs: bar.time,
        });
        for (const ev of r.exits.takeEvents()) {
          if (mode !== "replay") {
            j.recordRiskEvent({
              tsMs: ev.timeMs,
              agent: r.name,
              rule: ev.rule,
              action: "exit",
              detail: ev,
            });
          }
        }
        for (const x of orders) {
          const qty = Math.min(x.qty, r.book.size);
          if (!(qty > 0)) continue;
          const code = x.rule.startsWith("tp") ? ExitCode.TAKE_PROFIT : ExitCode.STOP_LOSS;
          const intended = this.#intend(r, (a) => a.reduce(qty, code));
          await this.#act(r, bar, {
            mode,
            id: nextId(),
            kind: "exited",
            reason: x.rule,
            intended,
            obsHash: null,
            action: null,
            probs: null,
          });
          if (r.exits.has(r.symbol)) {
            r.exits.recordExit(r.symbol, Math.min(qty, r.exits.position(r.symbol)!.remaining));
          }
        }
      }
    }
    // 4. the decision
    if (r.started) {
      if (ctx.last && (this.#o.flattenAtEnd ?? true)) {
        if (r.book.direction !== 0) {
          await this.#flatten(r, bar, { mode, id: nextId(), reason: "end_of_data" });
        }
        stop = "end_of_feed";
      } else {
        const obs = r.observe(
          step.valid ? step.row : new Float64Array(FEATURE_NAMES.length).fill(NaN),
        );
        writeActionMask(r.book, { atr, out: r.mask });
        this.#o.onObservation?.(r.name, bar.time, obs);
        const d = r.policy.decide(obs, r.mask);
        const hash = await observationHash(obs);
        const a = d.action;
        const intended = this.#intend(r, (acct) => {
          switch (a) {
            case 1:
            case 2:
              return acct.direction === 0 && acct.enterRisk(a === 1 ? 1 : -1, atr);
            case 3:
              return acct.close(ExitCode.EXIT);
            case 4:
              return acct.scaleIn();
            case 5:
              return acct.scaleOut();
            default:
              return false;
          }
        });
        let kind: DecisionKind = intended ? "acted" : "held";
        let reason: string | null = ACTION_NAMES[a];
        if (!intended && a !== d.rawAction && d.rawAction !== 0) kind = "smoothed_away";
        await this.#act(r, bar, {
          mode,
          id: nextId(),
          kind,
          reason,
          intended,
          obsHash: hash,
          action: d.rawAction,
          smoothed: a,
          probs: d.probs,
        });
        reason = null;
      }
    }
    this.#closeBar(r, bar, mode);
    return stop;
  }

  /** Apply `fn` to the book and return the fill it implies (book left changed), or null. */
  #intend(
    r: AgentRunner,
    fn: (a: Account) => boolean,
  ):
    | (IntendedFill & { snap: ReturnType<Account["snapshot"]>; dur: number; posBefore: number })
    | null {
    const a = r.book;
    const snap = a.snapshot();
    const posBefore = a.direction * a.size;
    const dur = r.dur;
    if (!fn(a)) return null;
    const delta = a.direction * a.size - posBefore;
    const qty = a.lastFillQty > 0 ? a.lastFillQty : Math.abs(delta);
    if (!(qty > 0)) {
      a.restore(snap);
      return null;
    }
    if (posBefore === 0) r.dur = 0;
    const side = delta > 0 || (delta === 0 && posBefore < 0) ? "buy" : "sell";
    const dir = side === "buy" ? 1 : -1;
    return { side, qty, price: a.markPrice * (1 + a.config.slippage * dir), snap, dur, posBefore };
  }

  async #flatten(
    r: AgentRunner,
    bar: LoopBar,
    o: { mode: Mode; id: string; reason: string },
  ): Promise<void> {
    const intended = this.#intend(r, (a) => a.close(ExitCode.EXIT));
    if (!intended) return;
    await this.#act(r, bar, {
      mode: o.mode,
      id: o.id,
      kind: "exited",
      reason: o.reason,
      intended,
      obsHash: null,
      action: null,
      probs: null,
    });
  }

  async #deadMan(r: AgentRunner, bar: LoopBar): Promise<void> {
    try {
      for (const o of await r.broker.getOrders({ status: "open" })) {
        await r.broker.cancel(o.clientOrderId);
      }
    } catch (e) {
      this.#event("dead_man_cancel_failed", { agent: r.name, error: (e as Error).message });
    }
    await this.#flatten(r, bar, {
      mode: "live",
      id: newClientOrderId(r.name, bar.time, 99),
      reason: "dead_man",
    });
  }

  /**
   * Journal the decision, check the risk manager, journal the order BEFORE sending it, send it
   * through the engine (unless its id is already journaled), journal the answer and the fills,
   * and make the book equal the broker's fills.
   */
  async #act(
    r: AgentRunner,
    bar: LoopBar,
    d: {
      mode: Mode;
      id: string;
      kind: DecisionKind;
      reason: string | null;
      intended:
        | (IntendedFill & { snap: ReturnType<Account["snapshot"]>; dur: number; posBefore: number })
        | null;
      obsHash: string | null;
      action: number | null;
      smoothed?: number;
      probs: number[] | null;
    },
  ): Promise<void> {
    const j = this.#j;
    const nowMs = this.#clock.now();
    let kind = d.kind;
    let reason = d.reason;
    let rule: string | null = null;
    const it = d.intended;
    if (it && kind === "acted") {
      const reduces = (it.side === "buy" && Math.sign(it.posBefore) < 0) ||
        (it.side === "sell" && Math.sign(it.posBefore) > 0);
      const v = r.risk.checkTrade(
        { symbol: r.symbol, side: it.side, qty: it.qty, price: it.price, reducesExposure: reduces },
        { timeMs: bar.time, equity: r.book.equity },
      );
      if (!v.allowed) {
        kind = "blocked";
        rule = v.rule;
        reason = `${v.rule}: ${v.reason}`;
        r.book.restore(it.snap);
        r.dur = it.dur;
      }
      for (const ev of r.risk.takeEvents()) {
        if (d.mode !== "replay") {
          j.recordRiskEvent({
            tsMs: ev.timeMs,
            agent: r.name,
            rule: ev.rule,
            action: "deny",
            detail: ev,
          });
        }
      }
    }
    const send = it !== null && kind !== "blocked";
    // decision + order intent (one transaction: both or neither)
    let decisionExists = false;
    if (d.mode !== "live") {
      const prev = j.lastDecisions(20, { agent: r.name }).find((x) =>
        x.barTimeMs === bar.time && (x.reason ?? "") === (reason ?? "") && x.decision === kind
      );
      if (prev) {
        decisionExists = true;
        if (d.obsHash && prev.obsHash && prev.obsHash !== d.obsHash) {
          this.#event("replay_divergence", {
            agent: r.name,
            bar: bar.time,
            journal: prev.obsHash,
            now: d.obsHash,
          });
        }
      }
    }
    const known = j.order(d.id);
    if (d.mode !== "replay") {
      this.#count(kind, reason, rule);
      j.transaction(() => {
        let decisionId: number | null = null;
        if (!decisionExists) {
          decisionId = j.recordDecision({
            tsMs: nowMs,
            agent: r.name,
            symbol: r.symbol,
            barTimeMs: bar.time,
            obsHash: d.obsHash,
            action: d.action,
            smoothedAction: d.smoothed ?? null,
            probs: d.probs,
            decision: kind,
            reason,
            targetPosition: r.book.direction * r.book.size,
          });
        }
        if (send && !known) {
          j.recordOrderIntent({
            clientOrderId: d.id,
            agent: r.name,
            symbol: r.symbol,
            side: it!.side,
            qty: it!.qty,
            type: "market",
            timeInForce: "gtc",
            decisionId,
            reason: kind === "acted" ? ACTION_NAMES[d.smoothed ?? 0] : reason,
            createdMs: bar.time,
          });
        }
      });
    }
    if (!send || !it) return;
    // the fills that really happened
    let fills: IntendedFill[];
    this.#applied.add(d.id);
    if (d.mode === "replay" || known) {
      fills = j.fills({ agent: r.name }).filter((f) => f.clientOrderId === d.id).map((f) => ({
        side: f.side,
        qty: f.qty,
        price: f.price,
      }));
      if (known && d.mode !== "replay" && fills.length === 0 && known.status === "pending_submit") {
        // the intent was journaled but the process died before the answer: ask the broker
        const b = await r.broker.getOrder(d.id);
        if (b) fills = syncOrder(j, { agent: r.name, order: b, nowMs, kind: "resume_lookup" });
      }
    } else {
      this.#summary.orders++;
      await this.#widen();
      const out = await r.engine.submit(
        { symbol: r.symbol, qty: it.qty, side: it.side, type: "market", timeInForce: "gtc" },
        { clientOrderId: d.id, price: it.price },
      );
      fills = [];
      await this.#widen();
      if (out.kind === "confirmed" || (out.kind === "rejected" && out.order)) {
        fills = syncOrder(j, {
          agent: r.name,
          order: out.order!,
          nowMs,
          kind: out.kind === "confirmed" ? "submit_ack" : "reject",
        });
      } else {
        j.recordBrokerResponse({
          tsMs: nowMs,
          clientOrderId: d.id,
          kind: out.kind,
          status: out.kind === "unresolved" ? "submitted" : "rejected",
          payload: out,
        });
      }
      this.#summary.fills += fills.length;
    }
    // make the book equal the broker's fills
    const total = fills.reduce((s, f) => s + f.qty, 0);
    const matches = fills.length > 0 && near(total, it.qty) &&
      fills.every((f) => f.side === it.side) &&
      near(fills.reduce((s, f) => s + f.qty * f.price, 0) / total, it.price, 1e-8);
    if (!matches) {
      r.book.restore(it.snap);
      r.dur = it.dur;
      for (const f of fills) r.applyFill(f, bar.close);
      if (d.mode !== "replay" && (fills.length > 0 || total === 0)) {
        this.#event("fill_differs", {
          agent: r.name,
          clientOrderId: d.id,
          intended: { side: it.side, qty: it.qty, price: it.price },
          fills,
        });
      }
    }
    // the profit manager follows the position
    const pos = r.book.direction * r.book.size;
    if (pos === 0) {
      if (r.exits.has(r.symbol)) r.exits.removePosition(r.symbol);
    } else if (!r.exits.has(r.symbol) || Math.sign(it.posBefore) === 0) {
      if (r.exits.has(r.symbol)) r.exits.removePosition(r.symbol);
      r.exits.addPosition({
        symbol: r.symbol,
        qty: r.book.size,
        entryPrice: r.book.entryPrice,
        side: pos > 0 ? "long" : "short",
        timeMs: bar.time,
      });
    }
    for (const f of fills) {
      r.risk.recordFill({
        symbol: r.symbol,
        side: f.side,
        qty: f.qty,
        price: f.price,
        timeMs: bar.time,
        equity: r.book.equity,
      });
    }
  }

  #closeBar(r: AgentRunner, bar: LoopBar, mode: Mode): void {
    // closed trades → risk manager (loss streak) and journal
    const l = r.book.ledger;
    const trades = l.count > r.tradesSeen ? l.trades() : [];
    const seen = r.tradesSeen;
    for (let i = seen; i < trades.length; i++) {
      const t = trades[i];
      r.risk.recordTradeClosed({
        symbol: r.symbol,
        pnl: t.pnl,
        timeMs: bar.time,
        equity: r.book.equity,
      });
      if (mode !== "replay") {
        this.#j.recordTrade({
          agent: r.name,
          symbol: r.symbol,
          side: t.side < 0 ? "short" : "long",
          qty: t.size,
          entryMs: t.entryTime,
          exitMs: t.exitTime,
          entryPrice: t.entryPrice,
          exitPrice: t.exitPrice,
          pnl: t.pnl,
          fees: t.fees,
          funding: t.funding,
          exitReason: t.exitReason ?? null,
        });
      }
    }
    if (trades.length) r.tradesSeen = trades.length;
    r.risk.takeEvents();
    if (mode === "replay") return;
    const a = r.book;
    this.#j.transaction(() => {
      this.#j.recordPosition({
        tsMs: bar.time,
        agent: r.name,
        symbol: r.symbol,
        qty: a.direction * a.size,
        avgPrice: a.direction !== 0 ? a.entryPrice : null,
        unrealizedPnl: a.unrealisedPnl,
        source: "journal",
      });
      this.#j.recordEquity({
        tsMs: bar.time,
        agent: r.name,
        equity: a.equity,
        cash: a.balance,
        realizedPnl: a.realisedPnl,
        unrealizedPnl: a.unrealisedPnl,
      });
    });
  }
}
