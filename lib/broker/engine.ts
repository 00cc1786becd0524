/**
 * The execution engine (the specification's `BrokerExecutor`): market, limit, bracket and OCO
 * orders through any {@link Broker}, each passing the risk gate first, with outcomes that
 * never guess.
 *
 * ## Every submit ends as exactly one {@link SubmitOutcome}
 * - `confirmed` — the venue acknowledged it (directly, or a lookup by client id found it);
 * - `rejected` — the venue proved it refused (a 4xx with a reason, or an order it reports
 *   `rejected`); never retried;
 * - `denied` — refused locally and never sent: validation, venue constraint, risk gate, or an
 *   unresolved order blocking new exposure on the symbol;
 * - `unresolved` — the outcome is unknown (timeout, 5xx, dropped connection, unparseable
 *   reply, Binance −1006/−1007, or a lookup that could not be made). It is persisted in the
 *   {@link UnresolvedStore}, reported, and blocks new exposure on the symbol (an order that
 *   only reduces the position still goes, within what the pending unresolved reductions on
 *   its side could leave, so the two together can never flip it) until
 *   {@link ExecutionEngine.settleUnresolved} or {@link ExecutionEngine.reconcile} finds it (or
 *   a lookup finds it absent after `settleAbsentAfterMs`).
 *
 * ## Retries (`maxAttempts` = 3 by default)
 * Only retryable failures are retried: network errors, timeouts, HTTP 429 (waiting at least
 * its Retry-After) and 5xx. 4xx rejections (insufficient buying power, validation) never are.
 * The delay before retry k (1-based) is `min(maxDelayMs, baseDelayMs × 2^(k−1)) × (0.5 + u)`
 * with `u` uniform in [0, 1) from the seeded PRNG, and at least the venue's Retry-After.
 * **An order POST is never blindly retried**: after a failed POST the engine waits the
 * backoff, looks the client order id up, and resubmits — with the SAME client id — only if
 * the lookup shows it absent. A duplicate-id rejection on a resubmit is resolved by a lookup.
 *
 * ## Routing rule
 * A market order given a quote whose spread `(ask − bid) / mid` is wider than
 * `routing.maxMarketSpread` (fraction, default 0.002 = 0.2 %) is sent as a marketable limit
 * instead: a buy at `ask × (1 + routing.limitBuffer)`, a sell at `bid × (1 − limitBuffer)`
 * (default buffer 0.001 = 0.1 %), with the order's time in force. Without a quote, or with a
 * narrower spread, it stays a market order.
 *
 * ## Housekeeping
 * {@link ExecutionEngine.cancelStale} cancels entry orders older than `staleOrderMs` (legs and
 * OCO exits protect positions and are left alone). {@link ExecutionEngine.reconcile} compares
 * the venue's open orders and positions with the engine's view and reports every difference
 * as an event; {@link ExecutionEngine.start} reconciles at start, {@link ExecutionEngine.tick}
 * periodically.
 *
 * @module
 */
import { Rng } from "../util/mod.ts";
import { ConfigError } from "../util/mod.ts";
import { clientIdProblem, type ClientOrderIdFactory } from "./client_id.ts";
import { validateRequest, venueRefusal } from "./constraints.ts";
import { RateLimiter, REAL_TIME, type TimeSource } from "./rate_limiter.ts";
import {
  type Broker,
  BrokerError,
  isTerminal,
  type Order,
  type OrderRequest,
  type OrderSide,
  type Position,
  type RiskGate,
  type TimeInForce,
} from "./types.ts";
import { MemoryUnresolvedStore, type UnresolvedOrder, type UnresolvedStore } from "./unresolved.ts";

/** The result of a submit: exactly one of four outcomes. */
export type SubmitOutcome =
  | { kind: "confirmed"; clientOrderId: string; order: Order; attempts: number }
  | {
    kind: "rejected";
    clientOrderId: string;
    reason: string;
    status?: number;
    code?: number | string;
    order?: Order;
    attempts: number;
  }
  | {
    kind: "denied";
    clientOrderId: string;
    source: "validation" | "venue" | "risk" | "unresolved" | "precheck";
    rule: string | null;
    reason: string;
    level?: "low" | "medium" | "high" | "critical";
  }
  | { kind: "unresolved"; clientOrderId: string; reason: string; attempts: number };

