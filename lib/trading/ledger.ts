/**
 * The trade ledger: one record per round trip (flat → position → flat), stored as growable
 * typed arrays so recording a trade never allocates in the steady state.
 *
 * @module
 */

/** Why a trade was closed. Codes are stored in {@link TradeLedger.reason}. */
export const EXIT_REASONS = [
  "exit",
  "liquidation",
  "end_of_data",
  "ruin",
  "stop_loss",
  "take_profit",
  "scale_out_close",
  "expiry",
  "session_close",
] as const;

/** A name from {@link EXIT_REASONS}. */
export type ExitReason = typeof EXIT_REASONS[number];

/** Numeric codes of {@link EXIT_REASONS}, for hot paths. */
export const ExitCode = {
  EXIT: 0,
  LIQUIDATION: 1,
  END_OF_DATA: 2,
  RUIN: 3,
  STOP_LOSS: 4,
  TAKE_PROFIT: 5,
  /** A scale-out whose remainder would have been below the minimum size closed everything. */
  SCALE_OUT_CLOSE: 6,
  /** An option position settled at its intrinsic value at expiry. */
  EXPIRY: 7,
  /** Flattened before the session close (the scheduler's 15:50 flatten). */
  SESSION_CLOSE: 8,
} as const;

/** One closed trade (round trip), as materialised by {@link TradeLedger.trades}. */
export interface Trade {
  /** Open time of the bar whose close filled the entry, UTC epoch ms. */
  entryTime: number;
  /** Open time of the bar on which the trade was closed, UTC epoch ms. */
  exitTime: number;
  /** Bar index of the entry fill. */
  entryBar: number;
  /** Bar index of the final fill. */
  exitBar: number;
  /** 1 = long, −1 = short. */
  side: 1 | -1;
  /** Largest size held during the trade, in contracts (base units). */
  size: number;
  /** Size-weighted average entry fill price (incl. slippage) of the position at its final exit. */
  entryPrice: number;
  /**
   * Size-weighted average of every reduction fill (scale-outs and the final exit, incl.
   * slippage; the liquidation price for a liquidation).
   */
  exitPrice: number;
  /** Price PnL realised on every reduction of the trade, quote currency, before costs. */
  grossPnl: number;
  /** All fees of the trade (entry, scale-in/out, exit, liquidation), quote currency. */
  fees: number;
  /** Net funding PAID over the trade (negative = received), quote currency. */
  funding: number;
  /** Net PnL = grossPnl − fees − funding, quote currency. */
  pnl: number;
  /** Why the trade ended. */
  exitReason: ExitReason;
}

/** A plain copy of a ledger, for env snapshots. */
export interface LedgerState {
  /** Number of trades. */
  count: number;
  /** The 13 columns in declaration order of {@link TradeLedger}, each `count` long. */
  columns: Float64Array[];
}

/** Struct-of-arrays ledger of closed trades; capacity doubles when full. */
export class TradeLedger {
  /** Number of closed trades. */
  count = 0;
  /** Per trade: see {@link Trade.entryTime} (UTC ms). */
  entryTime: Float64Array;
  /** Per trade: see {@link Trade.exitTime} (UTC ms). */
  exitTime: Float64Array;
  /** Per trade: bar index of the entry fill. */
  entryBar: Float64Array;
  /** Per trade: bar index of the final fill. */
  exitBar: Float64Array;
  /** 1 = long, −1 = short. */
  side: Float64Array;
  /** Per trade: largest size held, contracts. */
  size: Float64Array;
  /** Per trade: average entry fill price. */
  entryPrice: Float64Array;
  /** Per trade: size-weighted average exit fill price. */
  exitPrice: Float64Array;
  /** Per trade: realised price PnL before costs, quote currency. */
  grossPnl: Float64Array;
  /** Per trade: fees, quote currency. */
  fees: Float64Array;
  /** Per trade: funding paid (negative = received), quote currency. */
  funding: Float64Array;
  /** Per trade: net PnL, quote currency. */
  pnl: Float64Array;
  /** Exit reason code, see {@link ExitCode}. */
  reason: Float64Array;

