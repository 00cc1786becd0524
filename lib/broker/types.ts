/**
 * The broker vocabulary every adapter maps into: orders, the order state machine, positions,
 * account and clock, the {@link Broker} interface, and the typed errors an adapter throws so
 * the execution engine can tell a venue's proof of rejection from an ambiguous failure.
 *
 * Quantities are in units of the instrument (shares, contracts, base currency); prices in the
 * quote currency; times UTC epoch milliseconds.
 *
 * @module
 */
import { ToolkitError } from "../util/mod.ts";

/** Which venue a broker talks to. */
export type Venue = "paper" | "alpaca" | "binanceusdm";

/** Buy or sell. */
export type OrderSide = "buy" | "sell";

/** Order types of the interface (each adapter refuses the ones its venue lacks). */
export type OrderType = "market" | "limit" | "stop" | "stop_limit" | "trailing_stop";

/** Time in force: good for the day, good till cancelled, immediate or cancel. */
export type TimeInForce = "day" | "gtc" | "ioc";

/**
 * `simple` = one order; `bracket` = entry + take-profit limit + stop-loss, legs active after
 * the entry fills; `oco` = two exit legs (limit take-profit and stop loss), one fill cancels
 * the other.
 */
export type OrderClass = "simple" | "bracket" | "oco";

/**
 * Order states. `new` is local only (created, not yet acknowledged); `accepted` = live at the
 * venue; the last four are terminal.
 */
export type OrderState =
  | "new"
  | "accepted"
  | "partially_filled"
  | "filled"
  | "canceled"
  | "rejected"
  | "expired";

/** The terminal states: an order in one of them never changes again. */
export const TERMINAL_STATES: ReadonlySet<OrderState> = new Set<OrderState>([
  "filled",
  "canceled",
  "rejected",
  "expired",
]);

/** Whether `s` is terminal. */
export function isTerminal(s: OrderState): boolean {
  return TERMINAL_STATES.has(s);
}

const NEXT: Record<OrderState, readonly OrderState[]> = {
  new: ["accepted", "partially_filled", "filled", "canceled", "rejected", "expired"],
  accepted: ["partially_filled", "filled", "canceled", "expired", "rejected"],
  partially_filled: ["partially_filled", "filled", "canceled", "expired"],
  filled: [],
  canceled: [],
  rejected: [],
  expired: [],
};

/**
 * Whether the state machine allows `from → to` (staying in the same non-terminal state is
 * allowed; leaving a terminal state never is).
 */
export function canTransition(from: OrderState, to: OrderState): boolean {
  if (from === to) return !isTerminal(from);
  return NEXT[from].includes(to);
}

/** An illegal state change (a bug in an adapter mapping, or a venue contradicting itself). */
export class OrderStateError extends ToolkitError {}

/**
 * Apply `to` to `order` in place (recording it in `order.history`); throws
 * {@link OrderStateError} on an illegal transition. A repeat of the current terminal state
 * is a no-op (venues repeat updates).
 */
export function transition(order: Order, to: OrderState, timeMs: number): void {
  if (order.state === to && isTerminal(to)) return;
  if (!canTransition(order.state, to)) {
    throw new OrderStateError(
      `order ${order.clientOrderId}: illegal transition ${order.state} → ${to}`,
      { parameter: "state" },
    );
  }
  if (order.state !== to) order.history.push({ state: to, timeMs });
  order.state = to;
  order.updatedAtMs = timeMs;
}

/** A leg of a bracket or OCO order. */
export interface LegRequest {
  /** Take-profit limit price (bracket/OCO). */
  limitPrice?: number;
  /** Stop-loss trigger price (bracket/OCO). */
  stopPrice?: number;
}

