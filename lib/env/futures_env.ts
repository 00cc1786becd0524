/**
 * `FuturesTradingEnv`: the specification's 6-action perpetual-futures env
 * (`000_0983d3a6a3faf5b2.txt`, `rl/trading_env.py`) on typed arrays, with its bugs fixed.
 *
 * ## Timeline of one step (fill convention)
 * The observation at bar t is built from bar t's close (features of row t). `step(a)` fills
 * the action at bar t's CLOSE (± slippage), then advances to bar t+1: a position held through
 * bar t+1 is liquidated if the bar's low (long) / high (short) reaches the liquidation price,
 * else pays or receives the funding settled inside bar t+1, and is marked at close t+1. The
 * reward is computed on the equity change close t → close t+1 and the next observation is
 * bar t+1's.
 *
 * ## Episodes
 * - Training (`episodeLength = L`): a uniformly random start `s` in `[first valid row of the
 *   range, last bar − L]`; the episode has L steps (bars s … s+L) and is truncated at the end.
 * - Evaluation (`episodeLength` undefined): the whole range from its first valid feature row
 *   (fix of spec bug 1) to its last bar.
 * - `terminated` on ruin (equity ≤ `ruinFraction × initial`) or liquidation; `truncated` at
 *   the end of the window. A position still open then is closed at that bar's close with
 *   slippage and fees and recorded in the ledger (fix of spec bug 10), reason `end_of_data`
 *   or `ruin`; set `closeAtEnd: false` to leave it open.
 *
 * ## Fixes of the specification's bugs (see `known-bugs.md`)
 * 1 start at the first valid feature row / random start; 2 SCALE_OUT realises PnL (in
 * `Account`); 3 the Sharpe window is a ring of the last `sharpeWindow` per-bar equity returns,
 * so the bonus applies once it is full; 4 margin-based liquidation price, real liquidations;
 * 5 Sharpe annualised with `periodsPerYear(interval, calendar)`; 6 funding paid/received;
 * 7 risk sizing not multiplied by leverage; 8 SCALE_IN bounded and slipped; 9 every fee in
 * the trade PnL, exit fee on the slipped price; 10 open position closed at episode end;
 * 11 natr is a fraction (ATR/close) everywhere; 12 (evaluation on the validation split) is the
 * trainer's job: pass the validation `range` to the evaluation env.
 *
 * ## Minimum order size
 * The account enforces `trading.minNotional` / `trading.minQty` (default 100 USDT, Binance
 * USDT-M BTCUSDT): an ENTER_* or SCALE_IN below the minimum is a no-op (not charged, flagged
 * in `info.orderBelowMinimum`) and masked out; a SCALE_OUT whose remainder would fall below it
 * closes the whole position (exit reason `scale_out_close`), so positions never shrink to dust.
 *
 * ## Signals
 * When `signals` are absent, or unavailable for a bar (`available[t] = 0`), the three ML
 * inputs are 0 (signal 0 = "flat", confidence 0, target 0).
 *
 * ## Missing feature values
 * A NaN feature past the first valid row (e.g. missing OI) is replaced by its neutral value:
 * return/natr/OI/funding 0, rsi 50 (→ 0.5), volume_ratio 1, bb_position 0.5.
 *
 * @module
 */
import type { MarketData } from "../data/mod.ts";
import type { FeatureMatrix } from "../features/mod.ts";
import type { Signals } from "./signals.ts";
import {
  Account,
  ACCOUNT_FIELD_COUNT,
  AccountField as F,
  type AccountState,
  ExitCode,
  type Trade,
  type TradingConfig,
} from "../trading/mod.ts";
import { EnvError, type MarketCalendar, periodsPerYear, Rng, type RngState } from "../util/mod.ts";
import { resolveRewardConfig, type RewardConfig, type RewardOverrides } from "./reward.ts";
import {
  EQ_STAT_SIZE,
  EqStat,
  OBS_STATE_SIZE,
  ObsState,
  resetEquityStats,
  stepEquityStats,
  writeActionMask,
  writeMarketBlock,
  writeObservation,
} from "./observation.ts";
import { Box, Discrete } from "./spaces.ts";
import type { Env, ResetOptions, ResetResult, StepResult } from "./types.ts";
import { ACTION_NAMES, OBS_CLIP, OBS_DIM } from "./policy.ts";

/** The feature columns the env reads (by name) from the {@link FeatureMatrix}. */
export const ENV_FEATURES = [
  "return_20",
  "natr",
  "rsi_14",
  "oi_price_divergence_20",
  "oi_change_20",
  "funding_rate",
  "volume_ratio",
  "bb_position",
  "atr_14",
] as const;

