/**
 * Binance USDⓈ-M futures adapter through `ccxt` (`binanceusdm`), for the futures agents.
 *
 * - **Client order ids**: ccxt mints a fresh `newClientOrderId` on every call unless one is
 *   passed, which would make every retry a new order; this adapter always passes the
 *   request's id (1–36 chars, `^[\.A-Z\:/a-z0-9_-]{1,36}$`, unique among open orders —
 *   a duplicate is error −4116).
 * - **Errors** are classified from the Binance error body ccxt puts in its message
 *   (`{"code":-2019,"msg":"Margin is insufficient."}`): −1006/−1007 ("execution status
 *   unknown") → `unknown_status` (unresolved, never "failed"); −1003 / HTTP 429/418 →
 *   `rate_limited` (with Retry-After from the response headers); −2013 → `not_found`; other
 *   codes on a 4xx → `rejected`; network errors, timeouts, 5xx and unparseable replies →
 *   `transient`.
 * - **Endpoints**: paper = Binance's demo-trading futures host by default; `live: true` for
 *   real money; `baseUrl` rewrites every ccxt API URL to another origin (the tests' loopback
 *   server, which also serves `/fapi/v1/exchangeInfo` so ccxt's `loadMarkets` needs no
 *   internet).
 * - **Stops** (`stop` → STOP_MARKET, `stop_limit` → STOP) are conditional orders, which Binance
 *   runs in its Algo Service (`/fapi/v1/algoOrder`, id `clientAlgoId`); ccxt routes them
 *   there, and the adapter looks them up, lists and cancels them there too, reading the fill
 *   from the order the trigger placed (`actualOrderId`).
 * - **Replace** is cancel + new order (not atomic on this venue through this adapter).
 * - **Position mode**: one-way (`positionSide` BOTH), the venue's default; hedge mode is not
 *   supported.
 * - **Known venue hazard**: ids are unique only among OPEN orders, so a resubmission could
 *   duplicate an order that already FILLED if the venue's lookup lagged behind it; the engine
 *   resubmits only after a lookup shows the id absent, which closes this except for such lag.
 * - Lookups need the symbol on Binance; the adapter remembers each id's symbol and otherwise
 *   tries the configured symbols in turn.
 *
 * Credentials come from the options (see {@link binanceOptionsFromEnv}), are handed to ccxt
 * only, and are never logged or written.
 *
 * @module
 */
import ccxt from "ccxt";
import { requireEnvKeys } from "./_env_keys.ts";
import { RateLimiter, REAL_TIME, type TimeSource } from "./rate_limiter.ts";
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

// deno-lint-ignore no-explicit-any
type Json = any;

/** Options of {@link BinanceUsdmBroker}. */
export interface BinanceBrokerOptions {
  apiKey: string;
  secret: string;
  /** Venue symbols traded (`BTCUSDT`), used for lookups and open-order listings. */
  symbols: string[];
  /** Trade live (real money). Default false = Binance demo trading. */
  live?: boolean;
  /** Rewrite every API URL to this origin (e.g. `http://127.0.0.1:PORT`). */
  baseUrl?: string;
  /** Per-request timeout, ms. Default 10000. */
  timeoutMs?: number;
  /** Client-side limiter. Default 1200 requests / 60 s (Binance's order-rate limit). */
  rateLimiter?: RateLimiter;
  /** Clock for the limiter. Default real time. */
  time?: TimeSource;
}

/**
 * Read Binance settings from `BINANCE_API_KEY`, `BINANCE_API_SECRET` (required) and
 * `BINANCE_BASE_URL` (optional). Throws {@link BrokerConfigError} naming what is missing.
 */
export function binanceOptionsFromEnv(
  symbols: string[],
  env: { get(k: string): string | undefined } = Deno.env,
): BinanceBrokerOptions {
  const [apiKey, secret] = requireEnvKeys(env, ["BINANCE_API_KEY", "BINANCE_API_SECRET"], {
    venue: "Binance",
    hint: "create demo-trading keys at https://demo.binance.com (API management)",
  });
  return {
    apiKey,
    secret,
    symbols,
    baseUrl: env.get("BINANCE_BASE_URL") || undefined,
  };
}

