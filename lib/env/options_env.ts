/**
 * `OptionsTradingEnv`: the specification's options env (002, STEP 1) on typed arrays — a
 * continuous action in [−1, 1] buys a put (< −threshold), a call (> threshold) or stays flat,
 * on SPY-like 5-minute bars of regular trading hours, priced with Black-Scholes-Merton at the
 * volatility model's IV and filled across the modelled bid/ask spread.
 *
 * ## Timeline of one step (fill convention, as in the futures env)
 * The observation at bar t is built from bar t's close. `step(a)` maps `a` to a target side
 * (+1 call, −1 put, 0 flat) and fills at bar t's CLOSE: a held option whose side differs from
 * the target (flat or a flip) is sold at the bid; then, if the target is a side and the
 * account is flat, the configured contract is bought at the ask. The env then advances to
 * bar t+1 and marks the option at its model mid at close t+1; it settles at intrinsic value
 * if it expired by then, and is sold at the bid at the close of the session's flatten bar
 * (the bar whose close is `flattenMinutesBeforeClose` = 10 minutes before the close: 15:50,
 * or 12:50 on a 13:00 early close), as the specification's scheduler flattens at 15:50. No
 * entry is made on or after the flatten bar of a session. The reward covers close t → close
 * t+1, and the next observation is bar t+1's.
 *
 * ## The contract
 * Default: the nearest WEEKLY expiry (the last session of a calendar week — Friday, or the
 * Thursday before a Friday holiday — expiring at that session's close) at least
 * `minDaysToExpiry` (1) days after the bar's close, strike = the underlying rounded to the
 * `strikeStep` ($1, SPY's grid) plus `strikeOffset` steps out of the money (0 = nearest the
 * money). `contracts` (1) contracts of multiplier 100 per entry.
 *
 * ## Pricing
 * σ = {@link surfaceVol} (VIX-based surface fitted on real SPY chains) at the bar's VIX
 * level, the strike and the calendar time to expiry (ACT/365 from the bar's close to the
 * expiry close); price and Greeks {@link bsmGreeks} with `rate` (0.037) and `dividend` (0.01)
 * on a TRADING-TIME clock: a year is 252 sessions, each session contributes
 * `(1 − overnightVarianceFraction)/252` years spread evenly over its minutes (pro rata on an
 * early close) and each night (a weekend or holiday counts as one night)
 * `overnightVarianceFraction/252` (default 0.1). With calendar time an intraday holder would
 * pay only 6.5/24 of a day's theta for the whole day's variance, and buying options for the
 * session only would be a free lunch; desks mark short-dated options on such a clock for the
 * same reason. Theta (and the time-decay reward) is per trading-time year accordingly;
 * `info.daysToExpiry` stays calendar days.
 * spread {@link modelSpread}; bid = max(mid − spread/2, 0), ask = mid + spread/2. Fees
 * `feePerContract` (0.65 USD) per contract per fill; none at expiry settlement. Accounting
 * is the one model of `lib/trading` ({@link Account.openPaid} / {@link Account.closeAt}:
 * fully paid premium, equity marked at the mid).
 *
 * ## Volatility inputs
 * VIX per bar from `data.vix` (level at each bar's close); else from `data.vixDaily`
 * interpolated between the session's open and close like {@link levelAt}; else (no VIX at
 * all) `100 × VIX_OVER_REALISED × σ_rv` with σ_rv the annualised realised volatility of the
 * last 390 bars (five sessions) of 5-minute log returns. IV rank ({@link ivRank}): the bar's
 * VIX level against the previous 251 daily closes — of `data.vixDaily` when given (its
 * history may start years before the bars), else of the bars' own session closes — in
 * percent (50 until 20 days of history). The VIX-change observation is against the same
 * previous daily close.
 *
 * ## Risk lockouts
 * With `risk` (a {@link RiskConfig} override, spec defaults IV rank > 95, VIX > 32, spread >
 * 5 % of mid, plus daily loss, loss streak, drawdown), every entry is checked with
 * {@link RiskManager.checkTrade}; a denied entry stays flat (`info.riskBlocked = 1`,
 * `info.riskRule`). Exits are never blocked. The manager observes the equity at every bar's
 * close (so the daily-loss and drawdown halts see mark-to-market losses) and every closed
 * trade (loss streak). A fresh manager starts with each episode.
 *
 * ## Episodes
 * Training (`episodeLength = L`): a random start in `[first bar of the range + 1, last − L]`,
 * L steps, truncated at the end; evaluation (undefined): the whole range. `terminated` on
 * ruin (equity ≤ `ruinFraction × initial`). An option still open at the end is sold at the
 * bid (reason `end_of_data` / `ruin`) unless `closeAtEnd: false`.
 *
 * ## Observation ({@link OPTIONS_OBSERVATION_NAMES}, all clipped to ±10)
 * Market: returns over 1, 12 and 78 bars (percent), realised volatility of the last 78 bars
 * (annualised fraction), VIX/100, VIX change since the previous session's close (fraction),
 * IV rank / 100, time of day (fraction of 390 minutes since 09:30), time left to the flatten
 * bar (fraction of 390 minutes), days to expiry / 7 (of the held option, else of the contract
 * an entry would buy). Position: side (−1 put, 0 flat, 1 call), premium PnL (mid vs entry
 * price, fraction), delta, gamma per 1 % move (`Γ·S/100`), vega per vol point as a fraction
 * of the premium, theta per trading day as a fraction of the premium, bars held / 78. Account:
 * equity / initial, drawdown (fraction). Position entries are 0 when flat.
 *
 * @module
 */
import type { MarketData } from "../data/mod.ts";
import {
  bsmGreeks,
  CONTRACT_MULTIPLIER,
  type DailyLevels,
  DEFAULT_FEE_PER_CONTRACT,
  ivRank,
  modelSpread,
  type OptionInputs,
  type SpreadModelParams,
  SPY_SPREAD_MODEL,
  SPY_VIX_SURFACE,
  surfaceVol,
  VIX_OVER_REALISED,
  type VolQuery,
  type VolSurfaceParams,
} from "../options/mod.ts";
import { type RiskConfig, RiskManager, type RiskState } from "../risk/mod.ts";
import { Account, AccountField as F, type AccountState, type QuotedFill } from "../trading/mod.ts";
import type { TradingConfig } from "../trading/mod.ts";
import { ExitCode, type Trade } from "../trading/mod.ts";
import { ConfigError, EnvError } from "../util/mod.ts";
import { Rng, type RngState } from "../util/mod.ts";
import { type MarketSession, usEquitySessions } from "../util/mod.ts";
import {
  type OptionsRewardConfig,
  type OptionsRewardOverrides,
  resolveOptionsRewardConfig,
} from "./options_reward.ts";
import { Box } from "./spaces.ts";
import type { Env, ResetOptions, ResetResult, StepResult } from "./types.ts";

