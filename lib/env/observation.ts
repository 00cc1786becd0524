/**
 * The futures env's observation assembly as pure functions, shared by `FuturesTradingEnv` and
 * the paper-trading loop (`lib/live/loop.ts`) so the two cannot drift: the market block
 * (8 features, scaled, NaN → neutral), the ML-signal block, the account/episode block, the
 * clip, and the running equity statistics (peak, drawdown, recent Sharpe ring) behind
 * `drawdown` and `recent_sharpe`.
 *
 * The slots come from the one observation layout, `OBS_INDEX` in `./policy.ts` (position,
 * unrealised PnL / equity, time in position / 100 capped at 1, the 3 signal entries, the 8
 * market entries, equity / initial, drawdown, balance / initial, recent Sharpe, distance to
 * liquidation, win rate). Every entry clipped to ±{@link OBSERVATION_CLIP}; NaN → 0.
 *
 * @module
 */
import type { Account } from "../trading/mod.ts";
import {
  OBS_CLIP,
  OBS_DIM,
  OBS_INDEX,
  OBSERVATION_NAMES,
  TIME_IN_POSITION_SCALE,
} from "./policy.ts";

/** Clip bound of every observation entry (the layout's `OBS_CLIP`: the specification's ±10). */
export const OBSERVATION_CLIP = OBS_CLIP;

// Slots of the layout this writer fills (the market block is 8 consecutive entries from
// return_20 to bb_position, the ML block 3 from ml_signal).
const O_POSITION = OBS_INDEX.position;
const O_UPNL = OBS_INDEX.unrealised_pnl_over_equity;
const O_TIME = OBS_INDEX.time_in_position;
const O_ML = OBS_INDEX.ml_signal;
const O_MARKET = OBS_INDEX.return_20;
const O_EQUITY = OBS_INDEX.equity_over_initial;
const O_DD = OBS_INDEX.drawdown;
const O_BALANCE = OBS_INDEX.balance_over_initial;
const O_SHARPE = OBS_INDEX.recent_sharpe;
const O_LIQ = OBS_INDEX.distance_to_liquidation;
const O_WIN = OBS_INDEX.win_rate;
if (OBSERVATION_NAMES[O_MARKET + 7] !== "bb_position" || OBSERVATION_NAMES.length !== OBS_DIM) {
  throw new Error("observation layout and env writer disagree"); // a layout edit must update both
}

/** The feature columns of the observation's market block, in order (8). */
export const MARKET_OBS_FEATURES = [
  "return_20",
  "natr",
  "rsi_14",
  "oi_price_divergence_20",
  "oi_change_20",
  "funding_rate",
  "volume_ratio",
  "bb_position",
] as const;

/** Scale of each market feature in the observation (rsi → fraction, funding → percent). */
export const MARKET_OBS_SCALE: readonly number[] = [1, 1, 0.01, 1, 1, 100, 1, 1];
/** Neutral value (already scaled) replacing a NaN market feature. */
export const MARKET_OBS_NEUTRAL: readonly number[] = [0, 0, 0.5, 0, 0, 0, 1, 0.5];

/**
 * Write the 8 scaled, neutral-filled market entries of one bar: reads `src[srcOffset +
 * cols[k]]` for k = 0..7 (the columns of {@link MARKET_OBS_FEATURES} in the source row) and
 * writes `out[outOffset + k]`.
 */
export function writeMarketBlock(
  src: ArrayLike<number>,
  out: Float64Array,
  at: { srcOffset: number; cols: ArrayLike<number>; outOffset: number },
): void {
  for (let k = 0; k < 8; k++) {
    const v = src[at.srcOffset + at.cols[k]];
    out[at.outOffset + k] = Number.isFinite(v) ? v * MARKET_OBS_SCALE[k] : MARKET_OBS_NEUTRAL[k];
  }
}

/** Slots of the account/episode state vector read by {@link writeObservation}. */
export const ObsState = {
  /** −1 / 0 / 1. */
  DIRECTION: 0,
  /** Unrealised PnL, quote currency. */
  UNREALISED_PNL: 1,
  /** Equity, quote currency (marked). */
  EQUITY: 2,
  /** Bars in the current position. */
  DURATION: 3,
  /** Drawdown from the running peak, fraction. */
  DRAWDOWN: 4,
  /** Balance (cash), quote currency. */
  BALANCE: 5,
  /** Initial balance, quote currency. */
  INITIAL: 6,
  /** Recent Sharpe (annualised). */
  SHARPE: 7,
  /** Distance to liquidation, fraction of price (1 when flat). */
  DISTANCE_TO_LIQUIDATION: 8,
  /** Closed trades. */
  CLOSED: 9,
  /** Winning closed trades. */
  WINS: 10,
} as const;

/** Size of the state vector of {@link writeObservation}. */
export const OBS_STATE_SIZE = 11;

/**
 * Assemble the 20-float observation: `row` holds the bar's 3 signal entries at
 * `signalOffset` and 8 market entries at `marketOffset` (as written by
 * {@link writeMarketBlock}); `state` the {@link ObsState} slots.
 */