const num = (x: unknown): number => (x === null || x === undefined || x === "" ? NaN : Number(x));

/** Map a Binance order status onto the interface's state machine. */
export function binanceState(status: string, executed: number): OrderState {
  switch (status) {
    case "FILLED":
      return "filled";
    case "CANCELED":
      return "canceled";
    case "REJECTED":
      return "rejected";
    case "EXPIRED":
    case "EXPIRED_IN_MATCH":
      return "expired";
    case "PARTIALLY_FILLED":
      return "partially_filled";
    default:
      return executed > 0 ? "partially_filled" : "accepted";
  }
}

const TYPE_FROM: Record<string, Order["type"]> = {
  MARKET: "market",
  LIMIT: "limit",
  STOP_MARKET: "stop",
  STOP: "stop_limit",
  TRAILING_STOP_MARKET: "trailing_stop",
};

/** Map a Binance Algo Service status onto the state machine (`executed`/`qty` for FINISHED). */
export function binanceAlgoState(status: string, executed: number, qty: number): OrderState {
  switch (status) {
    case "FINISHED":
      return executed >= qty ? "filled" : "canceled";
    case "CANCELED":
      return "canceled";
    case "EXPIRED":
      return "expired";
    case "REJECTED":
      return "rejected";
    default:
      // NEW, TRIGGERING, TRIGGERED
      return executed > 0 ? "partially_filled" : "accepted";
  }
}

/**
 * Convert a raw Binance order (the `info` ccxt keeps) into an {@link Order}: a matching-engine
 * order, or an Algo Service conditional order (`algoId`, `clientAlgoId`, `algoStatus`,
 * `triggerPrice`; its fill is read from the triggered order and merged in as
 * `executedQty`/`avgPrice`).
 */
export function fromBinanceOrder(r: Json): Order {
  if (r.algoId !== undefined) {
    const executed = num(r.executedQty) || 0;
    const qty = num(r.quantity);
    const state = binanceAlgoState(String(r.algoStatus), executed, qty);
    const t = num(r.updateTime ?? r.createTime);
    const price = num(r.price);
    const orderType = String(r.orderType);
    return {
      id: `algo-${r.algoId}`,
      clientOrderId: String(r.clientAlgoId),
      symbol: String(r.symbol),
      side: r.side === "SELL" ? "sell" : "buy",
      type: orderType === "STOP" || orderType === "TAKE_PROFIT" ? "stop_limit" : "stop",
      timeInForce: r.timeInForce === "IOC" ? "ioc" : "gtc",
      orderClass: "simple",
      qty,
      filledQty: executed,
      avgFillPrice: executed > 0 ? num(r.avgPrice) : NaN,
      limitPrice: price > 0 ? price : undefined,
      stopPrice: num(r.triggerPrice),
      reduceOnly: r.reduceOnly === true || r.reduceOnly === "true" ? true : undefined,
      state,
      history: [{ state, timeMs: t }],
      fills: [],
      createdAtMs: num(r.createTime),
      updatedAtMs: t,
    };
  }
  const executed = num(r.executedQty) || 0;
  const state = binanceState(String(r.status), executed);
  const t = num(r.updateTime ?? r.time);
  const price = num(r.price);
  const stop = num(r.stopPrice);
  return {
    id: String(r.orderId),
    clientOrderId: String(r.clientOrderId),
    symbol: String(r.symbol),
    side: r.side === "SELL" ? "sell" : "buy",
    type: TYPE_FROM[String(r.origType ?? r.type)] ?? "market",
    timeInForce: r.timeInForce === "IOC" ? "ioc" : "gtc",
    orderClass: "simple",
    qty: num(r.origQty),
    filledQty: executed,
    avgFillPrice: executed > 0 ? num(r.avgPrice) : NaN,
    limitPrice: price > 0 ? price : undefined,
    stopPrice: stop > 0 ? stop : undefined,
    reduceOnly: r.reduceOnly === true || r.reduceOnly === "true" ? true : undefined,
    state,
    history: [{ state, timeMs: t }],
    fills: [],
    createdAtMs: num(r.time ?? r.updateTime),
    updatedAtMs: t,
  };
}

