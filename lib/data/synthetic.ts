/**
 * The seeded synthetic market: the default data set everywhere (notebooks, training, tests).
 *
 * ## Presets ({@link SYNTHETIC_PRESETS})
 *
 * - `realistic` (the DEFAULT; data source `"synthetic"`): 24 months (210,240 5-minute bars
 *   from 2024-01-01) calibrated by `tools/calibrate_synthetic.ts` against real data in
 *   `../shared/data` (seed 42; real → synthetic): annualised vol 0.40 → 0.42; kurtosis of 5m
 *   log returns 22 → 32; |r| autocorrelation at 1 / 12 / 288 bars 0.31 / 0.22 / 0.11 →
 *   0.31 / 0.26 / 0.11; bars beyond 4σ 0.68 % → 0.77 %; busiest/quietest UTC hour |r| ratio
 *   2.3 → 2.3; funding per settlement mean 1.4e-4 → 1.0e-4, std 2.6e-4 → 2.5e-4, lag-1
 *   autocorrelation 0.79 → 0.78; OI 5m log-change std 0.0023 (ETHUSDT) → 0.0022. The
 *   planted edge (divergence strength 0.2, trend drift 0.01) is weak: the fixed-rule
 *   baseline's Sharpe on the default 60/15/25 split is 3.2 / 0.0 / 2.2 (train / validation
 *   / six-month test), 131 / 27 / 58 trades.
 * - `learning` (data source `"synthetic:learning"`): the market that was the default before
 *   the calibration, bit-identical for the same seed and bar count (6 months, 52,560 bars;
 *   baseline Sharpe 8.5 / 9.3 / 11.3 on a 70/15/15 split). Its edge is strong on purpose:
 *   learning proofs (an agent finds the edge within a test's budget) run on it.
 *
 * ## Model (one step per bar, all draws from one {@link Rng} except the slow volatility
 * factor, which has its own stream)
 *
 * 1. **Regimes.** A three-state Markov chain `0 = range`, `1 = trend`, `2 = high volatility`.
 *    Each regime lasts a geometric number of bars with mean `regimeMeanHours` (converted to
 *    bars); on leaving a regime the next one is drawn from `regimeExit`. On entering a
 *    trend, its direction (±1) is drawn with equal odds.
 * 2. **Volatility clustering.** A unit-mean GARCH(1,1) multiplier
 *    `h_t = (1 − α − β) + α·z²_{t−1} + β·h_{t−1}` scales the per-bar volatility
 *    `σ_t = σ_base · regimeVolScale[regime] · intradayVol(t) · √h_t · e^{v_t − s²/2}`, where
 *    `σ_base = annualVol / √(bars per year)` (log-return units per bar) and
 *    `intradayVol(t) = 1 + intradayVolAmplitude·cos(2π(hourUTC − 14.5)/24)` and `v_t` is a
 *    slow AR(1) log-volatility factor with stationary std `s = slowVolStd` and half-life
 *    `slowVolHalfLifeHours` (day-scale volatility persistence; 0 in the `learning` preset).
 * 3. **Fat tails.** Innovations `z_t` are Student-t with `tailDof` degrees of freedom, scaled
 *    to unit variance.
 * 4. **Drift.** `μ_t = σ_t · (trendDrift·dir·[regime = trend]
 *    − divergenceStrength · g_t − fundingContrarian · clip((premium_{t−1} − fundingInterestRate)
 *    / fundingScale, ±1))`,
 *    so the log return of bar t is `r_t = μ_t + σ_t·z_t`; `close_t = close_{t−1}·e^{r_t}`.
 * 5. **Predictable component (OI–price divergence).** Using only values known at the close
 *    of bar t−1: `rz` = the 20-bar (`divergenceLookback`) log price change divided by
 *    `σ_base·√20`, and `oz` = the 20-bar log open-interest change divided by its typical size
 *    `oiNoise·√20`. The score is `g_t = clip(rz, ±3) · w(oz)` with
 *    `w = min(−oz, 2)/2` when OI fell (`oz < 0`) and `w = −divergenceContinuation·min(oz, 2)/2`
 *    when OI rose. A price move made while open interest FELL (short covering, liquidations:
 *    nobody new backs the move) gets a score of the move's sign and partially reverts; a move
 *    made while OI ROSE (new positions) gets a smaller opposite score and continues a little.
 *    The drift term `−divergenceStrength·g_t·σ_t` acts over the following bars until the
 *    20-bar window rolls on (a typical divergence is worked off within ~12 bars). The score
 *    is odd in the price move, so it adds no net drift. Calibration (seeds 42 and 3): a
 *    crude 7×7-bin classifier on (rz, oz) fitted on the first half predicts the tercile of
 *    the next-12-bar return with ~40 % accuracy on the second half vs ~34 % for the majority
 *    class; lag-1 return autocorrelation stays ≈ 0 and the kurtosis/vol-clustering facts hold.
 * 6. **Open interest** (contracts, base units) is log-AR(1) toward a slowly wandering level:
 *    `Δlog OI_t = −oiMeanReversion·(log OI − log level) + oiTrendBeta·|r_t|·[trend]
 *    − oiFlushRate·(log OI − log level)·[high-vol] + oiNoise·regimeVolScale·ε_t`, and the
 *    level is a random walk with step std `oiLevelNoise`. Trends build positions on both
 *    sides (OI rises with traded moves), high-volatility regimes flush them (deleveraging),
 *    ranges let OI drift. The value stored on bar t is the OI at the bar's close.
 * 7. **Funding.** A latent perpetual premium (fraction) follows
 *    `p_t = φ·p_{t−1} + (1−φ)·(fundingInterestRate + premiumMomentum·1e-4·ema(r)·√20/σ_base)
 *    + premiumNoise·ε_t` with `ema` a 20-bar EMA of log returns (longs crowd in after rises,
 *    so funding lags price; crowded funding adds a small contrarian drift, step 4). At each settlement (every `fundingIntervalHours`, aligned
 *    to 00:00 UTC: 00/08/16 for 8 h) the rate is Binance's formula
 *    `P̄ + clamp(interestRate − P̄, ±0.0005)` with `P̄` the mean premium since the previous
 *    settlement, clipped to ±`fundingCap`. It is stored on the bar whose `(open, close]`
 *    contains the settlement instant (the bar opening 07:55 for an 08:00 settlement with
 *    5-minute bars); every other bar holds NaN.
 * 8. **Volume** (base units) `= baseVolume · season(t) · (0.5 + 0.5·σ_t/σ_base) · (1 + 0.6·|z_t|)
 *    · e^{volumeNoise·ε − volumeNoise²/2}` with `season` the intraday U-shape peaking near
 *    14:30 UTC (US open) and a weekend factor; rounded to 0.001.
 * 9. **Bars.** Open = previous close (continuous market); high/low extend beyond
 *    max/min(open, close) by `σ_t·wickScale·|N(0,1)|` in log units; prices are rounded to the
 *    `tick` and OHLC consistency holds after rounding.
 *
 * Same options (and seed) → bit-identical arrays: only `Rng` and IEEE-754 arithmetic are used.
 *
 * @module
 */