/** Names (and units) of the observation entries, in order. */
export const OPTIONS_OBSERVATION_NAMES = [
  "return_1_pct", // log return of the last bar, percent
  "return_12_pct", // last 12 bars (1 h), percent
  "return_78_pct", // last 78 bars (one session), percent
  "realised_vol_78", // annualised fraction, last 78 bars
  "vix", // VIX / 100 (fraction)
  "vix_change", // VIX / previous session close − 1 (fraction)
  "iv_rank", // IV rank / 100 (0..1)
  "time_of_day", // minutes since 09:30 / 390
  "time_to_flatten", // minutes until the flatten bar's close / 390 (0 at/after it)
  "days_to_expiry", // days / 7, held option (else the contract an entry would buy)
  "position", // −1 put, 0 flat, 1 call
  "premium_pnl", // mid / entry price − 1 (fraction), 0 flat
  "delta", // option delta per share (call 0..1, put −1..0), 0 flat
  "gamma_1pct", // Γ·S/100: delta change per 1 % move, 0 flat
  "vega_per_premium", // vega per vol point / mid (fraction of premium), 0 flat
  "theta_per_premium", // theta per trading day (1/252 trading-time yr) / mid (≤ 0), 0 flat
  "bars_held", // bars since entry / 78, 0 flat
  "equity_over_initial", // ratio
  "drawdown", // fraction of the running peak equity
] as const;

/** Observation size. */
export const OPTIONS_OBS_DIM = OPTIONS_OBSERVATION_NAMES.length;
const OBS_CLIP = 10;

/** Inputs of the env: RTH bars, their sessions, and the volatility index when known. */
export interface OptionsEnvData {
  /** Underlying bars on regular trading hours (UTC ms of each bar's open). */
  market: MarketData;
  /** Per bar: index into `sessions`. */
  session: Int32Array;
  /** The sessions of the bars (US equity calendar). */
  sessions: MarketSession[];
  /** VIX level (index points) at each bar's close; NaN entries fall back (see module docs). */
  vix?: Float64Array;
  /** Daily VIX open/close, used when `vix` is absent, and for IV rank when given. */
  vixDaily?: DailyLevels;
}

/** Which contract an entry buys. */
export interface ContractRule {
  /** Minimum days from the bar's close to the expiry close. Default 1. */
  minDaysToExpiry: number;
  /** Strike grid, USD. Default 1 (SPY). */
  strikeStep: number;
  /** Strikes out of the money (negative = in the money). Default 0 (nearest the money). */
  strikeOffset: number;
}

/**
 * The env's defaults, written once (the constructor, the run configuration of
 * lib/experiment and the CLI read them from here).
 */
export const OPTIONS_ENV_DEFAULTS = Object.freeze({
  /** |action| above which a side is taken (the specification's 0.3). */
  threshold: 0.3,
  /** Contract selection: nearest weekly ≥ 1 day out, strike nearest the money on a $1 grid. */
  contract: Object.freeze({ minDaysToExpiry: 1, strikeStep: 1, strikeOffset: 0 }) as Readonly<
    ContractRule
  >,
  /** Contracts per entry. */
  contracts: 1,
  /** Risk-free rate, continuous, fraction/yr. */
  rate: 0.037,
  /** Dividend yield, continuous, fraction/yr. */
  dividend: 0.01,
  /** Account starting balance, USD. */
  initialBalance: 10_000,
  /** Flatten every session (the spec's 15:50 flatten). */
  flattenDaily: true,
  /** Minutes before the session close at which positions are flattened. */
  flattenMinutesBeforeClose: 10,
  /** Share of a day's variance outside regular hours (trading-time clock). */
  overnightVarianceFraction: 0.1,
});

/** Constructor options of {@link OptionsTradingEnv}. */
export interface OptionsEnvOptions {
  /** Bars, sessions and VIX (e.g. `generateSyntheticOptionsMarket()`). */
  data: OptionsEnvData;
  /** Bar range `[start, end)` (default all bars). */
  range?: { start: number; end: number };
  /** Steps per training episode (random start); undefined = evaluation over the range. */
  episodeLength?: number;
  /** Seed of the env's PRNG (episode starts). Default 0. */
  seed?: number;
  /** |action| above which a side is taken. Default 0.3 (the spec). */
  threshold?: number;
  /** Contract selection overrides. */
  contract?: Partial<ContractRule>;
  /** Contracts per entry. Default 1. */
  contracts?: number;
  /** Risk-free rate, continuous, fraction/yr. Default 0.037. */
  rate?: number;
  /** Dividend yield, continuous, fraction/yr. Default 0.01. */
  dividend?: number;
  /** Volatility surface (default the fitted SPY/VIX surface). */
  surface?: VolSurfaceParams;
  /** Spread model (default the fitted SPY model). */
  spread?: SpreadModelParams;
  /** Fee per contract per fill, USD. Default 0.65. */
  feePerContract?: number;
  /** Account overrides; defaults here: initialBalance 10,000, minNotional 0. */
  trading?: Partial<TradingConfig>;
  /** Reward overrides. */
  reward?: OptionsRewardOverrides;
  /** Flatten every session (the spec's 15:50 flatten). Default true. */
  flattenDaily?: boolean;
  /** Minutes before the session close at which positions are flattened. Default 10. */
  flattenMinutesBeforeClose?: number;
  /** Risk manager config; entries are checked when given (see module docs). */
  risk?: Partial<RiskConfig>;
  /**
   * Share of a day's variance that falls outside regular hours (overnight, weekends count as
   * one night) on the trading-time clock used for pricing (see module docs). Default 0.1.
   */
  overnightVarianceFraction?: number;
  /** Close an open option at the end of an episode. Default true. */
  closeAtEnd?: boolean;
}

/** Per-step info; ONE object reused for every step (copy it to keep it). */
export type OptionsEnvInfo = {
  /** Bar index of the current observation. */
  bar: number;
  /** Open time of that bar, UTC ms. */
  time: number;
  /** Underlying close of that bar. */
  price: number;
  /** VIX level (index points). */
  vix: number;
  /** IV rank, percent 0..100. */
  ivRank: number;
  /** −1 put, 0 flat, 1 call (after the step). */
  position: number;
  /** Contracts held. */
  contracts: number;
  /** Strike of the held option (0 flat). */
  strike: number;
  /** Expiry close of the held option, UTC ms (0 flat). */
  expiryMs: number;
  /** Days to expiry of the held option (0 flat). */
  daysToExpiry: number;
  /** Model IV of the held option, fraction (0 flat). */
  iv: number;
  /** Mid / bid / ask per share of the held option (0 flat). */
  mid: number;
  bid: number;
  ask: number;
  /** Greeks per share (vega per 1.00 vol, theta per trading-time year), 0 flat. */
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
  /** mid / entry − 1 (fraction), 0 flat. */
  premiumPnlPct: number;
  equity: number;
  /** Wallet balance of the account (see lib/trading: premium is margin, not deducted). */
  balance: number;
  realisedPnl: number;
  feesPaid: number;
  drawdown: number;
  maxDrawdown: number;
  /** The action value of the last step (NaN after reset). */
  action: number;
  /** Target side of the last action: −1, 0, 1. */
  target: number;
  /** 1 when the last step bought an option. */
  entered: number;
  /** 1 when the last step's action sold an option (flat or flip). */
  exited: number;
  /** Exit code of a close in the last step (see ExitCode), −1 if none. */
  exitReason: number;
  /** 1 when the last action's exit was a whipsaw (see the reward docs). */
  whipsaw: number;
  /** 1 when the last action's exit was a profitable early exit. */
  earlyExit: number;
  /** 1 when an entry was denied by the risk manager. */
  riskBlocked: number;
  /** The rule that denied it (null otherwise). */
  riskRule: string | null;
  /** Trades closed in the last step and their net PnL. */
  tradeClosed: number;
  closedTradePnl: number;
  totalTrades: number;
  winRate: number;
  episodeStep: number;
  reward: number;
  rewardPnl: number;
  rewardDirection: number;
  rewardWhipsaw: number;
  rewardEarlyExit: number;
  rewardTimeDecay: number;
};