/** What the engine reports. */
export interface EngineEvent {
  type:
    | "submitted"
    | "post_failed"
    | "retry"
    | "confirmed"
    | "rejected"
    | "denied"
    | "unresolved"
    | "unresolved_settled"
    | "routed"
    | "fill"
    | "stale_cancelled"
    | "unknown_open_order"
    | "order_closed"
    | "position_mismatch"
    | "position_unverified";
  timeMs: number;
  clientOrderId?: string;
  symbol?: string;
  /** Free-form details (numbers, reasons). */
  detail?: Record<string, unknown>;
}

/** A best bid/ask for routing and the risk gate. */
export interface Quote {
  bid: number;
  ask: number;
}

/** Per-order options. */
export interface OrderOptions {
  /** Time in force. Default `day` (Alpaca's default); Binance adapters need `gtc`/`ioc`. */
  timeInForce?: TimeInForce;
  /** Current quote (routing rule, risk spread, reference price). */
  quote?: Quote;
  /** Reference price for the risk check when there is no quote or limit. */
  price?: number;
  /** Extra risk-gate context. */
  risk?: { ivRank?: number; vix?: number };
  /** Reduce-only. */
  reduceOnly?: boolean;
  /** Use this client id instead of the factory's next one. */
  clientOrderId?: string;
}

/** Options of {@link ExecutionEngine}. */
export interface ExecutionEngineOptions {
  /** Risk gate every order passes first (`lib/risk`'s `RiskManager` fits). */
  risk: RiskGate;
  /** Client order id source. */
  ids: ClientOrderIdFactory;
  /** Where unresolved submits are persisted. Default: in memory. */
  store?: UnresolvedStore;
  /** Clock and sleep. Default: real time. */
  time?: TimeSource;
  /** Seed of the jitter PRNG. Default 0. */
  seed?: number;
  /** Attempts per call including the first. Default 3. */
  maxAttempts?: number;
  /** Backoff base, ms. Default 250. */
  baseDelayMs?: number;
  /** Backoff cap, ms. Default 5000. */
  maxDelayMs?: number;
  /** Client-side rate limiter; null = none. Default: none (adapters bring theirs). */
  rateLimiter?: RateLimiter | null;
  /** Entry orders older than this are cancelled by {@link ExecutionEngine.cancelStale}, ms. Default 600000 (10 min). */
  staleOrderMs?: number;
  /** Reconcile at most this often from {@link ExecutionEngine.tick}, ms. Default 60000. */
  reconcileEveryMs?: number;
  /** An unresolved order found absent is settled only after this age, ms. Default 60000. */
  settleAbsentAfterMs?: number;
  /** Routing rule parameters (fractions). */
  routing?: { maxMarketSpread?: number; limitBuffer?: number };
  /** Event listener. */
  onEvent?: (e: EngineEvent) => void;
}

function isDuplicateId(e: BrokerError): boolean {
  return e.code === -4116 || e.code === "duplicate_client_order_id" ||
    /client_order_id must be unique|duplicate/i.test(e.reason);
}

