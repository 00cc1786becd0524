/**
 * The paper broker: a {@link Broker} whose fills and money come from `lib/trading`'s
 * {@link Account} — the same fee, slippage, funding, margin and liquidation rules as the RL
 * env and the backtest, so a policy's paper results compare with its backtest to the cent.
 *
 * ## Accounts
 * `Account` models ONE instrument, so each symbol is its own sub-account with the trading
 * config's `initialBalance` (isolated). The broker's equity, cash and buying power are the
 * sums over the sub-accounts.
 *
 * ## Fills (bars drive time; feed them with {@link PaperBroker.onBar})
 * - **Market orders** fill on submission at the symbol's current mark (the last bar's close,
 *   the env's convention: a decision on bar t's close fills at that close) moved against the
 *   trader by `slippage` — exactly `Account`'s fill. A remainder left by the participation cap
 *   fills at the next bars' opens (with slippage).
 * - **Limit orders** fill only when the price trades THROUGH the limit (buy: bar low < limit;
 *   sell: high > limit), at the limit or the open if the bar gapped through it, with no extra
 *   slippage. A limit that is marketable on submission (buy limit ≥ the slipped mark, sell
 *   limit ≤ it) fills at once like a market order. Implementation: the account is marked at
 *   `price / (1 ± slippage)` so `Account`'s slipped fill lands exactly on the price.
 * - **Stops** trigger when the bar reaches the stop (buy: high ≥ stop; sell: low ≤ stop) and
 *   fill at the stop (or the open on a gap) with slippage. A **stop-limit** becomes a limit at
 *   its trigger (filling in the same bar when the trigger price is within the limit).
 *   **Trailing stops** trail the best price since submission by `trailFraction`, checked
 *   against the previous extreme before the bar updates it.
 * - **Bar order of events** (the env's, with resting orders first): resting orders in
 *   submission order against the bar's open/high/low → liquidation check (`Account.
 *   liquidateIfCrossed`) → funding settlement at the close (when the bar carries a rate) → mark
 *   at the close → IOC remainders cancelled.
 * - **Quotes** ({@link PaperBroker.onQuote}), when given, replace the bar prices until the
 *   next bar: buys execute at the ask, sells at the bid, exactly (the spread is the cost).
 * - **Partial fills**: with `participation` set, each bar lets orders fill at most
 *   `participation × bar volume` (shared in submission order); the rest keeps working.
 * - **Brackets**: the take-profit (limit) and stop-loss (stop) legs activate when the entry is
 *   completely filled (or, if the entry ends early, for its filled quantity); they are an OCO.
 *   **OCO**: two exit legs; a fill of one shrinks the other to the same remainder and its
 *   completion cancels the other. Cancelling any order of a group cancels the group.
 * - **Time in force**: `ioc` remainders are cancelled at the end of the bar (or at once on
 *   submission); `day` orders expire when a bar of a later UTC date arrives; `gtc` stays.
 * - **Refusals**: a reduction that would leave a position below the minimum size
 *   (`minNotional`, `minQty`) is refused (close all of it instead); an opening fill the
 *   account refuses (margin, minimum size) rejects the order. Reduce-only orders never open.
 *
 * @module
 */
import { Account } from "../trading/mod.ts";
import type { TradingConfig } from "../trading/mod.ts";
import { ConfigError } from "../util/mod.ts";
import { validateRequest } from "./constraints.ts";
import {
  type AccountInfo,
  type Broker,
  BrokerError,
  type Fill,
  isTerminal,
  type MarketClock,
  newOrder,
  type Order,
  type OrderRequest,
  type Position,
  type ReplaceRequest,
  transition,
} from "./types.ts";

/** One bar of one symbol. */
export interface PaperBar {
  /** Bar open time, UTC ms. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Volume in instrument units (for the participation cap). */
  volume?: number;
  /** Funding rate settled at this bar's close (fraction; NaN/undefined = none). */
  fundingRate?: number;
  /** Bar index stamped on ledger trades (default: a per-symbol counter from 0). */
  index?: number;
}

/** A best bid/ask of one symbol. */
export interface PaperQuote {
  /** Quote time, UTC ms. */
  time: number;
  bid: number;
  ask: number;
}

/** A fill as logged by the paper broker. */
export interface PaperFill extends Fill {
  clientOrderId: string;
  symbol: string;
  side: "buy" | "sell";
}