/** {@link StepResult} with the typed, reused info. */
export interface OptionsStepResult extends StepResult {
  info: OptionsEnvInfo;
}

/** {@link ResetResult} with the typed, reused info. */
export interface OptionsResetResult extends ResetResult {
  info: OptionsEnvInfo;
}

/** A complete snapshot (see {@link OptionsTradingEnv.cloneState}). */
export interface OptionsEnvState {
  /** Tag checked by {@link OptionsTradingEnv.restoreState}. */
  kind: "OptionsTradingEnv";
  /** Cash, position, ledger. */
  account: AccountState;
  /** Episode, position, statistics, the held option's quote and Greeks (internal order). */
  scalars: Float64Array;
  /** Side, strike and expiry of every closed trade (triplets). */
  contracts: number[];
  /** The env's PRNG. */
  rng: RngState;
  /** The risk manager's state (null without `risk`). */
  risk: RiskState | null;
  /** A copy of the last info. */
  info: OptionsEnvInfo;
}

/** A closed option trade: the ledger's {@link Trade} plus the contract. */
export interface OptionTrade extends Trade {
  /** `"call"` or `"put"` (the ledger's `side` is 1 for both: a long premium). */
  optionType: "call" | "put";
  /** Strike, USD per share. */
  strike: number;
  /** Expiry close, UTC ms. */
  expiryMs: number;
}

// ---- per-bar table
const C_CLOSE = 0;
const C_TCLOSE = 1; // bar close time, UTC ms
const C_VIX = 2;
const C_RANK = 3; // percent
const C_FLAT = 4; // 1 = flatten bar or later in the session (no entries; positions closed)
const C_EXPIRY = 5; // expiry close (UTC ms) of the contract an entry would buy
const C_CLOCK = 6; // trading-time clock at the bar's close, years
const C_EXPIRY_CLOCK = 7; // trading-time clock at that contract's expiry, years
const C_OBS = 8; // 10 market observation entries
const STRIDE = 18;
const N_MKT = 10;

const MS_YEAR = 365 * 86_400_000;
const MS_DAY = 86_400_000;
const SESSION_MS = 390 * 60_000;

/**
 * The trading-time clock over the calendar sessions from the data's first date to 30 days
 * past its last (so expiries after the data can be priced), and the weekly expiries (last
 * session of each calendar week) with their clock values.
 */
function tradingClock(sessions: MarketSession[], nightFraction: number): {
  index: Map<string, number>;
  all: MarketSession[];
  open: Float64Array;
  expiryMs: Float64Array;
  expiryClock: Float64Array;
} {
  const first = sessions[0].date;
  const last = Temporal.PlainDate.from(sessions[sessions.length - 1].date).add({ days: 30 });
  const all = usEquitySessions(first, last.toString());
  const open = new Float64Array(all.length);
  const close = new Float64Array(all.length);
  const index = new Map<string, number>();
  const day = (1 - nightFraction) / 252;
  const night = nightFraction / 252;
  const exMs: number[] = [];
  const exClock: number[] = [];
  for (let i = 0; i < all.length; i++) {
    index.set(all[i].date, i);
    open[i] = i > 0 ? close[i - 1] + night : 0;
    close[i] = open[i] + (day * (all[i].closeMs - all[i].openMs)) / SESSION_MS;
    const d = Temporal.PlainDate.from(all[i].date);
    const next = i + 1 < all.length ? Temporal.PlainDate.from(all[i + 1].date) : null;
    const sameWeek = next !== null && next.yearOfWeek === d.yearOfWeek &&
      next.weekOfYear === d.weekOfYear;
    if (!sameWeek) {
      exMs.push(all[i].closeMs);
      exClock.push(close[i]);
    }
  }
  return {
    index,
    all,
    open,
    expiryMs: Float64Array.from(exMs),
    expiryClock: Float64Array.from(exClock),
  };
}

interface TableKey {
  minDays: number;
  flatten: number; // minutes before close, −1 = none
  night: number; // overnight variance fraction
}

const TABLES = new WeakMap<OptionsEnvData, Map<string, Float64Array>>();