  /**
   * An empty ledger.
   *
   * @param capacity initial number of trades the arrays hold (grows by doubling).
   */
  constructor(capacity = 64) {
    const c = Math.max(1, capacity | 0);
    this.entryTime = new Float64Array(c);
    this.exitTime = new Float64Array(c);
    this.entryBar = new Float64Array(c);
    this.exitBar = new Float64Array(c);
    this.side = new Float64Array(c);
    this.size = new Float64Array(c);
    this.entryPrice = new Float64Array(c);
    this.exitPrice = new Float64Array(c);
    this.grossPnl = new Float64Array(c);
    this.fees = new Float64Array(c);
    this.funding = new Float64Array(c);
    this.pnl = new Float64Array(c);
    this.reason = new Float64Array(c);
  }

  /** Forget every trade (keeps the capacity). */
  clear(): void {
    this.count = 0;
  }

  /** Reserve a slot for a new trade and return its index; the caller fills the columns. */
  append(): number {
    if (this.count === this.pnl.length) this.#grow();
    return this.count++;
  }

  /** Sum of net PnL over all closed trades, quote currency. */
  totalPnl(): number {
    let s = 0;
    for (let i = 0; i < this.count; i++) s += this.pnl[i];
    return s;
  }

  /** Materialise trade `i` as an object. */
  get(i: number): Trade {
    if (!(i >= 0 && i < this.count)) {
      throw new RangeError(`trade ${i} out of range 0..${this.count - 1}`);
    }
    return {
      entryTime: this.entryTime[i],
      exitTime: this.exitTime[i],
      entryBar: this.entryBar[i],
      exitBar: this.exitBar[i],
      side: this.side[i] > 0 ? 1 : -1,
      size: this.size[i],
      entryPrice: this.entryPrice[i],
      exitPrice: this.exitPrice[i],
      grossPnl: this.grossPnl[i],
      fees: this.fees[i],
      funding: this.funding[i],
      pnl: this.pnl[i],
      exitReason: EXIT_REASONS[this.reason[i]],
    };
  }

  /** All closed trades as objects (allocates; not for hot paths). */
  trades(): Trade[] {
    const out: Trade[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.get(i));
    return out;
  }

  /** A copy of the first `count` records. */
  snapshot(): LedgerState {
    return { count: this.count, columns: this.#columns().map((c) => c.slice(0, this.count)) };
  }

  /** Restore a {@link snapshot}. */
  restore(s: LedgerState): void {
    while (this.pnl.length < s.count) this.#grow();
    this.#columns().forEach((c, k) => c.set(s.columns[k]));
    this.count = s.count;
  }

  /** The columns in the order of {@link LedgerState.columns} (allocates a small array; not for hot paths). */
  #columns(): Float64Array[] {
    return [
      this.entryTime,
      this.exitTime,
      this.entryBar,
      this.exitBar,
      this.side,
      this.size,
      this.entryPrice,
      this.exitPrice,
      this.grossPnl,
      this.fees,
      this.funding,
      this.pnl,
      this.reason,
    ];
  }

  // Explicit per-field assignments keep the object's shape stable (a computed `this[f] = …`
  // made V8 treat the columns generically and box every value written in the hot path).
  #grow(): void {
    const n = this.pnl.length * 2;
    this.entryTime = grown(this.entryTime, n);
    this.exitTime = grown(this.exitTime, n);
    this.entryBar = grown(this.entryBar, n);
    this.exitBar = grown(this.exitBar, n);
    this.side = grown(this.side, n);
    this.size = grown(this.size, n);
    this.entryPrice = grown(this.entryPrice, n);
    this.exitPrice = grown(this.exitPrice, n);
    this.grossPnl = grown(this.grossPnl, n);
    this.fees = grown(this.fees, n);
    this.funding = grown(this.funding, n);
    this.pnl = grown(this.pnl, n);
    this.reason = grown(this.reason, n);
  }
}

function grown(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