// Slots of FuturesTradingEnv's #st statistics array: the shared equity statistics
// (observation.ts) followed by the env's own.
const S_EQ = EqStat.EQUITY;
const S_PEAK = EqStat.PEAK;
const S_DD = EqStat.DRAWDOWN;
const S_MAXDD = EqStat.MAX_DRAWDOWN;
const S_SHARPE = EqStat.SHARPE;
const S_RING_POS = EqStat.RING_POS;
const S_RING_COUNT = EqStat.RING_COUNT;
const S_CLOSED_PNL = EQ_STAT_SIZE;

// Per-bar table columns (one row per bar, so a step touches one contiguous row).
const C_CLOSE = 0;
const C_HIGH = 1;
const C_LOW = 2;
const C_FUNDING = 3; // funding rate settled inside the bar, NaN if none
const C_ATR = 4; // atr_14, price units; NaN = no entry possible on that bar
const C_NATR = 5; // natr fraction, neutral 0
const C_MKT = 6; // 8 observation market entries, scaled and neutral-filled
const C_SIG = 14; // signal − 1, confidence, target (0 when unavailable)
const C_TIME = 17;
const STRIDE = 18;

interface TableEntry {
  close: Float64Array;
  high: Float64Array;
  low: Float64Array;
  time: Float64Array;
  funding: Float64Array | undefined;
  signals: Signals | undefined;
  table: Float64Array;
}
// Envs built on the same arrays share one read-only table (16 envs of a VecEnv hold one copy).
const TABLES = new WeakMap<FeatureMatrix, TableEntry[]>();

function barTable(md: MarketData, fm: FeatureMatrix, sg: Signals | undefined): Float64Array {
  let list = TABLES.get(fm);
  if (!list) TABLES.set(fm, list = []);
  for (const e of list) {
    if (
      e.close === md.close && e.high === md.high && e.low === md.low && e.time === md.time &&
      e.funding === md.fundingRate && e.signals === sg
    ) return e.table;
  }
  const table = buildBarTable(md, fm, sg);
  list.push({
    close: md.close,
    high: md.high,
    low: md.low,
    time: md.time,
    funding: md.fundingRate,
    signals: sg,
    table,
  });
  return table;
}

/**
 * Copy everything a step reads into one row-major table (stride {@link STRIDE}): prices,
 * funding, ATR, the 8 observed market features (scaled, NaN → neutral) and the signals.
 * The env snapshots its inputs here at construction: later in-place edits of the arrays are
 * not seen by envs already built on them.
 */
function buildBarTable(md: MarketData, fm: FeatureMatrix, sg: Signals | undefined): Float64Array {
  const n = md.close.length;
  const cols = ENV_FEATURES.map((name) => {
    const j = fm.names.indexOf(name);
    if (j < 0) {
      throw new EnvError(`feature "${name}" missing from the feature matrix`, {
        column: name,
      }, `the env needs ${ENV_FEATURES.join(", ")}; it has ${fm.names.join(", ")}`);
    }
    return j;
  });
  if (sg && sg.signal.length !== n) {
    throw new EnvError(`signals have ${sg.signal.length} bars but the market has ${n}`, {
      parameter: "signals",
    }, "predict signals for every bar of the market data (unavailable bars flagged)");
  }
  const t = new Float64Array(n * STRIDE);
  for (let i = 0; i < n; i++) {
    const r = i * STRIDE;
    const row = i * fm.cols;
    t[r + C_CLOSE] = md.close[i];
    t[r + C_HIGH] = md.high[i];
    t[r + C_LOW] = md.low[i];
    t[r + C_FUNDING] = md.fundingRate ? md.fundingRate[i] : NaN;
    t[r + C_TIME] = md.time[i];
    writeMarketBlock(fm.data, t, { srcOffset: row, cols, outOffset: r + C_MKT });
    const natr = fm.data[row + cols[1]];
    t[r + C_NATR] = Number.isFinite(natr) ? natr : 0;
    const atr = fm.data[row + cols[8]];
    t[r + C_ATR] = Number.isFinite(atr) ? atr : NaN;
    if (sg && sg.available[i] === 1 && sg.signal[i] >= 0) {
      const c = sg.confidence[i];
      const tg = sg.target[i];
      t[r + C_SIG] = sg.signal[i] - 1;
      t[r + C_SIG + 1] = Number.isFinite(c) ? c : 0;
      t[r + C_SIG + 2] = Number.isFinite(tg) ? tg : 0;
    }
  }
  return t;
}