function buildTable(d: OptionsEnvData, k: TableKey): Float64Array {
  const md = d.market;
  const n = md.close.length;
  if (d.session.length !== n) {
    throw new EnvError(`data.session has ${d.session.length} entries for ${n} bars`, {
      parameter: "data.session",
    });
  }
  if (d.vix && d.vix.length !== n) {
    throw new EnvError(`data.vix has ${d.vix.length} entries for ${n} bars`, {
      parameter: "data.vix",
    });
  }
  const t = new Float64Array(n * STRIDE);
  const close = md.close;
  const ses = d.sessions;
  // VIX per bar
  const vix = new Float64Array(n);
  const dailyIdx = new Map<string, number>();
  if (d.vixDaily) d.vixDaily.date.forEach((s, i) => dailyIdx.set(s, i));
  const BPY = 252 * 78;
  for (let i = 0; i < n; i++) {
    let v = d.vix ? d.vix[i] : NaN;
    const s = ses[d.session[i]];
    const tc = md.time[i] + md.intervalMs;
    if (!(v > 0) && d.vixDaily) {
      const j = dailyIdx.get(s.date);
      if (j !== undefined) {
        const minute = 570 + (tc - s.openMs) / 60_000;
        const f = Math.min(1, (minute - 570) / (16 * 60 + 15 - 570));
        v = d.vixDaily.open[j] + f * (d.vixDaily.close[j] - d.vixDaily.open[j]);
      }
    }
    if (!(v > 0)) {
      // realised fallback over the last 390 bars
      const from = Math.max(1, i - 389);
      let s2 = 0;
      let m = 0;
      for (let j = from; j <= i; j++) {
        const r = Math.log(close[j] / close[j - 1]);
        s2 += r * r;
        m++;
      }
      v = m >= 2 ? 100 * VIX_OVER_REALISED * Math.sqrt((s2 / m) * BPY) : 18;
    }
    vix[i] = v;
  }
  // session closes of VIX (the last bar of each session) for rank and change
  const nS = ses.length;
  const sessClose = new Float64Array(nS).fill(NaN);
  for (let i = 0; i < n; i++) sessClose[d.session[i]] = vix[i];
  // the daily history IV rank and the VIX change read: the given daily VIX (which may reach
  // years before the bars) or else the bars' own session closes; histEnd[s] = number of
  // history entries dated before session s
  const daily = d.vixDaily && d.vixDaily.date.length > 0 ? d.vixDaily : null;
  const hist = daily ? daily.close : sessClose;
  const histEnd = new Int32Array(nS);
  for (let si = 0, j = 0; si < nS; si++) {
    if (daily) {
      while (j < daily.date.length && daily.date[j] < ses[si].date) j++;
      histEnd[si] = j;
    } else histEnd[si] = si;
  }
  const clock = tradingClock(ses, k.night);
  const expiries = clock.expiryMs;
  const day = (1 - k.night) / 252;
  let ep = 0;
  for (let i = 0; i < n; i++) {
    const r = i * STRIDE;
    const si = d.session[i];
    const s = ses[si];
    const tc = md.time[i] + md.intervalMs;
    t[r + C_CLOSE] = close[i];
    t[r + C_TCLOSE] = tc;
    t[r + C_VIX] = vix[i];
    // IV rank vs the previous 251 session closes (a year with today)
    const ivr = ivRank(vix[i], hist, { end: histEnd[si], window: 251 });
    const rank = ivr === ivr ? ivr : 50;
    t[r + C_RANK] = rank;
    const flatAt = k.flatten >= 0 ? s.closeMs - k.flatten * 60_000 : Infinity;
    t[r + C_FLAT] = tc >= flatAt ? 1 : 0;
    while (ep < expiries.length && expiries[ep] - tc < k.minDays * MS_DAY) ep++;
    t[r + C_EXPIRY] = ep < expiries.length ? expiries[ep] : NaN;
    t[r + C_EXPIRY_CLOCK] = ep < expiries.length ? clock.expiryClock[ep] : NaN;
    const ci = clock.index.get(s.date);
    if (ci === undefined) {
      throw new EnvError(`bar ${i} lies on ${s.date}, which is not a US equity session`, {
        parameter: "data.sessions",
      }, "build the sessions with the US equity calendar (restrictToSessions)");
    }
    t[r + C_CLOCK] = clock.open[ci] + (day * (tc - s.openMs)) / SESSION_MS;
    // observations
    const o = r + C_OBS;
    const ret = (lag: number) => (i >= lag ? 100 * Math.log(close[i] / close[i - lag]) : 0);
    t[o] = ret(1);
    t[o + 1] = ret(12);
    t[o + 2] = ret(78);
    let s2 = 0;
    let m = 0;
    for (let j = Math.max(1, i - 77); j <= i; j++) {
      const x = Math.log(close[j] / close[j - 1]);
      s2 += x * x;
      m++;
    }
    t[o + 3] = m > 0 ? Math.sqrt((s2 / m) * BPY) : 0;
    t[o + 4] = vix[i] / 100;
    const prevClose = histEnd[si] > 0 ? hist[histEnd[si] - 1] : NaN;
    t[o + 5] = prevClose > 0 ? vix[i] / prevClose - 1 : 0;
    t[o + 6] = rank / 100;
    t[o + 7] = (tc - s.openMs) / 60_000 / 390;
    t[o + 8] = flatAt === Infinity
      ? (s.closeMs - tc) / 60_000 / 390
      : Math.max(0, flatAt - tc) / 60_000 / 390;
    t[o + 9] = (t[r + C_EXPIRY] - tc) / MS_DAY / 7;
  }
  return t;
}

function tableFor(d: OptionsEnvData, k: TableKey): Float64Array {
  let m = TABLES.get(d);
  if (!m) TABLES.set(d, m = new Map());
  const key = `${k.minDays}|${k.flatten}|${k.night}`;
  let t = m.get(key);
  if (!t) m.set(key, t = buildTable(d, k));
  return t;
}

function newInfo(): OptionsEnvInfo {
  return {
    bar: 0,
    time: 0,
    price: 0,
    vix: 0,
    ivRank: 0,
    position: 0,
    contracts: 0,
    strike: 0,
    expiryMs: 0,
    daysToExpiry: 0,
    iv: 0,
    mid: 0,
    bid: 0,
    ask: 0,
    delta: 0,
    gamma: 0,
    vega: 0,
    theta: 0,
    premiumPnlPct: 0,
    equity: 0,
    balance: 0,
    realisedPnl: 0,
    feesPaid: 0,
    drawdown: 0,
    maxDrawdown: 0,
    action: NaN,
    target: 0,
    entered: 0,
    exited: 0,
    exitReason: -1,
    whipsaw: 0,
    earlyExit: 0,
    riskBlocked: 0,
    riskRule: null,
    tradeClosed: 0,
    closedTradePnl: 0,
    totalTrades: 0,
    winRate: 0,
    episodeStep: 0,
    reward: 0,
    rewardPnl: 0,
    rewardDirection: 0,
    rewardWhipsaw: 0,
    rewardEarlyExit: 0,
    rewardTimeDecay: 0,
  };
}

// scalar state slots (#s)
const S_T = 0;
const S_START = 1;
const S_END = 2;
const S_SIDE = 3;
const S_STRIKE = 4;
const S_EXPIRY = 5;
const S_ENTRY_BAR = 6;
const S_EQ = 7;
const S_PEAK = 8;
const S_DD = 9;
const S_MAXDD = 10;
const S_CLOSED = 11;
const S_WINS = 12;
const S_STEPS = 13;
const S_NEEDS_RESET = 14;
const S_EXPIRY_CLOCK = 15;
const S_COUNT = 16;
// quote slots (#q) of the held option at the current bar
const Q_MID = 0;
const Q_BID = 1;
const Q_ASK = 2;
const Q_IV = 3;
const Q_YEARS = 4;
const Q_SPREAD = 5;
const Q_COUNT = 6;

/**
 * The options trading env (see the module docs). Action: `Box(−1, 1, [1])` (a
 * `Float64Array` of length 1, or a number); NaN or a value outside [−1, 1] throws.
 *
 * @example
 * ```ts
 * const env = new OptionsTradingEnv({ data: generateSyntheticOptionsMarket(), episodeLength: 390 });
 * env.reset({ seed: 1 });
 * env.step(Float64Array.of(0.8)); // buy the nearest-the-money weekly call
 * ```
 */
export class OptionsTradingEnv implements Env<Float64Array> {
  readonly observationSpace: Box = new Box(-OBS_CLIP, OBS_CLIP, OPTIONS_OBS_DIM);
  readonly actionSpace: Box = new Box(-1, 1, 1);
  /** Resolved reward config. */
  readonly rewardConfig: Readonly<OptionsRewardConfig>;
  /** Resolved contract rule. */
  readonly contract: Readonly<ContractRule>;
  /** First bar an episode may start on. */
  readonly firstBar: number;
  /** Last bar index of the range (inclusive). */
  readonly lastBar: number;
  /** Steps per training episode, or undefined for evaluation. */
  readonly episodeLength: number | undefined;
  /** Entry threshold on |action|. */
  readonly threshold: number;
  /** Contracts per entry. */
  readonly contracts: number;
  /** The options the env was built from (read-only; e.g. to rebuild it under the guards). */
  readonly options: Readonly<OptionsEnvOptions>;