import { ConfigError, intervalToMs, periodsPerYear, Rng } from "../util/mod.ts";
import type { MarketData } from "./market_data.ts";

/** Regime codes of the synthetic market. */
export const REGIME_NAMES = ["range", "trend", "high_volatility"] as const;

/**
 * Every parameter of the synthetic market model. Per-bar quantities are stated for the
 * configured interval; time-based ones (hours) are converted to bars. "Default" is the
 * `realistic` preset's value; where the `learning` preset differs, its value is given too.
 */
export interface SyntheticParams {
  /** First open price (quote currency, e.g. USDT). Default 42,000. */
  startPrice: number;
  /** Price tick; OHLC are rounded to it. Default 0.1. */
  tick: number;
  /**
   * Annualised volatility of log returns (fraction, 0.38 = 38 %/yr) before regime, seasonal
   * and slow-factor scaling. Default 0.38 (learning: 0.55).
   */
  annualVol: number;
  /** Volatility multiplier per regime [range, trend, high-vol]. Default [0.75, 1.0, 2.2]. */
  regimeVolScale: [number, number, number];
  /** Mean regime duration in hours [range, trend, high-vol]. Default [36, 24, 8]. */
  regimeMeanHours: [number, number, number];
  /**
   * Next-regime probabilities on leaving each regime (rows: from range, trend, high-vol;
   * columns: to range, trend, high-vol; diagonal ignored, rows renormalised).
   */
  regimeExit: [[number, number, number], [number, number, number], [number, number, number]];
  /** Trend drift per bar in units of the bar's volatility σ_t. Default 0.01 (learning: 0.03). */
  trendDrift: number;
  /** GARCH(1,1) reaction α. Default 0.06. */
  garchAlpha: number;
  /** GARCH(1,1) persistence β (α + β < 1). Default 0.92. */
  garchBeta: number;
  /** Student-t degrees of freedom of the innovations (> 2). Default 6 (learning: 5). */
  tailDof: number;
  /** Amplitude (fraction) of the intraday volatility seasonality. Default 0.38 (learning: 0.15). */
  intradayVolAmplitude: number;
  /**
   * Stationary std of the slow log-volatility factor (0 = off, the `learning` preset;
   * default 0.3). The
   * factor is an AR(1) in log units with half-life {@link slowVolHalfLifeHours}, drawn from
   * its own PRNG stream (so switching it off leaves every other draw unchanged); it gives
   * the day-scale volatility persistence of real markets (|r| autocorrelation at 288 bars).
   */
  slowVolStd: number;
  /** Half-life of the slow log-volatility factor, hours. Default 72 (learning: 48, unused). */
  slowVolHalfLifeHours: number;
  /** Lookback of the OI–price divergence signal, bars. Default 20. */
  divergenceLookback: number;
  /** Reverting drift per bar per unit of divergence score, in units of σ_t. Default 0.2 (learning: 0.55). */
  divergenceStrength: number;
  /**
   * Weight of the continuation side (OI rose with the move) relative to the reversal side
   * (OI fell during the move) in the divergence score. Default 0.25.
   */
  divergenceContinuation: number;
  /** Initial open interest (contracts, base units). Default 80,000. */
  startOpenInterest: number;
  /** Per-bar mean reversion of log OI toward its level. Default 0.004. */
  oiMeanReversion: number;
  /** Per-bar std of the random walk of the log OI level. Default 0.0005. */
  oiLevelNoise: number;
  /** Per-bar std of log-OI noise. Default 0.0022 (learning: 0.0012). */
  oiNoise: number;
  /** Log-OI build-up per unit of |log return| in the trend regime (dimensionless). Default 0.3. */
  oiTrendBeta: number;
  /**
   * Extra per-bar mean reversion of log OI toward its level in the high-volatility regime
   * (deleveraging flushes positions built up during trends). Default 0.02.
   */
  oiFlushRate: number;
  /** Funding settlement period, hours (settlements aligned to 00:00 UTC). Default 8. */
  fundingIntervalHours: number;
  /** Interest-rate component of funding per settlement (fraction). Default 0.0001. */
  fundingInterestRate: number;
  /** Cap of |funding rate| per settlement (fraction). Default 0.003. */
  fundingCap: number;
  /** Per-bar AR(1) coefficient of the premium. Default 0.9975 (learning: 0.995). */
  premiumPhi: number;
  /** Premium response (×1e-4 fraction) to the EMA of returns in σ_base units. Default 0.8. */
  premiumMomentum: number;
  /** Per-bar std of premium noise (fraction). Default 0.000042 (learning: 0.00005). */
  premiumNoise: number;
  /** Contrarian drift per bar (units of σ_t) per unit of clipped premium/fundingScale. Default 0.01. */
  fundingContrarian: number;
  /** Premium scale (fraction) used by the contrarian term. Default 0.0003. */
  fundingScale: number;
  /** Mean volume per bar (base units) at the seasonal average. Default 120. */
  baseVolume: number;
  /** Amplitude of the intraday volume U-shape (fraction). Default 0.35. */
  volumeSeasonAmplitude: number;
  /** Volume multiplier on Saturday/Sunday (UTC). Default 0.7. */
  weekendVolume: number;
  /** Std of log-normal volume noise. Default 0.35. */
  volumeNoise: number;
  /** High/low wick size per unit of σ_t (log units). Default 0.6. */
  wickScale: number;
}