/** Constructor options of {@link FuturesTradingEnv}. */
export interface FuturesEnvOptions {
  /** Bars (close/high/low/time and funding settlements are read from here). */
  market: MarketData;
  /**
   * Features aligned row-for-row with `market`; must contain {@link ENV_FEATURES}. The env
   * copies what it reads into a per-bar table at construction, shared by every env built on
   * the same `features` object and market arrays: edit the arrays in place after building an
   * env and later envs on the same objects still see the old values (build new objects).
   */
  features: FeatureMatrix;
  /** Out-of-sample ML signals aligned with `market` (optional; see module docs). */
  signals?: Signals;
  /** Bar range `[start, end)` of the split to trade (default: all bars). */
  range?: { start: number; end: number };
  /** Trading rule overrides (fees, leverage, …). */
  trading?: Partial<TradingConfig>;
  /** Reward term overrides. */
  reward?: RewardOverrides;
  /**
   * Steps per training episode with a random start (e.g. 2048); undefined = evaluation: the
   * whole range from its first valid row.
   */
  episodeLength?: number;
  /** Seed of the env's PRNG (episode starts). Default 0. */
  seed?: number;
  /** Market calendar for annualising the recent Sharpe. Default `"crypto"` (24/7). */
  calendar?: MarketCalendar;
  /** Number of per-bar equity returns in the recent-Sharpe window. Default 20. */
  sharpeWindow?: number;
  /** Close an open position at the end of an episode (and record it). Default true. */
  closeAtEnd?: boolean;
  /** A liquidation ends the episode (`terminated`). Default true. */
  terminateOnLiquidation?: boolean;
}

/**
 * Per-step info of {@link FuturesTradingEnv}; ONE object reused for every step (copy it to
 * keep it). Money in quote currency; fractions are fractions.
 */
export type FuturesEnvInfo = {
  /** Bar index (into the market data) of the current observation. */
  bar: number;
  /** Open time of that bar, UTC ms. */
  time: number;
  /** Close price of that bar (the mark). */
  price: number;
  equity: number;
  balance: number;
  /** −1 / 0 / 1 after the step. */
  position: number;
  /** Contracts after the step. */
  size: number;
  entryPrice: number;
  unrealisedPnl: number;
  realisedPnl: number;
  feesPaid: number;
  /** Cumulative funding paid (negative = received). */
  fundingPaid: number;
  /** Current drawdown, fraction of peak equity. */
  drawdown: number;
  /** Maximum drawdown of the episode so far, fraction. */
  maxDrawdown: number;
  /** Annualised Sharpe of the last `sharpeWindow` per-bar returns (0 until the window is full). */
  recentSharpe: number;
  /** 0 when flat. */
  liquidationPrice: number;
  /** Fraction of price, 1 when flat. */
  distanceToLiquidation: number;
  /** Action requested in the last step (−1 after reset). */
  action: number;
  /** 1 when the requested action changed the position, else 0 (no-op). */
  actionExecuted: number;
  /**
   * 1 when the requested ENTER_* or SCALE_IN was rejected because its fill notional was below
   * `trading.minNotional` (or its quantity below `trading.minQty`), else 0.
   */
  orderBelowMinimum: number;
  /** Number of trades closed in the last step (exit, liquidation, end of episode). */
  tradeClosed: number;
  /** Net PnL of the trades closed in the last step. */
  closedTradePnl: number;
  /** 1 when the position was liquidated in the last step. */
  liquidated: number;
  /** Closed trades this episode. */
  totalTrades: number;
  /** Winning closed trades / closed trades (0 when none). */
  winRate: number;
  /** Steps taken in the episode. */
  episodeStep: number;
  /** The total reward of the last step. */
  reward: number;
  rewardPnl: number;
  rewardDrawdown: number;
  rewardVolatility: number;
  rewardDuration: number;
  rewardAction: number;
  rewardSharpe: number;
  rewardLiquidation: number;
};

/** {@link StepResult} with the typed, reused {@link FuturesEnvInfo}. */
export interface FuturesStepResult extends StepResult {
  /** The reused per-step info. */
  info: FuturesEnvInfo;
}

/** {@link ResetResult} with the typed, reused {@link FuturesEnvInfo}. */
export interface FuturesResetResult extends ResetResult {
  /** The reused per-step info. */
  info: FuturesEnvInfo;
}

/** A complete snapshot of the env (see {@link FuturesTradingEnv.cloneState}). */
export interface FuturesEnvState {
  /** Tag checked by {@link FuturesTradingEnv.restoreState}. */
  kind: "FuturesTradingEnv";
  /** Position, balance, open-trade accumulators and ledger. */
  account: AccountState;
  /** Episode bounds, bar, duration, statistics, counters (internal order). */
  scalars: Float64Array;
  /** The recent-Sharpe ring of per-bar returns. */
  ring: Float64Array;
  /** The env's PRNG (random episode starts). */
  rng: RngState;
  /** A copy of the last info. */
  info: FuturesEnvInfo;
}