  readonly #data: OptionsEnvData;
  readonly #bars: Float64Array;
  readonly #acct: Account;
  readonly #initial: number;
  readonly #ruin: number;
  readonly #fee: number;
  readonly #surface: VolSurfaceParams;
  readonly #spreadModel: SpreadModelParams;
  readonly #riskConfig: Partial<RiskConfig> | undefined;
  #risk: RiskManager | null = null;
  readonly #closeAtEnd: boolean;
  #rng: Rng;
  readonly #s = new Float64Array(S_COUNT);
  readonly #q = new Float64Array(Q_COUNT);
  readonly #g = new Float64Array(5);
  readonly #av = new Float64Array(14);
  readonly #rw = new Float64Array(6);
  readonly #obs = new Float64Array(OPTIONS_OBS_DIM);
  readonly #in: OptionInputs;
  readonly #vq: VolQuery;
  readonly #fill: QuotedFill = { price: 0, fee: 0 };
  /** Side, strike, expiry of each closed trade, in ledger order. */
  readonly #contracts: number[] = [];
  readonly #info: OptionsEnvInfo = newInfo();
  readonly #result: OptionsStepResult;
  readonly #reset: OptionsResetResult;
  // reward weights
  readonly #wPnl: number;
  readonly #wDir: number;
  readonly #wWhip: number;
  readonly #whipBars: number;
  readonly #wEarly: number;
  readonly #wDecay: number;