/**
 * Parameters of the `learning` preset: the strong-edge market that was the default until the
 * realistic calibration (fixed-rule baseline Sharpe 9–11 on its splits). Kept unchanged so
 * learning proofs have an edge a few hundred thousand PPO steps can find.
 */
export const LEARNING_SYNTHETIC_PARAMS: Readonly<SyntheticParams> = Object.freeze({
  startPrice: 42_000,
  tick: 0.1,
  annualVol: 0.55,
  regimeVolScale: [0.75, 1.0, 2.2],
  regimeMeanHours: [36, 24, 8],
  regimeExit: [[0, 0.7, 0.3], [0.7, 0, 0.3], [0.65, 0.35, 0]],
  trendDrift: 0.03,
  garchAlpha: 0.06,
  garchBeta: 0.92,
  tailDof: 5,
  intradayVolAmplitude: 0.15,
  slowVolStd: 0,
  slowVolHalfLifeHours: 48,
  divergenceLookback: 20,
  divergenceStrength: 0.55,
  divergenceContinuation: 0.25,
  startOpenInterest: 80_000,
  oiMeanReversion: 0.004,
  oiLevelNoise: 0.0005,
  oiNoise: 0.0012,
  oiTrendBeta: 0.3,
  oiFlushRate: 0.02,
  fundingIntervalHours: 8,
  fundingInterestRate: 0.0001,
  fundingCap: 0.003,
  premiumPhi: 0.995,
  premiumMomentum: 0.8,
  premiumNoise: 0.00005,
  fundingContrarian: 0.01,
  fundingScale: 0.0003,
  baseVolume: 120,
  volumeSeasonAmplitude: 0.35,
  weekendVolume: 0.7,
  volumeNoise: 0.35,
  wickScale: 0.6,
} as SyntheticParams);

