/**
 * Trade-ledger statistics: win rate, profit factor, payoff ratio, expectancy, holding time,
 * fees and funding.
 *
 * Naming: the specification's comparison code computes `avg_win / avg_loss` and calls it
 * "profit factor". The usual definition of profit factor is gross profit / gross loss; the
 * ratio of average win to average loss is the payoff ratio. Both are reported here under
 * their correct names ({@link TradeStats.profitFactor}, {@link TradeStats.payoffRatio}).
 *
 * @module
 */

/** One closed round-trip trade (entry to full exit). Money amounts are in quote currency. */
export interface TradeRecord {
  /** +1 long, −1 short. */
  side: 1 | -1;
  /** Bar index (into the backtest's bars) at which the position was opened. */
  entryBar: number;
  /** Bar index at which the position was fully closed. */
  exitBar: number;
  /** Entry bar time, UTC epoch ms. */
  entryTime: number;
  /** Exit bar time, UTC epoch ms. */
  exitTime: number;
  /** Average entry fill price (after slippage). */
  entryPrice: number;
  /** Average exit fill price (after slippage). */
  exitPrice: number;
  /** Largest size held during the trade, contracts (base units). */
  size: number;
  /** Net PnL: price PnL − fees − funding paid (quote currency). */
  pnl: number;
  /** Fees paid on every fill of the trade (entry, scale-ins, scale-outs, exit), ≥ 0. */
  fees: number;
  /** Funding paid while open (positive = paid, negative = received). */
  funding: number;
  /** Why the trade closed, e.g. `"exit"`, `"take_profit"`, `"stop_loss"`, `"time"`, `"liquidation"`, `"end_of_data"`. */
  exitReason?: string;
}

/** Statistics of a trade ledger. Ratios are `null` when undefined (documented per field). */
export interface TradeStats {
  /** Number of closed trades. */
  trades: number;
  /** Trades with net PnL > 0. */
  wins: number;
  /** Trades with net PnL < 0. */
  losses: number;
  /** Trades with net PnL exactly 0. */
  breakeven: number;
  /** wins / trades, fraction; `null` with no trades. */
  winRate: number | null;
  /** Sum of net PnL of winning trades (quote), ≥ 0. */
  grossProfit: number;
  /** Sum of |net PnL| of losing trades (quote), ≥ 0. */
  grossLoss: number;
  /** Sum of net PnL of all trades (quote). */
  netPnl: number;
  /**
   * Profit factor = gross profit / gross loss; `null` when there is no losing trade (the ratio
   * is unbounded with wins, undefined without). Use {@link TradeStats.grossLoss} to tell.
   */
  profitFactor: number | null;
  /** Average net PnL of winning trades (quote); `null` without wins. */
  avgWin: number | null;
  /** Average |net PnL| of losing trades (quote, positive); `null` without losses. */
  avgLoss: number | null;
  /**
   * Payoff ratio = average win / average loss (what the specification calls "profit
   * factor"); `null` without wins or without losses.
   */
  payoffRatio: number | null;
  /** Expectancy = mean net PnL per trade (quote); `null` with no trades. */
  expectancy: number | null;
  /** Largest winning trade's net PnL (quote); `null` without wins. */
  largestWin: number | null;
  /** Largest losing trade's net PnL (quote, negative); `null` without losses. */
  largestLoss: number | null;
  /** Longest run of consecutive losing trades. */
  maxConsecutiveLosses: number;
  /** Mean holding time in bars (exitBar − entryBar); `null` with no trades. */
  avgHoldingBars: number | null;
  /** Mean holding time in ms (exitTime − entryTime); `null` with no trades. */
  avgHoldingMs: number | null;
  /** Fees paid by the closed trades (quote), ≥ 0. */
  feesPaid: number;
  /** Net funding paid by the closed trades (quote; negative = received). */
  fundingPaid: number;
  /** Number of long trades. */
  longTrades: number;
  /** Number of short trades. */
  shortTrades: number;
}

/**
 * Statistics of a trade ledger. Defined for every input: no trades gives counts 0, sums 0
 * and `null` ratios; all wins gives `profitFactor`/`payoffRatio`/`avgLoss` `null` and
 * `winRate` 1. Never NaN, never throws.
 */
export function tradeStats(trades: readonly TradeRecord[]): TradeStats {
  const n = trades.length;
  let wins = 0;
  let losses = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let net = 0;
  let largestWin = -Infinity;
  let largestLoss = Infinity;
  let streak = 0;
  let maxStreak = 0;
  let holdBars = 0;
  let holdMs = 0;
  let fees = 0;
  let funding = 0;
  let longs = 0;
  for (const t of trades) {
    const p = t.pnl;
    net += p;
    if (p > 0) {
      wins++;
      grossProfit += p;
      largestWin = Math.max(largestWin, p);
      streak = 0;
    } else if (p < 0) {
      losses++;
      grossLoss -= p;
      largestLoss = Math.min(largestLoss, p);
      streak++;
      maxStreak = Math.max(maxStreak, streak);
    } else {
      streak = 0;
    }
    holdBars += t.exitBar - t.entryBar;
    holdMs += t.exitTime - t.entryTime;
    fees += t.fees;
    funding += t.funding;
    if (t.side === 1) longs++;
  }
  const avgWin = wins > 0 ? grossProfit / wins : null;
  const avgLoss = losses > 0 ? grossLoss / losses : null;
  return {
    trades: n,
    wins,
    losses,
    breakeven: n - wins - losses,
    winRate: n > 0 ? wins / n : null,
    grossProfit,
    grossLoss,
    netPnl: net,
    profitFactor: grossLoss > 0 ? grossProfit / grossLoss : null,
    avgWin,
    avgLoss,
    payoffRatio: avgWin !== null && avgLoss !== null && avgLoss > 0 ? avgWin / avgLoss : null,
    expectancy: n > 0 ? net / n : null,
    largestWin: wins > 0 ? largestWin : null,
    largestLoss: losses > 0 ? largestLoss : null,
    maxConsecutiveLosses: maxStreak,
    avgHoldingBars: n > 0 ? holdBars / n : null,
    avgHoldingMs: n > 0 ? holdMs / n : null,
    feesPaid: fees,
    fundingPaid: funding,
    longTrades: longs,
    shortTrades: n - longs,
  };
}