/** What the caller asks for. */
export interface OrderRequest {
  /** Venue symbol: `SPY`, an OCC option symbol `SPY240621C00500000`, `BTCUSDT`. */
  symbol: string;
  side: OrderSide;
  /** Quantity (> 0) in instrument units. */
  qty: number;
  type: OrderType;
  timeInForce: TimeInForce;
  /** The caller's id, the idempotency key (see `client_id.ts` for each venue's rules). */
  clientOrderId: string;
  /** Limit price for `limit` / `stop_limit`. */
  limitPrice?: number;
  /** Trigger price for `stop` / `stop_limit`. */
  stopPrice?: number;
  /** Trailing distance as a fraction of price (0.01 = 1 %) for `trailing_stop`. */
  trailFraction?: number;
  /** Order class; default `simple`. */
  orderClass?: OrderClass;
  /** Bracket/OCO take-profit leg (limit). */
  takeProfit?: LegRequest;
  /** Bracket/OCO stop-loss leg (stop, or stop-limit when `limitPrice` is set). */
  stopLoss?: LegRequest;
  /** Only reduce an existing position (Binance `reduceOnly`; the paper broker enforces it). */
  reduceOnly?: boolean;
}

/** One fill of an order. */
export interface Fill {
  /** Quantity filled (> 0). */
  qty: number;
  /** Fill price including slippage. */
  price: number;
  /** Fee charged, quote currency (0 when the venue does not report it). */
  fee: number;
  /** UTC ms. */
  timeMs: number;
}

/** An order as the broker knows it. */
export interface Order {
  /** Venue order id (the paper broker uses the client id). */
  id: string;
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  timeInForce: TimeInForce;
  orderClass: OrderClass;
  /** Ordered quantity. */
  qty: number;
  /** Filled so far. */
  filledQty: number;
  /** Size-weighted average fill price (NaN before any fill). */
  avgFillPrice: number;
  limitPrice?: number;
  stopPrice?: number;
  trailFraction?: number;
  reduceOnly?: boolean;
  state: OrderState;
  /** Every state entered, in order (the first is the creation state). */
  history: { state: OrderState; timeMs: number }[];
  /** Fills (the paper broker lists every one; venues may only report the totals). */
  fills: Fill[];
  /** Why it was rejected, cancelled or expired, when known. */
  reason?: string;
  createdAtMs: number;
  updatedAtMs: number;
  /** Bracket/OCO legs (their own orders). */
  legs?: Order[];
  /** Client id of the bracket/OCO parent for a leg. */
  parentClientOrderId?: string;
  /** Client id of the order that replaced this one. */
  replacedBy?: string;
}

/** A position in one symbol. */
export interface Position {
  symbol: string;
  /** Signed quantity: > 0 long, < 0 short. */
  qty: number;
  /** Average entry price. */
  avgEntryPrice: number;
  /** Last mark price. */
  markPrice: number;
  /** Unrealised PnL at the mark, quote currency. */
  unrealizedPnl: number;
}

/** Account status. */
export interface AccountInfo {
  /** Equity (cash/balance + unrealised), quote currency. */
  equity: number;
  /** Cash (Alpaca) or wallet balance (futures), quote currency. */
  cash: number;
  /** What the venue lets you open now, quote currency notional. */
  buyingPower: number;
  /** `ACTIVE` when trading is allowed (Alpaca's wording). */
  status: string;
  /** Quote currency, e.g. USD, USDT. */
  currency: string;
}

/** Market clock. */
export interface MarketClock {
  /** Whether the market is open now. */
  isOpen: boolean;
  /** Venue time, UTC ms. */
  timeMs: number;
  /** Next open, UTC ms (null for 24/7 venues). */
  nextOpenMs: number | null;
  /** Next close, UTC ms (null for 24/7 venues). */
  nextCloseMs: number | null;
}

/** Changes of a replace (cancel/replace keeps nothing of the old order except what is given). */
export interface ReplaceRequest {
  /** New total quantity. */
  qty?: number;
  limitPrice?: number;
  stopPrice?: number;
  /** Client id of the replacing order (ids are never reused). */
  newClientOrderId: string;
}

/**
 * The one broker interface. Every method talks to the venue once (no retries inside: the
 * {@link ExecutionEngine} owns retries and idempotency). Failures are thrown as
 * {@link BrokerError}s.
 */