/**
 * Parameters of the `realistic` preset (the default): calibrated by
 * `tools/calibrate_synthetic.ts` against real BTCUSDT 5-minute bars, Binance BTCUSDT funding
 * and ETHUSDT open interest (volatility level, kurtosis, |r| autocorrelation at 1/12/288
 * bars, intraday seasonality, funding level/std/persistence, OI change size), with a planted
 * edge weak enough that the fixed-rule baseline's test-split Sharpe is between 0.5 and 3.
 */
export const REALISTIC_SYNTHETIC_PARAMS: Readonly<SyntheticParams> = Object.freeze({
  ...LEARNING_SYNTHETIC_PARAMS,
  annualVol: 0.38,
  tailDof: 6,
  intradayVolAmplitude: 0.38,
  slowVolStd: 0.3,
  slowVolHalfLifeHours: 72,
  divergenceStrength: 0.2,
  trendDrift: 0.01,
  oiNoise: 0.0022,
  premiumPhi: 0.9975,
  premiumNoise: 0.000042,
} as SyntheticParams);

/** The defaults of {@link SyntheticParams}: the `realistic` preset's. */
export const DEFAULT_SYNTHETIC_PARAMS: Readonly<SyntheticParams> = REALISTIC_SYNTHETIC_PARAMS;

/** A named synthetic market: its parameters and default length. */
export interface SyntheticPreset {
  /** Model parameters. */
  params: Readonly<SyntheticParams>;
  /** Default bar count at 5 minutes. */
  bars: number;
}