const LOCAL_REFUSALS = new Set([
  "InvalidOrder",
  "ArgumentsRequired",
  "BadSymbol",
  "NotSupported",
]);

/** Classify a ccxt failure (see the module docs). */
export function classifyBinanceError(
  e: unknown,
  where: string,
  headers?: Record<string, string>,
): BrokerError {
  if (e instanceof BrokerError) return e;
  const err = e as Json;
  const name = String(err?.constructor?.name ?? err?.name ?? "Error");
  // ccxt messages may carry the signed URL: keep the signature out of errors and logs
  const message = String(err?.message ?? e).replace(/signature=[0-9a-fA-F]+/g, "signature=…");
  const m = message.match(/"code"\s*:\s*(-?\d+)\s*,\s*"msg"\s*:\s*"([^"]*)"/);
  const code = m ? Number(m[1]) : undefined;
  const msg = m ? m[2] : message;
  const statusMatch = message.match(/\b(4\d\d|5\d\d)\b/);
  const ra = headers?.["retry-after"] ?? headers?.["Retry-After"];
  const retryAfterMs = ra !== undefined && Number.isFinite(Number(ra))
    ? Number(ra) * 1000
    : undefined;
  if (code === -1006 || code === -1007) {
    return new BrokerError("unknown_status", `${where}: ${msg}`, { code, where });
  }
  if (code === -1003 || name === "RateLimitExceeded" || name === "DDoSProtection") {
    return new BrokerError("rate_limited", `${where}: ${msg}`, {
      code,
      retryAfterMs,
      status: 429,
      where,
    });
  }
  if (code === -2013 || name === "OrderNotFound") {
    return new BrokerError("not_found", `${where}: ${msg}`, { code, where });
  }
  if (code !== undefined && code !== -1000 && code !== -1001 && code !== -1008) {
    return new BrokerError("rejected", `${where}: ${msg}`, { code, where });
  }
  // ccxt's own argument checks (precision, minimum amount, unknown symbol) throw before any
  // request is sent: a definite refusal, not an ambiguity
  if (code === undefined && LOCAL_REFUSALS.has(name)) {
    return new BrokerError("rejected", `${where}: ccxt refused before sending: ${message}`, {
      code: "ccxt_local",
      where,
    });
  }
  // no venue code: network error, timeout, 5xx, unparseable body
  return new BrokerError("transient", `${where}: ${name}: ${msg}`, {
    code,
    status: statusMatch ? Number(statusMatch[1]) : undefined,
    where,
  });
}

/** The Binance USDⓈ-M {@link Broker}. */
export class BinanceUsdmBroker implements Broker {
  /** Always `binanceusdm`. */
  readonly venue = "binanceusdm" as const;
  /** The limiter every call passes. */
  readonly rateLimiter: RateLimiter;
  /** Whether this broker trades live. */
  readonly live: boolean;
  readonly #ex: Json;
  readonly #symbols: string[];
  readonly #symbolOf = new Map<string, string>();
  readonly #conditional = new Set<string>();
  #unified: Map<string, string> | null = null;

  constructor(options: BinanceBrokerOptions) {
    if (!options.apiKey || !options.secret) {
      throw new BrokerConfigError("Binance apiKey and secret are required", {
        parameter: "apiKey/secret",
      });
    }
    if (!options.symbols?.length) {
      throw new BrokerConfigError("Binance adapter needs at least one symbol", {
        parameter: "symbols",
      });
    }
    this.live = options.live === true;
    this.#symbols = options.symbols;
    this.rateLimiter = options.rateLimiter ??
      new RateLimiter({ limit: 1200, windowMs: 60_000, time: options.time ?? REAL_TIME });
    const ex = new ccxt.binanceusdm({
      apiKey: options.apiKey,
      secret: options.secret,
      enableRateLimit: false,
      timeout: options.timeoutMs ?? 10_000,
      options: {
        fetchCurrencies: false,
        adjustForTimeDifference: false,
        warnOnFetchOpenOrdersWithoutSymbol: false,
      },
    });
    if (!this.live) ex.enableDemoTrading(true);
    if (options.baseUrl) {
      const origin = options.baseUrl.replace(/\/$/, "");
      const api = ex.urls.api as Record<string, string>;
      for (const k of Object.keys(api)) {
        if (typeof api[k] === "string") api[k] = api[k].replace(/^https?:\/\/[^/]+/, origin);
      }
    }
    this.#ex = ex;
  }