export interface Broker {
  /** Which venue. */
  readonly venue: Venue;
  /** Send an order; resolves with the venue's acknowledgement. */
  submit(req: OrderRequest): Promise<Order>;
  /** Cancel by client id; resolves with the order after the cancel request. */
  cancel(clientOrderId: string): Promise<Order>;
  /** Replace (cancel/replace) an open order. */
  replace(clientOrderId: string, changes: ReplaceRequest): Promise<Order>;
  /** Look an order up by client id; `null` when the venue says it does not exist. */
  getOrder(clientOrderId: string): Promise<Order | null>;
  /** Open orders (`open`) or all recent ones (`all`). */
  getOrders(options?: { status?: "open" | "all" }): Promise<Order[]>;
  /** Non-zero positions. */
  getPositions(): Promise<Position[]>;
  /** Account status. */
  getAccount(): Promise<AccountInfo>;
  /** Market clock. */
  getClock(): Promise<MarketClock>;
}

/** How a failure must be treated. */
export type FailureKind =
  /** The venue proved it refused the request (4xx with a reason): do not retry. */
  | "rejected"
  /** Throttled (429): retry after `retryAfterMs`; the request was not processed. */
  | "rate_limited"
  /** Server error (5xx) or network error / timeout: the request may or may not have applied. */
  | "transient"
  /** The venue said the execution status is unknown (Binance −1006/−1007). */
  | "unknown_status"
  /** The object does not exist (404, Binance −2013). */
  | "not_found";

/** A failure of a broker call, classified by the adapter. */
export class BrokerError extends ToolkitError {
  /** Classification. */
  readonly kind: FailureKind;
  /** HTTP status, when there was a response. */
  readonly status?: number;
  /** Venue error code (Alpaca `code`, Binance `code`). */
  readonly code?: number | string;
  /** Suggested wait before retrying, ms (from Retry-After). */
  readonly retryAfterMs?: number;
  /** The venue's message (or the network error's). */
  readonly reason: string;
  constructor(
    kind: FailureKind,
    reason: string,
    details: { status?: number; code?: number | string; retryAfterMs?: number; where?: string } =
      {},
  ) {
    super(
      `broker ${kind}${details.status ? ` (HTTP ${details.status}` : ""}${
        details.code !== undefined ? `${details.status ? ", " : " ("}code ${details.code}` : ""
      }${details.status || details.code !== undefined ? ")" : ""}: ${reason}`,
      details.where ? { parameter: details.where } : {},
    );
    this.kind = kind;
    this.status = details.status;
    this.code = details.code;
    this.retryAfterMs = details.retryAfterMs;
    this.reason = reason;
  }
}

/**
 * The risk gate: structurally the `RiskManager.checkTrade` of `lib/risk` (not imported here,
 * so the layers stay independent; any object with this method plugs in).
 */
export interface RiskGate {
  /** Decide whether a trade may be sent. */
  checkTrade(
    order: {
      symbol: string;
      side: OrderSide;
      qty: number;
      price: number;
      reducesExposure?: boolean;
    },
    context: {
      timeMs: number;
      equity: number;
      ivRank?: number;
      vix?: number;
      spreadFraction?: number;
    },
  ): {
    allowed: boolean;
    rule: string | null;
    reason: string;
    level: "low" | "medium" | "high" | "critical";
  };
}

/** Error for a bad broker configuration (missing keys, live without the flag). */
export class BrokerConfigError extends ToolkitError {}

/** Make a fresh order record in state `new` from a request. */
export function newOrder(req: OrderRequest, timeMs: number, id = req.clientOrderId): Order {
  return {
    id,
    clientOrderId: req.clientOrderId,
    symbol: req.symbol,
    side: req.side,
    type: req.type,
    timeInForce: req.timeInForce,
    orderClass: req.orderClass ?? "simple",
    qty: req.qty,
    filledQty: 0,
    avgFillPrice: NaN,
    limitPrice: req.limitPrice,
    stopPrice: req.stopPrice,
    trailFraction: req.trailFraction,
    reduceOnly: req.reduceOnly,
    state: "new",
    history: [{ state: "new", timeMs }],
    fills: [],
    createdAtMs: timeMs,
    updatedAtMs: timeMs,
  };
}

/** Whether an order is still working (not terminal). */
export function isOpen(o: Order): boolean {
  return !isTerminal(o.state);
}
