/**
 * Alpaca adapter (US equities and options; the specification's broker) on the official SDK
 * `@alpacahq/alpaca-trade-api` 4.0.2 (`TradingClient`, `MarketDataClient`).
 *
 * Why the SDK and not raw REST: it runs under Deno unchanged (tried: account, orders and
 * stock bars against a loopback server), it sends the documented v2 shapes, and its
 * `fetchApi` hook lets us (1) point it at any base URL — the SDK has no base-URL option, so
 * the hook rewrites the origin of every request, which is how the tests reach the local
 * server — and (2) count every HTTP request in our client-side rate limiter (Alpaca: 200
 * requests/min). The SDK's own retry and rate limiting are switched off: the
 * {@link ExecutionEngine} owns retries so that an order POST is never retried blindly (the
 * SDK never retries POSTs either, but its GET retries would hide attempts from the engine's
 * accounting).
 *
 * Credentials come from the options (see {@link alpacaOptionsFromEnv}); they go only into
 * the SDK's auth headers and are never logged or written. Paper endpoints by default; live
 * only with `live: true`.
 *
 * @module
 */
import { requireEnvKeys } from "./_env_keys.ts";
import { MarketDataClient, TradingClient } from "@alpacahq/alpaca-trade-api";
import { ALPACA_RATE_LIMIT, RateLimiter, REAL_TIME, type TimeSource } from "./rate_limiter.ts";
import {
  type AccountInfo,
  type Broker,
  BrokerConfigError,
  BrokerError,
  type MarketClock,
  type Order,
  type OrderRequest,
  type OrderState,
  type Position,
  type ReplaceRequest,
} from "./types.ts";

/** Alpaca's paper trading host. */
export const ALPACA_PAPER_URL = "https://paper-api.alpaca.markets";
/** Alpaca's live trading host. */
export const ALPACA_LIVE_URL = "https://api.alpaca.markets";
/** Alpaca's market-data host. */
export const ALPACA_DATA_URL = "https://data.alpaca.markets";

/** Options of {@link AlpacaBroker}. */
export interface AlpacaBrokerOptions {
  keyId: string;
  secret: string;
  /** Trade live (real money). Default false = paper. */
  live?: boolean;
  /** Trading base URL override (e.g. a local test server). Default: the paper/live host. */
  baseUrl?: string;
  /** Market-data base URL override. Default {@link ALPACA_DATA_URL}. */
  dataUrl?: string;
  /** Per-request timeout, ms. Default 10000. */
  timeoutMs?: number;
  /** Client-side limiter shared by every request. Default 200 requests / 60 s. */
  rateLimiter?: RateLimiter;
  /** Clock for order timestamps fallback. Default real time. */
  time?: TimeSource;
}

/**
 * Read Alpaca settings from environment variables: `APCA_API_KEY_ID`, `APCA_API_SECRET_KEY`
 * (required), `ALPACA_BASE_URL`, `ALPACA_DATA_URL` (optional overrides). Throws
 * {@link BrokerConfigError} naming the missing variable (never echoing a value).
 */
export function alpacaOptionsFromEnv(
  env: { get(k: string): string | undefined } = Deno.env,
): AlpacaBrokerOptions {
  const [keyId, secret] = requireEnvKeys(env, ["APCA_API_KEY_ID", "APCA_API_SECRET_KEY"], {
    venue: "Alpaca",
    hint: "create paper keys at https://app.alpaca.markets (Paper Trading → API keys)",
  });
  return {
    keyId,
    secret,
    baseUrl: env.get("ALPACA_BASE_URL") || undefined,
    dataUrl: env.get("ALPACA_DATA_URL") || undefined,
  };
}