  async #run<T>(where: string, fn: () => Promise<T>): Promise<T> {
    await this.rateLimiter.acquire();
    this.#ex.last_response_headers = undefined;
    try {
      return await fn();
    } catch (e) {
      throw classifyBinanceError(e, where, this.#ex.last_response_headers);
    }
  }

  /** ccxt's unified symbol for a venue id (`BTCUSDT` → `BTC/USDT:USDT`); loads markets once. */
  async #sym(id: string): Promise<string> {
    if (!this.#unified) {
      await this.#run("loadMarkets", () => this.#ex.loadMarkets());
      this.#unified = new Map(
        Object.values(this.#ex.markets as Record<string, Json>).map((
          m,
        ) => [String(m.id), String(m.symbol)]),
      );
    }
    const s = this.#unified.get(id);
    if (!s) throw new BrokerError("rejected", `unknown symbol ${id}`, { code: "unknown_symbol" });
    return s;
  }

  /** POST /fapi/v1/order with our `newClientOrderId`. */
  async submit(req: OrderRequest): Promise<Order> {
    const sym = await this.#sym(req.symbol);
    const params: Json = { newClientOrderId: req.clientOrderId };
    if (req.reduceOnly) params.reduceOnly = true;
    let type: string = req.type;
    let price: number | undefined;
    if (req.type === "limit") {
      price = req.limitPrice;
      params.timeInForce = req.timeInForce === "ioc" ? "IOC" : "GTC";
    } else if (req.type === "stop") {
      type = "STOP_MARKET";
      params.stopPrice = req.stopPrice;
    } else if (req.type === "stop_limit") {
      type = "STOP";
      price = req.limitPrice;
      params.stopPrice = req.stopPrice;
      params.timeInForce = req.timeInForce === "ioc" ? "IOC" : "GTC";
    }
    this.#symbolOf.set(req.clientOrderId, req.symbol);
    if (req.type === "stop" || req.type === "stop_limit") this.#conditional.add(req.clientOrderId);
    const o: Json = await this.#run(
      "submit",
      () => this.#ex.createOrder(sym, type, req.side, req.qty, price, params),
    );
    return fromBinanceOrder(await this.#enrich(o.info, sym));
  }

  /** For a triggered conditional order, merge in the fill of the order it placed. */
  async #enrich(info: Json, sym: string): Promise<Json> {
    if (info?.algoId === undefined || info.executedQty !== undefined) return info;
    const actual = info.actualOrderId;
    if (actual === undefined || actual === null || actual === "" || String(actual) === "0") {
      return info;
    }
    const o: Json = await this.#run(
      "getTriggeredOrder",
      () => this.#ex.fetchOrder(String(actual), sym),
    );
    return { ...info, executedQty: o.info.executedQty, avgPrice: o.info.avgPrice };
  }

  /** GET /fapi/v1/order by `origClientOrderId`; null when no configured symbol has it. */
  async getOrder(clientOrderId: string): Promise<Order | null> {
    const known = this.#symbolOf.get(clientOrderId);
    const order = known ? [known] : this.#symbols;
    // conditional orders live in the Algo Service: look there first when we know, else second
    const kinds = this.#conditional.has(clientOrderId) ? [true, false] : [false, true];
    for (const s of order) {
      const sym = await this.#sym(s);
      for (const trigger of kinds) {
        try {
          const o: Json = await this.#run(
            "getOrder",
            () =>
              this.#ex.fetchOrder(undefined, sym, {
                origClientOrderId: clientOrderId,
                ...(trigger ? { trigger: true } : {}),
              }),
          );
          this.#symbolOf.set(clientOrderId, s);
          if (trigger) this.#conditional.add(clientOrderId);
          return fromBinanceOrder(await this.#enrich(o.info, sym));
        } catch (e) {
          if (e instanceof BrokerError && e.kind === "not_found") continue;
          throw e;
        }
      }
    }
    return null;
  }

  /** DELETE /fapi/v1/order by `origClientOrderId`. */
  async cancel(clientOrderId: string): Promise<Order> {
    const found = await this.getOrder(clientOrderId);
    if (!found) {
      throw new BrokerError("not_found", `cancel: order ${clientOrderId} not found`, {
        code: -2013,
      });
    }
    const sym = await this.#sym(found.symbol);
    const trigger = this.#conditional.has(clientOrderId);
    const o: Json = await this.#run(
      "cancel",
      () =>
        this.#ex.cancelOrder(undefined, sym, {
          origClientOrderId: clientOrderId,
          ...(trigger ? { trigger: true } : {}),
        }),
    );
    // the algo cancel reply is only {algoId, clientAlgoId, code, msg}: read the order back
    if (trigger) return (await this.getOrder(clientOrderId)) ?? found;
    return fromBinanceOrder(o.info);
  }

  /** Cancel, then a new order for the remaining quantity (not atomic). */
  async replace(clientOrderId: string, changes: ReplaceRequest): Promise<Order> {
    const old = await this.cancel(clientOrderId);
    const rest = (changes.qty ?? old.qty) - old.filledQty;
    if (!(rest > 0)) {
      throw new BrokerError("rejected", `replace: nothing left to work (filled ${old.filledQty})`);
    }
    return await this.submit({
      symbol: old.symbol,
      side: old.side,
      qty: rest,
      type: old.type,
      timeInForce: old.timeInForce,
      limitPrice: changes.limitPrice ?? old.limitPrice,
      stopPrice: changes.stopPrice ?? old.stopPrice,
      reduceOnly: old.reduceOnly,
      clientOrderId: changes.newClientOrderId,
    });
  }

  /** GET /fapi/v1/openOrders (or /allOrders) for each configured symbol. */
  async getOrders(options: { status?: "open" | "all" } = {}): Promise<Order[]> {
    const out: Order[] = [];
    for (const s of this.#symbols) {
      const sym = await this.#sym(s);
      const list: Json[] = await this.#run(
        "getOrders",
        () =>
          (options.status ?? "open") === "open"
            ? this.#ex.fetchOpenOrders(sym)
            : this.#ex.fetchOrders(sym),
      );
      for (const o of list) out.push(fromBinanceOrder(o.info));
      const algo: Json[] = await this.#run(
        "getOrders",
        () =>
          (options.status ?? "open") === "open"
            ? this.#ex.fetchOpenOrders(sym, undefined, undefined, { trigger: true })
            : this.#ex.fetchOrders(sym, undefined, undefined, { trigger: true }),
      );
      for (const o of algo) {
        this.#conditional.add(String(o.info.clientAlgoId));
        out.push(fromBinanceOrder(await this.#enrich(o.info, sym)));
      }
    }
    return out;
  }

  /** GET /fapi/v3/positionRisk (non-zero one-way positions). */
  getPositions(): Promise<Position[]> {
    return this.#run("getPositions", async () => {
      const list: Json[] = await this.#ex.fapiPrivateV3GetPositionRisk();
      return list.filter((p) => num(p.positionAmt) !== 0).map((p) => ({
        symbol: String(p.symbol),
        qty: num(p.positionAmt),
        avgEntryPrice: num(p.entryPrice),
        markPrice: num(p.markPrice),
        unrealizedPnl: num(p.unRealizedProfit),
      }));
    });
  }

  /**
   * GET /fapi/v3/account: equity = `totalMarginBalance`, cash = `totalWalletBalance`,
   * buying power = `availableBalance` (free margin, quote currency).
   */
  getAccount(): Promise<AccountInfo> {
    return this.#run("getAccount", async () => {
      const a: Json = await this.#ex.fapiPrivateV3GetAccount();
      return {
        equity: num(a.totalMarginBalance),
        cash: num(a.totalWalletBalance),
        buyingPower: num(a.availableBalance),
        status: "ACTIVE",
        currency: "USDT",
      };
    });
  }

  /** Futures trade 24/7; the time is the venue's (GET /fapi/v1/time). */
  getClock(): Promise<MarketClock> {
    return this.#run("getClock", async () => {
      const r: Json = await this.#ex.fapiPublicGetTime();
      return { isOpen: true, timeMs: num(r.serverTime), nextOpenMs: null, nextCloseMs: null };
    });
  }
}
