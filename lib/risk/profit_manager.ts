/**
 * The profit manager: a take-profit ladder, a trailing stop and a stop loss on each position's
 * PnL %, returning the exit orders to place (it places nothing itself).
 *
 * ## The ladder as data (specification 002, STEP 3; {@link SPEC_EXIT_LADDER})
 * TP1 +40 % exits 50 %; TP2 +60 % exits 20 % of the remainder; TP3 +100 % 10 % of the
 * remainder; TP4 +150 % 10 % of the remainder; TP5 +200 % exits all; a trailing stop that
 * activates at +150 % (TP4) and never locks less than +100 %; a stop loss at −15 %.
 *
 * ## Definitions and the ambiguities this module resolves
 * - **Gain (PnL %)** of a position at price `p`: `leverage × side × (p − entry) / entry`, a
 *   fraction (0.40 = +40 %), `side` +1 long / −1 short. With `leverage` 1 (default) this is the
 *   PnL % of the entry notional — for an option, of the premium paid. With `leverage` L it is the
 *   return on margin an exchange shows for a leveraged future. A short at leverage 1 gains at
 *   most +100 % (price → 0), so levels above +100 % are unreachable for it.
 * - **"x % of the remaining"** means of the size still open when the level triggers, after the
 *   exits of the lower levels: from 100, TP1 exits 50 (50 left), TP2 10 (40), TP3 4 (36),
 *   TP4 3.6 (32.4), TP5 the remaining 32.4. `exitFraction` 1 means "exit all".
 * - **Intrabar high/low**: a bar `{ price, open?, high?, low? }` (price = close) triggers a
 *   take-profit when its favourable extreme (high for a long, low for a short) reaches the
 *   level, and a stop when its adverse extreme reaches it; without high/low the close is used.
 * - **Fill price** reported (`triggerPrice`): the level's price, or — when the bar's first price
 *   (`open`, else the close) is already beyond the level (a gap) — that first price.
 * - **A bar gapping over several levels** emits one order per level, lowest first, each sized on
 *   the remainder left by the previous one (so TP1+TP2 in one bar exits 50 then 10 of 100).
 * - **Stop vs take-profit in one bar**: the order of the high and the low inside a bar is
 *   unknown, so the pessimistic case is assumed: the stop in force at the bar's start is checked
 *   first; if it triggers, the whole position is closed and no take-profit of that bar counts.
 * - **Trailing stop**: once the peak gain (from the bars' favourable extremes) reaches
 *   `activationGain`, the stop gain is `max(floorGain, peakGain − distanceGain)` and never goes
 *   down; with the spec defaults (activation 1.5, floor 1.0, distance 0.5) it starts exactly at
 *   +100 % on activation and trails 50 gain points behind the peak. The peak of a bar moves the
 *   stop from the NEXT bar on (the high may have come after the low). The effective stop is the
 *   higher of the trailing stop and the stop loss.
 * - **Lots and dust**: exit quantities are rounded DOWN to `lotSize` (0 = continuous; 1 for
 *   option contracts). A remainder below `minQty`, below one lot, worth less than
 *   `minNotional` at the trigger price, or ≤ 1e-9 of the initial size is dust: the exit takes
 *   the whole position instead (the same rule as `lib/trading`'s account, so both agree). A level whose rounded exit is 0 (for
 *   example 10 % of 3 contracts) is consumed without an order and reported as an event.
 * - **Orders and fills**: an emitted order's quantity is "pending" until {@link
 *   ProfitManager.recordExit} reports its fill; later orders never exceed remaining − pending,
 *   so the ladder can never exit more than the position. {@link ProfitManager.cancelPending}
 *   releases an order that did not fill (a stop then fires again on the next bar).
 * - **New position on the same symbol** (a flip from long to short, or a re-entry):
 *   {@link ProfitManager.addPosition} replaces the old one with a fresh ladder.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import { pct, RiskError, type RiskEvent } from "./events.ts";

/**
 * Tolerance on gains when comparing with a level: 2.8 on an entry of 2 is +40 % although
 * (2.8 − 2) / 2 = 0.3999999999999999 in binary floating point.
 */
