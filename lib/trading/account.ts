/**
 * The ONE accounting model of a single-instrument perpetual-futures account. The RL env and
 * the backtester (which runs policies through that env) trade through it, so every comparison
 * runs under identical rules.
 *
 * ## Conventions
 * - **Fills.** Every order fills at the current mark price (set with {@link Account.mark};
 *   the env marks bar t's close, so a decision taken on bar t's close fills at that close)
 *   moved against the trader by `slippage`: a buy fills at `mark × (1 + slippage)`, a sell at
 *   `mark × (1 − slippage)`.
 * - **Fees** are `feeRate × fill price × quantity` (the slipped notional), on every fill.
 * - **Position**: `direction` ∈ {−1, 0, 1}, `size` ≥ 0 in contracts (base units), `entryPrice`
 *   the size-weighted average of the entry/scale-in fill prices. Reductions keep the average.
 * - **Realised PnL** (gross) of a reduction of `q` contracts at fill price `p`:
 *   `q × (p − entryPrice) × direction`.
 * - **Funding** at a settlement with rate `r` (fraction): the account PAYS
 *   `direction × size × mark × r` (a long pays when `r > 0`, a short receives).
 * - **Balance** (wallet) = initial + realised − fees − funding.
 *   **Unrealised** = `size × (mark − entryPrice) × direction`. **Equity** = balance + unrealised.
 *   So `equity = initial + realised − fees − funding + unrealised` holds at every moment;
 *   `fundingPaid` is positive when funding was paid on balance.
 * - **Margin and liquidation** (fees ignored in the price, like the exchange's estimate):
 *   with isolated margin `m` (entry notional / leverage, topped up by scale-ins, released pro
 *   rata by scale-outs, debited by funding) or, in cross mode, `m = balance`, the position is
 *   liquidated when `m + unrealised ≤ maintenanceMarginRate × size × price`, i.e. at
 *   `long: (E − m/q) / (1 − mmr)`, `short: (E + m/q) / (1 + mmr)`. A bar whose low (long) or
 *   high (short) reaches that price liquidates the position AT that price (or at the bar's
 *   high/low when the whole bar lies beyond it) and charges `liquidationFeeRate × notional`;
 *   with the defaults an isolated liquidation loses exactly the position's margin, and no
 *   liquidation ever loses more than the margin backing it (the insurance fund's share).
 * - **Sizing** (spec bug 7 fixed): a risk entry loses `riskPerTrade × equity` if the price
 *   moves `stopAtr × ATR` against it: `notional = riskPerTrade × equity × price / (stopAtr ×
 *   ATR)`. Leverage does not scale that risk; it only bounds the notional at `equity ×
 *   leverage × maxNotionalFraction`.
 * - **Scale in** multiplies the size by `scaleInFactor`, bounded (spec bug 8) so the notional
 *   stays ≤ `equity × leverage × scaleInMaxNotionalFraction`. **Scale out** keeps
 *   `scaleOutFactor` of the size and realises the PnL of the reduced part (spec bug 2).
 * - **Minimum size** (like an exchange's `MIN_NOTIONAL`/`LOT_SIZE` filters): an entry or
 *   scale-in whose fill notional is below `minNotional` (quote currency) or whose quantity is
 *   below `minQty` (contracts) is rejected — nothing is filled or charged, and
 *   {@link Account.lastOrderBelowMinimum} is true. A scale-out (or partial {@link
 *   Account.reduce}) whose remainder would be below the minimum at the mark — or below 1e-9 of
 *   the trade's largest size, so halving can never leave dust even with the minimums at 0 —
 *   closes the whole position instead (a scale-out's trade is recorded with exit reason
 *   `scale_out_close`). Reductions themselves have no minimum (reduce-only orders are exempt
 *   on exchanges). A closed position is exactly flat: size 0, direction 0.
 * - **Fully paid long positions** (option premiums; {@link Account.openPaid} /
 *   {@link Account.closeAt}): fills at a quoted price (the ask to buy, the bid to sell) with a
 *   fee given per fill (per-contract commissions), margin = the whole cost, never liquidated.
 *   The same balance/equity identities hold: the wallet balance does not move by the premium
 *   (it is the position's margin), `equity = balance + size × (mark − entry)`, which equals
 *   cash + size × mark. This is the options env's accounting: one model, not a second one —
 *   the futures margin path would apply leverage, percentage fees, slippage on the mark and a
 *   liquidation price, none of which a long option has.
 *
 * All state is scalar (plus the ledger's typed arrays); no method allocates.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import { resolveTradingConfig, type TradingConfig } from "./config.ts";
import { ExitCode, type LedgerState, TradeLedger } from "./ledger.ts";

/**
 * Slots of the buffer written by {@link Account.readInto}: reading many values through one
 * call keeps hot loops free of the number boxing V8 does for doubles returned by calls it
 * does not inline.
 */
