/**
 * A loopback stand-in for Binance USDⓈ-M futures REST — the subset ccxt's `binanceusdm`
 * calls for this adapter, with the documented paths, parameter names, JSON shapes and error
 * bodies `{ code, msg }` — plus fault injection. Requests must carry `X-MBX-APIKEY` and a
 * valid HMAC-SHA256 `signature` (so ccxt's real signing code runs). Test fixture only.
 *
 * Routes: GET /fapi/v1/exchangeInfo, GET /fapi/v1/time, POST|GET|DELETE /fapi/v1/order,
 * GET /fapi/v1/openOrders, GET /fapi/v1/allOrders, GET /fapi/v3/account,
 * GET /fapi/v3/positionRisk, and the Algo Service for conditional orders: POST|GET|DELETE
 * /fapi/v1/algoOrder, GET /fapi/v1/openAlgoOrders, GET /fapi/v1/allAlgoOrders (a trigger
 * places a matching-engine order, recorded as `actualOrderId`).
 *
 * Venue rules modelled: `newClientOrderId` must match `^[\.A-Z\:/a-z0-9_-]{1,36}$` (−1100),
 * unique among OPEN orders (−4116; reusable once the order is closed), margin check at
 * `leverage` (−2019), quantity > 0 (−4003), lookups of unknown orders → −2013.
 *
 * Faults (queued, first matching request): `status` (HTTP status + Binance body, not
 * applied), `unknown` (−1006/−1007 "execution status unknown", optionally applied), `hang`
 * (optionally applied; answers after `ms`), `drop` (applied, connection dropped mid-response,
 * market order filled by `fraction`).
 */

type J = Record<string, unknown>;

/** One injectable fault. */
export type BinanceFault =
  | { kind: "status"; status: number; code?: number; msg?: string; retryAfterS?: number }
  | { kind: "unknown"; code: -1006 | -1007; apply: boolean }
  | { kind: "hang"; ms: number; apply: boolean }
  | { kind: "drop"; fraction?: number };

const OPEN = new Set(["NEW", "PARTIALLY_FILLED"]);
const ALGO_OPEN = new Set(["NEW", "TRIGGERING", "TRIGGERED"]);
const ID_RE = /^[\.A-Z\:/a-z0-9_-]{1,36}$/;

function symbolInfo(symbol: string, base: string): J {
  return {
    symbol,
    pair: symbol,
    contractType: "PERPETUAL",
    deliveryDate: 4133404800000,
    onboardDate: 1569398400000,
    status: "TRADING",
    maintMarginPercent: "2.5000",
    requiredMarginPercent: "5.0000",
    baseAsset: base,
    quoteAsset: "USDT",
    marginAsset: "USDT",
    pricePrecision: 2,
    quantityPrecision: 3,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: "COIN",
    underlyingSubType: [],
    triggerProtect: "0.0500",
    liquidationFee: "0.012500",
    marketTakeBound: "0.05",
    maxMoveOrderLimit: 10000,
    filters: [
      { filterType: "PRICE_FILTER", minPrice: "0.10", maxPrice: "4529764", tickSize: "0.10" },
      { filterType: "LOT_SIZE", minQty: "0.001", maxQty: "1000", stepSize: "0.001" },
      { filterType: "MARKET_LOT_SIZE", minQty: "0.001", maxQty: "120", stepSize: "0.001" },
      { filterType: "MAX_NUM_ORDERS", limit: 200 },
      { filterType: "MAX_NUM_ALGO_ORDERS", limit: 10 },
      { filterType: "MIN_NOTIONAL", notional: "100" },
      {
        filterType: "PERCENT_PRICE",
        multiplierUp: "1.0500",
        multiplierDown: "0.9500",
        multiplierDecimal: "4",
      },
    ],
    orderTypes: [
      "LIMIT",
      "MARKET",
      "STOP",
      "STOP_MARKET",
      "TAKE_PROFIT",
      "TAKE_PROFIT_MARKET",
      "TRAILING_STOP_MARKET",
    ],
    timeInForce: ["GTC", "IOC", "FOK", "GTX"],
  };
}

