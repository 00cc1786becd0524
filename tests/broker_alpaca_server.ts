/**
 * A loopback stand-in for Alpaca's Trading API v2 and market-data v2 — the subset the
 * adapter uses, with the documented paths, snake_case JSON shapes, status codes and error
 * envelope `{ code, message }` — plus fault injection. Test fixture only.
 *
 * Routes: GET /v2/account, GET /v2/clock, POST /v2/orders, GET /v2/orders,
 * GET /v2/orders:by_client_order_id, GET|DELETE|PATCH /v2/orders/{id}, GET /v2/positions,
 * GET /v2/stocks/bars.
 *
 * Faults (queued, each consumed by the first matching request):
 * - `status`: answer with an HTTP status (429 with Retry-After, 500, 503, …) WITHOUT applying;
 * - `hang`: optionally apply, then answer only after `ms` (the client times out first);
 * - `drop`: apply (a market order filling `fraction` of its quantity, default all), then drop
 *   the connection mid-response ("accepted but the response lost");
 * - `partial`: a market order fills only `fraction` of its quantity now;
 * - `garbage`: apply, then answer 200 with an unparseable body.
 */

type J = Record<string, unknown>;

/** One injectable fault. */
export type AlpacaFault =
  | { kind: "status"; status: number; retryAfterS?: number; body?: J }
  | { kind: "hang"; ms: number; apply: boolean }
  | { kind: "drop"; fraction?: number }
  | { kind: "partial"; fraction: number }
  | { kind: "garbage" };

interface Logged {
  method: string;
  path: string;
  query: string;
  body: string;
}

const TERMINAL = new Set(["filled", "canceled", "expired", "rejected", "replaced"]);

/** The local Alpaca server. */
export class AlpacaServer {
  readonly keyId = "test-key-id";
  readonly secret = "test-secret";
  readonly log: Logged[] = [];
  readonly orders = new Map<string, J>();
  readonly byClient = new Map<string, string>();
  readonly positions = new Map<string, { qty: number; avg: number }>();
  readonly prices = new Map<string, number>();
  readonly bars = new Map<string, J[]>();
  cash = 100_000;
  pageSize = 1000;
  #faults: { method: string; path: string; fault: AlpacaFault }[] = [];
  #seq = 0;
  #server: Deno.HttpServer<Deno.NetAddr>;
  #pending = new Set<Promise<unknown>>();
  url: string;

  constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) => this.#handle(req),
    );
    this.url = `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Stop the server (waits for in-flight hangs). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
    await this.#server.shutdown();
  }

  /** Queue a fault for the next request matching `method` and path prefix. */
  inject(method: string, path: string, fault: AlpacaFault): void {
    this.#faults.push({ method, path, fault });
  }

  /** Requests seen for `method path-prefix`. */
  count(method: string, path: string): number {
    return this.log.filter((l) => l.method === method && l.path.startsWith(path)).length;
  }

  /** Set the trade price of a symbol and work resting orders against it. */
  setPrice(symbol: string, price: number): void {
    this.prices.set(symbol, price);
    this.#work(symbol);
  }

  /** Fill the rest of an order now at the current price (a later fill). */
  fillRest(clientOrderId: string): void {
    const o = this.orders.get(this.byClient.get(clientOrderId)!)!;
    const rest = Number(o.qty) - Number(o.filled_qty);
    if (rest > 0) this.#fill(o, rest, this.prices.get(String(o.symbol))!);
  }

  equity(): number {
    let e = this.cash;
    for (const [s, p] of this.positions) e += p.qty * (this.prices.get(s) ?? p.avg);
    return e;
  }

  #now(): string {
    return new Date(Date.UTC(2024, 0, 2, 15, 0, 0) + this.#seq * 1000).toISOString();
  }

  #err(status: number, code: number, message: string, headers: HeadersInit = {}): Response {
    return new Response(JSON.stringify({ code, message }), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });
  }

  #take(method: string, path: string): AlpacaFault | null {
    const i = this.#faults.findIndex((f) => f.method === method && path.startsWith(f.path));
    if (i < 0) return null;
    return this.#faults.splice(i, 1)[0].fault;
  }

  async #handle(req: Request): Promise<Response> {
    const u = new URL(req.url);
    const body = req.method === "POST" || req.method === "PATCH" ? await req.text() : "";
    this.log.push({ method: req.method, path: u.pathname, query: u.search, body });
    if (
      req.headers.get("apca-api-key-id") !== this.keyId ||
      req.headers.get("apca-api-secret-key") !== this.secret
    ) {
      return this.#err(401, 40110000, "request is not authorized");
    }
    const fault = this.#take(req.method, u.pathname);
    if (fault?.kind === "status") {
      const h: Record<string, string> = {};
      if (fault.retryAfterS !== undefined) h["retry-after"] = String(fault.retryAfterS);
      if (fault.status === 429) return this.#err(429, 42910000, "rate limit exceeded", h);
      return new Response(JSON.stringify(fault.body ?? { message: "internal server error" }), {
        status: fault.status,
        headers: { "content-type": "application/json", ...h },
      });
    }
    const apply = () => this.#route(req.method, u, body, fault);
    if (fault?.kind === "hang") {
      const res = fault.apply ? apply() : null;
      const p = new Promise((r) => setTimeout(r, fault.ms));
      this.#pending.add(p);
      await p;
      this.#pending.delete(p);
      return res ?? this.#err(504, 50400000, "gateway timeout");
    }
    const res = apply();
    if (fault?.kind === "garbage") {
      return new Response("<html>upstream proxy error", {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    }
    if (fault?.kind === "drop") {
      // headers go out, then the body stream fails: the client loses the response
      return new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode('{"id":'));
            c.error(new Error("connection dropped by fault injection"));
          },
        }),
        { status: 200, headers: { "content-type": "application/json" } },
      );
    }
    return res;
  }

  #route(method: string, u: URL, body: string, fault: AlpacaFault | null): Response {
    const p = u.pathname;
    if (method === "GET" && p === "/v2/account") {
      const eq = this.equity();
      let gross = 0;
      for (const [s, x] of this.positions) gross += Math.abs(x.qty * (this.prices.get(s) ?? x.avg));
      return Response.json({
        id: "acct-1",
        account_number: "PA0000001",
        status: "ACTIVE",
        currency: "USD",
        cash: String(this.cash),
        equity: String(eq),
        portfolio_value: String(eq),
        buying_power: String(Math.max(0, 2 * eq - gross)),
        pattern_day_trader: false,
        trading_blocked: false,
      });
    }
    if (method === "GET" && p === "/v2/clock") {
      return Response.json({
        timestamp: "2024-01-02T15:00:00-05:00",
        is_open: true,
        next_open: "2024-01-03T09:30:00-05:00",
        next_close: "2024-01-02T16:00:00-05:00",
      });
    }
    if (method === "GET" && p === "/v2/positions") {
      return Response.json(
        [...this.positions].filter(([, x]) => x.qty !== 0).map(([s, x]) => {
          const px = this.prices.get(s) ?? x.avg;
          return {
            asset_id: `asset-${s}`,
            symbol: s,
            exchange: "ARCA",
            asset_class: "us_equity",
            qty: String(Math.abs(x.qty)),
            side: x.qty > 0 ? "long" : "short",
            avg_entry_price: String(x.avg),
            current_price: String(px),
            market_value: String(x.qty * px),
            unrealized_pl: String(x.qty * (px - x.avg)),
          };
        }),
      );
    }
    if (method === "POST" && p === "/v2/orders") return this.#post(JSON.parse(body), fault);
    if (method === "GET" && p === "/v2/orders:by_client_order_id") {
      const id = this.byClient.get(u.searchParams.get("client_order_id") ?? "");
      if (!id) return this.#err(404, 40410000, "order not found");
      return Response.json(this.#view(this.orders.get(id)!, true));
    }
    if (method === "GET" && p === "/v2/orders") {
      const status = u.searchParams.get("status") ?? "open";
      const nested = u.searchParams.get("nested") === "true";
      const list = [...this.orders.values()].filter((o) =>
        (status === "all" || (status === "open") !== TERMINAL.has(String(o.status))) &&
        (!nested || !o.parent_id)
      );
      return Response.json(list.map((o) => this.#view(o, nested)));
    }
    const m = p.match(/^\/v2\/orders\/([^/]+)$/);
    if (m) {
      const o = this.orders.get(m[1]);
      if (!o) return this.#err(404, 40410000, "order not found");
      if (method === "GET") return Response.json(this.#view(o, true));
      if (method === "DELETE") {
        if (TERMINAL.has(String(o.status))) {
          return this.#err(422, 42210000, "order is not cancelable");
        }
        this.#cancelGroup(o);
        return new Response(null, { status: 204 });
      }
      if (method === "PATCH") {
        if (TERMINAL.has(String(o.status))) {
          return this.#err(422, 42210000, "order is not replaceable");
        }
        const b = JSON.parse(body);
        if (b.client_order_id && this.byClient.has(b.client_order_id)) {
          return this.#err(422, 40010001, "client_order_id must be unique");
        }
        o.status = "replaced";
        const n = this.#create({
          symbol: o.symbol,
          qty: b.qty ?? o.qty,
          side: o.side,
          type: o.type,
          time_in_force: o.time_in_force,
          limit_price: b.limit_price ?? o.limit_price,
          stop_price: b.stop_price ?? o.stop_price,
          client_order_id: b.client_order_id ?? crypto.randomUUID(),
        });
        o.replaced_by = n.id;
        this.#work(String(n.symbol));
        return Response.json(this.#view(n, true));
      }
    }
    if (method === "GET" && p === "/v2/stocks/bars") {
      const sym = u.searchParams.get("symbols") ?? "";
      const all = this.bars.get(sym) ?? [];
      const start = Number(u.searchParams.get("page_token") ?? 0);
      const page = all.slice(start, start + this.pageSize);
      const next = start + this.pageSize < all.length ? String(start + this.pageSize) : null;
      return Response.json({ bars: { [sym]: page }, next_page_token: next });
    }
    return this.#err(404, 40410000, `route not found: ${method} ${p}`);
  }

  #post(b: J, fault: AlpacaFault | null): Response {
    const qty = Number(b.qty);
    const cid = String(b.client_order_id ?? crypto.randomUUID());
    if (!(qty > 0)) return this.#err(422, 40010001, "qty must be > 0");
    if (cid.length > 48) {
      return this.#err(422, 40010001, "client_order_id must be no more than 48 characters");
    }
    if (this.byClient.has(cid)) return this.#err(422, 40010001, "client_order_id must be unique");
    const cls = String(b.order_class ?? "simple");
    if (/^[A-Z]{1,6}\d{6}[CP]\d{8}$/.test(String(b.symbol)) && cls !== "simple" && cls !== "mleg") {
      return this.#err(422, 40010001, "complex orders are not supported for options");
    }
    if (cls === "bracket" && (!b.take_profit || !b.stop_loss)) {
      return this.#err(422, 40010001, "bracket orders must specify both take_profit and stop_loss");
    }
    const sym = String(b.symbol);
    const px = this.prices.get(sym);
    if (px === undefined) return this.#err(422, 40010001, `asset "${sym}" not found`);
    const sign = b.side === "buy" ? 1 : -1;
    const pos = this.positions.get(sym)?.qty ?? 0;
    const opening = Math.max(0, sign > 0 ? qty - Math.max(0, -pos) : qty - Math.max(0, pos));
    const ref = b.limit_price ? Number(b.limit_price) : px;
    const eq = this.equity();
    let gross = 0;
    for (const [s, x] of this.positions) gross += Math.abs(x.qty * (this.prices.get(s) ?? x.avg));
    if (cls !== "oco" && opening * ref > Math.max(0, 2 * eq - gross)) {
      return this.#err(403, 40310000, "insufficient buying power");
    }
    const o = this.#create(b);
    if (cls === "bracket" || cls === "oco") {
      const exit = cls === "bracket" ? (b.side === "buy" ? "sell" : "buy") : b.side;
      const legs: J[] = [];
      const tp = b.take_profit as J, sl = b.stop_loss as J;
      if (cls === "bracket") {
        legs.push(this.#create(
          {
            symbol: sym,
            qty: b.qty,
            side: exit,
            type: "limit",
            time_in_force: b.time_in_force,
            limit_price: tp.limit_price,
            client_order_id: crypto.randomUUID(),
          },
          o.id as string,
          "held",
        ));
      }
      legs.push(this.#create(
        {
          symbol: sym,
          qty: b.qty,
          side: exit,
          type: sl.limit_price ? "stop_limit" : "stop",
          time_in_force: b.time_in_force,
          stop_price: sl.stop_price,
          limit_price: sl.limit_price,
          client_order_id: crypto.randomUUID(),
        },
        o.id as string,
        cls === "bracket" ? "held" : "new",
      ));
      o.legs = legs.map((l) => l.id);
      if (cls === "oco") o.limit_price = tp.limit_price;
    }
    if (o.type === "market") {
      const f = fault?.kind === "partial" || fault?.kind === "drop" ? fault.fraction ?? 1 : 1;
      this.#fill(o, qty * f, px);
    } else this.#work(sym);
    return Response.json(this.#view(o, true));
  }

  #create(b: J, parentId?: string, status = "new"): J {
    const id = `ord-${++this.#seq}`;
    const o: J = {
      id,
      client_order_id: b.client_order_id,
      created_at: this.#now(),
      updated_at: this.#now(),
      submitted_at: this.#now(),
      filled_at: null,
      asset_class: /^[A-Z]{1,6}\d{6}[CP]\d{8}$/.test(String(b.symbol)) ? "us_option" : "us_equity",
      symbol: b.symbol,
      qty: String(b.qty),
      filled_qty: "0",
      filled_avg_price: null,
      order_class: b.order_class ?? "simple",
      order_type: b.type,
      type: b.type,
      side: b.side,
      time_in_force: b.time_in_force,
      limit_price: b.limit_price ?? null,
      stop_price: b.stop_price ?? null,
      trail_percent: b.trail_percent ?? null,
      status,
      extended_hours: false,
      legs: null,
      parent_id: parentId ?? null,
    };
    this.orders.set(id, o);
    this.byClient.set(String(b.client_order_id), id);
    return o;
  }

  #view(o: J, nested: boolean): J {
    const legs = Array.isArray(o.legs) && nested
      ? (o.legs as string[]).map((id) => this.#view(this.orders.get(id)!, false))
      : null;
    const { parent_id: _p, ...rest } = o;
    return { ...rest, legs };
  }

  #fill(o: J, qty: number, price: number): void {
    const sym = String(o.symbol);
    const sign = o.side === "buy" ? 1 : -1;
    const prev = Number(o.filled_qty);
    const filled = prev + qty;
    o.filled_avg_price = String(
      prev === 0 ? price : (Number(o.filled_avg_price) * prev + price * qty) / filled,
    );
    o.filled_qty = String(filled);
    o.status = filled >= Number(o.qty) ? "filled" : "partially_filled";
    o.updated_at = this.#now();
    const p = this.positions.get(sym) ?? { qty: 0, avg: 0 };
    const nq = p.qty + sign * qty;
    if (p.qty === 0 || Math.sign(p.qty) === sign) {
      p.avg = (p.avg * Math.abs(p.qty) + price * qty) / Math.abs(nq);
    } else if (Math.sign(nq) !== Math.sign(p.qty) && nq !== 0) p.avg = price;
    p.qty = nq;
    this.positions.set(sym, p);
    this.cash -= sign * qty * price;
    // linked orders
    if (o.status === "filled" && Array.isArray(o.legs) && o.order_class === "bracket") {
      for (const id of o.legs as string[]) {
        const l = this.orders.get(id)!;
        if (l.status === "held") l.status = "new";
      }
    }
    if (o.parent_id || (o.order_class === "oco" && Array.isArray(o.legs))) {
      for (const s of this.#siblings(o)) {
        if (TERMINAL.has(String(s.status))) continue;
        if (o.status === "filled") s.status = "canceled";
        else s.qty = String(Number(o.qty) - filled);
      }
    }
  }

  #siblings(o: J): J[] {
    if (o.order_class === "oco" && !o.parent_id) {
      return (o.legs as string[]).map((id) => this.orders.get(id)!);
    }
    const parent = this.orders.get(String(o.parent_id))!;
    const group = parent.order_class === "oco"
      ? [parent, ...(parent.legs as string[]).map((id) => this.orders.get(id)!)]
      : (parent.legs as string[]).map((id) => this.orders.get(id)!);
    return group.filter((x) => x.id !== o.id);
  }

  #cancelGroup(o: J): void {
    const root = o.parent_id ? this.orders.get(String(o.parent_id))! : o;
    for (
      const x of [
        root,
        ...((root.legs as string[] | null) ?? []).map((id) => this.orders.get(id)!),
      ]
    ) {
      if (!TERMINAL.has(String(x.status))) x.status = "canceled";
    }
  }

  /** Work resting limit/stop orders of `sym` against its current price. */
  #work(sym: string): void {
    const px = this.prices.get(sym)!;
    for (const o of [...this.orders.values()]) {
      if (o.symbol !== sym || TERMINAL.has(String(o.status)) || o.status === "held") continue;
      const buy = o.side === "buy";
      const rest = Number(o.qty) - Number(o.filled_qty);
      if (!(rest > 0)) continue;
      if (o.type === "limit") {
        const L = Number(o.limit_price);
        if (buy ? px <= L : px >= L) this.#fill(o, rest, px);
      } else if (o.type === "stop" || o.type === "stop_limit") {
        const S = Number(o.stop_price);
        if (buy ? px >= S : px <= S) this.#fill(o, rest, px);
      }
    }
  }
}