/**
 * Named synthetic markets. `realistic` (the default everywhere): 24 months of 5-minute bars
 * whose stylised facts resemble real BTCUSDT and whose planted edge is weak (baseline test
 * Sharpe 0.5–3). `learning`: the earlier strong-edge market (6 months, baseline Sharpe
 * 9–11), bit-identical to the default before the calibration for the same seed — use it for
 * learning proofs (an agent must find the edge within a test's budget).
 */
export const SYNTHETIC_PRESETS: Readonly<Record<"realistic" | "learning", SyntheticPreset>> = Object
  .freeze({
    realistic: Object.freeze({ params: REALISTIC_SYNTHETIC_PARAMS, bars: 210_240 }),
    learning: Object.freeze({ params: LEARNING_SYNTHETIC_PARAMS, bars: 52_560 }),
  });

/** Names of {@link SYNTHETIC_PRESETS}. */
export type SyntheticPresetName = keyof typeof SYNTHETIC_PRESETS;

/**
 * Parse a data-source string naming the synthetic market: `"synthetic"` (the default,
 * `realistic` preset) or `"synthetic:<preset>"` (e.g. `"synthetic:learning"`); `null` for any
 * other source (a path). An unknown preset name throws a {@link ConfigError}. Every loader
 * and CLI taking `--data` understands both forms through this function.
 */
export function parseSyntheticSource(source: string): { preset: SyntheticPresetName } | null {
  if (source === "synthetic") return { preset: "realistic" };
  const m = /^synthetic:(.*)$/.exec(source);
  if (!m) return null;
  if (!(m[1] in SYNTHETIC_PRESETS)) {
    throw new ConfigError(
      `unknown synthetic market preset "${m[1]}" in data source "${source}"`,
      { parameter: "data" },
      `known: ${Object.keys(SYNTHETIC_PRESETS).map((k) => `synthetic:${k}`).join(", ")}`,
    );
  }
  return { preset: m[1] as SyntheticPresetName };
}

/** Options of {@link generateSyntheticMarket}. */
export interface SyntheticOptions {
  /** PRNG seed. Default 42. */
  seed?: number;
  /**
   * Named parameter set and default length (default `"realistic"`); `params` override it.
   */
  preset?: SyntheticPresetName;
  /**
   * Number of bars. Default: the preset's duration (realistic: 730 days, 210,240 bars at
   * 5 minutes; learning: 182.5 days, 52,560 bars) converted to the interval.
   */
  bars?: number;
  /** Bar interval. Default `"5m"`. */
  interval?: string;
  /** First bar's open, UTC epoch ms or an ISO-8601 string. Default 2024-01-01T00:00:00Z. */
  startTime?: number | string;
  /** Symbol name. Default `"SYNTHBTCUSDT"`. */
  symbol?: string;
  /** Model parameter overrides (see {@link SyntheticParams}). */
  params?: Partial<SyntheticParams>;
}

/** The generated market plus the hidden state that produced it (for notebooks and tests). */
export interface SyntheticMarket {
  /** The market data (with `openInterest` and `fundingRate`). */
  market: MarketData;
  /** Hidden regime per bar: 0 range, 1 trend, 2 high volatility (see {@link REGIME_NAMES}). */
  regime: Uint8Array;
  /** Trend direction per bar (+1/−1 in trend regime, 0 otherwise). */
  trendDirection: Int8Array;
  /** Per-bar volatility σ_t (log-return units per bar) used to draw the bar. */
  sigma: Float64Array;
  /** OI–price divergence score g_t (known at the open of bar t; see module docs). */
  divergence: Float64Array;
  /** Latent perpetual premium per bar (fraction). */
  premium: Float64Array;
  /** The resolved parameters. */
  params: SyntheticParams;
  /** The seed used. */
  seed: number;
}