export const AccountField = {
  DIRECTION: 0,
  SIZE: 1,
  ENTRY_PRICE: 2,
  MARK_PRICE: 3,
  BALANCE: 4,
  EQUITY: 5,
  UNREALISED_PNL: 6,
  REALISED_PNL: 7,
  FEES_PAID: 8,
  FUNDING_PAID: 9,
  LIQUIDATION_PRICE: 10,
  DISTANCE_TO_LIQUIDATION: 11,
  NOTIONAL: 12,
  MARGIN: 13,
} as const;

/** Length of the buffer for {@link Account.readInto}. */
export const ACCOUNT_FIELD_COUNT = 14;

/**
 * A fill at a quoted price with an explicit fee, for {@link Account.openPaid} and {@link
 * Account.closeAt} (reuse one object in hot loops).
 */
export interface QuotedFill {
  /** Fill price per unit of size, quote currency (an option contract: premium × 100). */
  price: number;
  /** Fee of the whole fill, quote currency (e.g. per-contract commission × contracts). */
  fee: number;
}

/** A complete copy of an {@link Account}'s state (for env snapshots). */
export interface AccountState {
  /** Every scalar of the account (internal order). */
  scalars: Float64Array;
  /** The closed trades. */
  ledger: LedgerState;
}

/** A perpetual-futures account holding at most one position (long or short). */
export class Account {
  /** The resolved trading rules. */
  readonly config: Readonly<TradingConfig>;
  /** Closed trades. */
  readonly ledger: TradeLedger;

  // ---- rules, copied to scalars for the hot path
  readonly #initial: number;
  readonly #leverage: number;
  readonly #feeRate: number;
  readonly #slip: number;
  readonly #mmr: number;
  readonly #liqFee: number;
  readonly #isolated: boolean;
  readonly #minNotional: number;
  readonly #minQty: number;

  // ---- state
  #balance = 0;
  #dir = 0;
  #size = 0;
  #entry = 0;
  #mark = 0;
  #realised = 0;
  #fees = 0;
  #funding = 0;
  #margin = 0;
  #bar = 0;
  #time = 0;
  // ---- open trade accumulators
  #tEntryTime = 0;
  #tEntryBar = 0;
  #tMaxSize = 0;
  #tRealised = 0;
  #tFees = 0;
  #tFunding = 0;
  #tExitQty = 0;
  #tExitNotional = 0;
  #lastExitPrice = 0;
  /** 1 when the last order was rejected for being below the minimum size. */
  #belowMin = 0;
  /**
   * Scratch doubles passed between methods through a typed array instead of arguments and
   * return values, which V8 boxes when a call is not inlined: [liquidation price, risk size,
   * scale-in room, fill quantity, exit price].
   */
  readonly #tmp = new Float64Array(5);

  /**
   * A flat account holding `initialBalance`.
   *
   * @param config overrides of {@link DEFAULT_TRADING_CONFIG}; validated.
   */
  constructor(config: Partial<TradingConfig> = {}) {
    this.config = Object.freeze(resolveTradingConfig(config));
    this.#initial = this.config.initialBalance;
    this.#leverage = this.config.leverage;
    this.#feeRate = this.config.feeRate;
    this.#slip = this.config.slippage;
    this.#mmr = this.config.maintenanceMarginRate;
    this.#liqFee = this.config.liquidationFeeRate;
    this.#isolated = this.config.marginMode === "isolated";
    this.#minNotional = this.config.minNotional;
    this.#minQty = this.config.minQty;
    this.ledger = new TradeLedger();
    this.reset();
  }