export function writeObservation(
  out: Float64Array,
  inputs: { row: Float64Array; signalOffset: number; marketOffset: number; state: Float64Array },
): void {
  const s = inputs.state;
  const row = inputs.row;
  const eq = s[ObsState.EQUITY];
  const dur = s[ObsState.DURATION];
  out[O_POSITION] = s[ObsState.DIRECTION];
  out[O_UPNL] = eq > 0 ? s[ObsState.UNREALISED_PNL] / eq : 0;
  out[O_TIME] = dur >= TIME_IN_POSITION_SCALE ? 1 : dur / TIME_IN_POSITION_SCALE;
  const g = inputs.signalOffset;
  out[O_ML] = row[g];
  out[O_ML + 1] = row[g + 1];
  out[O_ML + 2] = row[g + 2];
  const m = inputs.marketOffset;
  for (let k = 0; k < 8; k++) out[O_MARKET + k] = row[m + k];
  const initial = s[ObsState.INITIAL];
  out[O_EQUITY] = eq / initial;
  out[O_DD] = s[ObsState.DRAWDOWN];
  out[O_BALANCE] = s[ObsState.BALANCE] / initial;
  out[O_SHARPE] = s[ObsState.SHARPE];
  out[O_LIQ] = s[ObsState.DISTANCE_TO_LIQUIDATION];
  const closed = s[ObsState.CLOSED];
  out[O_WIN] = closed > 0 ? s[ObsState.WINS] / closed : 0;
  // branch and store only when clipping (a value-selecting ternary made V8 box every entry)
  for (let k = 0; k < OBS_DIM; k++) {
    const v = out[k];
    if (v > OBSERVATION_CLIP) out[k] = OBSERVATION_CLIP;
    else if (v < -OBSERVATION_CLIP) out[k] = -OBSERVATION_CLIP;
    else if (v !== v) out[k] = 0;
  }
}

/** Slots of the equity-statistics vector of {@link stepEquityStats}. */
export const EqStat = {
  /** Equity now. */
  EQUITY: 0,
  /** Running peak equity. */
  PEAK: 1,
  /** Drawdown from the peak, fraction. */
  DRAWDOWN: 2,
  /** Maximum drawdown so far, fraction. */
  MAX_DRAWDOWN: 3,
  /** Annualised Sharpe of the ring (0 until it is full). */
  SHARPE: 4,
  /** Next write position in the ring. */
  RING_POS: 5,
  /** Returns in the ring (≤ its length). */
  RING_COUNT: 6,
} as const;

/** Size of the equity-statistics vector. */
export const EQ_STAT_SIZE = 7;

/** Start the statistics at `equity` (peak = equity, no drawdown, empty ring). */
export function resetEquityStats(st: Float64Array, ring: Float64Array, equity: number): void {
  st[0] = equity;
  st[1] = equity;
  st[2] = 0;
  st[3] = 0;
  st[4] = 0;
  st[5] = 0;
  st[6] = 0;
  ring.fill(0);
}

/**
 * Advance the statistics by one bar to `equity` (marked at the bar's close): peak, drawdown,
 * max drawdown, the per-bar return pushed into `ring`, and the Sharpe of a full ring
 * annualised by `annual` (√ periods per year).
 */
export function stepEquityStats(
  st: Float64Array,
  ring: Float64Array,
  update: { equity: number; annual: number },
): void {
  const equity = update.equity;
  const prev = st[0];
  st[0] = equity;
  if (equity > st[1]) st[1] = equity;
  st[2] = st[1] > 0 ? (st[1] - equity) / st[1] : 0;
  if (st[2] > st[3]) st[3] = st[2];
  const w = ring.length;
  ring[st[5]] = prev > 0 ? equity / prev - 1 : 0;
  st[5] = st[5] + 1 === w ? 0 : st[5] + 1;
  if (st[6] < w) st[6]++;
  let sharpe = 0;
  if (st[6] === w) {
    let s = 0;
    for (let i = 0; i < w; i++) s += ring[i];
    const mean = s / w;
    let v = 0;
    for (let i = 0; i < w; i++) {
      const d = ring[i] - mean;
      v += d * d;
    }
    const sd = Math.sqrt(v / w);
    sharpe = sd > 1e-12 ? (mean / sd) * update.annual : 0;
  }
  st[4] = sharpe;
}

/**
 * The futures env's action mask (1 = the action changes the position): HOLD always; ENTER_*
 * when flat and `atr` (price units) allows a risk size of at least the minimum order; EXIT and
 * SCALE_OUT in a position; SCALE_IN in a position below the leverage cap.
 */
export function writeActionMask(account: Account, at: { atr: number; out: Uint8Array }): void {
  const a = account;
  const out = at.out;
  out[0] = 1;
  if (a.direction === 0) {
    out[1] = a.canEnter(at.atr, 1) ? 1 : 0;
    out[2] = a.canEnter(at.atr, -1) ? 1 : 0;
    out[3] = 0;
    out[4] = 0;
    out[5] = 0;
  } else {
    out[1] = 0;
    out[2] = 0;
    out[3] = 1;
    out[4] = a.canScaleIn() ? 1 : 0;
    out[5] = 1;
  }
}