  constructor(opts: OptionsEnvOptions) {
    this.options = opts;
    const d = opts.data;
    if (!d?.market || !d.session || !d.sessions) {
      throw new ConfigError("options env needs data { market, session, sessions }", {
        parameter: "data",
      }, "use generateSyntheticOptionsMarket() or restrictToSessions(bars) with a VIX series");
    }
    const n = d.market.close.length;
    const range = opts.range ?? { start: 0, end: n };
    if (
      !(Number.isInteger(range.start) && Number.isInteger(range.end) && range.start >= 0 &&
        range.end <= n && range.end - range.start >= 2)
    ) {
      throw new ConfigError(
        `range [${range.start}, ${range.end}) is not inside [0, ${n}] with ≥ 2 bars`,
        {
          parameter: "range",
        },
      );
    }
    this.firstBar = Math.max(range.start, 1);
    this.lastBar = range.end - 1;
    const L = opts.episodeLength;
    if (L !== undefined && !(Number.isInteger(L) && L >= 1 && this.firstBar + L <= this.lastBar)) {
      throw new ConfigError(
        `episodeLength ${L} does not fit the range (${this.lastBar - this.firstBar} steps)`,
        {
          parameter: "episodeLength",
        },
      );
    }
    this.episodeLength = L;
    this.threshold = opts.threshold ?? OPTIONS_ENV_DEFAULTS.threshold;
    if (!(this.threshold >= 0 && this.threshold < 1)) {
      throw new ConfigError(`threshold must be in [0, 1), got ${opts.threshold}`, {
        parameter: "threshold",
      });
    }
    this.contracts = opts.contracts ?? OPTIONS_ENV_DEFAULTS.contracts;
    if (!(Number.isInteger(this.contracts) && this.contracts >= 1)) {
      throw new ConfigError(`contracts must be a positive integer, got ${opts.contracts}`, {
        parameter: "contracts",
      });
    }
    this.contract = Object.freeze({
      minDaysToExpiry: opts.contract?.minDaysToExpiry ??
        OPTIONS_ENV_DEFAULTS.contract.minDaysToExpiry,
      strikeStep: opts.contract?.strikeStep ?? OPTIONS_ENV_DEFAULTS.contract.strikeStep,
      strikeOffset: opts.contract?.strikeOffset ?? OPTIONS_ENV_DEFAULTS.contract.strikeOffset,
    });
    if (
      !(this.contract.minDaysToExpiry >= 0) || !(this.contract.strikeStep > 0) ||
      !Number.isInteger(this.contract.strikeOffset)
    ) {
      throw new ConfigError("contract: minDaysToExpiry ≥ 0, strikeStep > 0, integer strikeOffset", {
        parameter: "contract",
      });
    }
    const flattenDaily = opts.flattenDaily ?? OPTIONS_ENV_DEFAULTS.flattenDaily;
    const flatMin = opts.flattenMinutesBeforeClose ??
      OPTIONS_ENV_DEFAULTS.flattenMinutesBeforeClose;
    if (!(flatMin >= 0 && flatMin < 390)) {
      throw new ConfigError(`flattenMinutesBeforeClose must be in [0, 390), got ${flatMin}`, {
        parameter: "flattenMinutesBeforeClose",
      });
    }
    this.#fee = opts.feePerContract ?? DEFAULT_FEE_PER_CONTRACT;
    if (!(this.#fee >= 0)) {
      throw new ConfigError(`feePerContract must be ≥ 0, got ${opts.feePerContract}`, {
        parameter: "feePerContract",
      });
    }
    this.#data = d;
    const night = opts.overnightVarianceFraction ?? OPTIONS_ENV_DEFAULTS.overnightVarianceFraction;
    if (!(night >= 0 && night < 1)) {
      throw new ConfigError(`overnightVarianceFraction must be in [0, 1), got ${night}`, {
        parameter: "overnightVarianceFraction",
      });
    }
    this.#bars = tableFor(d, {
      minDays: this.contract.minDaysToExpiry,
      flatten: flattenDaily ? flatMin : -1,
      night,
    });
    this.#acct = new Account({
      initialBalance: OPTIONS_ENV_DEFAULTS.initialBalance,
      minNotional: 0,
      ...opts.trading,
    });
    this.#initial = this.#acct.config.initialBalance;
    this.#ruin = this.#acct.config.ruinFraction * this.#initial;
    this.#surface = opts.surface ?? SPY_VIX_SURFACE;
    this.#spreadModel = opts.spread ?? SPY_SPREAD_MODEL;
    this.#riskConfig = opts.risk;
    if (opts.risk) new RiskManager(opts.risk); // validate now, not at the first reset
    this.#closeAtEnd = opts.closeAtEnd ?? true;
    const rate = opts.rate ?? OPTIONS_ENV_DEFAULTS.rate;
    const dividend = opts.dividend ?? OPTIONS_ENV_DEFAULTS.dividend;
    this.#in = { call: true, spot: 0, strike: 0, years: 0, rate, dividend, vol: 0 };
    this.#vq = { vix: 0, spot: 0, strike: 0, years: 0, rate, dividend };
    const rc = resolveOptionsRewardConfig(opts.reward);
    this.rewardConfig = rc;
    this.#wPnl = rc.pnl.enabled ? rc.pnl.weight : 0;
    this.#wDir = rc.direction.enabled ? rc.direction.weight : 0;
    this.#wWhip = rc.whipsaw.enabled ? rc.whipsaw.weight : 0;
    this.#whipBars = rc.whipsaw.withinBars;
    this.#wEarly = rc.earlyExit.enabled ? rc.earlyExit.weight : 0;
    this.#wDecay = rc.timeDecay.enabled ? rc.timeDecay.weight : 0;
    this.#rng = new Rng(opts.seed ?? 0);
    this.#s[S_NEEDS_RESET] = 1;
    this.#result = {
      observation: this.#obs,
      reward: 0,
      terminated: false,
      truncated: false,
      info: this.#info,
    };
    this.#reset = { observation: this.#obs, info: this.#info };
  }

  /** The account (read it; do not trade on it). */
  get account(): Account {
    return this.#acct;
  }
  /** Current bar index. */
  get bar(): number {
    return this.#s[S_T];
  }
  /** Last bar of the current episode (inclusive): the ruin rule holds a curve to it. */
  get episodeEnd(): number {
    return this.#s[S_END];
  }
  /** Open time of bar `bar` of the market data, UTC ms (for curves held past an early end). */
  barTime(bar: number): number {
    return this.#data.market.time[bar];
  }
  /** Close of the underlying at bar `bar`, USD per share. */
  barClose(bar: number): number {
    return this.#data.market.close[bar];
  }
  /** The reused info of the last reset/step. */
  get info(): OptionsEnvInfo {
    return this.#info;
  }
  /** Closed trades of the episode (allocates). */
  trades(): Trade[] {
    return this.#acct.ledger.trades();
  }
  /** Closed trades of the episode with their contracts (allocates). */
  optionTrades(): OptionTrade[] {
    const c = this.#contracts;
    return this.#acct.ledger.trades().map((t, i) => ({
      ...t,
      optionType: c[3 * i] > 0 ? "call" as const : "put" as const,
      strike: c[3 * i + 1],
      expiryMs: c[3 * i + 2],
    }));
  }
  /** The risk manager of the current episode (null without `risk`). */
  get riskManager(): RiskManager | null {
    return this.#risk;
  }

  /**
   * Start an episode; `options.start` fixes the start bar; `options.risk` (a RiskConfig
   * override) sets the risk rules of this episode instead of the constructor's `risk` (how a
   * guard puts the lockouts on an env it did not build, sharing its account).
   */
  reset(opts: ResetOptions = {}): OptionsResetResult {
    if (opts.seed !== undefined) this.#rng = new Rng(opts.seed);
    const L = this.episodeLength;
    const maxStart = L === undefined ? this.lastBar - 1 : this.lastBar - L;
    let start: number;
    const fixed = opts.options?.start;
    if (fixed !== undefined) {
      if (
        typeof fixed !== "number" || !Number.isInteger(fixed) || fixed < this.firstBar ||
        fixed > maxStart
      ) {
        throw new EnvError(`options.start ${fixed} outside [${this.firstBar}, ${maxStart}]`, {
          parameter: "options.start",
        });
      }
      start = fixed;
    } else if (L === undefined) start = this.firstBar;
    else start = this.firstBar + this.#rng.int(maxStart - this.firstBar + 1);
    const s = this.#s;
    s.fill(0);
    s[S_T] = start;
    s[S_START] = start;
    s[S_END] = L === undefined ? this.lastBar : start + L;
    this.#q.fill(0);
    this.#g.fill(0);
    const a = this.#acct;
    a.reset();
    this.#contracts.length = 0;
    a.setClock(start, this.#data.market.time[start]);
    a.mark(0);
    a.readInto(this.#av);
    s[S_EQ] = this.#av[F.EQUITY];
    s[S_PEAK] = s[S_EQ];
    const rc = (opts.options?.risk as Partial<RiskConfig> | null | undefined) ?? this.#riskConfig;
    this.#risk = rc ? new RiskManager(rc) : null;
    const info = this.#info;
    Object.assign(info, newInfo());
    this.#fillInfo();
    this.#writeObs();
    return this.#reset;
  }

  /** Apply the action at the current bar's close and advance one bar (see module docs). */
  step(action: Float64Array | number): OptionsStepResult {
    const s = this.#s;
    if (s[S_NEEDS_RESET] === 1) {
      throw new EnvError("step() called on a finished or never-reset episode", {
        parameter: "action",
      }, "call reset() first (and after every terminated/truncated step)");
    }
    let x: number;
    if (typeof action === "number") x = action;
    else {
      if (action.length !== 1) {
        throw new EnvError(`action has ${action.length} values, expected 1`, {
          parameter: "action",
        });
      }
      x = action[0];
    }
    if (!(x >= -1 && x <= 1)) {
      throw new EnvError(
        `action ${x} is outside [−1, 1]`,
        { parameter: "action" },
        "use a finite number in [−1, 1]: < −threshold put, > threshold call, else flat",
      );
    }
    const target = x > this.threshold ? 1 : x < -this.threshold ? -1 : 0;
    const bars = this.#bars;
    const a = this.#acct;
    const ledger = a.ledger;
    const t = s[S_T];
    const r0 = t * STRIDE;
    const prevEq = s[S_EQ];
    const closedBefore = ledger.count;
    const info = this.#info;
    let entered = 0;
    let exited = 0;
    let exitReason = -1;
    let whipsaw = 0;
    let early = 0;
    let blocked = 0;
    info.riskRule = null;

    // ---- 1. the action's exit (flat or flip) at the bid of bar t
    let side = s[S_SIDE];
    if (side !== 0 && target !== side) {
      this.#sell(ExitCode.EXIT, t);
      exited = 1;
      exitReason = ExitCode.EXIT;
      if (t - s[S_ENTRY_BAR] < this.#whipBars) whipsaw = 1;
      if (ledger.pnl[ledger.count - 1] > 0) early = 1;
      side = 0;
    }
    // ---- 2. entry at the ask of bar t
    if (
      target !== 0 && side === 0 && bars[r0 + C_FLAT] === 0 &&
      bars[r0 + C_EXPIRY] === bars[r0 + C_EXPIRY]
    ) {
      const spot = bars[r0 + C_CLOSE];
      const step = this.contract.strikeStep;
      const k = Math.round(spot / step) * step + target * this.contract.strikeOffset * step;
      const ex = bars[r0 + C_EXPIRY];
      if (k > 0) {
        this.#quote(target, k, ex, bars[r0 + C_EXPIRY_CLOCK], t);
        const q = this.#q;
        let allowed = true;
        if (this.#risk) {
          const dec = this.#risk.checkTrade(
            {
              symbol: "SPY",
              side: "buy",
              qty: this.contracts,
              price: q[Q_ASK] * CONTRACT_MULTIPLIER,
            },
            {
              timeMs: bars[r0 + C_TCLOSE],
              equity: a.equity,
              ivRank: bars[r0 + C_RANK],
              vix: bars[r0 + C_VIX],
              spreadFraction: q[Q_MID] > 0 ? q[Q_SPREAD] / q[Q_MID] : Infinity,
            },
          );
          if (!dec.allowed) {
            allowed = false;
            blocked = 1;
            info.riskRule = dec.rule;
          }
        }
        if (allowed) {
          const f = this.#fill;
          f.price = q[Q_ASK] * CONTRACT_MULTIPLIER;
          f.fee = this.#fee * this.contracts;
          if (a.openPaid(this.contracts, f)) {
            entered = 1;
            side = target;
            s[S_SIDE] = side;
            s[S_STRIKE] = k;
            s[S_EXPIRY] = ex;
            s[S_EXPIRY_CLOCK] = bars[r0 + C_EXPIRY_CLOCK];
            s[S_ENTRY_BAR] = t;
            a.mark(q[Q_MID] * CONTRACT_MULTIPLIER);
          }
        }
      }
    }
    // Greeks at t of what is held over the bar (cached by the last #quote of that contract)
    const theta = side !== 0 ? this.#g[4] : 0;

    // ---- 3. advance to bar t+1: expiry, mark, flatten
    const t1 = t + 1;
    const r1 = t1 * STRIDE;
    s[S_T] = t1;
    a.setClock(t1, this.#data.market.time[t1]);
    const rw = this.#rw;
    rw[1] = 0;
    rw[4] = 0;
    let forced = 0;
    if (side !== 0) {
      rw[1] = this.#wDir * side * 100 * Math.log(bars[r1 + C_CLOSE] / bars[r0 + C_CLOSE]);
      const dt = bars[r1 + C_CLOCK] - bars[r0 + C_CLOCK]; // trading-time years
      rw[4] = theta < 0
        ? 0 - this.#wDecay * (-theta * dt * this.contracts * CONTRACT_MULTIPLIER) / this.#initial
        : 0;
      if (s[S_EXPIRY] <= bars[r1 + C_TCLOSE]) {
        const spot = bars[r1 + C_CLOSE];
        const intrinsic = side > 0 ? spot - s[S_STRIKE] : s[S_STRIKE] - spot;
        const f = this.#fill;
        f.price = (intrinsic > 0 ? intrinsic : 0) * CONTRACT_MULTIPLIER;
        f.fee = 0;
        a.closeAt(f, ExitCode.EXPIRY);
        this.#closed(ExitCode.EXPIRY, t1);
        side = 0;
        forced = ExitCode.EXPIRY;
      } else {
        this.#quote(side, s[S_STRIKE], s[S_EXPIRY], s[S_EXPIRY_CLOCK], t1);
        a.mark(this.#q[Q_MID] * CONTRACT_MULTIPLIER);
        if (bars[r1 + C_FLAT] === 1) {
          this.#sell(ExitCode.SESSION_CLOSE, t1);
          side = 0;
          forced = ExitCode.SESSION_CLOSE;
        }
      }
    }
    // ---- 4. episode end
    a.readInto(this.#av);
    let equity = this.#av[F.EQUITY];
    if (this.#risk) this.#risk.observe({ timeMs: bars[r1 + C_TCLOSE], equity });
    const ruin = equity <= this.#ruin;
    const terminated = ruin;
    const truncated = !terminated && t1 >= s[S_END];
    if ((terminated || truncated) && this.#closeAtEnd && side !== 0) {
      const code = ruin ? ExitCode.RUIN : ExitCode.END_OF_DATA;
      this.#sell(code, t1);
      side = 0;
      forced = code;
      a.readInto(this.#av);
      equity = this.#av[F.EQUITY];
    }
    if (side === 0) {
      s[S_SIDE] = 0;
      s[S_STRIKE] = 0;
      s[S_EXPIRY] = 0;
      this.#q.fill(0);
      this.#g.fill(0);
    }
    s[S_NEEDS_RESET] = terminated || truncated ? 1 : 0;
    s[S_STEPS]++;

    // ---- 5. statistics
    s[S_EQ] = equity;
    if (equity > s[S_PEAK]) s[S_PEAK] = equity;
    s[S_DD] = s[S_PEAK] > 0 ? (s[S_PEAK] - equity) / s[S_PEAK] : 0;
    if (s[S_DD] > s[S_MAXDD]) s[S_MAXDD] = s[S_DD];
    let closedPnl = 0;
    for (let i = closedBefore; i < ledger.count; i++) {
      closedPnl += ledger.pnl[i];
      if (ledger.pnl[i] > 0) s[S_WINS]++;
    }
    const closedNow = ledger.count - closedBefore;
    s[S_CLOSED] += closedNow;

    // ---- 6. reward
    rw[0] = ((equity - prevEq) / this.#initial) * this.#wPnl + 0;
    rw[2] = whipsaw ? 0 - this.#wWhip : 0;
    rw[3] = early ? this.#wEarly : 0;
    rw[5] = rw[0] + rw[1] + rw[2] + rw[3] + rw[4];

    info.action = x;
    info.target = target;
    info.entered = entered;
    info.exited = exited;
    info.exitReason = forced !== 0 ? forced : exitReason;
    info.whipsaw = whipsaw;
    info.earlyExit = early;
    info.riskBlocked = blocked;
    info.tradeClosed = closedNow;
    info.closedTradePnl = closedPnl;
    info.reward = rw[5];
    info.rewardPnl = rw[0];
    info.rewardDirection = rw[1];
    info.rewardWhipsaw = rw[2];
    info.rewardEarlyExit = rw[3];
    info.rewardTimeDecay = rw[4];
    this.#fillInfo();
    this.#writeObs();
    const res = this.#result;
    res.reward = rw[5];
    res.terminated = terminated;
    res.truncated = truncated;
    return res;
  }

  /** A complete copy of the env state (account, ledger, position, statistics, PRNG, risk). */
  cloneState(): OptionsEnvState {
    const sc = new Float64Array(S_COUNT + Q_COUNT + 5);
    sc.set(this.#s, 0);
    sc.set(this.#q, S_COUNT);
    sc.set(this.#g, S_COUNT + Q_COUNT);
    return {
      kind: "OptionsTradingEnv",
      account: this.#acct.snapshot(),
      scalars: sc,
      rng: this.#rng.getState(),
      risk: this.#risk ? this.#risk.state() : null,
      contracts: this.#contracts.slice(),
      info: { ...this.#info },
    };
  }

  /** Restore a {@link cloneState} snapshot of an env built on the same data and config. */
  restoreState(state: unknown): void {
    const st = state as OptionsEnvState;
    if (st?.kind !== "OptionsTradingEnv" || st.scalars?.length !== S_COUNT + Q_COUNT + 5) {
      throw new EnvError(
        "not a snapshot of an OptionsTradingEnv",
        { parameter: "state" },
        "pass the value returned by cloneState()",
      );
    }
    this.#acct.restore(st.account);
    this.#s.set(st.scalars.subarray(0, S_COUNT));
    this.#q.set(st.scalars.subarray(S_COUNT, S_COUNT + Q_COUNT));
    this.#g.set(st.scalars.subarray(S_COUNT + Q_COUNT));
    this.#rng.setState(st.rng);
    this.#risk = st.risk ? RiskManager.restore(structuredClone(st.risk)) : null;
    this.#contracts.length = 0;
    for (const x of st.contracts) this.#contracts.push(x);
    Object.assign(this.#info, st.info);
    this.#acct.readInto(this.#av);
    this.#writeObs();
  }

  /** One-line text state. */
  render(): string {
    const i = this.#info;
    const side = i.position > 0 ? "CALL" : i.position < 0 ? "PUT" : "FLAT";
    return `bar ${i.bar} ${new Date(i.time).toISOString()} SPY ${i.price.toFixed(2)} VIX ${
      i.vix.toFixed(2)
    } rank ${i.ivRank.toFixed(0)} | ${side}${
      i.position !== 0
        ? ` ${i.contracts}× K ${i.strike} ${i.daysToExpiry.toFixed(2)}d mid ${i.mid.toFixed(2)} Δ ${
          i.delta.toFixed(2)
        } pnl ${(i.premiumPnlPct * 100).toFixed(1)}%`
        : ""
    } | equity ${i.equity.toFixed(2)} trades ${i.totalTrades} | reward ${i.reward.toFixed(4)}`;
  }

  // ------------------------------------------------------------------ internals

  /**
   * Price an option at bar `t` into #q (mid, bid, ask, iv, years, spread) and #g (Greeks):
   * the surface is read at the calendar time to expiry, BSM runs on the trading-time clock.
   */
  #quote(side: number, strike: number, expiryMs: number, expiryClock: number, t: number): void {
    const r = t * STRIDE;
    const bars = this.#bars;
    const spot = bars[r + C_CLOSE];
    const years = expiryClock - bars[r + C_CLOCK];
    const vq = this.#vq;
    vq.vix = bars[r + C_VIX];
    vq.spot = spot;
    vq.strike = strike;
    vq.years = (expiryMs - bars[r + C_TCLOSE]) / MS_YEAR;
    const iv = surfaceVol(vq, this.#surface);
    const o = this.#in;
    o.call = side > 0;
    o.spot = spot;
    o.strike = strike;
    o.years = years;
    o.vol = iv;
    const g = this.#g;
    bsmGreeks(o, g);
    const mid = g[0];
    const intrinsic = side > 0 ? spot - strike : strike - spot;
    const spread = modelSpread(mid, intrinsic, this.#spreadModel);
    const q = this.#q;
    q[Q_MID] = mid;
    q[Q_SPREAD] = spread;
    q[Q_BID] = mid - 0.5 * spread > 0 ? mid - 0.5 * spread : 0;
    q[Q_ASK] = mid + 0.5 * spread;
    q[Q_IV] = iv;
    q[Q_YEARS] = years;
  }

  /** Sell the held option at the bid of the current quote (#q must be bar `t`'s). */
  #sell(reason: number, t: number): void {
    const f = this.#fill;
    f.price = this.#q[Q_BID] * CONTRACT_MULTIPLIER;
    f.fee = this.#fee * this.#acct.size;
    this.#acct.closeAt(f, reason);
    this.#closed(reason, t);
    this.#s[S_SIDE] = 0;
  }

  /** Record the closed trade's contract; tell the risk manager (loss streak, equity). */
  #closed(_reason: number, t: number): void {
    const s = this.#s;
    this.#contracts.push(s[S_SIDE], s[S_STRIKE], s[S_EXPIRY]);
    if (!this.#risk) return;
    const L = this.#acct.ledger;
    this.#risk.recordTradeClosed({
      symbol: "SPY",
      pnl: L.pnl[L.count - 1],
      timeMs: this.#bars[t * STRIDE + C_TCLOSE],
      equity: this.#acct.equity,
    });
  }

  #fillInfo(): void {
    const s = this.#s;
    const av = this.#av;
    const q = this.#q;
    const g = this.#g;
    const info = this.#info;
    const t = s[S_T];
    const r = t * STRIDE;
    const bars = this.#bars;
    info.bar = t;
    info.time = this.#data.market.time[t];
    info.price = bars[r + C_CLOSE];
    info.vix = bars[r + C_VIX];
    info.ivRank = bars[r + C_RANK];
    const side = s[S_SIDE];
    info.position = side;
    info.contracts = av[F.SIZE];
    info.strike = s[S_STRIKE];
    info.expiryMs = s[S_EXPIRY];
    info.daysToExpiry = side !== 0 ? (s[S_EXPIRY] - bars[r + C_TCLOSE]) / MS_DAY : 0;
    info.iv = q[Q_IV];
    info.mid = q[Q_MID];
    info.bid = q[Q_BID];
    info.ask = q[Q_ASK];
    info.delta = g[1];
    info.gamma = g[2];
    info.vega = g[3];
    info.theta = g[4];
    info.premiumPnlPct = side !== 0 && av[F.ENTRY_PRICE] > 0
      ? (q[Q_MID] * CONTRACT_MULTIPLIER) / av[F.ENTRY_PRICE] - 1
      : 0;
    info.equity = s[S_EQ];
    info.balance = av[F.BALANCE];
    info.realisedPnl = av[F.REALISED_PNL];
    info.feesPaid = av[F.FEES_PAID];
    info.drawdown = s[S_DD];
    info.maxDrawdown = s[S_MAXDD];
    info.totalTrades = s[S_CLOSED];
    info.winRate = s[S_CLOSED] > 0 ? s[S_WINS] / s[S_CLOSED] : 0;
    info.episodeStep = s[S_STEPS];
  }

  #writeObs(): void {
    const o = this.#obs;
    const s = this.#s;
    const t = s[S_T];
    const r = t * STRIDE;
    const bars = this.#bars;
    for (let k = 0; k < N_MKT; k++) o[k] = bars[r + C_OBS + k];
    const side = s[S_SIDE];
    if (side !== 0) {
      const q = this.#q;
      const g = this.#g;
      const mid = q[Q_MID];
      o[9] = (s[S_EXPIRY] - bars[r + C_TCLOSE]) / MS_DAY / 7;
      o[10] = side;
      const entry = this.#av[F.ENTRY_PRICE];
      o[11] = entry > 0 ? (mid * CONTRACT_MULTIPLIER) / entry - 1 : 0;
      o[12] = g[1];
      o[13] = g[2] * bars[r + C_CLOSE] * 0.01;
      o[14] = mid > 0 ? g[3] / 100 / mid : 0;
      o[15] = mid > 0 ? g[4] / 252 / mid : 0;
      o[16] = (t - s[S_ENTRY_BAR]) / 78;
    } else {
      for (let k = 10; k <= 16; k++) o[k] = 0;
    }
    o[17] = s[S_EQ] / this.#initial;
    o[18] = s[S_DD];
    for (let k = 0; k < OPTIONS_OBS_DIM; k++) {
      const v = o[k];
      if (v > OBS_CLIP) o[k] = OBS_CLIP;
      else if (v < -OBS_CLIP) o[k] = -OBS_CLIP;
      else if (v !== v) o[k] = 0;
    }
  }
}