  /** Back to the initial balance, flat, with an empty ledger. */
  reset(): void {
    this.#balance = this.#initial;
    this.#dir = 0;
    this.#size = 0;
    this.#entry = 0;
    this.#realised = 0;
    this.#fees = 0;
    this.#funding = 0;
    this.#margin = 0;
    this.#tMaxSize = 0;
    this.#tRealised = 0;
    this.#tFees = 0;
    this.#tFunding = 0;
    this.#tExitQty = 0;
    this.#tExitNotional = 0;
    this.#lastExitPrice = 0;
    this.#belowMin = 0;
    this.ledger.clear();
  }

  // ------------------------------------------------------------------ clock and prices

  /** Set the current bar index and its open time (UTC ms); used to stamp fills in the ledger. */
  setClock(bar: number, time: number): void {
    this.#bar = bar;
    this.#time = time;
  }

  /** Set the mark price (quote per contract) used for fills, unrealised PnL and funding. */
  mark(price: number): void {
    this.#mark = price;
  }

  // ------------------------------------------------------------------ read-only state

  /** Initial balance, quote currency. */
  get initialBalance(): number {
    return this.#initial;
  }
  /** −1 short, 0 flat, 1 long. */
  get direction(): number {
    return this.#dir;
  }
  /** Position size in contracts (base units), ≥ 0. */
  get size(): number {
    return this.#size;
  }
  /** Average entry fill price (0 when flat). */
  get entryPrice(): number {
    return this.#entry;
  }
  /** Current mark price. */
  get markPrice(): number {
    return this.#mark;
  }
  /** Wallet balance = initial + realised − fees − funding, quote currency. */
  get balance(): number {
    return this.#balance;
  }
  /** Cumulative gross realised price PnL, quote currency. */
  get realisedPnl(): number {
    return this.#realised;
  }
  /** Cumulative fees paid, quote currency (≥ 0). */
  get feesPaid(): number {
    return this.#fees;
  }
  /** Cumulative funding paid, quote currency (negative = net received). */
  get fundingPaid(): number {
    return this.#funding;
  }
  /** Unrealised PnL at the mark, quote currency. */
  get unrealisedPnl(): number {
    return this.#size * (this.#mark - this.#entry) * this.#dir;
  }
  /** Equity = balance + unrealised PnL, quote currency. */
  get equity(): number {
    return this.#balance + this.#size * (this.#mark - this.#entry) * this.#dir;
  }
  /** Position notional at the mark, quote currency (≥ 0). */
  get notional(): number {
    return this.#size * this.#mark;
  }
  /** Isolated margin of the open position (cross mode: the balance), quote currency. */
  get margin(): number {
    return this.#isolated ? this.#margin : this.#balance;
  }
  /** Bar index of the last clock tick. */
  get bar(): number {
    return this.#bar;
  }
  /** Open time (UTC ms) of the last clock tick. */
  get time(): number {
    return this.#time;
  }
  /** Bar index at which the open trade was entered (meaningless when flat). */
  get tradeEntryBar(): number {
    return this.#tEntryBar;
  }
  /** Net PnL of the open trade so far: realised − fees − funding + unrealised (0 when flat). */
  get openTradePnl(): number {
    if (this.#dir === 0) return 0;
    return this.#tRealised - this.#tFees - this.#tFunding + this.unrealisedPnl;
  }
  /** Fill price of the last full close (0 before any). */
  get lastExitPrice(): number {
    return this.#lastExitPrice;
  }

  /**
   * Liquidation price of the open position (0 when flat or when a long cannot be liquidated
   * at a positive price; +Infinity never occurs for shorts with positive margin).
   */
  liquidationPrice(): number {
    this.#liq();
    return this.#tmp[0];
  }

  #liq(): void {
    const t = this.#tmp;
    if (this.#dir === 0) {
      t[0] = 0;
      return;
    }
    const m = this.#isolated ? this.#margin : this.#balance;
    const perContract = m / this.#size;
    if (this.#dir > 0) {
      t[0] = (this.#entry - perContract) / (1 - this.#mmr);
      if (!(t[0] > 0)) t[0] = 0;
    } else {
      t[0] = (this.#entry + perContract) / (1 + this.#mmr);
    }
  }

  /**
   * Distance from the mark to the liquidation price as a fraction of the mark, clipped to
   * [0, 1]; 1 when flat.
   */
  distanceToLiquidation(): number {
    if (this.#dir === 0) return 1;
    this.#liq();
    const liq = this.#tmp[0];
    const d = this.#dir > 0 ? (this.#mark - liq) / this.#mark : (liq - this.#mark) / this.#mark;
    return d < 0 ? 0 : d > 1 ? 1 : d;
  }

  /**
   * Write the account's state into `out` at the {@link AccountField} slots (length ≥
   * {@link ACCOUNT_FIELD_COUNT}); same values as the getters.
   */
  readInto(out: Float64Array): void {
    const u = this.#size * (this.#mark - this.#entry) * this.#dir;
    out[0] = this.#dir;
    out[1] = this.#size;
    out[2] = this.#entry;
    out[3] = this.#mark;
    out[4] = this.#balance;
    out[5] = this.#balance + u;
    out[6] = u;
    out[7] = this.#realised;
    out[8] = this.#fees;
    out[9] = this.#funding;
    this.#liq();
    const liq = this.#tmp[0];
    out[10] = liq;
    out[11] = 1;
    if (this.#dir !== 0) {
      out[11] = this.#dir > 0 ? (this.#mark - liq) / this.#mark : (liq - this.#mark) / this.#mark;
      if (out[11] < 0) out[11] = 0;
      else if (out[11] > 1) out[11] = 1;
    }
    out[12] = this.#size * this.#mark;
    out[13] = this.#isolated ? this.#margin : this.#balance;
  }

  /**
   * Whether a risk-sized entry would execute now: flat, {@link riskSize} > 0 and at least the
   * minimum order size (`minNotional` at the slipped fill price, `minQty`). `direction` 1 or
   * −1 checks that side's fill; 0 (default) requires both sides to pass.
   */
  canEnter(atr: number, direction: number = 0): boolean {
    if (this.#dir !== 0) return false;
    this.#riskQty(atr);
    const q = this.#tmp[1];
    if (!(q > 0)) return false;
    const side = direction === 1 ? 1 : -1;
    return this.#meetsMin(q, this.#mark * (1 + this.#slip * side));
  }

  /**
   * Whether a SCALE_IN by `scaleInFactor` would execute now: in a position, {@link
   * scaleInRoom} > 0 and the added quantity (bounded by the room) at least the minimum order
   * size.
   */
  canScaleIn(): boolean {
    if (this.#dir === 0) return false;
    this.#room();
    const t = this.#tmp;
    let q = this.#size * (this.config.scaleInFactor - 1);
    if (q > t[2]) q = t[2];
    if (!(q > 0)) return false;
    return this.#meetsMin(q, this.#mark * (1 + this.#slip * this.#dir));
  }

  /**
   * Whether the last order (entry, open or scale-in) was rejected because its fill notional
   * was below `minNotional` or its quantity below `minQty`.
   */
  get lastOrderBelowMinimum(): boolean {
    return this.#belowMin === 1;
  }

  /** Contracts of the last executed order (0 after a rejected one). */
  get lastFillQty(): number {
    return this.#tmp[3];
  }

  // ------------------------------------------------------------------ sizing

  /**
   * Contracts a risk-sized entry would buy at the mark: risk `riskPerTrade × equity` over a
   * stop `stopAtr × atr` away, notional capped at `equity × leverage × maxNotionalFraction`.
   * 0 when `atr` is not a positive finite number or equity ≤ 0. `atr` in price units.
   */
  riskSize(atr: number): number {
    this.#riskQty(atr);
    return this.#tmp[1];
  }

  #riskQty(atr: number): void {
    const t = this.#tmp;
    const eq = this.equity;
    const price = this.#mark;
    t[1] = 0;
    if (!(eq > 0) || !(price > 0) || !(atr >= 0) || !Number.isFinite(atr)) return;
    const cap = eq * this.#leverage * this.config.maxNotionalFraction;
    const stop = this.config.stopAtr * atr;
    t[1] = stop > 0 ? (this.config.riskPerTrade * eq * price) / stop : cap;
    if (t[1] > cap) t[1] = cap;
    t[1] /= price;
  }

  /** Contracts a SCALE_IN may still add under the leverage cap (0 when flat). */
  scaleInRoom(): number {
    this.#room();
    return this.#tmp[2];
  }

  #room(): void {
    const t = this.#tmp;
    t[2] = 0;
    if (this.#dir === 0) return;
    const eq = this.equity;
    if (!(eq > 0) || !(this.#mark > 0)) return;
    // Contracts q such that, after paying the fill's slippage and fee (cost c per unit of
    // notional), (size + q) × mark ≤ capFraction × leverage × (equity − q × mark × c).
    const lev = this.#leverage * this.config.scaleInMaxNotionalFraction;
    const c = this.#slip + this.#feeRate * (1 + this.#slip);
    t[2] = (lev * eq - this.#size * this.#mark) / (this.#mark * (1 + lev * c));
    if (!(t[2] > this.#size * 1e-9)) t[2] = 0;
  }

  // ------------------------------------------------------------------ orders

  /**
   * Enter a risk-sized position from flat (see {@link riskSize}). Returns whether it executed
   * (not when already in a position, with a bad ATR or without equity); the contracts filled
   * are in {@link lastFillQty}.
   */
  enterRisk(direction: number, atr: number): boolean {
    this.#tmp[3] = 0;
    this.#belowMin = 0;
    if (this.#dir !== 0 || (direction !== 1 && direction !== -1)) return false;
    this.#riskQty(atr);
    if (!(this.#tmp[1] > 0)) return false;
    return this.#open(direction, this.#tmp[1]);
  }

  /**
   * Open a position of `qty` contracts from flat. Rejected (returns false) when in a
   * position, when `qty` is not positive, when its notional exceeds `equity × leverage`, or
   * when it is below the minimum order size ({@link lastOrderBelowMinimum}).
   */
  open(direction: number, qty: number): boolean {
    this.#tmp[3] = 0;
    this.#belowMin = 0;
    return this.#open(direction, qty);
  }

  #open(direction: number, qty: number): boolean {
    if (this.#dir !== 0 || (direction !== 1 && direction !== -1)) return false;
    if (!(qty > 0) || !Number.isFinite(qty)) return false;
    const eq = this.equity;
    if (!(eq > 0) || qty * this.#mark > eq * this.#leverage * (1 + 1e-12)) return false;
    if (!this.#meetsMin(qty, this.#mark * (1 + this.#slip * direction))) {
      this.#belowMin = 1;
      return false;
    }
    this.#beginTrade(direction);
    this.#tmp[3] = qty;
    this.#increase();
    return true;
  }

  #beginTrade(direction: number): void {
    this.#dir = direction;
    this.#size = 0;
    this.#entry = 0;
    this.#margin = 0;
    this.#tEntryTime = this.#time;
    this.#tEntryBar = this.#bar;
    this.#tMaxSize = 0;
    this.#tRealised = 0;
    this.#tFees = 0;
    this.#tFunding = 0;
    this.#tExitQty = 0;
    this.#tExitNotional = 0;
  }

  /**
   * Buy `qty` units of a FULLY PAID long position from flat — an option's premium — at the
   * quoted `fill.price` (no slippage is added: the quote is the fill, e.g. the ask) paying
   * `fill.fee`. Its margin is its whole cost `qty × price`: no leverage, nothing to
   * liquidate (the liquidation price is 0), and the most it can lose is the price paid plus
   * fees. Rejected (false) when in a position, for a non-positive or non-finite `qty` or
   * price, a negative or non-finite fee, when `qty × price + fee` exceeds the equity (the
   * cash), or below the minimum order size ({@link lastOrderBelowMinimum}).
   */
  openPaid(qty: number, fill: QuotedFill): boolean {
    this.#tmp[3] = 0;
    this.#belowMin = 0;
    const price = fill.price;
    const fee = fill.fee;
    if (this.#dir !== 0 || !(qty > 0) || !Number.isFinite(qty)) return false;
    if (!(price > 0) || !Number.isFinite(price) || !(fee >= 0) || !Number.isFinite(fee)) {
      return false;
    }
    if (qty * price + fee > this.equity * (1 + 1e-12)) return false;
    if (!this.#meetsMin(qty, price)) {
      this.#belowMin = 1;
      return false;
    }
    this.#beginTrade(1);
    this.#book(0, fee);
    this.#entry = price;
    this.#size = qty;
    this.#margin = qty * price;
    this.#tMaxSize = qty;
    this.#tmp[3] = qty;
    return true;
  }

  /**
   * Close the whole position at the quoted `fill.price` (no slippage added, e.g. an option's
   * bid or its settlement value) paying `fill.fee`, and record the trade with `reason` (an
   * {@link ExitCode}). Returns false when flat; the units closed are in {@link lastFillQty}.
   */
  closeAt(fill: QuotedFill, reason: number = ExitCode.EXIT): boolean {
    const t = this.#tmp;
    t[3] = 0;
    this.#belowMin = 0;
    if (this.#dir === 0) return false;
    const q = this.#size;
    const price = fill.price;
    t[3] = q;
    this.#tExitQty += q;
    this.#tExitNotional += q * price;
    this.#book(q * (price - this.#entry) * this.#dir, fill.fee);
    this.#size = 0;
    t[4] = price;
    this.#finishTrade(reason);
    return true;
  }

  /**
   * Multiply the size by `factor` (default `scaleInFactor`), bounded by the leverage cap.
   * Returns whether contracts were added (not when flat, already at the cap, or when the
   * added quantity is below the minimum order size — see {@link lastOrderBelowMinimum}); how
   * many is in {@link lastFillQty}.
   */
  scaleIn(factor: number = this.config.scaleInFactor): boolean {
    const t = this.#tmp;
    t[3] = 0;
    this.#belowMin = 0;
    if (this.#dir === 0 || !(factor > 1)) return false;
    this.#room();
    t[3] = this.#size * (factor - 1);
    if (t[3] > t[2]) t[3] = t[2];
    if (!(t[3] > 0)) {
      t[3] = 0;
      return false;
    }
    if (!this.#meetsMin(t[3], this.#mark * (1 + this.#slip * this.#dir))) {
      t[3] = 0;
      this.#belowMin = 1;
      return false;
    }
    this.#increase();
    return true;
  }

  /**
   * Keep `keep` (default `scaleOutFactor`) of the size, realising the PnL of the rest. When
   * the remainder would be below the minimum position size (see the module docs) the whole
   * position is closed instead and the trade recorded with exit reason `scale_out_close`.
   * Returns whether it executed (not when flat); the contracts closed are in {@link
   * lastFillQty}.
   */
  scaleOut(keep: number = this.config.scaleOutFactor): boolean {
    const t = this.#tmp;
    t[3] = 0;
    this.#belowMin = 0;
    if (this.#dir === 0 || !(keep >= 0 && keep < 1)) return false;
    t[3] = this.#size * (1 - keep);
    if (!(t[3] > 0)) t[3] = this.#size;
    if (t[3] < this.#size && this.#isDust(this.#size - t[3])) {
      t[3] = this.#size;
      this.#reduce(ExitCode.SCALE_OUT_CLOSE);
      return true;
    }
    this.#reduce(ExitCode.EXIT);
    return true;
  }

  /**
   * Close `qty` contracts (all of them when `qty ≥ size`, or when the remainder would be
   * below the minimum position size); a full close records the trade with exit reason
   * `reason` (an {@link ExitCode}). Returns whether it executed; the contracts closed are in
   * {@link lastFillQty}.
   */
  reduce(qty: number, reason: number = ExitCode.EXIT): boolean {
    const t = this.#tmp;
    t[3] = 0;
    this.#belowMin = 0;
    if (this.#dir === 0 || !(qty > 0)) return false;
    t[3] = qty >= this.#size || this.#isDust(this.#size - qty) ? this.#size : qty;
    this.#reduce(reason);
    return true;
  }

  /**
   * Close the whole position at the mark and record the trade. Returns whether it executed
   * (not when flat); the contracts closed are in {@link lastFillQty}.
   */
  close(reason: number = ExitCode.EXIT): boolean {
    const t = this.#tmp;
    t[3] = 0;
    this.#belowMin = 0;
    if (this.#dir === 0) return false;
    t[3] = this.#size;
    this.#reduce(reason);
    return true;
  }

  /**
   * Settle funding at the mark: pays `direction × size × mark × rate` (negative = received).
   * `rate` is a fraction per settlement; NaN or flat → nothing. Returns the amount paid.
   */
  applyFunding(rate: number): number {
    if (this.#dir === 0 || rate !== rate) return 0;
    const pay = this.#dir * this.#size * this.#mark * rate;
    this.#balance -= pay;
    this.#funding += pay;
    this.#tFunding += pay;
    if (this.#isolated) this.#margin -= pay;
    return pay;
  }

  /**
   * Liquidate the position if a bar with this `high`/`low` reaches the liquidation price.
   * The fill is the liquidation price (or the bar's high for a long / low for a short when the
   * whole bar lies beyond it), without slippage, charged `liquidationFeeRate × notional`.
   * A liquidation never costs more than the margin backing the position (the isolated margin,
   * or the whole balance in cross mode): beyond that the exchange's insurance fund pays, so
   * the fill is moved to the bankruptcy price and the fee shrinks accordingly.
   * Returns true when liquidated.
   */
  liquidateIfCrossed(high: number, low: number): boolean {
    if (this.#dir === 0) return false;
    this.#liq();
    const t = this.#tmp;
    const liq = t[0];
    if (this.#dir > 0) {
      if (!(liq > 0) || low > liq) return false;
      t[4] = high < liq ? high : liq;
    } else {
      if (high < liq) return false;
      t[4] = low > liq ? low : liq;
    }
    const q = this.#size;
    const m = this.#isolated ? this.#margin : this.#balance;
    t[3] = q;
    // t[0] ← price PnL, t[1] ← fee (the scratch slots are free again here)
    t[0] = q * (t[4] - this.#entry) * this.#dir;
    t[1] = this.#liqFee * q * t[4];
    if (m >= 0 && t[0] - t[1] < -m) {
      if (t[0] < -m) {
        // gap beyond the bankruptcy price: fill there, no fee left to charge
        t[4] = this.#entry - (this.#dir * m) / q;
        t[0] = -m;
        t[1] = 0;
      } else {
        t[1] = t[0] + m;
      }
    }
    this.#tExitQty += q;
    this.#tExitNotional += q * t[4];
    this.#book(t[0], t[1]);
    this.#size = 0;
    this.#finishTrade(ExitCode.LIQUIDATION);
    return true;
  }

  // ------------------------------------------------------------------ snapshots

  /** A complete copy of the state (allocates; not for per-step use). */
  snapshot(): AccountState {
    return {
      scalars: Float64Array.of(
        this.#balance,
        this.#dir,
        this.#size,
        this.#entry,
        this.#mark,
        this.#realised,
        this.#fees,
        this.#funding,
        this.#margin,
        this.#bar,
        this.#time,
        this.#tEntryTime,
        this.#tEntryBar,
        this.#tMaxSize,
        this.#tRealised,
        this.#tFees,
        this.#tFunding,
        this.#lastExitPrice,
        this.#tExitQty,
        this.#tExitNotional,
      ),
      ledger: this.ledger.snapshot(),
    };
  }

  /** Restore a {@link snapshot} taken from an account with the same config. */
  restore(s: AccountState): void {
    if (!(s?.scalars instanceof Float64Array) || s.scalars.length !== 20) {
      throw new ConfigError("not an Account snapshot", { parameter: "state" });
    }
    const v = s.scalars;
    this.#balance = v[0];
    this.#dir = v[1];
    this.#size = v[2];
    this.#entry = v[3];
    this.#mark = v[4];
    this.#realised = v[5];
    this.#fees = v[6];
    this.#funding = v[7];
    this.#margin = v[8];
    this.#bar = v[9];
    this.#time = v[10];
    this.#tEntryTime = v[11];
    this.#tEntryBar = v[12];
    this.#tMaxSize = v[13];
    this.#tRealised = v[14];
    this.#tFees = v[15];
    this.#tFunding = v[16];
    this.#lastExitPrice = v[17];
    this.#tExitQty = v[18];
    this.#tExitNotional = v[19];
    this.ledger.restore(s.ledger);
  }

  // ------------------------------------------------------------------ internals

  /** Whether an opening order of `qty` contracts filled at `price` meets the minimums. */
  #meetsMin(qty: number, price: number): boolean {
    return qty >= this.#minQty && qty * price >= this.#minNotional;
  }

  /** Whether a remaining position of `rest` contracts would be below the minimum size. */
  #isDust(rest: number): boolean {
    return !(rest > this.#tMaxSize * 1e-9) || rest < this.#minQty ||
      rest * this.#mark < this.#minNotional;
  }

  #increase(): void {
    const q = this.#tmp[3];
    const price = this.#mark * (1 + this.#slip * this.#dir);
    const fee = q * price * this.#feeRate;
    this.#book(0, fee);
    const newSize = this.#size + q;
    this.#entry = (this.#entry * this.#size + price * q) / newSize;
    this.#size = newSize;
    this.#margin += (q * price) / this.#leverage;
    if (newSize > this.#tMaxSize) this.#tMaxSize = newSize;
  }

  #reduce(reason: number): void {
    const q = this.#tmp[3];
    const price = this.#mark * (1 - this.#slip * this.#dir);
    this.#tExitQty += q;
    this.#tExitNotional += q * price;
    const pnl = q * (price - this.#entry) * this.#dir;
    const fee = q * price * this.#feeRate;
    this.#book(pnl, fee);
    if (q >= this.#size) {
      this.#size = 0;
      this.#tmp[4] = price;
      this.#finishTrade(reason);
    } else {
      const keep = (this.#size - q) / this.#size;
      this.#margin *= keep;
      this.#size -= q;
    }
  }

  #book(pnl: number, fee: number): void {
    this.#balance += pnl - fee;
    this.#realised += pnl;
    this.#fees += fee;
    this.#tRealised += pnl;
    this.#tFees += fee;
  }

  #finishTrade(reason: number): void {
    const exitPrice = this.#tmp[4];
    const L = this.ledger;
    const i = L.append();
    L.entryTime[i] = this.#tEntryTime;
    L.exitTime[i] = this.#time;
    L.entryBar[i] = this.#tEntryBar;
    L.exitBar[i] = this.#bar;
    L.side[i] = this.#dir;
    L.size[i] = this.#tMaxSize;
    L.entryPrice[i] = this.#entry;
    L.exitPrice[i] = this.#tExitQty > 0 ? this.#tExitNotional / this.#tExitQty : exitPrice;
    L.grossPnl[i] = this.#tRealised;
    L.fees[i] = this.#tFees;
    L.funding[i] = this.#tFunding;
    L.pnl[i] = this.#tRealised - this.#tFees - this.#tFunding;
    L.reason[i] = reason;
    this.#lastExitPrice = exitPrice;
    this.#dir = 0;
    this.#size = 0;
    this.#entry = 0;
    this.#margin = 0;
    this.#tRealised = 0;
    this.#tFees = 0;
    this.#tFunding = 0;
    this.#tMaxSize = 0;
    this.#tExitQty = 0;
    this.#tExitNotional = 0;
  }
}