function newInfo(): FuturesEnvInfo {
  return {
    bar: 0,
    time: 0,
    price: 0,
    equity: 0,
    balance: 0,
    position: 0,
    size: 0,
    entryPrice: 0,
    unrealisedPnl: 0,
    realisedPnl: 0,
    feesPaid: 0,
    fundingPaid: 0,
    drawdown: 0,
    maxDrawdown: 0,
    recentSharpe: 0,
    liquidationPrice: 0,
    distanceToLiquidation: 1,
    action: -1,
    actionExecuted: 0,
    orderBelowMinimum: 0,
    tradeClosed: 0,
    closedTradePnl: 0,
    liquidated: 0,
    totalTrades: 0,
    winRate: 0,
    episodeStep: 0,
    reward: 0,
    rewardPnl: 0,
    rewardDrawdown: 0,
    rewardVolatility: 0,
    rewardDuration: 0,
    rewardAction: 0,
    rewardSharpe: 0,
    rewardLiquidation: 0,
  };
}

/** The futures trading env (Gymnasium semantics, `Discrete(6)` actions, 20-float observation). */
export class FuturesTradingEnv implements Env<number> {
  /** 20 floats, each within ±10. */
  readonly observationSpace: Box = new Box(-OBS_CLIP, OBS_CLIP, OBS_DIM);
  /** HOLD, ENTER_LONG, ENTER_SHORT, EXIT, SCALE_IN, SCALE_OUT. */
  readonly actionSpace: Discrete = new Discrete(6);
  /** The reward terms in use. */
  readonly rewardConfig: Readonly<RewardConfig>;
  /** Bars per year used to annualise the recent Sharpe. */
  readonly periodsPerYear: number;
  /** First bar an episode may start at (first valid feature row inside the range). */
  readonly firstBar: number;
  /** Last bar of the range (inclusive). */
  readonly lastBar: number;
  /** Steps per training episode, or undefined (evaluation: the whole range). */
  readonly episodeLength: number | undefined;
  /** The options the env was built from (read-only; e.g. to wrap it in a guarded env). */
  readonly options: Readonly<FuturesEnvOptions>;

  readonly #acct: Account;
  /** Account state read once per step (see {@link Account.readInto}). */
  readonly #av = new Float64Array(ACCOUNT_FIELD_COUNT);
  /** Per-bar table, row-major with stride {@link STRIDE} (see {@link buildBarTable}). */
  readonly #bars: Float64Array;
  readonly #time: Float64Array;
  readonly #close: Float64Array;
  readonly #obs = new Float64Array(OBS_DIM);
  readonly #info: FuturesEnvInfo = newInfo();
  readonly #result: FuturesStepResult;
  readonly #reset: FuturesResetResult;
  readonly #ring: Float64Array;
  readonly #annual: number;
  readonly #closeAtEnd: boolean;
  readonly #termOnLiq: boolean;
  readonly #ruinLevel: number;
  readonly #initial: number;
  // reward weights (0 when disabled)
  readonly #wPnl: number;
  readonly #wDd: number;
  readonly #wVol: number;
  readonly #wDur: number;
  readonly #durThr: number;
  readonly #wAct: number;
  readonly #wSharpe: number;
  readonly #sharpeThr: number;
  readonly #wLiq: number;
  readonly #liqThr: number;