/** Default bar count: 730 days (24 months) of 5-minute bars (the `realistic` preset). */
export const DEFAULT_SYNTHETIC_BARS = 210_240;

const DAY_MS = 86_400_000;

/**
 * Generate the seeded synthetic market (see the module documentation for the model).
 * Same options → bit-identical output.
 */
export function generateSyntheticMarket(options: SyntheticOptions = {}): MarketData {
  return generateSyntheticMarketDetailed(options).market;
}

/** {@link generateSyntheticMarket} plus the hidden regime, volatility and premium paths. */
export function generateSyntheticMarketDetailed(options: SyntheticOptions = {}): SyntheticMarket {
  const seed = options.seed ?? 42;
  const interval = options.interval ?? "5m";
  const intervalMs = intervalToMs(interval);
  const presetName = options.preset ?? "realistic";
  const preset = SYNTHETIC_PRESETS[presetName];
  if (!preset) {
    throw new ConfigError(
      `unknown synthetic preset "${presetName}"`,
      { parameter: "preset" },
      `known: ${Object.keys(SYNTHETIC_PRESETS).join(", ")}`,
    );
  }
  const bars = options.bars ?? Math.round((preset.bars * 300_000) / intervalMs);
  if (!Number.isInteger(bars) || bars < 1) {
    throw new ConfigError(`bars must be a positive integer, got ${bars}`, { parameter: "bars" });
  }
  const startTime = typeof options.startTime === "string"
    ? Date.parse(options.startTime)
    : options.startTime ?? Date.UTC(2024, 0, 1);
  if (!Number.isFinite(startTime)) {
    throw new ConfigError(`startTime is not a valid date: ${options.startTime}`, {
      parameter: "startTime",
    }, "use epoch milliseconds or ISO-8601 such as 2024-01-01T00:00:00Z");
  }
  const p: SyntheticParams = { ...preset.params, ...options.params };
  validateParams(p);

  const rng = new Rng(seed);
  // Separate stream for the slow volatility factor: with slowVolStd = 0 the main stream and
  // every array are exactly those of the model without it.
  const rngSlow = new Rng(seed + 0x5e1f);
  const slowPhi = Math.pow(
    0.5,
    1 / Math.max(1e-9, p.slowVolHalfLifeHours * 3_600_000 / intervalMs),
  );
  const slowInnov = p.slowVolStd * Math.sqrt(1 - slowPhi * slowPhi);
  let slowV = p.slowVolStd > 0 ? p.slowVolStd * rngSlow.normal() : 0;
  const n = bars;
  const time = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  const openInterest = new Float64Array(n);
  const fundingRate = new Float64Array(n).fill(NaN);
  const regime = new Uint8Array(n);
  const trendDirection = new Int8Array(n);
  const sigma = new Float64Array(n);
  const divergence = new Float64Array(n);
  const premium = new Float64Array(n);

  const barsPerHour = 3_600_000 / intervalMs;
  const sigmaBase = p.annualVol / Math.sqrt(periodsPerYear(intervalMs, "crypto"));
  // Per-bar probability of leaving each regime (geometric durations).
  const leave = p.regimeMeanHours.map((h) => Math.min(1, 1 / Math.max(1, h * barsPerHour)));
  const lb = Math.max(1, Math.round(p.divergenceLookback));
  const rzScale = sigmaBase * Math.sqrt(lb);
  const ozScale = p.oiNoise * Math.sqrt(lb);
  const fundingMs = p.fundingIntervalHours * 3_600_000;
  const emaAlpha = 2 / (lb + 1);

  // Internal (unrounded) state.
  const logPrice = new Float64Array(n); // log close
  const logOi = new Float64Array(n);
  let reg = 0;
  let dir = 0;
  let h = 1;
  let zPrev = 0;
  let logPx = Math.log(p.startPrice);
  let lOi = Math.log(p.startOpenInterest);
  let lOiLevel = lOi;
  let prem = p.fundingInterestRate * 0.5;
  let emaR = 0;
  let premSum = 0;
  let premCount = 0;
  let prevCloseRounded = roundTick(p.startPrice, p.tick);

  for (let t = 0; t < n; t++) {
    const tOpen = startTime + t * intervalMs;
    time[t] = tOpen;

    // 1. Regime transition (drawn every bar to keep the stream layout fixed).
    const uLeave = rng.next();
    const uNext = rng.next();
    const uDir = rng.next();
    if (t > 0 && uLeave < leave[reg]) {
      const row = p.regimeExit[reg];
      let tot = 0;
      for (let k = 0; k < 3; k++) if (k !== reg) tot += row[k];
      let u = uNext * tot;
      let next = reg;
      for (let k = 0; k < 3; k++) {
        if (k === reg) continue;
        u -= row[k];
        next = k;
        if (u < 0) break;
      }
      reg = next;
      dir = reg === 1 ? (uDir < 0.5 ? -1 : 1) : 0;
    } else if (t === 0) {
      reg = 0;
      dir = 0;
    }
    regime[t] = reg;
    trendDirection[t] = dir;

    // 2. Volatility: GARCH multiplier × regime × intraday seasonality.
    if (t > 0) {
      h = (1 - p.garchAlpha - p.garchBeta) + p.garchAlpha * zPrev * zPrev + p.garchBeta * h;
    }
    const hourOfDay = ((tOpen % DAY_MS) + DAY_MS) % DAY_MS / 3_600_000;
    const volSeason = 1 +
      p.intradayVolAmplitude * Math.cos((2 * Math.PI * (hourOfDay - 14.5)) / 24);
    let slowMult = 1;
    if (p.slowVolStd > 0) {
      if (t > 0) slowV = slowPhi * slowV + slowInnov * rngSlow.normal();
      slowMult = Math.exp(slowV - 0.5 * p.slowVolStd * p.slowVolStd);
    }
    const sig = sigmaBase * p.regimeVolScale[reg] * volSeason * Math.sqrt(h) * slowMult;
    sigma[t] = sig;

    // 5. Divergence score from values known at the previous close.
    let g = 0;
    if (t > lb) {
      const rz = (logPrice[t - 1] - logPrice[t - 1 - lb]) / rzScale;
      const oz = (logOi[t - 1] - logOi[t - 1 - lb]) / ozScale;
      const w = oz < 0 ? Math.min(-oz, 2) / 2 : -p.divergenceContinuation * Math.min(oz, 2) / 2;
      g = clip(rz, 3) * w;
    }
    divergence[t] = g;

    // 4. Drift and the bar's return.
    const z = rng.studentT(p.tailDof);
    const mu = sig * (
      p.trendDrift * dir - p.divergenceStrength * g -
      p.fundingContrarian * clip((prem - p.fundingInterestRate) / p.fundingScale, 1)
    );
    const r = mu + sig * z;
    zPrev = z;
    logPx += r;
    logPrice[t] = logPx;

    // 6. Open interest.
    const eOi = rng.normal();
    const eLevel = rng.normal();
    lOiLevel += p.oiLevelNoise * eLevel;
    let dOi = -p.oiMeanReversion * (lOi - lOiLevel) + p.oiNoise * p.regimeVolScale[reg] * eOi;
    if (reg === 1) dOi += p.oiTrendBeta * Math.abs(r);
    if (reg === 2) dOi -= p.oiFlushRate * (lOi - lOiLevel);
    lOi += dOi;
    logOi[t] = lOi;
    openInterest[t] = Math.round(Math.exp(lOi) * 1000) / 1000;

    // 7. Premium and funding settlement inside (open, close].
    emaR += emaAlpha * (r - emaR);
    const ePrem = rng.normal();
    prem = p.premiumPhi * prem +
      (1 - p.premiumPhi) *
        (p.fundingInterestRate + p.premiumMomentum * 1e-4 * emaR / sigmaBase * Math.sqrt(lb)) +
      p.premiumNoise * ePrem;
    premium[t] = prem;
    premSum += prem;
    premCount++;
    const tClose = tOpen + intervalMs;
    const lastSettle = Math.floor(tClose / fundingMs) * fundingMs;
    if (lastSettle > tOpen && lastSettle <= tClose) {
      const pBar = premSum / premCount;
      const rate = pBar + clip(p.fundingInterestRate - pBar, 0.0005);
      fundingRate[t] = Math.round(clip(rate, p.fundingCap) * 1e8) / 1e8;
      premSum = 0;
      premCount = 0;
    }

    // 8. Volume.
    const eVol = rng.normal();
    const dow = new Date(tOpen).getUTCDay();
    const season =
      (1 + p.volumeSeasonAmplitude * Math.cos((2 * Math.PI * (hourOfDay - 14.5)) / 24) +
        0.1 * Math.cos((4 * Math.PI * (hourOfDay - 14.5)) / 24)) *
      (dow === 0 || dow === 6 ? p.weekendVolume : 1);
    const v = p.baseVolume * season * (0.5 + 0.5 * sig / sigmaBase) * (1 + 0.6 * Math.abs(z)) *
      Math.exp(p.volumeNoise * eVol - 0.5 * p.volumeNoise * p.volumeNoise);
    volume[t] = Math.round(v * 1000) / 1000;

    // 9. OHLC with wicks, rounded to the tick.
    const w1 = Math.abs(rng.normal()) * sig * p.wickScale;
    const w2 = Math.abs(rng.normal()) * sig * p.wickScale;
    const o = prevCloseRounded;
    const c = roundTick(Math.exp(logPx), p.tick);
    const hiRaw = roundTick(Math.max(o, c) * Math.exp(w1), p.tick);
    const loRaw = roundTick(Math.min(o, c) * Math.exp(-w2), p.tick);
    open[t] = o;
    close[t] = c;
    high[t] = Math.max(hiRaw, o, c);
    low[t] = Math.max(p.tick, Math.min(loRaw, o, c));
    prevCloseRounded = c;
  }

  return {
    market: {
      symbol: options.symbol ?? "SYNTHBTCUSDT",
      interval,
      intervalMs,
      time,
      open,
      high,
      low,
      close,
      volume,
      openInterest,
      fundingRate,
    },
    regime,
    trendDirection,
    sigma,
    divergence,
    premium,
    params: p,
    seed,
  };
}