const GAIN_EPS = 1e-9;

/** One take-profit rung. */
export interface TakeProfitLevel {
  /** Name used as the order's rule, e.g. `"tp1"`. */
  name: string;
  /** Gain (fraction, 0.40 = +40 %) at which it triggers. Levels ascend. */
  gain: number;
  /** Fraction of the remaining size to exit, in (0, 1]; 1 = all. */
  exitFraction: number;
}

/** A trailing stop on the gain. */
export interface TrailingStopConfig {
  /** Peak gain at which trailing starts (spec: 1.5 = TP4). */
  activationGain: number;
  /** The least gain the trailing stop locks (spec: 1.0 = +100 %). */
  floorGain: number;
  /** Gain points the stop trails behind the peak gain (ours: 0.5, so it starts at the floor). */
  distanceGain: number;
}

/** The whole exit policy as data. */
export interface ExitLadderConfig {
  /** Take-profit rungs, ascending gains. */
  levels: TakeProfitLevel[];
  /** Loss (positive fraction, 0.15 = −15 %) that closes the position; null = no stop loss. */
  stopLoss: number | null;
  /** Trailing stop, or null. */
  trailing: TrailingStopConfig | null;
  /** Quantity step exits are rounded down to; 0 = continuous. */
  lotSize: number;
  /** Smallest remainder worth keeping (units); a smaller one is closed with the exit. */
  minQty: number;
  /** Smallest remainder notional worth keeping (quote currency, at the trigger price). */
  minNotional: number;
}

/** The specification's ladder (continuous quantities). */
export const SPEC_EXIT_LADDER: Readonly<ExitLadderConfig> = Object.freeze({
  levels: [
    { name: "tp1", gain: 0.40, exitFraction: 0.50 },
    { name: "tp2", gain: 0.60, exitFraction: 0.20 },
    { name: "tp3", gain: 1.00, exitFraction: 0.10 },
    { name: "tp4", gain: 1.50, exitFraction: 0.10 },
    { name: "tp5", gain: 2.00, exitFraction: 1 },
  ],
  stopLoss: 0.15,
  trailing: { activationGain: 1.5, floorGain: 1.0, distanceGain: 0.5 },
  lotSize: 0,
  minQty: 0,
  minNotional: 0,
});

/** A position to manage. */
export interface NewPosition {
  /** Instrument. */
  symbol: string;
  /** Size in units/contracts, > 0. */
  qty: number;
  /** Average entry price (or premium paid), > 0. */
  entryPrice: number;
  /** Direction of the position. */
  side: "long" | "short";
  /** Entry time, UTC epoch ms. */
  timeMs: number;
  /** Gain multiplier (return on margin); default 1. */
  leverage?: number;
}

/** One bar (or tick) of the position's price. */
export interface ExitBar {
  /** Last price (the bar's close). */
  price: number;
  /** The bar's first price; used as the fill of a gap through a level. */
  open?: number;
  /** The bar's highest price (default: max of open and close). */
  high?: number;
  /** The bar's lowest price (default: min of open and close). */
  low?: number;
  /** UTC epoch ms. */
  timeMs: number;
}

/** An exit order to place: always exposure-reducing. */
export interface ExitOrder {
  /** Instrument. */
  symbol: string;
  /** The closing side: `sell` for a long, `buy` for a short. */
  side: "buy" | "sell";
  /** Quantity to close, > 0, rounded to the lot. */
  qty: number;
  /** `"tp1"`…`"tp5"`, `"stop_loss"` or `"trailing_stop"`. */
  rule: string;
  /** Names the level and the numbers. */
  reason: string;
  /** The price the exit triggered at (see the module docs on gaps). */
  triggerPrice: number;
  /** Gain at `triggerPrice` (fraction). */
  gain: number;
  /** Whether this order closes what is left of the position. */
  closesPosition: boolean;
  /** Time of the bar that triggered it, UTC epoch ms. */
  timeMs: number;
  /** Always true: pass it to `RiskManager.checkTrade`, which then allows it. */
  reducesExposure: true;
}