async function hmacHex(secret: string, payload: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(payload));
  return [...new Uint8Array(sig)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The local Binance USDⓈ-M server. */
export class BinanceServer {
  readonly apiKey = "test-api-key";
  readonly secret = "test-api-secret";
  readonly log: { method: string; path: string; params: Record<string, string> }[] = [];
  readonly orders: J[] = [];
  /** Conditional orders of the Algo Service. */
  readonly algoOrders: J[] = [];
  readonly positions = new Map<string, { amt: number; entry: number }>();
  readonly prices = new Map<string, number>([["BTCUSDT", 50_000], ["ETHUSDT", 3_000]]);
  wallet = 10_000;
  leverage = 5;
  feeRate = 0.0004;
  #faults: { method: string; path: string; fault: BinanceFault }[] = [];
  #seq = 1000;
  #pending = new Set<Promise<unknown>>();
  #server: Deno.HttpServer<Deno.NetAddr>;
  url: string;

  constructor() {
    this.#server = Deno.serve(
      {
        hostname: "127.0.0.1",
        port: 0,
        onListen() {},
        onError: () => new Response(null, { status: 500 }),
      },
      (req) => this.#handle(req),
    );
    this.url = `http://127.0.0.1:${this.#server.addr.port}`;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
    await this.#server.shutdown();
  }

  inject(method: string, path: string, fault: BinanceFault): void {
    this.#faults.push({ method, path, fault });
  }

  count(method: string, path: string): number {
    return this.log.filter((l) => l.method === method && l.path === path).length;
  }

  /** Set the price and work resting orders. */
  setPrice(symbol: string, price: number): void {
    this.prices.set(symbol, price);
    for (const o of this.orders) {
      if (o.symbol !== symbol || !OPEN.has(String(o.status))) continue;
      const buy = o.side === "BUY";
      const rest = Number(o.origQty) - Number(o.executedQty);
      if (o.type === "LIMIT" && (buy ? price <= Number(o.price) : price >= Number(o.price))) {
        this.#fill(o, rest, price);
      } else if (
        (o.type === "STOP_MARKET" || o.type === "STOP") &&
        (buy ? price >= Number(o.stopPrice) : price <= Number(o.stopPrice))
      ) this.#fill(o, rest, price);
    }
    this.#triggerAlgos(symbol, price);
  }

  #triggerAlgos(symbol: string, price: number): void {
    for (const a of this.algoOrders) {
      if (a.symbol !== symbol || a.algoStatus !== "NEW") continue;
      const buy = a.side === "BUY";
      const trig = Number(a.triggerPrice);
      if (!(buy ? price >= trig : price <= trig)) continue;
      const o: J = {
        orderId: ++this.#seq,
        symbol,
        status: "NEW",
        clientOrderId: `algo-${a.algoId}`,
        price: a.orderType === "STOP" ? a.price : "0",
        avgPrice: "0.00",
        origQty: a.quantity,
        executedQty: "0",
        cumQty: "0",
        cumQuote: "0",
        timeInForce: a.timeInForce,
        type: a.orderType === "STOP" ? "LIMIT" : "MARKET",
        reduceOnly: a.reduceOnly,
        side: a.side,
        positionSide: "BOTH",
        stopPrice: "0",
        origType: a.orderType === "STOP" ? "LIMIT" : "MARKET",
        time: this.#t(),
        updateTime: this.#t(),
      };
      this.orders.push(o);
      a.actualOrderId = String(o.orderId);
      a.triggerTime = this.#t();
      a.algoStatus = "TRIGGERED";
      if (o.type === "MARKET" || (buy ? price <= Number(o.price) : price >= Number(o.price))) {
        this.#fill(o, Number(o.origQty), price);
      }
      if (o.status === "FILLED") a.algoStatus = "FINISHED";
    }
  }

  /** Fill the rest of an order at the current price. */
  fillRest(clientOrderId: string): void {
    const o = this.orders.findLast((x) => x.clientOrderId === clientOrderId)!;
    this.#fill(o, Number(o.origQty) - Number(o.executedQty), this.prices.get(String(o.symbol))!);
  }

  #err(status: number, code: number, msg: string, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify({ code, msg }), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });
  }

  async #handle(req: Request): Promise<Response> {
    const u = new URL(req.url);
    const body = req.method === "POST" ? await req.text() : "";
    const raw = req.method === "POST" && body ? body : u.search.slice(1);
    const params = Object.fromEntries(new URLSearchParams(raw));
    this.log.push({ method: req.method, path: u.pathname, params });
    const isPublic = u.pathname === "/fapi/v1/exchangeInfo" || u.pathname === "/fapi/v1/time";
    if (!isPublic) {
      if (req.headers.get("x-mbx-apikey") !== this.apiKey) {
        return this.#err(401, -2015, "Invalid API-key, IP, or permissions for action.");
      }
      const i = raw.lastIndexOf("&signature=");
      const payload = i >= 0 ? raw.slice(0, i) : raw;
      if (!params.signature || (await hmacHex(this.secret, payload)) !== params.signature) {
        return this.#err(400, -1022, "Signature for this request is not valid.");
      }
    }
    const fi = this.#faults.findIndex((f) => f.method === req.method && f.path === u.pathname);
    const fault = fi >= 0 ? this.#faults.splice(fi, 1)[0].fault : null;
    if (fault?.kind === "status") {
      const h: Record<string, string> = {};
      if (fault.retryAfterS !== undefined) h["retry-after"] = String(fault.retryAfterS);
      if (fault.code !== undefined) {
        return this.#err(fault.status, fault.code, fault.msg ?? "error", h);
      }
      return new Response("<html><body>Service Unavailable</body></html>", {
        status: fault.status,
        headers: { "content-type": "text/html", ...h },
      });
    }
    if (fault?.kind === "unknown") {
      if (fault.apply) this.#route(req.method, u.pathname, params, null);
      return fault.code === -1007
        ? this.#err(
          408,
          -1007,
          "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
        )
        : this.#err(
          503,
          -1006,
          "An unexpected response was received from the message bus. Execution status unknown.",
        );
    }
    if (fault?.kind === "hang") {
      const res = fault.apply ? this.#route(req.method, u.pathname, params, null) : null;
      const p = new Promise((r) => setTimeout(r, fault.ms));
      this.#pending.add(p);
      await p;
      this.#pending.delete(p);
      return res ??
        this.#err(503, -1001, "Internal error; unable to process your request. Please try again.");
    }
    const res = this.#route(req.method, u.pathname, params, fault);
    if (fault?.kind === "drop") {
      return new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode('{"orderId":'));
            c.error(new Error("connection dropped by fault injection"));
          },
        }),
        { status: 200, headers: { "content-type": "application/json" } },
      );
    }
    return res;
  }

  #route(
    method: string,
    path: string,
    q: Record<string, string>,
    fault: BinanceFault | null,
  ): Response {
    if (path === "/fapi/v1/exchangeInfo") {
      return Response.json({
        timezone: "UTC",
        serverTime: Date.now(),
        futuresType: "U_MARGINED",
        rateLimits: [
          { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 2400 },
          { rateLimitType: "ORDERS", interval: "MINUTE", intervalNum: 1, limit: 1200 },
        ],
        exchangeFilters: [],
        assets: [{ asset: "USDT", marginAvailable: true, autoAssetExchange: "-10000" }],
        symbols: [symbolInfo("BTCUSDT", "BTC"), symbolInfo("ETHUSDT", "ETH")],
      });
    }
    if (path === "/fapi/v1/time") return Response.json({ serverTime: 1704207600000 });
    if (path === "/fapi/v1/order" && method === "POST") return this.#post(q, fault);
    if (path === "/fapi/v1/order" && (method === "GET" || method === "DELETE")) {
      const o = this.#find(q);
      if (!o) {
        return method === "GET"
          ? this.#err(400, -2013, "Order does not exist.")
          : this.#err(400, -2011, "Unknown order sent.");
      }
      if (method === "DELETE") {
        if (!OPEN.has(String(o.status))) return this.#err(400, -2011, "Unknown order sent.");
        o.status = "CANCELED";
        o.updateTime = this.#t();
      }
      return Response.json(o);
    }
    if (path === "/fapi/v1/openOrders") {
      return Response.json(
        this.orders.filter((o) => o.symbol === q.symbol && OPEN.has(String(o.status))),
      );
    }
    if (path === "/fapi/v1/allOrders") {
      return Response.json(this.orders.filter((o) => o.symbol === q.symbol));
    }
    if (path === "/fapi/v3/account") {
      const upnl = this.#upnl();
      return Response.json({
        totalInitialMargin: String(this.#im()),
        totalMaintMargin: "0",
        totalWalletBalance: String(this.wallet),
        totalUnrealizedProfit: String(upnl),
        totalMarginBalance: String(this.wallet + upnl),
        totalPositionInitialMargin: String(this.#im()),
        totalOpenOrderInitialMargin: "0",
        totalCrossWalletBalance: String(this.wallet),
        totalCrossUnPnl: String(upnl),
        availableBalance: String(this.wallet + upnl - this.#im()),
        maxWithdrawAmount: String(this.wallet + upnl - this.#im()),
        assets: [],
        positions: [],
      });
    }
    if (path === "/fapi/v3/positionRisk") {
      return Response.json(
        [...this.positions].filter(([, p]) => p.amt !== 0).map(([s, p]) => {
          const mark = this.prices.get(s)!;
          return {
            symbol: s,
            positionSide: "BOTH",
            positionAmt: String(p.amt),
            entryPrice: String(p.entry),
            breakEvenPrice: String(p.entry),
            markPrice: String(mark),
            unRealizedProfit: String(p.amt * (mark - p.entry)),
            liquidationPrice: "0",
            isolatedMargin: "0",
            notional: String(p.amt * mark),
            marginAsset: "USDT",
            isolatedWallet: "0",
            initialMargin: String(Math.abs(p.amt * mark) / this.leverage),
            maintMargin: "0",
            positionInitialMargin: String(Math.abs(p.amt * mark) / this.leverage),
            openOrderInitialMargin: "0",
            adl: 0,
            bidNotional: "0",
            askNotional: "0",
            updateTime: this.#t(),
          };
        }),
      );
    }
    if (path === "/fapi/v1/algoOrder" && method === "POST") return this.#postAlgo(q);
    if (path === "/fapi/v1/algoOrder") {
      const a = this.algoOrders.findLast((x) =>
        x.symbol === q.symbol &&
        (q.algoId ? String(x.algoId) === q.algoId : x.clientAlgoId === q.clientAlgoId)
      );
      if (!a) {
        return method === "GET"
          ? this.#err(400, -2013, "Order does not exist.")
          : this.#err(400, -2011, "Unknown order sent.");
      }
      if (method === "DELETE") {
        if (!ALGO_OPEN.has(String(a.algoStatus))) {
          return this.#err(400, -2011, "Unknown order sent.");
        }
        a.algoStatus = "CANCELED";
        a.updateTime = this.#t();
        return Response.json({
          algoId: a.algoId,
          clientAlgoId: a.clientAlgoId,
          code: "200",
          msg: "success",
        });
      }
      return Response.json(a);
    }
    if (path === "/fapi/v1/openAlgoOrders") {
      return Response.json(
        this.algoOrders.filter((a) => a.symbol === q.symbol && ALGO_OPEN.has(String(a.algoStatus))),
      );
    }
    if (path === "/fapi/v1/allAlgoOrders") {
      return Response.json(this.algoOrders.filter((a) => a.symbol === q.symbol));
    }
    return this.#err(404, -1000, `route not found: ${method} ${path}`);
  }

  #postAlgo(q: Record<string, string>): Response {
    const cid = q.clientAlgoId ?? `x-algo-${this.#seq}`;
    if (!ID_RE.test(cid)) {
      return this.#err(400, -1100, "Illegal characters found in parameter 'clientAlgoId'.");
    }
    if (
      this.algoOrders.some((a) => a.clientAlgoId === cid && ALGO_OPEN.has(String(a.algoStatus)))
    ) {
      return this.#err(400, -4116, "ClientOrderId is duplicated.");
    }
    if (q.algoType !== "CONDITIONAL") {
      return this.#err(400, -1102, "Mandatory parameter 'algoType' was not sent.");
    }
    if (!(Number(q.quantity) > 0)) {
      return this.#err(400, -4003, "Quantity less than or equal to zero.");
    }
    if (!(Number(q.triggerPrice) > 0)) {
      return this.#err(400, -1102, "Mandatory parameter 'triggerPrice' was not sent.");
    }
    const a: J = {
      algoId: ++this.#seq,
      clientAlgoId: cid,
      algoType: "CONDITIONAL",
      orderType: q.type,
      symbol: q.symbol,
      side: q.side,
      positionSide: "BOTH",
      timeInForce: q.timeInForce ?? "GTC",
      quantity: q.quantity,
      algoStatus: "NEW",
      triggerPrice: q.triggerPrice,
      price: q.price ?? "0.00",
      icebergQuantity: null,
      selfTradePreventionMode: "EXPIRE_MAKER",
      workingType: "CONTRACT_PRICE",
      priceMatch: "NONE",
      closePosition: false,
      priceProtect: false,
      reduceOnly: q.reduceOnly === "true",
      createTime: this.#t(),
      updateTime: this.#t(),
      triggerTime: 0,
      goodTillDate: 0,
    };
    this.algoOrders.push(a);
    return Response.json(a);
  }

  #t(): number {
    return 1704207600000 + this.#seq;
  }

  #upnl(): number {
    let u = 0;
    for (const [s, p] of this.positions) u += p.amt * (this.prices.get(s)! - p.entry);
    return u;
  }

  #im(): number {
    let m = 0;
    for (const [s, p] of this.positions) m += Math.abs(p.amt * this.prices.get(s)!) / this.leverage;
    return m;
  }

  #find(q: Record<string, string>): J | undefined {
    if (q.orderId) {
      return this.orders.find((o) => String(o.orderId) === q.orderId && o.symbol === q.symbol);
    }
    return this.orders.findLast((o) =>
      o.clientOrderId === q.origClientOrderId && o.symbol === q.symbol
    );
  }

  #post(q: Record<string, string>, fault: BinanceFault | null): Response {
    const qty = Number(q.quantity);
    const cid = q.newClientOrderId ?? `x-auto-${this.#seq}`;
    if (!ID_RE.test(cid)) {
      return this.#err(
        400,
        -1100,
        "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.",
      );
    }
    if (this.orders.some((o) => o.clientOrderId === cid && OPEN.has(String(o.status)))) {
      return this.#err(400, -4116, "ClientOrderId is duplicated.");
    }
    if (!(qty > 0)) return this.#err(400, -4003, "Quantity less than or equal to zero.");
    const sym = q.symbol;
    const px = this.prices.get(sym);
    if (px === undefined) return this.#err(400, -1121, "Invalid symbol.");
    const sign = q.side === "BUY" ? 1 : -1;
    const amt = this.positions.get(sym)?.amt ?? 0;
    const opening = Math.max(0, sign > 0 ? qty - Math.max(0, -amt) : qty - Math.max(0, amt));
    if (q.type === "LIMIT" && q.side === "BUY" && Number(q.price) > px * 1.05) {
      return this.#err(400, -4016, `Limit price can't be higher than ${(px * 1.05).toFixed(2)}.`);
    }
    if (q.type === "LIMIT" && q.side === "SELL" && Number(q.price) < px * 0.95) {
      return this.#err(400, -4024, `Limit price can't be lower than ${(px * 0.95).toFixed(2)}.`);
    }
    const ref = q.price ? Number(q.price) : px;
    if (opening * ref / this.leverage > this.wallet + this.#upnl() - this.#im()) {
      return this.#err(400, -2019, "Margin is insufficient.");
    }
    const o: J = {
      orderId: ++this.#seq,
      symbol: sym,
      status: "NEW",
      clientOrderId: cid,
      price: q.price ?? "0",
      avgPrice: "0.00",
      origQty: String(qty),
      executedQty: "0",
      cumQty: "0",
      cumQuote: "0",
      timeInForce: q.timeInForce ?? "GTC",
      type: q.type,
      reduceOnly: q.reduceOnly === "true",
      closePosition: false,
      side: q.side,
      positionSide: "BOTH",
      stopPrice: q.stopPrice ?? "0",
      workingType: "CONTRACT_PRICE",
      priceProtect: false,
      origType: q.type,
      priceMatch: "NONE",
      selfTradePreventionMode: "NONE",
      goodTillDate: 0,
      time: this.#t(),
      updateTime: this.#t(),
    };
    this.orders.push(o);
    if (q.type === "MARKET") {
      const f = fault?.kind === "drop" ? fault.fraction ?? 1 : 1;
      this.#fill(o, qty * f, px);
    } else this.setPrice(sym, px);
    return Response.json(o);
  }

  #fill(o: J, qty: number, price: number): void {
    if (!(qty > 0)) return;
    const sym = String(o.symbol);
    const sign = o.side === "BUY" ? 1 : -1;
    const prev = Number(o.executedQty);
    const ex = prev + qty;
    o.avgPrice = String(prev === 0 ? price : (Number(o.avgPrice) * prev + price * qty) / ex);
    o.executedQty = String(ex);
    o.cumQty = String(ex);
    o.cumQuote = String(Number(o.cumQuote) + qty * price);
    o.status = ex >= Number(o.origQty) ? "FILLED" : "PARTIALLY_FILLED";
    o.updateTime = this.#t();
    const p = this.positions.get(sym) ?? { amt: 0, entry: 0 };
    const closing = p.amt !== 0 && Math.sign(p.amt) !== sign ? Math.min(qty, Math.abs(p.amt)) : 0;
    this.wallet += closing * (price - p.entry) * Math.sign(p.amt) - this.feeRate * qty * price;
    const na = p.amt + sign * qty;
    if (p.amt === 0 || Math.sign(p.amt) === sign) {
      p.entry = (p.entry * Math.abs(p.amt) + price * qty) / Math.abs(na);
    } else if (na !== 0 && Math.sign(na) !== Math.sign(p.amt)) p.entry = price;
    p.amt = na;
    this.positions.set(sym, p);
  }
}