/** One OHLCV bar from the market-data API. */
export interface AlpacaBar {
  /** Bar open time, UTC ms. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

// deno-lint-ignore no-explicit-any
type Json = any;

const num = (x: unknown): number => (x === null || x === undefined || x === "" ? NaN : Number(x));
const str = (
  x: number | undefined,
): string | undefined => (x === undefined ? undefined : String(x));
const get = (o: Json, camel: string, snake: string): Json => o?.[camel] ?? o?.[snake];
const ms = (
  x: unknown,
): number => (x instanceof Date ? x.getTime() : x ? Date.parse(String(x)) : NaN);

/** Map an Alpaca order status onto the interface's state machine. */
export function alpacaState(status: string, filledQty: number): OrderState {
  switch (status) {
    case "filled":
      return "filled";
    case "canceled":
    case "replaced":
      return "canceled";
    case "expired":
      return "expired";
    case "rejected":
      return "rejected";
    case "partially_filled":
      return "partially_filled";
    default:
      // new, accepted, pending_new, accepted_for_bidding, held, pending_cancel,
      // pending_replace, stopped, suspended, calculated, done_for_day: still working
      return filledQty > 0 ? "partially_filled" : "accepted";
  }
}

/** Convert an Alpaca order (SDK object or raw JSON) into an {@link Order}. */
export function fromAlpacaOrder(o: Json): Order {
  const filled = num(get(o, "filledQty", "filled_qty")) || 0;
  const status = String(o.status);
  const state = alpacaState(status, filled);
  const created = ms(get(o, "createdAt", "created_at"));
  const updated = ms(get(o, "updatedAt", "updated_at"));
  const type = String(o.type ?? get(o, "orderType", "order_type"));
  const trail = num(get(o, "trailPercent", "trail_percent"));
  const out: Order = {
    id: String(o.id),
    clientOrderId: String(get(o, "clientOrderId", "client_order_id")),
    symbol: String(o.symbol),
    side: o.side === "sell" ? "sell" : "buy",
    type: (type === "trailing_stop" ? "trailing_stop" : type) as Order["type"],
    timeInForce: String(get(o, "timeInForce", "time_in_force")) as Order["timeInForce"],
    orderClass: (get(o, "orderClass", "order_class") || "simple") === "bracket"
      ? "bracket"
      : (get(o, "orderClass", "order_class") === "oco" ? "oco" : "simple"),
    qty: num(o.qty),
    filledQty: filled,
    avgFillPrice: num(get(o, "filledAvgPrice", "filled_avg_price")),
    limitPrice: Number.isNaN(num(get(o, "limitPrice", "limit_price")))
      ? undefined
      : num(get(o, "limitPrice", "limit_price")),
    stopPrice: Number.isNaN(num(get(o, "stopPrice", "stop_price")))
      ? undefined
      : num(get(o, "stopPrice", "stop_price")),
    trailFraction: Number.isNaN(trail) ? undefined : trail / 100,
    state,
    history: [{ state, timeMs: updated || created }],
    fills: [],
    createdAtMs: created,
    updatedAtMs: updated || created,
  };
  if (status === "replaced") out.reason = "replaced";
  const replacedBy = get(o, "replacedBy", "replaced_by");
  if (replacedBy) out.replacedBy = String(replacedBy);
  if (Array.isArray(o.legs) && o.legs.length) {
    out.legs = o.legs.map((l: Json) => ({
      ...fromAlpacaOrder(l),
      parentClientOrderId: out.clientOrderId,
    }));
  }
  return out;
}

/**
 * Classify an SDK failure. `ApiError` carries `status` (and `retryAfterMs` for 429); a
 * failure without a status (network error, timeout, dropped connection, unparseable body) is
 * transient: the request may have been applied.
 */
export function classifyAlpacaError(e: unknown, where: string): BrokerError {
  if (e instanceof BrokerError) return e;
  const err = e as Json;
  const status = typeof err?.status === "number" ? err.status : undefined;
  const message = String(err?.message ?? e);
  if (status === undefined) {
    return new BrokerError("transient", `${where}: ${err?.name ?? "Error"}: ${message}`, { where });
  }
  const code = err.code;
  const retryAfterMs = typeof err.retryAfterMs === "number" ? err.retryAfterMs : undefined;
  if (status === 429) {
    return new BrokerError("rate_limited", `${where}: ${message}`, {
      status,
      code,
      retryAfterMs,
      where,
    });
  }
  if (status >= 500 || status === 408) {
    return new BrokerError("transient", `${where}: ${message}`, {
      status,
      code,
      retryAfterMs,
      where,
    });
  }
  if (status === 404) {
    return new BrokerError("not_found", `${where}: ${message}`, { status, code, where });
  }
  return new BrokerError("rejected", `${where}: ${message}`, { status, code, where });
}

/** The Alpaca {@link Broker}. */
export class AlpacaBroker implements Broker {
  /** Always `alpaca`. */
  readonly venue = "alpaca" as const;
  /** The limiter every HTTP request passes. */
  readonly rateLimiter: RateLimiter;
  /** Whether this broker trades live. */
  readonly live: boolean;
  readonly #trading: TradingClient;
  readonly #data: MarketDataClient;