/** A managed position's state (JSON-serialisable). */
export interface ManagedPosition {
  /** Instrument. */
  symbol: string;
  /** Direction. */
  side: "long" | "short";
  /** Average entry price (premium), > 0. */
  entryPrice: number;
  /** Gain multiplier (1 = PnL % of the entry notional). */
  leverage: number;
  /** When the ladder started, UTC epoch ms. */
  openedMs: number;
  /** Size when the ladder started. */
  initialQty: number;
  /** Size still held (reduced by {@link ProfitManager.recordExit}). */
  remaining: number;
  /** Size of emitted exit orders not yet filled. */
  pending: number;
  /** Take-profit rungs already consumed (the first `levelsHit` levels). */
  levelsHit: number;
  /** Highest gain seen at a favourable extreme (−Infinity is stored as null). */
  peakGain: number | null;
  /** Trailing stop's gain once active, else null. */
  trailStopGain: number | null;
}

/** The complete, JSON-serialisable state of a {@link ProfitManager}. */
export interface ProfitState {
  /** Format version. */
  version: 1;
  /** The resolved ladder. */
  config: ExitLadderConfig;
  /** Managed positions. */
  positions: ManagedPosition[];
  /** Events per rule since construction. */
  counts: Record<string, number>;
}

/** Complete and validate a ladder configuration (throws {@link ConfigError} naming the field). */
export function resolveExitLadder(config: Partial<ExitLadderConfig> = {}): ExitLadderConfig {
  const c: ExitLadderConfig = structuredClone({ ...SPEC_EXIT_LADDER, ...config });
  const bad = (parameter: string, msg: string) => new ConfigError(msg, { parameter });
  let prev = -Infinity;
  c.levels.forEach((l, i) => {
    if (!(l.gain > prev) || !Number.isFinite(l.gain)) {
      throw bad(`levels[${i}].gain`, `take-profit gains must ascend, got ${l.gain} after ${prev}`);
    }
    if (!(l.exitFraction > 0 && l.exitFraction <= 1)) {
      throw bad(
        `levels[${i}].exitFraction`,
        `exit fraction must be in (0, 1], got ${l.exitFraction}`,
      );
    }
    if (typeof l.name !== "string" || l.name === "") {
      throw bad(`levels[${i}].name`, "level needs a name");
    }
    prev = l.gain;
  });
  if (c.stopLoss !== null && !(c.stopLoss > 0 && Number.isFinite(c.stopLoss))) {
    throw bad("stopLoss", `stop loss must be a positive loss fraction or null, got ${c.stopLoss}`);
  }
  const t = c.trailing;
  if (t !== null) {
    if (![t.activationGain, t.floorGain, t.distanceGain].every(Number.isFinite)) {
      throw bad("trailing", "trailing stop gains must be finite numbers");
    }
    if (!(t.distanceGain > 0) || t.floorGain > t.activationGain) {
      throw bad(
        "trailing",
        `need distanceGain > 0 and floorGain ≤ activationGain, got ${JSON.stringify(t)}`,
      );
    }
  }
  for (const k of ["lotSize", "minQty", "minNotional"] as const) {
    if (!(c[k] >= 0 && Number.isFinite(c[k]))) {
      throw bad(k, `${k} must be a number ≥ 0, got ${c[k]}`);
    }
  }
  return c;
}

/**
 * Tracks positions and returns the exit orders of the ladder, the trailing stop and the stop
 * loss. See the module documentation for every convention.
 *
 * @example
 * ```ts
 * const pm = new ProfitManager();
 * pm.addPosition({ symbol: "AAPL", qty: 10, entryPrice: 150, side: "long", timeMs: 0 });
 * for (const o of pm.checkExits("AAPL", { price: 215, timeMs: 60_000 })) {
 *   // place o (o.qty at o.triggerPrice), then on its fill:
 *   pm.recordExit("AAPL", o.qty);
 * }
 * ```
 */