/** Classify anything thrown by a broker call. */
export function asBrokerError(e: unknown): BrokerError {
  if (e instanceof BrokerError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new BrokerError("transient", `unclassified failure: ${msg}`);
}

/** The execution engine (see the module docs). */
export class ExecutionEngine {
  /** The broker orders go to. */
  readonly broker: Broker;
  /** Every event, in order. */
  readonly events: EngineEvent[] = [];
  readonly #risk: RiskGate;
  readonly #ids: ClientOrderIdFactory;
  readonly #store: UnresolvedStore;
  readonly #time: TimeSource;
  readonly #rng: Rng;
  readonly #maxAttempts: number;
  readonly #base: number;
  readonly #cap: number;
  readonly #limiter: RateLimiter | null;
  readonly #staleMs: number;
  readonly #reconcileMs: number;
  readonly #absentMs: number;
  readonly #maxSpread: number;
  readonly #buffer: number;
  readonly #onEvent?: (e: EngineEvent) => void;
  readonly #known = new Map<string, Order>();
  readonly #unresolved = new Map<string, UnresolvedOrder>();
  readonly #expected = new Map<string, number>();
  /** Local time of the first POST of each client id (stale-order ages use it). */
  readonly #sentAt = new Map<string, number>();
  #lastReconcile = -Infinity;
  #started = false;

  constructor(broker: Broker, options: ExecutionEngineOptions) {
    this.broker = broker;
    this.#risk = options.risk;
    this.#ids = options.ids;
    this.#store = options.store ?? new MemoryUnresolvedStore();
    this.#time = options.time ?? REAL_TIME;
    this.#rng = new Rng(options.seed ?? 0);
    this.#maxAttempts = options.maxAttempts ?? 3;
    if (!(Number.isInteger(this.#maxAttempts) && this.#maxAttempts >= 1)) {
      throw new ConfigError(`maxAttempts must be an integer ≥ 1, got ${options.maxAttempts}`, {
        parameter: "maxAttempts",
      });
    }
    this.#base = options.baseDelayMs ?? 250;
    this.#cap = options.maxDelayMs ?? 5000;
    this.#limiter = options.rateLimiter ?? null;
    this.#staleMs = options.staleOrderMs ?? 600_000;
    this.#reconcileMs = options.reconcileEveryMs ?? 60_000;
    this.#absentMs = options.settleAbsentAfterMs ?? 60_000;
    this.#maxSpread = options.routing?.maxMarketSpread ?? 0.002;
    this.#buffer = options.routing?.limitBuffer ?? 0.001;
    if (!(this.#maxSpread >= 0) || !(this.#buffer >= 0 && this.#buffer < 1)) {
      throw new ConfigError("routing.maxMarketSpread must be ≥ 0 and limitBuffer in [0, 1)", {
        parameter: "routing",
      });
    }
    this.#onEvent = options.onEvent;
  }

  #emit(e: Omit<EngineEvent, "timeMs">): void {
    const ev = { timeMs: this.#time.now(), ...e } as EngineEvent;
    this.events.push(ev);
    this.#onEvent?.(ev);
  }

  /** Load persisted unresolved orders and reconcile with the venue. */
  async start(): Promise<EngineEvent[]> {
    for (const u of await this.#store.list()) this.#unresolved.set(u.clientOrderId, u);
    this.#started = true;
    const ev = await this.reconcile();
    await this.settleUnresolved();
    return ev;
  }

  /** Periodic housekeeping: settle unresolved, cancel stale entries, reconcile when due. */
  async tick(): Promise<void> {
    await this.settleUnresolved();
    await this.cancelStale();
    if (this.#time.now() - this.#lastReconcile >= this.#reconcileMs) await this.reconcile();
  }

  /** Unresolved submits (copies). */
  unresolved(): UnresolvedOrder[] {
    return [...this.#unresolved.values()].map((u) => structuredClone(u));
  }

  /** Orders the engine knows (copies of the latest views). */
  orders(): Order[] {
    return [...this.#known.values()].map((o) => structuredClone(o));
  }

  // ------------------------------------------------------------------ the spec's four orders

  /** A market order (or a marketable limit under the routing rule). */
  marketOrder(
    symbol: string,
    qty: number,
    options: OrderOptions & { side: OrderSide },
  ): Promise<SubmitOutcome> {
    return this.submit({ symbol, qty, side: options.side, type: "market" }, options);
  }

  /** A limit order at `limitPrice`. */
  limitOrder(
    symbol: string,
    qty: number,
    options: OrderOptions & { side: OrderSide; limitPrice: number },
  ): Promise<SubmitOutcome> {
    return this.submit(
      { symbol, qty, side: options.side, type: "limit", limitPrice: options.limitPrice },
      options,
    );
  }

  /**
   * A bracket: entry (a limit at `entryPrice`, or market without it) with a take-profit limit
   * and a stop-loss stop, legs active after the entry fills.
   */
  bracketOrder(
    symbol: string,
    qty: number,
    options: OrderOptions & {
      side: OrderSide;
      entryPrice?: number;
      takeProfit: number;
      stopLoss: number;
      stopLossLimit?: number;
    },
  ): Promise<SubmitOutcome> {
    return this.submit({
      symbol,
      qty,
      side: options.side,
      type: options.entryPrice !== undefined ? "limit" : "market",
      limitPrice: options.entryPrice,
      orderClass: "bracket",
      takeProfit: { limitPrice: options.takeProfit },
      stopLoss: { stopPrice: options.stopLoss, limitPrice: options.stopLossLimit },
    }, { timeInForce: "gtc", ...options });
  }

  /** An OCO exit: take-profit limit and stop-loss on an existing position (`side` = exit side). */
  ocoOrder(
    symbol: string,
    qty: number,
    options: OrderOptions & {
      side: OrderSide;
      takeProfit: number;
      stopLoss: number;
      stopLossLimit?: number;
    },
  ): Promise<SubmitOutcome> {
    return this.submit({
      symbol,
      qty,
      side: options.side,
      type: "limit",
      limitPrice: options.takeProfit,
      orderClass: "oco",
      takeProfit: { limitPrice: options.takeProfit },
      stopLoss: { stopPrice: options.stopLoss, limitPrice: options.stopLossLimit },
    }, { timeInForce: "gtc", ...options });
  }

  // ------------------------------------------------------------------ submit

  /** Submit any order (the four methods above call this). */
  async submit(
    spec: Omit<OrderRequest, "clientOrderId" | "timeInForce"> & { timeInForce?: TimeInForce },
    options: OrderOptions = {},
  ): Promise<SubmitOutcome> {
    const clientOrderId = options.clientOrderId ?? this.#ids.next();
    let req: OrderRequest = {
      ...spec,
      timeInForce: spec.timeInForce ?? options.timeInForce ?? "day",
      clientOrderId,
      reduceOnly: spec.reduceOnly ?? options.reduceOnly,
    };
    const deny = (
      source: Extract<SubmitOutcome, { kind: "denied" }>["source"],
      rule: string | null,
      reason: string,
      level?: "low" | "medium" | "high" | "critical",
    ): SubmitOutcome => {
      const out: SubmitOutcome = { kind: "denied", clientOrderId, source, rule, reason, level };
      this.#emit({
        type: "denied",
        clientOrderId,
        symbol: req.symbol,
        detail: { source, rule, reason },
      });
      return out;
    };
    const bad = validateRequest(req);
    if (bad) return deny("validation", bad.rule, bad.reason);
    const idBad = clientIdProblem(this.broker.venue, clientOrderId);
    if (idBad) return deny("validation", "client_order_id", idBad);

    // what the venue holds now (GETs, retried)
    let positions: Position[];
    let equity: number;
    try {
      positions = await this.#call("getPositions", () => this.broker.getPositions());
      equity = (await this.#call("getAccount", () => this.broker.getAccount())).equity;
    } catch (e) {
      return deny(
        "precheck",
        "broker_unreachable",
        `could not read positions/account: ${asBrokerError(e).message}`,
      );
    }
    const pos = positions.find((p) => p.symbol === req.symbol);
    const posQty = pos?.qty ?? 0;
    // exposure is reduced only within what unresolved reductions on this side may already
    // have taken off the position
    let pending = 0;
    for (const u of this.#unresolved.values()) {
      if (u.symbol === req.symbol && u.side === req.side) pending += u.qty;
    }
    const room = Math.max(0, Math.abs(posQty) - pending);
    const reduces = (req.side === "buy" ? posQty < 0 : posQty > 0) && req.qty <= room + 1e-12;
    if (!reduces) {
      const blocking = [...this.#unresolved.values()].find((u) => u.symbol === req.symbol);
      if (blocking) {
        return deny(
          "unresolved",
          "unresolved_order",
          `order ${blocking.clientOrderId} on ${req.symbol} is unresolved (${blocking.reason}); ` +
            `no new exposure until it is settled by lookup or reconciliation`,
        );
      }
    }
    const venue = venueRefusal(this.broker.venue, req, posQty);
    if (venue) return deny("venue", venue.rule, venue.reason);

    const q = options.quote;
    const mid = q ? (q.bid + q.ask) / 2 : NaN;
    const spread = q && mid > 0 ? (q.ask - q.bid) / mid : undefined;
    const price = req.limitPrice ?? (mid > 0 ? mid : undefined) ?? options.price ?? req.stopPrice ??
      pos?.markPrice;
    if (!(typeof price === "number" && price > 0)) {
      return deny(
        "validation",
        "reference_price",
        "no reference price for the risk check: pass options.price or options.quote",
      );
    }
    const verdict = this.#risk.checkTrade(
      { symbol: req.symbol, side: req.side, qty: req.qty, price, reducesExposure: reduces },
      {
        timeMs: this.#time.now(),
        equity,
        ivRank: options.risk?.ivRank,
        vix: options.risk?.vix,
        spreadFraction: spread,
      },
    );
    if (!verdict.allowed) return deny("risk", verdict.rule, verdict.reason, verdict.level);

    if (req.type === "market" && q && spread !== undefined && spread > this.#maxSpread) {
      const limitPrice = req.side === "buy"
        ? q.ask * (1 + this.#buffer)
        : q.bid * (1 - this.#buffer);
      req = { ...req, type: "limit", limitPrice };
      this.#emit({
        type: "routed",
        clientOrderId,
        symbol: req.symbol,
        detail: { spread, limitPrice },
      });
    }
    return await this.#post(req);
  }

  async #post(req: OrderRequest): Promise<SubmitOutcome> {
    const cid = req.clientOrderId;
    let lastReason = "";
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      let err: BrokerError;
      try {
        await this.#limiter?.acquire();
        if (!this.#sentAt.has(cid)) this.#sentAt.set(cid, this.#time.now());
        this.#emit({
          type: "submitted",
          clientOrderId: cid,
          symbol: req.symbol,
          detail: { attempt },
        });
        const o = await this.broker.submit(req);
        return this.#accepted(o, attempt);
      } catch (e) {
        err = asBrokerError(e);
      }
      lastReason = err.message;
      if (err.kind === "rejected" || err.kind === "not_found") {
        // a duplicate id on a RESUBMIT means our earlier attempt landed: find it
        if (attempt > 1 && isDuplicateId(err)) {
          const found = await this.#lookup(cid);
          if (found.kind === "found") return this.#accepted(found.order, attempt);
        }
        const out: SubmitOutcome = {
          kind: "rejected",
          clientOrderId: cid,
          reason: err.reason,
          status: err.status,
          code: err.code,
          attempts: attempt,
        };
        this.#emit({
          type: "rejected",
          clientOrderId: cid,
          symbol: req.symbol,
          detail: { reason: err.reason, status: err.status, code: err.code },
        });
        return out;
      }
      // rate_limited, transient, unknown_status: the order may exist. Wait, then look it up.
      const wait = this.#delay(attempt, err.retryAfterMs);
      this.#emit({
        type: "post_failed",
        clientOrderId: cid,
        symbol: req.symbol,
        detail: { attempt, kind: err.kind, waitMs: wait, reason: err.reason },
      });
      await this.#time.sleep(wait);
      const found = await this.#lookup(cid);
      if (found.kind === "found") return this.#accepted(found.order, attempt);
      if (found.kind === "error") {
        return await this.#markUnresolved(
          req,
          `${err.message}; lookup failed: ${found.reason}`,
          attempt,
        );
      }
      // absent
      if (err.kind === "unknown_status") {
        return await this.#markUnresolved(
          req,
          `${err.message} (venue: execution status unknown)`,
          attempt,
        );
      }
      if (attempt === this.#maxAttempts) {
        if (err.kind === "rate_limited") {
          const out: SubmitOutcome = {
            kind: "rejected",
            clientOrderId: cid,
            reason: `rate limited on every attempt and absent at the venue: ${err.reason}`,
            status: err.status,
            code: err.code,
            attempts: attempt,
          };
          this.#emit({
            type: "rejected",
            clientOrderId: cid,
            symbol: req.symbol,
            detail: { reason: out.reason },
          });
          return out;
        }
        return await this.#markUnresolved(
          req,
          `${err.message} after ${attempt} attempts (absent at the last lookup)`,
          attempt,
        );
      }
    }
    return await this.#markUnresolved(req, lastReason, this.#maxAttempts);
  }

  #accepted(o: Order, attempts: number): SubmitOutcome {
    this.#track(o);
    if (o.state === "rejected") {
      this.#emit({
        type: "rejected",
        clientOrderId: o.clientOrderId,
        symbol: o.symbol,
        detail: { reason: o.reason },
      });
      return {
        kind: "rejected",
        clientOrderId: o.clientOrderId,
        reason: o.reason ?? "rejected by the venue",
        order: o,
        attempts,
      };
    }
    this.#emit({
      type: "confirmed",
      clientOrderId: o.clientOrderId,
      symbol: o.symbol,
      detail: { state: o.state, filledQty: o.filledQty },
    });
    return { kind: "confirmed", clientOrderId: o.clientOrderId, order: o, attempts };
  }

  async #markUnresolved(
    req: OrderRequest,
    reason: string,
    attempts: number,
  ): Promise<SubmitOutcome> {
    const u: UnresolvedOrder = {
      clientOrderId: req.clientOrderId,
      symbol: req.symbol,
      side: req.side,
      qty: req.qty,
      request: req,
      reason,
      sinceMs: this.#time.now(),
    };
    this.#unresolved.set(u.clientOrderId, u);
    await this.#store.put(u);
    this.#emit({
      type: "unresolved",
      clientOrderId: u.clientOrderId,
      symbol: u.symbol,
      detail: { reason },
    });
    return { kind: "unresolved", clientOrderId: u.clientOrderId, reason, attempts };
  }

  /** Look an order up by client id, retrying transient failures. */
  async #lookup(cid: string): Promise<
    { kind: "found"; order: Order } | { kind: "absent" } | { kind: "error"; reason: string }
  > {
    try {
      const o = await this.#call("getOrder", () => this.broker.getOrder(cid));
      return o ? { kind: "found", order: o } : { kind: "absent" };
    } catch (e) {
      const b = asBrokerError(e);
      if (b.kind === "not_found") return { kind: "absent" };
      return { kind: "error", reason: b.message };
    }
  }

  #delay(attempt: number, retryAfterMs?: number): number {
    const exp = Math.min(this.#cap, this.#base * 2 ** (attempt - 1)) * (0.5 + this.#rng.next());
    return Math.max(exp, retryAfterMs ?? 0);
  }

  /** A safe (read or idempotent) call with retries for retryable failures only. */
  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        await this.#limiter?.acquire();
        return await fn();
      } catch (e) {
        const err = asBrokerError(e);
        const retryable = err.kind === "transient" || err.kind === "rate_limited" ||
          err.kind === "unknown_status";
        if (!retryable || attempt >= this.#maxAttempts) throw err;
        const wait = this.#delay(attempt, err.retryAfterMs);
        this.#emit({
          type: "retry",
          detail: { call: what, attempt, kind: err.kind, waitMs: wait },
        });
        await this.#time.sleep(wait);
      }
    }
  }

  /** Record the latest view of an order; emits `fill` for new fills. */
  #track(o: Order): void {
    const prev = this.#known.get(o.clientOrderId);
    const delta = o.filledQty - (prev?.filledQty ?? 0);
    if (delta > 0) {
      const sgn = o.side === "buy" ? 1 : -1;
      this.#expected.set(o.symbol, (this.#expected.get(o.symbol) ?? 0) + sgn * delta);
      this.#emit({
        type: "fill",
        clientOrderId: o.clientOrderId,
        symbol: o.symbol,
        detail: { qty: delta, side: o.side, avgFillPrice: o.avgFillPrice },
      });
    }
    this.#known.set(o.clientOrderId, structuredClone(o));
    for (const l of o.legs ?? []) this.#track(l);
  }

  // ------------------------------------------------------------------ housekeeping

  /** Cancel an order by client id (retried on transient failures). */
  async cancel(clientOrderId: string): Promise<Order> {
    const o = await this.#call("cancel", () => this.broker.cancel(clientOrderId));
    this.#track(o);
    return o;
  }

  /**
   * Look every unresolved order up: found → settled (tracked as confirmed); absent and
   * older than `settleAbsentAfterMs` → settled as never placed; otherwise kept.
   */
  async settleUnresolved(): Promise<void> {
    for (const u of [...this.#unresolved.values()]) {
      const r = await this.#lookup(u.clientOrderId);
      if (r.kind === "found") {
        await this.#settle(u, "found", r.order);
      } else if (r.kind === "absent" && this.#time.now() - u.sinceMs >= this.#absentMs) {
        await this.#settle(u, "absent");
      }
    }
  }

  async #settle(u: UnresolvedOrder, how: "found" | "absent", order?: Order): Promise<void> {
    this.#unresolved.delete(u.clientOrderId);
    await this.#store.remove(u.clientOrderId);
    if (order) this.#track(order);
    this.#emit({
      type: "unresolved_settled",
      clientOrderId: u.clientOrderId,
      symbol: u.symbol,
      detail: { how, state: order?.state },
    });
  }

  /** Cancel entry orders (not legs, not OCO exits) older than `staleOrderMs`. */
  async cancelStale(): Promise<Order[]> {
    const now = this.#time.now();
    const out: Order[] = [];
    for (const o of [...this.#known.values()]) {
      if (isTerminal(o.state) || o.parentClientOrderId || o.orderClass === "oco") continue;
      if (o.orderClass === "bracket" && o.filledQty > 0) continue;
      const since = this.#sentAt.get(o.clientOrderId) ?? o.createdAtMs;
      if (now - since < this.#staleMs) continue;
      try {
        const c = await this.cancel(o.clientOrderId);
        out.push(c);
        this.#emit({
          type: "stale_cancelled",
          clientOrderId: o.clientOrderId,
          symbol: o.symbol,
          detail: { ageMs: now - since },
        });
      } catch (e) {
        const b = asBrokerError(e);
        // already terminal at the venue: learn its state
        const r = await this.#lookup(o.clientOrderId);
        if (r.kind === "found") this.#track(r.order);
        else {this.#emit({
            type: "order_closed",
            clientOrderId: o.clientOrderId,
            detail: { reason: b.message },
          });}
      }
    }
    return out;
  }

  /**
   * Compare the venue's open orders and positions with the engine's view; every difference
   * becomes an event (and the venue's view is adopted). Returns the events of this pass.
   */
  async reconcile(): Promise<EngineEvent[]> {
    const first = this.events.length;
    const open = await this.#call("getOrders", () => this.broker.getOrders({ status: "open" }));
    const venueOpen = new Map(open.map((o) => [o.clientOrderId, o]));
    for (const o of open) {
      const u = this.#unresolved.get(o.clientOrderId);
      if (u) {
        await this.#settle(u, "found", o);
        continue;
      }
      if (!this.#known.has(o.clientOrderId)) {
        this.#emit({
          type: "unknown_open_order",
          clientOrderId: o.clientOrderId,
          symbol: o.symbol,
          detail: { state: o.state, qty: o.qty, side: o.side },
        });
      }
      this.#track(o);
    }
    for (const k of [...this.#known.values()]) {
      if (isTerminal(k.state) || venueOpen.has(k.clientOrderId)) continue;
      const r = await this.#lookup(k.clientOrderId);
      if (r.kind === "found") {
        this.#track(r.order);
        this.#emit({
          type: "order_closed",
          clientOrderId: k.clientOrderId,
          symbol: k.symbol,
          detail: { state: r.order.state, filledQty: r.order.filledQty },
        });
      }
    }
    // unresolved orders that filled at once never show as open: look them up
    if (this.#unresolved.size) await this.settleUnresolved();
    const positions = await this.#call("getPositions", () => this.broker.getPositions());
    const symbols = new Set([...positions.map((p) => p.symbol), ...this.#expected.keys()]);
    for (const s of symbols) {
      const actual = positions.find((p) => p.symbol === s)?.qty ?? 0;
      const expected = this.#expected.get(s) ?? 0;
      // an order of unknown status may have filled: the position cannot be verified (nor
      // adopted, which would count that order's fills twice once it is settled)
      if ([...this.#unresolved.values()].some((u) => u.symbol === s)) {
        this.#emit({ type: "position_unverified", symbol: s, detail: { expected, actual } });
        continue;
      }
      if (Math.abs(actual - expected) > 1e-9 * Math.max(1, Math.abs(actual))) {
        this.#emit({
          type: "position_mismatch",
          symbol: s,
          detail: {
            expected,
            actual,
            initial: !this.#started || this.#lastReconcile === -Infinity,
          },
        });
        this.#expected.set(s, actual);
      }
    }
    this.#lastReconcile = this.#time.now();
    return this.events.slice(first);
  }
}