function clip(x: number, bound: number): number {
  return x > bound ? bound : x < -bound ? -bound : x;
}

function roundTick(x: number, tick: number): number {
  // Round to the tick, then strip binary noise so 42000.1 prints as 42000.1.
  return Number((Math.round(x / tick) * tick).toFixed(decimals(tick)));
}

function decimals(tick: number): number {
  const s = String(tick);
  const i = s.indexOf(".");
  return i < 0 ? 0 : s.length - i - 1;
}

function validateParams(p: SyntheticParams): void {
  const bad = (name: string, why: string) => {
    throw new ConfigError(`synthetic parameter ${name} ${why}`, { parameter: `params.${name}` });
  };
  if (!(p.startPrice > 0)) bad("startPrice", "must be > 0");
  if (!(p.tick > 0)) bad("tick", "must be > 0");
  if (!(p.annualVol > 0)) bad("annualVol", "must be > 0");
  if (!(p.garchAlpha >= 0 && p.garchBeta >= 0 && p.garchAlpha + p.garchBeta < 1)) {
    bad("garchAlpha/garchBeta", "must be ≥ 0 with α + β < 1");
  }
  if (!(p.tailDof > 2)) bad("tailDof", "must be > 2 (finite variance)");
  if (!(p.fundingIntervalHours > 0)) bad("fundingIntervalHours", "must be > 0");
  if (!(p.startOpenInterest > 0)) bad("startOpenInterest", "must be > 0");
  for (const hrs of p.regimeMeanHours) if (!(hrs > 0)) bad("regimeMeanHours", "must be > 0");
}