export class ProfitManager {
  /** The resolved ladder. */
  readonly config: Readonly<ExitLadderConfig>;
  #pos = new Map<string, ManagedPosition>();
  #counts: Record<string, number> = {};
  #events: RiskEvent[] = [];

  /**
   * A manager holding no positions.
   *
   * @param config overrides of {@link SPEC_EXIT_LADDER}; validated.
   */
  constructor(config: Partial<ExitLadderConfig> = {}) {
    this.config = Object.freeze(resolveExitLadder(config));
  }

  /** Start managing a position; replaces any position held on the same symbol. */
  addPosition(p: NewPosition): void {
    if (typeof p?.symbol !== "string" || p.symbol === "") {
      throw new RiskError("position needs a symbol", { parameter: "symbol" });
    }
    positive(p.qty, "qty");
    positive(p.entryPrice, "entryPrice");
    finite(p.timeMs, "timeMs");
    if (p.side !== "long" && p.side !== "short") {
      throw new RiskError(`side must be "long" or "short", got ${p.side}`, { parameter: "side" });
    }
    const leverage = p.leverage ?? 1;
    positive(leverage, "leverage");
    this.#pos.set(p.symbol, {
      symbol: p.symbol,
      side: p.side,
      entryPrice: p.entryPrice,
      leverage,
      openedMs: p.timeMs,
      initialQty: p.qty,
      remaining: p.qty,
      pending: 0,
      levelsHit: 0,
      peakGain: null,
      trailStopGain: null,
    });
  }

  /** Stop managing a position (closed elsewhere). Returns whether one was held. */
  removePosition(symbol: string): boolean {
    return this.#pos.delete(symbol);
  }

  /** Whether a position is managed for `symbol`. */
  has(symbol: string): boolean {
    return this.#pos.has(symbol);
  }

  /** A copy of a managed position's state, or undefined. */
  position(symbol: string): ManagedPosition | undefined {
    const p = this.#pos.get(symbol);
    return p ? { ...p } : undefined;
  }

  /** Gain (fraction) of `symbol`'s position at `price`. */
  gainAt(symbol: string, price: number): number {
    return gainOf(this.#get(symbol), price);
  }

  /** Price of the stop in force (trailing or stop loss), or null when there is none. */
  stopPrice(symbol: string): number | null {
    const p = this.#get(symbol);
    const g = this.#stopGain(p);
    return g === null ? null : priceOf(p, g);
  }

  /**
   * The exit orders triggered by `bar` for `symbol` (see the module docs), lowest level first.
   * Updates the ladder's progress and the trailing stop; places nothing.
   */
  checkExits(symbol: string, bar: ExitBar): ExitOrder[] {
    const p = this.#get(symbol);
    const { first, fav, adv } = readBar(bar, p.side === "long");
    const orders: ExitOrder[] = [];
    let avail = p.remaining - p.pending;
    if (!(avail > 0)) return orders;
    // 1. the stop in force at the bar's start, checked first (pessimistic within a bar)
    const stopGain = this.#stopGain(p);
    if (stopGain !== null && gainOf(p, adv) <= stopGain + GAIN_EPS) {
      const gapped = gainOf(p, first) < stopGain - GAIN_EPS;
      const price = gapped ? first : priceOf(p, stopGain);
      const trailing = p.trailStopGain !== null && p.trailStopGain === stopGain;
      const rule = trailing ? "trailing_stop" : "stop_loss";
      const what = trailing
        ? `trailing stop at ${pct(stopGain)} (peak ${pct(p.peakGain ?? 0)})`
        : `stop loss at ${pct(stopGain)}`;
      orders.push(this.#order(p, avail, rule, what, price, bar.timeMs, gapped));
      return orders;
    }
    // 2. take-profit rungs reached by the favourable extreme, lowest first
    const levels = this.config.levels;
    const favGain = gainOf(p, fav);
    while (
      p.levelsHit < levels.length && favGain >= levels[p.levelsHit].gain - GAIN_EPS && avail > 0
    ) {
      const l = levels[p.levelsHit];
      p.levelsHit += 1;
      const gapped = gainOf(p, first) > l.gain + GAIN_EPS;
      const price = gapped ? first : priceOf(p, l.gain);
      let qty = l.exitFraction >= 1 ? avail : this.#roundLot(avail * l.exitFraction);
      if (qty > 0 && qty < avail && this.#isDust(p, avail - qty, price)) qty = avail;
      if (!(qty > 0)) {
        this.#emit(
          bar.timeMs,
          l.name,
          `${l.name} at ${pct(l.gain)} skipped: ${
            pct(l.exitFraction)
          } of ${avail} rounds to 0 lots`,
          {
            gain: l.gain,
            available: avail,
            lotSize: this.config.lotSize,
          },
        );
        continue;
      }
      const what = `${l.name} at ${pct(l.gain)} exits ${
        l.exitFraction >= 1 ? "all" : `${pct(l.exitFraction)} of remaining`
      }`;
      orders.push(this.#order(p, qty, l.name, what, price, bar.timeMs, gapped));
      avail -= qty;
    }
    // 3. the peak and the trailing stop, effective from the next bar
    if (p.peakGain === null || favGain > p.peakGain) p.peakGain = favGain;
    const t = this.config.trailing;
    if (t !== null && p.peakGain >= t.activationGain - GAIN_EPS) {
      const g = Math.max(t.floorGain, p.peakGain - t.distanceGain);
      if (p.trailStopGain === null) {
        p.trailStopGain = g;
        this.#emit(
          bar.timeMs,
          "trailing_stop",
          `trailing stop activated at peak ${pct(p.peakGain)}, stop at ${pct(g)}`,
          {
            peakGain: p.peakGain,
            stopGain: g,
            stopPrice: priceOf(p, g),
          },
        );
      } else if (g > p.trailStopGain) {
        p.trailStopGain = g;
      }
    }
    return orders;
  }

  /**
   * Report the fill of `qty` units of an exit (or any reduction) of `symbol`. Remaining and
   * pending sizes shrink by `qty`; a dust remainder closes the position, which is then removed.
   * Returns the size still held.
   */
  recordExit(symbol: string, qty: number): number {
    const p = this.#get(symbol);
    positive(qty, "qty");
    if (qty > p.remaining * (1 + 1e-9) + 1e-12) {
      throw new RiskError(`exit fill ${qty} exceeds the remaining ${p.remaining} of ${symbol}`, {
        parameter: "qty",
      });
    }
    p.remaining = this.#snap(p.remaining - qty);
    p.pending = Math.max(0, this.#snap(p.pending - qty));
    if (p.remaining <= 0 || this.#isDust(p, p.remaining, 0)) {
      this.#pos.delete(symbol);
      return 0;
    }
    return p.remaining;
  }

  /** Forget the unfilled part of emitted orders (a rejected or cancelled exit). */
  cancelPending(symbol: string): void {
    this.#get(symbol).pending = 0;
  }

  /** Number of events queued for {@link takeEvents} (reading it allocates nothing). */
  get queuedEvents(): number {
    return this.#events.length;
  }

  /** Remove and return the events (exits, trail activations, skipped rungs) queued so far. */
  takeEvents(): RiskEvent[] {
    const e = this.#events;
    this.#events = [];
    return e;
  }

  /** A JSON-serialisable copy of the state. */
  state(): ProfitState {
    return structuredClone({
      version: 1 as const,
      config: this.config as ExitLadderConfig,
      positions: [...this.#pos.values()],
      counts: this.#counts,
    });
  }

  /** Rebuild a manager from {@link state}; validated. */
  static restore(state: ProfitState): ProfitManager {
    if (state?.version !== 1 || !Array.isArray(state.positions)) {
      throw new RiskError("not a ProfitManager state (version 1 expected)", { parameter: "state" });
    }
    const pm = new ProfitManager(state.config);
    for (const p of state.positions) pm.#pos.set(p.symbol, structuredClone(p));
    pm.#counts = { ...state.counts };
    return pm;
  }

  // ---------------------------------------------------------------- internals

  #get(symbol: string): ManagedPosition {
    const p = this.#pos.get(symbol);
    if (!p) {
      throw new RiskError(
        `no managed position for ${symbol}`,
        { parameter: "symbol" },
        "call addPosition first",
      );
    }
    return p;
  }

  #stopGain(p: ManagedPosition): number | null {
    const sl = this.config.stopLoss === null ? null : -this.config.stopLoss;
    if (p.trailStopGain === null) return sl;
    return sl === null ? p.trailStopGain : Math.max(sl, p.trailStopGain);
  }

  #roundLot(q: number): number {
    const lot = this.config.lotSize;
    return lot > 0 ? Math.floor(q / lot + 1e-9) * lot : q;
  }

  #snap(q: number): number {
    const lot = this.config.lotSize;
    return lot > 0 ? Math.round(q / lot) * lot : q;
  }

  /** Whether `rest` units are too small to keep (`price` 0: skip the notional test). */
  #isDust(p: ManagedPosition, rest: number, price: number): boolean {
    return !(rest > p.initialQty * 1e-9) || rest < this.config.minQty ||
      (price > 0 && rest * price < this.config.minNotional) ||
      (this.config.lotSize > 0 && rest < this.config.lotSize * (1 - 1e-9));
  }

  #order(
    p: ManagedPosition,
    qty: number,
    rule: string,
    what: string,
    price: number,
    timeMs: number,
    gapped: boolean,
  ): ExitOrder {
    const avail = p.remaining - p.pending;
    const closes = qty >= avail;
    if (closes) qty = avail;
    p.pending += qty;
    const gain = gainOf(p, price);
    const reason = `${what}: ${p.side} ${p.symbol} gain ${pct(gain)} at ${fmt(price)} (entry ${
      fmt(p.entryPrice)
    })${gapped ? ", gapped through the level" : ""}; exit ${fmt(qty)}${closes ? " (all)" : ""}`;
    const order: ExitOrder = {
      symbol: p.symbol,
      side: p.side === "long" ? "sell" : "buy",
      qty,
      rule,
      reason,
      triggerPrice: price,
      gain,
      closesPosition: closes,
      timeMs,
      reducesExposure: true,
    };
    this.#emit(timeMs, rule, reason, { qty, triggerPrice: price, gain, entryPrice: p.entryPrice });
    return order;
  }

  #emit(timeMs: number, rule: string, reason: string, numbers: Record<string, number>): void {
    this.#events.push({ timeMs, rule, reason, numbers });
    this.#counts[rule] = (this.#counts[rule] ?? 0) + 1;
  }
}