  #rng: Rng;
  #t = 0;
  #start = 0;
  #end = 0;
  #dur = 0;
  /**
   * Double-valued episode statistics in a typed array (stores into it never box):
   * [equity, peak equity, drawdown, max drawdown, recent Sharpe, PnL of trades closed this step].
   */
  readonly #st = new Float64Array(EQ_STAT_SIZE + 1);
  /** Inputs of the shared observation assembly (observation.ts), reused every step. */
  readonly #obsIn: {
    row: Float64Array;
    signalOffset: number;
    marketOffset: number;
    state: Float64Array;
  };
  readonly #eqUpd = { equity: 0, annual: 0 };
  /** Per-step reward terms: pnl, drawdown, volatility, duration, action, sharpe, liquidation, total. */
  readonly #rw = new Float64Array(8);
  #closed = 0;
  #wins = 0;
  #steps = 0;
  #needsReset = true;

  /**
   * Build the env: validates the inputs, reads the feature columns by name once and
   * precomputes the per-bar table. Throws {@link EnvError} for misaligned inputs, missing
   * feature columns or a window shorter than one episode.
   */
  constructor(opts: FuturesEnvOptions) {
    const md = opts?.market;
    const fm = opts?.features;
    if (!md || !fm) {
      throw new EnvError("FuturesTradingEnv needs { market, features }", { parameter: "market" });
    }
    const n = md.close.length;
    if (fm.rows !== n) {
      throw new EnvError(
        `feature matrix has ${fm.rows} rows but the market data has ${n} bars`,
        { parameter: "features" },
        "build the features from the same market data",
      );
    }
    if (n > 0 && (fm.time[0] !== md.time[0] || fm.time[n - 1] !== md.time[n - 1])) {
      throw new EnvError("feature matrix times do not match the market data times", {
        parameter: "features",
      }, "build the features from the same market data");
    }
    this.options = opts;
    this.#acct = new Account(opts.trading ?? {});
    this.rewardConfig = Object.freeze(resolveRewardConfig(opts.reward ?? {}));
    this.#bars = barTable(md, fm, opts.signals);
    this.#time = md.time;
    this.#close = md.close;
    // ---- range and episodes
    const rs = opts.range?.start ?? 0;
    const re = opts.range?.end ?? n;
    if (!Number.isInteger(rs) || !Number.isInteger(re) || rs < 0 || re > n || rs >= re) {
      throw new EnvError(
        `invalid range [${rs}, ${re}) for ${n} bars`,
        { parameter: "range" },
        "use integer bar indices with 0 ≤ start < end ≤ bars",
      );
    }
    let first = Math.max(rs, fm.firstValidRow);
    while (first < re && !(this.#bars[first * STRIDE + C_ATR] >= 0)) first++;
    this.firstBar = first;
    this.lastBar = re - 1;
    const L = opts.episodeLength;
    if (L !== undefined && (!Number.isInteger(L) || L < 1)) {
      throw new EnvError(`episodeLength must be a positive integer, got ${L}`, {
        parameter: "episodeLength",
      });
    }
    this.episodeLength = L;
    const need = L ?? 1;
    if (this.lastBar - this.firstBar < need) {
      throw new EnvError(
        `the window [${rs}, ${re}) has ${Math.max(0, this.lastBar - this.firstBar)} usable steps ` +
          `after the features' warm-up (first valid row ${fm.firstValidRow}), fewer than one episode (${need})`,
        { parameter: L === undefined ? "range" : "episodeLength" },
        "use a longer range or a shorter episodeLength",
      );
    }

    const sw = opts.sharpeWindow ?? 20;
    if (!Number.isInteger(sw) || sw < 2) {
      throw new EnvError(`sharpeWindow must be an integer ≥ 2, got ${sw}`, {
        parameter: "sharpeWindow",
      });
    }
    this.#ring = new Float64Array(sw);
    this.periodsPerYear = periodsPerYear(md.intervalMs, opts.calendar ?? "crypto");
    this.#annual = Math.sqrt(this.periodsPerYear);
    this.#closeAtEnd = opts.closeAtEnd ?? true;
    this.#termOnLiq = opts.terminateOnLiquidation ?? true;
    this.#initial = this.#acct.config.initialBalance;
    this.#ruinLevel = this.#acct.config.ruinFraction * this.#initial;

    const r = this.rewardConfig;
    this.#wPnl = r.pnl.enabled ? r.pnl.weight : 0;
    this.#wDd = r.drawdown.enabled ? r.drawdown.weight : 0;
    this.#wVol = r.volatility.enabled ? r.volatility.weight : 0;
    this.#wDur = r.duration.enabled ? r.duration.weight : 0;
    this.#durThr = r.duration.thresholdBars;
    this.#wAct = r.action.enabled ? r.action.weight : 0;
    this.#wSharpe = r.sharpe.enabled ? r.sharpe.weight : 0;
    this.#sharpeThr = r.sharpe.threshold;
    this.#wLiq = r.liquidation.enabled ? r.liquidation.weight : 0;
    this.#liqThr = r.liquidation.threshold;

    this.#rng = new Rng(opts.seed ?? 0);
    this.#result = {
      observation: this.#obs,
      reward: 0,
      terminated: false,
      truncated: false,
      info: this.#info,
    };
    this.#reset = { observation: this.#obs, info: this.#info };
    this.#obsIn = {
      row: this.#bars,
      signalOffset: 0,
      marketOffset: 0,
      state: new Float64Array(OBS_STATE_SIZE),
    };
    this.#eqUpd.annual = this.#annual;
  }

  // ------------------------------------------------------------------ accessors

  /** The account (position, balance, ledger) — read it, do not trade on it directly. */
  get account(): Account {
    return this.#acct;
  }
  /** Current bar index. */
  get bar(): number {
    return this.#t;
  }
  /** First bar of the current episode. */
  get episodeStart(): number {
    return this.#start;
  }
  /** Last bar of the current episode (inclusive). */
  get episodeEnd(): number {
    return this.#end;
  }
  /** Open time of bar `bar` of the market data, UTC ms (for curves held past an early end). */
  barTime(bar: number): number {
    return this.#time[bar];
  }
  /** Close of bar `bar` of the market data (quote currency). */
  barClose(bar: number): number {
    return this.#close[bar];
  }
  /** The reused info object of the last reset/step. */
  get info(): FuturesEnvInfo {
    return this.#info;
  }
  /** The reused observation buffer of the last reset/step. */
  get observation(): Float64Array {
    return this.#obs;
  }
  /** Closed trades of the current episode (allocates). */
  trades(): Trade[] {
    return this.#acct.ledger.trades();
  }

  // ------------------------------------------------------------------ Env API

  /**
   * Start an episode. `seed` reseeds the env's PRNG; `options.start` fixes the start bar
   * (must lie in `[firstBar, lastBar − episodeLength]`).
   */
  reset(opts: ResetOptions = {}): FuturesResetResult {
    if (opts.seed !== undefined) this.#rng = new Rng(opts.seed);
    const L = this.episodeLength;
    const maxStart = L === undefined ? this.firstBar : this.lastBar - L;
    let start: number;
    const fixed = opts.options?.start;
    if (fixed !== undefined) {
      if (
        typeof fixed !== "number" || !Number.isInteger(fixed) || fixed < this.firstBar ||
        fixed > (L === undefined ? this.lastBar - 1 : maxStart)
      ) {
        throw new EnvError(
          `options.start ${fixed} outside [${this.firstBar}, ${
            L === undefined ? this.lastBar - 1 : maxStart
          }]`,
          { parameter: "options.start" },
        );
      }
      start = fixed;
    } else if (L === undefined) {
      start = this.firstBar;
    } else {
      start = this.firstBar + this.#rng.int(maxStart - this.firstBar + 1);
    }
    this.#start = start;
    this.#end = L === undefined ? this.lastBar : start + L;
    this.#t = start;
    const a = this.#acct;
    a.reset();
    a.setClock(start, this.#bars[start * STRIDE + C_TIME]);
    a.mark(this.#bars[start * STRIDE + C_CLOSE]);
    this.#dur = 0;
    a.readInto(this.#av);
    resetEquityStats(this.#st, this.#ring, this.#av[F.EQUITY]);
    this.#closed = 0;
    this.#wins = 0;
    this.#steps = 0;
    this.#needsReset = false;
    const info = this.#info;
    info.action = -1;
    info.actionExecuted = 0;
    info.orderBelowMinimum = 0;
    info.tradeClosed = 0;
    info.closedTradePnl = 0;
    info.liquidated = 0;
    info.reward = 0;
    info.rewardPnl = 0;
    info.rewardDrawdown = 0;
    info.rewardVolatility = 0;
    info.rewardDuration = 0;
    info.rewardAction = 0;
    info.rewardSharpe = 0;
    info.rewardLiquidation = 0;
    this.#fillInfo();
    this.#writeObs();
    return this.#reset;
  }

  /** Apply `action` at the current bar's close and advance one bar (see module docs). */
  step(action: number): FuturesStepResult {
    if (this.#needsReset) {
      throw new EnvError(
        "step() called on a finished or never-reset episode",
        { parameter: "action" },
        "call reset() first (and after every terminated/truncated step)",
      );
    }
    if (!(action >= 0 && action <= 5 && (action | 0) === action)) {
      throw new EnvError(
        `action ${action} is not in Discrete(6)`,
        { parameter: "action" },
        "use an integer 0..5: HOLD, ENTER_LONG, ENTER_SHORT, EXIT, SCALE_IN, SCALE_OUT",
      );
    }
    const a = this.#acct;
    const ledger = a.ledger;
    const t = this.#t;
    const bars = this.#bars;
    const prevEquity = this.#st[S_EQ];
    const closedBefore = ledger.count;

    // ---- 1. fill at bar t's close
    let executed = false;
    let belowMin = false;
    switch (action) {
      case 1:
      case 2:
        if (
          a.direction === 0 && a.enterRisk(action === 1 ? 1 : -1, bars[t * STRIDE + C_ATR])
        ) {
          executed = true;
          this.#dur = 0;
        } else belowMin = a.lastOrderBelowMinimum;
        break;
      case 3:
        executed = a.close(ExitCode.EXIT);
        break;
      case 4:
        executed = a.scaleIn();
        if (!executed) belowMin = a.lastOrderBelowMinimum;
        break;
      case 5:
        executed = a.scaleOut();
        break;
    }

    // ---- 2. bar t+1: liquidation, funding, mark
    const t1 = t + 1;
    this.#t = t1;
    const r1 = t1 * STRIDE;
    a.setClock(t1, bars[r1 + C_TIME]);
    const close1 = bars[r1 + C_CLOSE];
    let liquidated = false;
    if (a.direction !== 0) {
      liquidated = a.liquidateIfCrossed(bars[r1 + C_HIGH], bars[r1 + C_LOW]);
      if (!liquidated) {
        const rate = bars[r1 + C_FUNDING];
        if (rate === rate) {
          a.mark(close1);
          a.applyFunding(rate);
        }
      }
    }
    a.mark(close1);
    this.#dur = a.direction !== 0 ? this.#dur + 1 : 0;

    // ---- 3. episode end
    const av = this.#av;
    a.readInto(av);
    let equity = av[F.EQUITY];
    const ruin = equity <= this.#ruinLevel;
    const terminated = ruin || (liquidated && this.#termOnLiq);
    const truncated = !terminated && t1 >= this.#end;
    if ((terminated || truncated) && this.#closeAtEnd && a.direction !== 0) {
      a.close(ruin ? ExitCode.RUIN : ExitCode.END_OF_DATA);
      a.readInto(av);
      equity = av[F.EQUITY];
    }
    this.#needsReset = terminated || truncated;
    this.#steps++;

    // ---- 4. incremental statistics (shared with the paper loop: observation.ts)
    this.#eqUpd.equity = equity;
    stepEquityStats(this.#st, this.#ring, this.#eqUpd);
    const w = this.#ring.length;
    const sharpe = this.#st[S_SHARPE];
    const st = this.#st;
    st[S_CLOSED_PNL] = 0;
    const closedNow = ledger.count - closedBefore;
    for (let i = closedBefore; i < ledger.count; i++) {
      const p = ledger.pnl[i];
      st[S_CLOSED_PNL] += p;
      if (p > 0) this.#wins++;
    }
    this.#closed += closedNow;

    // ---- 5. reward (terms written to a typed array: stores never box)
    const rw = this.#rw;
    const inPos = av[F.DIRECTION] !== 0;
    rw[0] = ((equity - prevEquity) / this.#initial) * this.#wPnl + 0;
    // penalties are written `0 − x` so a zero weight gives +0, never −0
    rw[1] = 0 - this.#wDd * this.#st[S_DD];
    rw[2] = inPos ? 0 - this.#wVol * bars[r1 + C_NATR] : 0;
    rw[3] = this.#dur > this.#durThr ? 0 - this.#wDur : 0;
    rw[4] = executed ? 0 - this.#wAct : 0;
    rw[5] = st[S_RING_COUNT] === w && sharpe > this.#sharpeThr ? this.#wSharpe : 0;
    rw[6] = inPos && av[F.DISTANCE_TO_LIQUIDATION] < this.#liqThr ? 0 - this.#wLiq : 0;
    rw[7] = rw[0] + rw[1] + rw[2] + rw[3] + rw[4] + rw[5] + rw[6];

    const info = this.#info;
    info.action = action;
    info.actionExecuted = executed ? 1 : 0;
    info.orderBelowMinimum = belowMin ? 1 : 0;
    info.tradeClosed = closedNow;
    info.closedTradePnl = st[S_CLOSED_PNL];
    info.liquidated = liquidated ? 1 : 0;
    info.reward = rw[7];
    info.rewardPnl = rw[0];
    info.rewardDrawdown = rw[1];
    info.rewardVolatility = rw[2];
    info.rewardDuration = rw[3];
    info.rewardAction = rw[4];
    info.rewardSharpe = rw[5];
    info.rewardLiquidation = rw[6];
    this.#fillInfo();
    this.#writeObs();

    const res = this.#result;
    res.reward = rw[7];
    res.terminated = terminated;
    res.truncated = truncated;
    return res;
  }

  /**
   * Valid actions now (1 = changes the position): HOLD always; ENTER_* when flat and the
   * bar's ATR allows a risk size of at least the minimum order size; EXIT and SCALE_OUT in a
   * position (a SCALE_OUT that would leave less than the minimum closes the position);
   * SCALE_IN in a position below the leverage cap when the added size meets the minimum.
   * Invalid actions are accepted by `step` as no-ops.
   */
  actionMask(out: Uint8Array): void {
    writeActionMask(this.#acct, { atr: this.#bars[this.#t * STRIDE + C_ATR], out });
  }

  /** A complete copy of the env state: account, ledger, episode, statistics, PRNG. */
  cloneState(): FuturesEnvState {
    return {
      kind: "FuturesTradingEnv",
      account: this.#acct.snapshot(),
      scalars: Float64Array.of(
        this.#t,
        this.#start,
        this.#end,
        this.#dur,
        this.#st[S_PEAK],
        this.#st[S_DD],
        this.#st[S_MAXDD],
        this.#st[S_EQ],
        this.#st[S_SHARPE],
        this.#st[S_RING_POS],
        this.#st[S_RING_COUNT],
        this.#closed,
        this.#wins,
        this.#steps,
        this.#needsReset ? 1 : 0,
      ),
      ring: this.#ring.slice(),
      rng: this.#rng.getState(),
      info: { ...this.#info },
    };
  }

  /** Restore a {@link cloneState} snapshot of an env built on the same data and config. */
  restoreState(state: unknown): void {
    const s = state as FuturesEnvState;
    if (
      s?.kind !== "FuturesTradingEnv" || s.ring?.length !== this.#ring.length ||
      s.scalars?.length !== 15
    ) {
      throw new EnvError("not a snapshot of a compatible FuturesTradingEnv", {
        parameter: "state",
      }, "pass the value returned by cloneState() of an env with the same sharpeWindow");
    }
    this.#acct.restore(s.account);
    this.#acct.readInto(this.#av);
    const v = s.scalars;
    this.#t = v[0];
    this.#start = v[1];
    this.#end = v[2];
    this.#dur = v[3];
    this.#st[S_PEAK] = v[4];
    this.#st[S_DD] = v[5];
    this.#st[S_MAXDD] = v[6];
    this.#st[S_EQ] = v[7];
    this.#st[S_SHARPE] = v[8];
    this.#st[S_RING_POS] = v[9];
    this.#st[S_RING_COUNT] = v[10];
    this.#closed = v[11];
    this.#wins = v[12];
    this.#steps = v[13];
    this.#needsReset = v[14] === 1;
    this.#ring.set(s.ring);
    this.#rng.setState(s.rng);
    Object.assign(this.#info, s.info);
    this.#writeObs();
  }

  /** One-line text state. */
  render(): string {
    const a = this.#acct;
    const side = a.direction > 0 ? "LONG" : a.direction < 0 ? "SHORT" : "FLAT";
    const i = this.#info;
    return `bar ${this.#t} [${this.#start}..${this.#end}] ${
      new Date(this.#bars[this.#t * STRIDE + C_TIME]).toISOString()
    } price ${this.#bars[this.#t * STRIDE + C_CLOSE].toFixed(2)} | ${side} ${
      a.size.toPrecision(4)
    } @ ${a.entryPrice.toFixed(2)} liq ${a.liquidationPrice().toFixed(2)} | equity ${
      a.equity.toFixed(2)
    } balance ${a.balance.toFixed(2)} dd ${
      (this.#st[S_DD] * 100).toFixed(2)
    }% | trades ${this.#closed} win ${(i.winRate * 100).toFixed(1)}% | last ${
      i.action >= 0 ? ACTION_NAMES[i.action] : "-"
    }${i.action >= 0 && !i.actionExecuted ? " (no-op)" : ""} reward ${i.reward.toFixed(4)}`;
  }

  // ------------------------------------------------------------------ internals

  #fillInfo(): void {
    const av = this.#av;
    const info = this.#info;
    const t = this.#t;
    info.bar = t;
    info.time = this.#bars[t * STRIDE + C_TIME];
    info.price = this.#bars[t * STRIDE + C_CLOSE];
    info.equity = this.#st[S_EQ];
    info.balance = av[F.BALANCE];
    info.position = av[F.DIRECTION];
    info.size = av[F.SIZE];
    info.entryPrice = av[F.ENTRY_PRICE];
    info.unrealisedPnl = av[F.UNREALISED_PNL];
    info.realisedPnl = av[F.REALISED_PNL];
    info.feesPaid = av[F.FEES_PAID];
    info.fundingPaid = av[F.FUNDING_PAID];
    info.drawdown = this.#st[S_DD];
    info.maxDrawdown = this.#st[S_MAXDD];
    info.recentSharpe = this.#st[S_SHARPE];
    info.liquidationPrice = av[F.LIQUIDATION_PRICE];
    info.distanceToLiquidation = av[F.DISTANCE_TO_LIQUIDATION];
    info.totalTrades = this.#closed;
    info.winRate = this.#closed > 0 ? this.#wins / this.#closed : 0;
    info.episodeStep = this.#steps;
  }

  #writeObs(): void {
    const av = this.#av;
    const inp = this.#obsIn;
    const r = this.#t * STRIDE;
    inp.signalOffset = r + C_SIG;
    inp.marketOffset = r + C_MKT;
    const s = inp.state;
    s[ObsState.DIRECTION] = av[F.DIRECTION];
    s[ObsState.UNREALISED_PNL] = av[F.UNREALISED_PNL];
    s[ObsState.EQUITY] = this.#st[S_EQ];
    s[ObsState.DURATION] = this.#dur;
    s[ObsState.DRAWDOWN] = this.#st[S_DD];
    s[ObsState.BALANCE] = av[F.BALANCE];
    s[ObsState.INITIAL] = this.#initial;
    s[ObsState.SHARPE] = this.#st[S_SHARPE];
    s[ObsState.DISTANCE_TO_LIQUIDATION] = av[F.DISTANCE_TO_LIQUIDATION];
    s[ObsState.CLOSED] = this.#closed;
    s[ObsState.WINS] = this.#wins;
    writeObservation(this.#obs, inp);
  }
}