  constructor(options: AlpacaBrokerOptions) {
    if (!options.keyId || !options.secret) {
      throw new BrokerConfigError("Alpaca keyId and secret are required", {
        parameter: "keyId/secret",
      });
    }
    this.live = options.live === true;
    const trading = options.baseUrl ?? (this.live ? ALPACA_LIVE_URL : ALPACA_PAPER_URL);
    if (!this.live && /^https:\/\/api\.alpaca\.markets/.test(trading)) {
      throw new BrokerConfigError("baseUrl is Alpaca's LIVE host but live is not set", {
        parameter: "baseUrl",
      }, "pass live: true (the CLI's --live) to trade real money");
    }
    const data = options.dataUrl ?? ALPACA_DATA_URL;
    this.rateLimiter = options.rateLimiter ??
      new RateLimiter({ ...ALPACA_RATE_LIMIT, time: options.time ?? REAL_TIME });
    const limiter = this.rateLimiter;
    const rewrite = (url: string): string => {
      const u = new URL(url);
      const target = u.hostname.startsWith("data.") ? data : trading;
      return target.replace(/\/$/, "") + u.pathname + u.search;
    };
    const fetchApi = async (input: Json, init?: RequestInit): Promise<Response> => {
      await limiter.acquire();
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      return await fetch(rewrite(url), init);
    };
    const common = {
      keyId: options.keyId,
      secret: options.secret,
      paper: !this.live,
      timeoutMs: options.timeoutMs ?? 10_000,
      retry: false as const,
      rateLimit: false as const,
      fetchApi: fetchApi as Json,
    };
    this.#trading = new TradingClient(common);
    this.#data = new MarketDataClient(common);
  }