function gainOf(p: ManagedPosition, price: number): number {
  const dir = p.side === "long" ? 1 : -1;
  return (p.leverage * dir * (price - p.entryPrice)) / p.entryPrice;
}

function priceOf(p: ManagedPosition, gain: number): number {
  const dir = p.side === "long" ? 1 : -1;
  return p.entryPrice * (1 + (dir * gain) / p.leverage);
}

function readBar(bar: ExitBar, long: boolean): { first: number; fav: number; adv: number } {
  positive(bar?.price, "price");
  finite(bar.timeMs, "timeMs");
  const first = bar.open ?? bar.price;
  positive(first, "open");
  let high = bar.high ?? Math.max(bar.price, first);
  let low = bar.low ?? Math.min(bar.price, first);
  positive(high, "high");
  positive(low, "low");
  if (!(high >= low)) {
    throw new RiskError(`bar high ${high} is below its low ${low}`, { parameter: "high" });
  }
  // a bar's high/low bound its open and close
  high = Math.max(high, bar.price, first);
  low = Math.min(low, bar.price, first);
  return long ? { first, fav: high, adv: low } : { first, fav: low, adv: high };
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(6);
}

function finite(v: number, name: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new RiskError(`${name} must be a finite number, got ${v}`, { parameter: name });
  }
  return v;
}

function positive(v: number, name: string): number {
  if (!(finite(v, name) > 0)) {
    throw new RiskError(`${name} must be > 0, got ${v}`, { parameter: name });
  }
  return v;
}