/** Options of {@link PaperBroker}. */
export interface PaperBrokerOptions {
  /** Symbols traded; each gets an isolated sub-account. */
  symbols: string[];
  /** Trading rules (fees, slippage, leverage, …) for every sub-account. */
  trading?: Partial<TradingConfig>;
  /**
   * Maximum fraction of a bar's volume orders may fill in that bar (0 < p ≤ 1); undefined =
   * no cap. Bars without volume impose no cap.
   */
  participation?: number;
  /** Quote currency for {@link AccountInfo.currency}. Default `USDT`. */
  currency?: string;
  /** Called after every fill. */
  onFill?: (fill: PaperFill, order: Order) => void;
}

interface SymbolState {
  acct: Account;
  index: number;
  last: PaperBar | null;
  /** The latest quote, when it is newer than the last bar (null after a bar). */
  quote: PaperQuote | null;
  capacity: number;
}

/** The paper broker (see the module docs for the fill rules). */
export class PaperBroker implements Broker {
  /** Always `paper`. */
  readonly venue = "paper" as const;
  /** Every fill, in order. */
  readonly fills: PaperFill[] = [];
  readonly #syms = new Map<string, SymbolState>();
  readonly #orders = new Map<string, Order>();
  /** Working orders (incl. held legs) in submission order. */
  #working: Order[] = [];
  readonly #held = new Set<string>();
  readonly #siblings = new Map<string, string[]>();
  readonly #extreme = new Map<string, number>();
  readonly #triggered = new Set<string>();
  readonly #participation: number;
  readonly #currency: string;
  readonly #onFill?: (fill: PaperFill, order: Order) => void;
  #now = 0;