  async #run<T>(where: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw classifyAlpacaError(e, where);
    }
  }

  /** POST /v2/orders. */
  submit(req: OrderRequest): Promise<Order> {
    const body: Json = {
      symbol: req.symbol,
      qty: String(req.qty),
      side: req.side,
      type: req.type,
      timeInForce: req.timeInForce,
      clientOrderId: req.clientOrderId,
      limitPrice: str(req.limitPrice),
      stopPrice: str(req.stopPrice),
      trailPercent: req.trailFraction !== undefined ? String(req.trailFraction * 100) : undefined,
    };
    const cls = req.orderClass ?? "simple";
    if (cls !== "simple") {
      body.orderClass = cls;
      // Alpaca's OCO carries its prices in the legs only (documented example: type limit,
      // take_profit.limit_price, stop_loss.stop_price[/limit_price])
      if (cls === "oco") delete body.limitPrice;
      body.takeProfit = { limitPrice: str(req.takeProfit?.limitPrice) };
      body.stopLoss = {
        stopPrice: str(req.stopLoss?.stopPrice),
        limitPrice: str(req.stopLoss?.limitPrice),
      };
    }
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    return this.#run(
      "submit",
      async () => fromAlpacaOrder(await this.#trading.orders.postOrder({ postOrderRequest: body })),
    );
  }

  /** GET /v2/orders:by_client_order_id; null on 404. */
  async getOrder(clientOrderId: string): Promise<Order | null> {
    try {
      return await this.#run(
        "getOrder",
        async () =>
          fromAlpacaOrder(await this.#trading.orders.getOrderByClientOrderId({ clientOrderId })),
      );
    } catch (e) {
      if (e instanceof BrokerError && e.kind === "not_found") return null;
      throw e;
    }
  }

  /** DELETE /v2/orders/{id} (looked up by client id first), then the order's new view. */
  async cancel(clientOrderId: string): Promise<Order> {
    const o = await this.getOrder(clientOrderId);
    if (!o) {
      throw new BrokerError("not_found", `cancel: order ${clientOrderId} not found`, {
        status: 404,
      });
    }
    await this.#run("cancel", () => this.#trading.orders.deleteOrderByOrderID({ orderId: o.id }));
    return (await this.getOrder(clientOrderId)) ?? o;
  }

  /** PATCH /v2/orders/{id}. */
  async replace(clientOrderId: string, changes: ReplaceRequest): Promise<Order> {
    const o = await this.getOrder(clientOrderId);
    if (!o) {
      throw new BrokerError("not_found", `replace: order ${clientOrderId} not found`, {
        status: 404,
      });
    }
    const patch: Json = {
      qty: str(changes.qty),
      limitPrice: str(changes.limitPrice),
      stopPrice: str(changes.stopPrice),
      clientOrderId: changes.newClientOrderId,
    };
    for (const k of Object.keys(patch)) if (patch[k] === undefined) delete patch[k];
    return await this.#run("replace", async () =>
      fromAlpacaOrder(
        await this.#trading.orders.patchOrderByOrderId({ orderId: o.id, patchOrderRequest: patch }),
      ));
  }

  /** GET /v2/orders (nested, so bracket/OCO legs come with their parent). */
  getOrders(options: { status?: "open" | "all" } = {}): Promise<Order[]> {
    return this.#run("getOrders", async () => {
      const list = await this.#trading.orders.getAllOrders({
        status: options.status ?? "open",
        nested: true,
        limit: 500,
      } as Json);
      return (list as Json[]).map(fromAlpacaOrder);
    });
  }

  /** GET /v2/positions. */
  getPositions(): Promise<Position[]> {
    return this.#run("getPositions", async () => {
      const list = await this.#trading.positions.getAllOpenPositions();
      return (list as Json[]).map((p) => {
        const qty = num(p.qty);
        return {
          symbol: String(p.symbol),
          qty: p.side === "short" && qty > 0 ? -qty : qty,
          avgEntryPrice: num(get(p, "avgEntryPrice", "avg_entry_price")),
          markPrice: num(get(p, "currentPrice", "current_price")),
          unrealizedPnl: num(get(p, "unrealizedPl", "unrealized_pl")),
        };
      });
    });
  }

  /** GET /v2/account. */
  getAccount(): Promise<AccountInfo> {
    return this.#run("getAccount", async () => {
      const a: Json = await this.#trading.account.getAccount();
      return {
        equity: num(a.equity),
        cash: num(a.cash),
        buyingPower: num(get(a, "buyingPower", "buying_power")),
        status: String(a.status),
        currency: String(a.currency ?? "USD"),
      };
    });
  }

  /** GET /v2/clock. */
  getClock(): Promise<MarketClock> {
    return this.#run("getClock", async () => {
      const c: Json = await this.#trading.clock.legacyClock();
      return {
        isOpen: Boolean(get(c, "isOpen", "is_open")),
        timeMs: ms(c.timestamp),
        nextOpenMs: ms(get(c, "nextOpen", "next_open")),
        nextCloseMs: ms(get(c, "nextClose", "next_close")),
      };
    });
  }

  /**
   * Historical stock bars (GET /v2/stocks/bars, all pages): `timeframe` like `1Day`,
   * `5Min`; `start`/`end` UTC ms.
   */
  getBars(
    symbol: string,
    options: { timeframe: string; start?: number; end?: number; limit?: number; feed?: string },
  ): Promise<AlpacaBar[]> {
    return this.#run("getBars", async () => {
      const req: Json = { timeframe: options.timeframe };
      if (options.start !== undefined) req.start = new Date(options.start);
      if (options.end !== undefined) req.end = new Date(options.end);
      if (options.limit !== undefined) req.limit = options.limit;
      if (options.feed !== undefined) req.feed = options.feed;
      const bars = await this.#data.getStockBarsFor(symbol, req);
      return (bars as Json[]).map((b) => ({
        time: ms(b.timestamp ?? b.t),
        open: num(b.open ?? b.o),
        high: num(b.high ?? b.h),
        low: num(b.low ?? b.l),
        close: num(b.close ?? b.c),
        volume: num(b.volume ?? b.v),
      }));
    });
  }
}