  constructor(options: PaperBrokerOptions) {
    if (!Array.isArray(options.symbols) || options.symbols.length === 0) {
      throw new ConfigError("PaperBroker needs at least one symbol", { parameter: "symbols" });
    }
    const p = options.participation;
    if (p !== undefined && !(p > 0 && p <= 1)) {
      throw new ConfigError(`participation must be in (0, 1], got ${p}`, {
        parameter: "participation",
      }, "a fraction of each bar's volume");
    }
    this.#participation = p ?? Infinity;
    this.#currency = options.currency ?? "USDT";
    this.#onFill = options.onFill;
    for (const s of options.symbols) {
      this.#syms.set(s, {
        acct: new Account(options.trading ?? {}),
        index: -1,
        last: null,
        quote: null,
        capacity: Infinity,
      });
    }
  }

  /** The sub-account of `symbol` (read it; trading goes through orders). */
  account(symbol: string): Account {
    return this.#sym(symbol).acct;
  }

  /** Current broker time: the latest bar time seen, UTC ms. */
  get now(): number {
    return this.#now;
  }

  #sym(symbol: string): SymbolState {
    const s = this.#syms.get(symbol);
    if (!s) {
      throw new BrokerError("rejected", `unknown symbol ${symbol}`, { code: "unknown_symbol" });
    }
    return s;
  }

  // ------------------------------------------------------------------ bars

  /** Feed the next bar of `symbol` (see the module docs for the order of events). */
  onBar(symbol: string, bar: PaperBar): void {
    const s = this.#sym(symbol);
    for (const k of ["open", "high", "low", "close"] as const) {
      if (!(bar[k] > 0)) {
        throw new ConfigError(`bar ${k} must be a positive price, got ${bar[k]}`, {
          parameter: `bar.${k}`,
        });
      }
    }
    const prevDay = s.last ? Math.floor(s.last.time / 86_400_000) : null;
    s.index = bar.index ?? s.index + 1;
    s.last = bar;
    s.quote = null;
    if (bar.time > this.#now) this.#now = bar.time;
    const a = s.acct;
    a.setClock(s.index, bar.time);
    s.capacity = this.#participation === Infinity || !(bar.volume! >= 0)
      ? Infinity
      : this.#participation * bar.volume!;
    const day = Math.floor(bar.time / 86_400_000);
    for (const o of [...this.#working]) {
      if (o.symbol !== symbol || isTerminal(o.state)) continue;
      if (prevDay !== null && day > prevDay && o.timeInForce === "day") {
        this.#finish(o, "expired", "day order expired");
        continue;
      }
      if (this.#held.has(o.clientOrderId)) continue;
      this.#work(o, s, bar);
    }
    // the env's bar sequence: liquidation, funding at the close, mark
    if (a.direction !== 0) {
      const liquidated = a.liquidateIfCrossed(bar.high, bar.low);
      if (liquidated) {
        for (const o of [...this.#working]) {
          if (o.symbol === symbol && o.parentClientOrderId !== undefined && !isTerminal(o.state)) {
            this.#finish(o, "canceled", "position liquidated");
          }
        }
      } else {
        const rate = bar.fundingRate;
        if (rate !== undefined && rate === rate) {
          a.mark(bar.close);
          a.applyFunding(rate);
        }
      }
    }
    a.mark(bar.close);
    for (const o of [...this.#working]) {
      if (o.symbol === symbol && o.timeInForce === "ioc" && !isTerminal(o.state)) {
        this.#finish(o, "canceled", "ioc remainder cancelled");
      }
    }
    this.#prune();
  }

  /**
   * Feed a quote of `symbol`: working orders execute at the quote (buys at the ask, sells at
   * the bid — the spread is the cost, no extra slippage): market orders at once, limits when
   * the quote crosses them (buy: ask ≤ limit), stops when it reaches them (buy: ask ≥ stop;
   * sell: bid ≤ stop). The account is then marked at the mid. Until the next bar, market and
   * marketable limit orders submitted fill at this quote. No size cap (quotes carry no size
   * here); liquidation and funding are checked on bars only.
   */
  onQuote(symbol: string, quote: PaperQuote): void {
    const s = this.#sym(symbol);
    if (!(quote.bid > 0 && quote.ask >= quote.bid)) {
      throw new ConfigError(`quote needs 0 < bid ≤ ask, got ${quote.bid}/${quote.ask}`, {
        parameter: "quote",
      });
    }
    if (!s.last) {
      throw new ConfigError(`feed a bar of ${symbol} before its quotes`, { parameter: "quote" });
    }
    s.quote = quote;
    if (quote.time > this.#now) this.#now = quote.time;
    s.capacity = Infinity;
    for (const o of [...this.#working]) {
      if (o.symbol !== symbol || isTerminal(o.state) || this.#held.has(o.clientOrderId)) continue;
      this.#workQuote(o, s, quote);
    }
    s.acct.mark((quote.bid + quote.ask) / 2);
    for (const o of [...this.#working]) {
      if (o.symbol === symbol && o.timeInForce === "ioc" && !isTerminal(o.state)) {
        this.#finish(o, "canceled", "ioc remainder cancelled");
      }
    }
    this.#prune();
  }

  #workQuote(o: Order, s: SymbolState, q: PaperQuote): void {
    const buy = o.side === "buy";
    const px = buy ? q.ask : q.bid;
    const cid = o.clientOrderId;
    const reached = (stop: number) => (buy ? q.ask >= stop : q.bid <= stop);
    const within = (limit: number) => (buy ? q.ask <= limit : q.bid >= limit);
    switch (o.type) {
      case "market":
        this.#fill(o, s, px);
        return;
      case "limit":
        if (within(o.limitPrice!)) this.#fill(o, s, px);
        return;
      case "stop":
        if (reached(o.stopPrice!)) this.#fill(o, s, px);
        return;
      case "stop_limit":
        if (!this.#triggered.has(cid) && reached(o.stopPrice!)) this.#triggered.add(cid);
        if (this.#triggered.has(cid) && within(o.limitPrice!)) this.#fill(o, s, px);
        return;
      case "trailing_stop": {
        const ext = this.#extreme.get(cid)!;
        const stop = buy ? ext * (1 + o.trailFraction!) : ext * (1 - o.trailFraction!);
        if (reached(stop)) this.#fill(o, s, px);
        const mid = (q.bid + q.ask) / 2;
        if (!isTerminal(o.state)) {
          this.#extreme.set(cid, buy ? Math.min(ext, mid) : Math.max(ext, mid));
        }
        return;
      }
    }
  }

  /** Try to fill a working order against `bar`. */
  #work(o: Order, s: SymbolState, bar: PaperBar): void {
    const buy = o.side === "buy";
    const cid = o.clientOrderId;
    switch (o.type) {
      case "market":
        s.acct.mark(bar.open);
        this.#fill(o, s, null);
        return;
      case "limit":
        this.#tryLimit(o, s, bar.open, bar.low, bar.high);
        return;
      case "stop": {
        if (buy ? bar.high >= o.stopPrice! : bar.low <= o.stopPrice!) {
          const p = buy ? Math.max(bar.open, o.stopPrice!) : Math.min(bar.open, o.stopPrice!);
          s.acct.mark(p);
          this.#fill(o, s, null);
        }
        return;
      }
      case "stop_limit": {
        if (!this.#triggered.has(cid)) {
          if (!(buy ? bar.high >= o.stopPrice! : bar.low <= o.stopPrice!)) return;
          this.#triggered.add(cid);
          const p = buy ? Math.max(bar.open, o.stopPrice!) : Math.min(bar.open, o.stopPrice!);
          if (buy ? p <= o.limitPrice! : p >= o.limitPrice!) {
            this.#fill(o, s, p);
            return;
          }
        }
        this.#tryLimit(o, s, bar.open, bar.low, bar.high);
        return;
      }
      case "trailing_stop": {
        const ext = this.#extreme.get(cid)!;
        const f = o.trailFraction!;
        const stop = buy ? ext * (1 + f) : ext * (1 - f);
        if (buy ? bar.high >= stop : bar.low <= stop) {
          const p = buy ? Math.max(bar.open, stop) : Math.min(bar.open, stop);
          s.acct.mark(p);
          this.#fill(o, s, null);
        }
        if (!isTerminal(o.state)) {
          this.#extreme.set(cid, buy ? Math.min(ext, bar.low) : Math.max(ext, bar.high));
        }
        return;
      }
    }
  }

  #tryLimit(o: Order, s: SymbolState, open: number, low: number, high: number): void {
    const L = o.limitPrice!;
    if (o.side === "buy" ? low < L : high > L) {
      this.#fill(o, s, o.side === "buy" ? Math.min(open, L) : Math.max(open, L));
    }
  }

  // ------------------------------------------------------------------ fills (lib/trading)

  /**
   * Fill as much of `o` as the participation cap allows: at the account's mark with its
   * slippage (`price` null) or exactly at `price` (limit fills).
   */
  #fill(o: Order, s: SymbolState, price: number | null): void {
    let qty = o.qty - o.filledQty;
    if (qty > s.capacity) qty = s.capacity;
    if (!(qty > 0)) return;
    const a = s.acct;
    const dir = o.side === "buy" ? 1 : -1;
    const slip = a.config.slippage;
    if (price !== null) a.mark(price / (1 + slip * dir));
    const pos = a.direction * a.size;
    const feesBefore = a.feesPaid;
    let filled = 0;
    let fail = "";
    if (o.reduceOnly && !(pos * dir < 0)) {
      fail = "reduce-only order with no position to reduce";
    } else if (o.reduceOnly && qty > Math.abs(pos)) {
      qty = Math.abs(pos);
    }
    if (!fail) {
      if (pos === 0) {
        if (a.open(dir, qty)) filled = a.lastFillQty;
        else fail = this.#openFailure(a, qty, "open");
      } else if (pos * dir > 0) {
        const room = a.scaleInRoom();
        if (qty > room * (1 + 1e-12)) {
          fail = `insufficient margin: can add at most ${room} at leverage ${a.config.leverage}`;
        } else if (a.scaleIn(1 + qty / a.size)) filled = a.lastFillQty;
        else fail = this.#openFailure(a, qty, "increase");
      } else {
        const size = a.size;
        if (qty >= size * (1 - 1e-12)) {
          a.close();
          filled = a.lastFillQty;
          const rest = qty - size;
          if (rest > size * 1e-12 && rest > 1e-12) {
            if (a.open(dir, rest)) filled += a.lastFillQty;
            else fail = this.#openFailure(a, rest, "reverse");
          }
        } else {
          const remain = size - qty;
          const c = a.config;
          if (remain < c.minQty || remain * a.markPrice < c.minNotional) {
            fail = `reduction would leave ${remain} (${
              (remain * a.markPrice).toFixed(2)
            } notional) below the minimum size (minNotional ${c.minNotional}, minQty ${c.minQty}); close the whole position`;
          } else {
            a.reduce(qty);
            filled = a.lastFillQty;
          }
        }
      }
    }
    if (filled > 0) {
      const fillPrice = a.markPrice * (1 + slip * dir);
      const fee = a.feesPaid - feesBefore;
      const prevQty = o.filledQty;
      o.filledQty += filled;
      o.avgFillPrice = prevQty === 0
        ? fillPrice
        : (o.avgFillPrice * prevQty + fillPrice * filled) / o.filledQty;
      const t = this.#now;
      const f: PaperFill = {
        clientOrderId: o.clientOrderId,
        symbol: o.symbol,
        side: o.side,
        qty: filled,
        price: fillPrice,
        fee,
        timeMs: t,
      };
      o.fills.push({ qty: filled, price: fillPrice, fee, timeMs: t });
      this.fills.push(f);
      if (s.capacity !== Infinity) s.capacity -= filled;
      const done = o.filledQty >= o.qty * (1 - 1e-12) || o.reduceOnly && a.direction === 0;
      if (done) this.#finish(o, "filled");
      else transition(o, "partially_filled", t);
      this.#onFill?.(f, o);
      this.#afterFill(o);
    }
    if (fail && !isTerminal(o.state)) {
      this.#finish(o, o.filledQty > 0 ? "canceled" : "rejected", fail);
    }
  }

  #openFailure(a: Account, qty: number, what: string): string {
    if (a.lastOrderBelowMinimum) {
      return `${what} of ${qty} is below the minimum order size (minNotional ${a.config.minNotional}, minQty ${a.config.minQty})`;
    }
    return `insufficient margin to ${what} ${qty} (equity ${
      a.equity.toFixed(2)
    }, leverage ${a.config.leverage})`;
  }

  /** Linked-order bookkeeping after a fill of `o`. */
  #afterFill(o: Order): void {
    // bracket parent completely filled → legs go live
    if (o.orderClass === "bracket" && o.legs && isTerminal(o.state)) this.#activateLegs(o);
    // OCO siblings shrink / cancel
    const sib = this.#siblings.get(o.clientOrderId);
    if (!sib) return;
    const remaining = o.qty - o.filledQty;
    for (const id of sib) {
      const other = this.#orders.get(id)!;
      if (isTerminal(other.state)) continue;
      if (!(remaining > o.qty * 1e-12)) {
        this.#finish(other, "canceled", `OCO: ${o.clientOrderId} filled`);
      } else other.qty = other.filledQty + remaining;
    }
  }

  #activateLegs(parent: Order): void {
    const t = this.#now;
    for (const leg of parent.legs ?? []) {
      if (!this.#held.has(leg.clientOrderId)) continue;
      this.#held.delete(leg.clientOrderId);
      if (!(parent.filledQty > 0)) {
        this.#finish(leg, "canceled", "bracket entry ended without a fill");
        continue;
      }
      leg.qty = parent.filledQty;
      transition(leg, "accepted", t);
    }
  }

  #finish(o: Order, state: "filled" | "canceled" | "rejected" | "expired", reason?: string): void {
    if (isTerminal(o.state)) return;
    transition(o, state, this.#now);
    if (reason) o.reason = reason;
    if (o.orderClass === "bracket" && o.legs && o.parentClientOrderId === undefined) {
      this.#activateLegs(o);
    }
  }

  #prune(): void {
    this.#working = this.#working.filter((o) => !isTerminal(o.state));
  }

  // ------------------------------------------------------------------ Broker

  /** Submit an order (market orders fill at once; see the module docs). */
  submit(req: OrderRequest): Promise<Order> {
    try {
      return Promise.resolve(this.#submit(req));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #submit(req: OrderRequest): Order {
    const bad = validateRequest(req);
    if (bad) throw new BrokerError("rejected", bad.reason, { code: bad.rule, status: 422 });
    const s = this.#sym(req.symbol);
    const cls = req.orderClass ?? "simple";
    const ids = [req.clientOrderId];
    if (cls === "bracket") ids.push(`${req.clientOrderId}-tp`, `${req.clientOrderId}-sl`);
    if (cls === "oco") ids.push(`${req.clientOrderId}-sl`);
    for (const id of ids) {
      if (this.#orders.has(id)) {
        throw new BrokerError("rejected", `client order id ${id} was already used`, {
          code: "duplicate_client_order_id",
          status: 422,
        });
      }
    }
    if (!s.last) {
      throw new BrokerError("rejected", `no price yet for ${req.symbol}: feed a bar first`, {
        code: "no_price",
        status: 422,
      });
    }
    const t = this.#now;
    const exitSide = req.side === "buy" ? "sell" : "buy";
    const o = cls === "oco"
      ? newOrder({
        ...req,
        type: "limit",
        limitPrice: req.takeProfit!.limitPrice,
        reduceOnly: true,
      }, t)
      : newOrder(req, t);
    o.orderClass = cls;
    const reg = (x: Order) => {
      this.#orders.set(x.clientOrderId, x);
      this.#working.push(x);
    };
    reg(o);
    if (cls === "bracket" || cls === "oco") {
      const legSide = cls === "bracket" ? exitSide : req.side;
      const tp = cls === "bracket"
        ? newOrder({
          symbol: req.symbol,
          side: legSide,
          qty: req.qty,
          type: "limit",
          limitPrice: req.takeProfit!.limitPrice,
          timeInForce: req.timeInForce,
          clientOrderId: `${req.clientOrderId}-tp`,
          reduceOnly: true,
        }, t)
        : null;
      const slReq: OrderRequest = {
        symbol: req.symbol,
        side: legSide,
        qty: req.qty,
        type: req.stopLoss!.limitPrice ? "stop_limit" : "stop",
        stopPrice: req.stopLoss!.stopPrice,
        limitPrice: req.stopLoss!.limitPrice,
        timeInForce: req.timeInForce,
        clientOrderId: `${req.clientOrderId}-sl`,
        reduceOnly: true,
      };
      const sl = newOrder(slReq, t);
      const legs = tp ? [tp, sl] : [sl];
      for (const l of legs) {
        l.parentClientOrderId = req.clientOrderId;
        reg(l);
      }
      o.legs = legs;
      if (tp) {
        this.#held.add(tp.clientOrderId);
        this.#held.add(sl.clientOrderId);
        this.#siblings.set(tp.clientOrderId, [sl.clientOrderId]);
        this.#siblings.set(sl.clientOrderId, [tp.clientOrderId]);
      } else {
        this.#siblings.set(o.clientOrderId, [sl.clientOrderId]);
        this.#siblings.set(sl.clientOrderId, [o.clientOrderId]);
        transition(sl, "accepted", t);
      }
    }
    transition(o, "accepted", t);
    if (o.type === "trailing_stop") this.#extreme.set(o.clientOrderId, s.acct.markPrice);
    const a = s.acct;
    const last = s.last;
    if (s.quote) {
      // immediate execution at the latest quote
      const q = s.quote;
      if (o.type === "market") this.#workQuote(o, s, q);
      else if (o.type === "limit") this.#workQuote(o, s, q);
      a.mark((q.bid + q.ask) / 2);
      if (o.timeInForce === "ioc" && !isTerminal(o.state)) {
        this.#finish(o, "canceled", "ioc remainder cancelled");
      }
      this.#prune();
      return structuredClone(o);
    }
    // immediate execution at the current mark
    a.mark(last.close);
    const slipped = last.close * (1 + a.config.slippage * (o.side === "buy" ? 1 : -1));
    if (o.type === "market") this.#fill(o, s, null);
    else if (
      o.type === "limit" && (o.side === "buy" ? o.limitPrice! >= slipped : o.limitPrice! <= slipped)
    ) {
      this.#fill(o, s, null);
    }
    a.mark(last.close);
    if (o.timeInForce === "ioc" && !isTerminal(o.state)) {
      this.#finish(o, "canceled", "ioc remainder cancelled");
    }
    this.#prune();
    return structuredClone(o);
  }

  /** Cancel an order and every order linked to it (bracket legs, OCO sibling). */
  cancel(clientOrderId: string): Promise<Order> {
    const o = this.#orders.get(clientOrderId);
    if (!o) {
      return Promise.reject(
        new BrokerError("not_found", `order ${clientOrderId} not found`, { status: 404 }),
      );
    }
    if (isTerminal(o.state)) {
      return Promise.reject(
        new BrokerError("rejected", `order ${clientOrderId} is already ${o.state}`, {
          status: 422,
          code: "not_cancelable",
        }),
      );
    }
    const group = new Set<string>([clientOrderId]);
    for (const l of o.legs ?? []) group.add(l.clientOrderId);
    for (const id of this.#siblings.get(clientOrderId) ?? []) group.add(id);
    if (o.parentClientOrderId) {
      const parent = this.#orders.get(o.parentClientOrderId)!;
      for (const l of parent.legs ?? []) group.add(l.clientOrderId);
      group.add(parent.clientOrderId);
    }
    for (const id of group) {
      const x = this.#orders.get(id)!;
      this.#held.delete(id);
      this.#finish(
        x,
        "canceled",
        id === clientOrderId ? "cancelled by request" : `linked to ${clientOrderId}`,
      );
    }
    this.#prune();
    return Promise.resolve(structuredClone(o));
  }

  /** Cancel/replace: the old order ends `canceled` with `replacedBy`; the new one works the rest. */
  async replace(clientOrderId: string, changes: ReplaceRequest): Promise<Order> {
    const o = this.#orders.get(clientOrderId);
    if (!o) throw new BrokerError("not_found", `order ${clientOrderId} not found`, { status: 404 });
    if (o.orderClass !== "simple" || o.parentClientOrderId) {
      throw new BrokerError("rejected", "replace of bracket/OCO orders is not supported", {
        status: 422,
        code: "not_replaceable",
      });
    }
    if (isTerminal(o.state)) {
      throw new BrokerError("rejected", `order ${clientOrderId} is already ${o.state}`, {
        status: 422,
        code: "not_replaceable",
      });
    }
    const total = changes.qty ?? o.qty;
    const rest = total - o.filledQty;
    if (!(rest > 0)) {
      throw new BrokerError("rejected", `new qty ${total} ≤ filled ${o.filledQty}`, {
        status: 422,
      });
    }
    const req: OrderRequest = {
      symbol: o.symbol,
      side: o.side,
      qty: rest,
      type: o.type,
      timeInForce: o.timeInForce,
      clientOrderId: changes.newClientOrderId,
      limitPrice: changes.limitPrice ?? o.limitPrice,
      stopPrice: changes.stopPrice ?? o.stopPrice,
      trailFraction: o.trailFraction,
      reduceOnly: o.reduceOnly,
    };
    if (this.#orders.has(req.clientOrderId)) {
      throw new BrokerError("rejected", `client order id ${req.clientOrderId} was already used`, {
        code: "duplicate_client_order_id",
        status: 422,
      });
    }
    this.#finish(o, "canceled", `replaced by ${req.clientOrderId}`);
    o.replacedBy = req.clientOrderId;
    this.#prune();
    return await this.submit(req);
  }

  /** The order with this client id, or null. */
  getOrder(clientOrderId: string): Promise<Order | null> {
    const o = this.#orders.get(clientOrderId);
    return Promise.resolve(o ? structuredClone(o) : null);
  }

  /** Open (default) or all orders, oldest first. */
  getOrders(options: { status?: "open" | "all" } = {}): Promise<Order[]> {
    const all = [...this.#orders.values()];
    const pick = (options.status ?? "open") === "open"
      ? all.filter((o) => !isTerminal(o.state))
      : all;
    return Promise.resolve(pick.map((o) => structuredClone(o)));
  }

  /** Non-flat sub-accounts as positions. */
  getPositions(): Promise<Position[]> {
    const out: Position[] = [];
    for (const [symbol, s] of this.#syms) {
      const a = s.acct;
      if (a.direction === 0) continue;
      out.push({
        symbol,
        qty: a.direction * a.size,
        avgEntryPrice: a.entryPrice,
        markPrice: a.markPrice,
        unrealizedPnl: a.unrealisedPnl,
      });
    }
    return Promise.resolve(out);
  }

  /** Sums over the sub-accounts; buying power = Σ max(0, equity × leverage − notional). */
  getAccount(): Promise<AccountInfo> {
    let equity = 0, cash = 0, bp = 0;
    for (const s of this.#syms.values()) {
      const a = s.acct;
      equity += a.equity;
      cash += a.balance;
      bp += Math.max(0, a.equity * a.config.leverage - a.notional);
    }
    return Promise.resolve({
      equity,
      cash,
      buyingPower: bp,
      status: "ACTIVE",
      currency: this.#currency,
    });
  }

  /** Paper trading is 24/7 at the bar clock (time NaN before the first bar). */
  getClock(): Promise<MarketClock> {
    return Promise.resolve({
      isOpen: true,
      timeMs: [...this.#syms.values()].some((s) => s.last !== null) ? this.#now : NaN,
      nextOpenMs: null,
      nextCloseMs: null,
    });
  }
}
