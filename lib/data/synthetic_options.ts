/**
 * The seeded synthetic SPY-like intraday market with a VIX-like volatility index: the default
 * data of the options env (notebooks, training, tests). Real inputs: `options_market.ts`.
 *
 * ## Calendar
 * Bars are `intervalMinutes` (default 5) long and cover only regular trading hours of the US
 * equity calendar (`lib/util/us_equity_calendar.ts`): 09:30–16:00 America/New_York, 78 bars
 * per full session, 42 on a 13:00 early close, none on weekends and holidays; UTC times follow
 * daylight saving time. `time` is each bar's open (UTC ms), as everywhere in the toolkit.
 *
 * ## Model (one step per bar, all draws from one {@link Rng})
 * 1. **Volatility index.** `y = ln VIX` is mean-reverting toward `ln vixLongRun` at
 *    `vixMeanReversion` per session (spread over the session's bars), with per-session
 *    volatility `volOfVix`, spread evenly over the bars. Its shocks are correlated with the
 *    underlying's shocks at `vixReturnCorrelation` (−0.7: the index rises when the market
 *    falls, the leverage effect). **Spikes**: at each bar with probability
 *    `spikeProbabilityPerSession / barsPerSession`, `y` jumps up by `spikeSize·(0.5 + U)` (U
 *    uniform [0, 1)) and decays back through the mean reversion; overnight `y` takes
 *    `overnightVixFactor` sessions' worth of extra noise.
 * 2. **Underlying volatility** per bar: `σ_t = (VIX_t/100) · realisedOverVix ·
 *    √(1 − overnightVarianceShare) · u(m) / √(bars per year)` with `u(m) ∝ 1 +
 *    intradayVolAmplitude·cos(2π·m)` (m = position in the session; high at the open and the
 *    close) normalised to a unit mean square, so the session carries `1 −
 *    overnightVarianceShare` of the day's variance and the close-to-close volatility is
 *    `realisedOverVix · VIX/100` — realised volatility tracks the index (the variance risk
 *    premium `1/realisedOverVix` ≈ 1.31 is the median VIX / realised ratio of 1993–2026, see
 *    `lib/options/vol_model.ts`). Innovations are Student-t (`tailDof`, unit variance).
 * 3. **Planted edge (reversal).** With `m_t` the log return of the previous `momentumBars`
 *    (12 = one hour) bars in units of `σ_t·√momentumBars`, clipped to ±2, the drift is
 *    `μ_t = driftPerYear/barsPerYear − reversalStrength·σ_t·m_t`: a move over the last hour
 *    tends to partially revert. A policy that buys puts after rises and calls after falls (the
 *    observation has the 12-bar return) beats staying flat after spreads, fees and theta,
 *    while always holding calls, always holding puts or acting at random loses (a reversal
 *    lowers multi-bar variance, so long options do not profit from it by gamma alone — a
 *    momentum edge would: negative `reversalStrength` plants one, but then every long option
 *    wins and a learning proof proves nothing). Measured (seeds 1 and 2, two years, default
 *    env): the rule "put if return_12 > 0 else call" ends with 79k and 64k from 10k USD;
 *    always-call, always-put and uniform random actions are ruined (equity ≤ 50 %). With
 *    `reversalStrength: 0` the rule, always-put and random are ruined on both seeds and
 *    always-call ends at 14.7k on seed 1 (riding the 7 %/yr drift) and ruined on seed 2.
 *    Consecutive non-overlapping hourly returns have correlation ≈ −0.2 (seeds 42, 1, 2:
 *    −0.22, −0.22, −0.19; within ±0.03 with the edge off).
 * 4. **Overnight gap**: the first bar of a session opens at the previous close times
 *    `e^{g}`, `g ~ N(0, overnightVarianceShare · σ_daily²)` with `σ_daily =
 *    realisedOverVix · VIX/100 / √252` (weekends and holidays count as one night, matching
 *    the options env's trading-time clock).
 * 5. **Bars**: open = previous close (gap at the session's first bar); high/low extend beyond
 *    max/min(open, close) by `σ_t·wickScale·|N(0,1)|`; prices rounded to `tick` (0.01).
 *    Volume = `baseVolume · u(m)² · e^{0.3ε}` (U-shaped), rounded to whole shares.
 *
 * Same options (and seed) → bit-identical arrays.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import { Rng } from "../util/mod.ts";
import { type MarketSession, usEquitySessions } from "../util/mod.ts";
import type { OptionsMarket } from "./options_market.ts";

/** Parameters of the synthetic SPY/VIX model (see the module docs). */
export interface SyntheticOptionsParams {
  /** First price. Default 480 (SPY, January 2024). */
  startPrice: number;
  /** Price tick. Default 0.01. */
  tick: number;
  /** Drift, fraction per year. Default 0.07. */
  driftPerYear: number;
  /** Initial VIX level (index points). Default 15. */
  vixStart: number;
  /** Long-run VIX level (index points). Default 18. */
  vixLongRun: number;
  /** Mean reversion of ln VIX per session (fraction of the gap closed). Default 0.06. */
  vixMeanReversion: number;
  /** Std of ln VIX changes per session. Default 0.07. */
  volOfVix: number;
  /** Correlation of ln VIX shocks with the underlying's shocks. Default −0.7. */
  vixReturnCorrelation: number;
  /** Expected VIX spikes per session. Default 0.02 (about five a year). */
  spikeProbabilityPerSession: number;
  /** Typical spike in ln VIX (jump = spikeSize·(0.5 + U)). Default 0.35. */
  spikeSize: number;
  /** Extra overnight ln-VIX noise in sessions of volOfVix. Default 0.5. */
  overnightVixFactor: number;
  /** Realised volatility / (VIX/100). Default 0.7624 (= 1/1.3116). */
  realisedOverVix: number;
  /** Amplitude of the intraday volatility U-shape. Default 0.35. */
  intradayVolAmplitude: number;
  /** Student-t degrees of freedom (> 2). Default 5. */
  tailDof: number;
  /** Bars of the momentum signal. Default 12. */
  momentumBars: number;
  /** Planted reversal drift per unit signal, in units of σ_t (negative = momentum). Default 0.15. */
  reversalStrength: number;
  /** Share of the day's variance in the overnight gap. Default 0.1 (as the env's clock). */
  overnightVarianceShare: number;
  /** High/low wick size per unit of σ_t. Default 0.6. */
  wickScale: number;
  /** Mean volume per bar, shares. Default 250,000. */
  baseVolume: number;
}

/** Defaults of {@link SyntheticOptionsParams}. */
export const DEFAULT_SYNTHETIC_OPTIONS_PARAMS: Readonly<SyntheticOptionsParams> = Object.freeze({
  startPrice: 480,
  tick: 0.01,
  driftPerYear: 0.07,
  vixStart: 15,
  vixLongRun: 18,
  vixMeanReversion: 0.06,
  volOfVix: 0.07,
  vixReturnCorrelation: -0.7,
  spikeProbabilityPerSession: 0.02,
  spikeSize: 0.35,
  overnightVixFactor: 0.5,
  realisedOverVix: 1 / 1.3116,
  intradayVolAmplitude: 0.35,
  tailDof: 5,
  momentumBars: 12,
  reversalStrength: 0.15,
  overnightVarianceShare: 0.1,
  wickScale: 0.6,
  baseVolume: 250_000,
});

/** Options of {@link generateSyntheticOptionsMarket}. */
export interface SyntheticOptionsOptions {
  /** PRNG seed. Default 42. */
  seed?: number;
  /** First New York date (a session is taken from here on). Default `"2024-01-02"`. */
  startDate?: string;
  /** Number of sessions. Default 504 (two years). */
  sessions?: number;
  /** Bar length in minutes (divides 390 and 210). Default 5. */
  intervalMinutes?: number;
  /** Symbol. Default `"SYNTHSPY"`. */
  symbol?: string;
  /** Model overrides. */
  params?: Partial<SyntheticOptionsParams>;
}

function validate(p: SyntheticOptionsParams): void {
  for (const [k, v] of Object.entries(p)) {
    if (!Number.isFinite(v)) {
      throw new ConfigError(`synthetic options parameter ${k} must be finite, got ${v}`, {
        parameter: `params.${k}`,
      });
    }
  }
  const pos = [
    "startPrice",
    "tick",
    "vixStart",
    "vixLongRun",
    "realisedOverVix",
    "momentumBars",
  ] as const;
  for (const k of pos) {
    if (!(p[k] > 0)) {
      throw new ConfigError(`${k} must be > 0, got ${p[k]}`, { parameter: `params.${k}` });
    }
  }
  if (!(p.tailDof > 2)) {
    throw new ConfigError(`tailDof must be > 2, got ${p.tailDof}`, { parameter: "params.tailDof" });
  }
  if (!(p.overnightVarianceShare >= 0 && p.overnightVarianceShare < 1)) {
    throw new ConfigError("overnightVarianceShare must be in [0, 1)", {
      parameter: "params.overnightVarianceShare",
    });
  }
  if (!(Math.abs(p.vixReturnCorrelation) <= 1)) {
    throw new ConfigError("vixReturnCorrelation must be in [−1, 1]", {
      parameter: "params.vixReturnCorrelation",
    });
  }
}

/** The first `count` sessions on or after `startDate`. */
function takeSessions(startDate: string, count: number): MarketSession[] {
  const out: MarketSession[] = [];
  const d = Temporal.PlainDate.from(startDate);
  let from = d;
  while (out.length < count) {
    const to = from.add({ days: Math.max(14, Math.ceil(((count - out.length) * 7) / 5) + 10) });
    for (const s of usEquitySessions(from.toString(), to.toString())) {
      if (out.length < count) out.push(s);
    }
    from = to.add({ days: 1 });
  }
  return out;
}

/**
 * Generate the synthetic SPY-like market with its VIX (see the module docs).
 *
 * @example
 * ```ts
 * const { market, vix } = generateSyntheticOptionsMarket({ seed: 1, sessions: 60 });
 * ```
 */
export function generateSyntheticOptionsMarket(
  options: SyntheticOptionsOptions = {},
): OptionsMarket {
  const p: SyntheticOptionsParams = { ...DEFAULT_SYNTHETIC_OPTIONS_PARAMS, ...options.params };
  validate(p);
  const nSess = options.sessions ?? 504;
  if (!Number.isInteger(nSess) || nSess < 1) {
    throw new ConfigError(`sessions must be a positive integer, got ${nSess}`, {
      parameter: "sessions",
    });
  }
  const im = options.intervalMinutes ?? 5;
  if (!Number.isInteger(im) || im < 1 || 390 % im !== 0 || 210 % im !== 0) {
    throw new ConfigError(`intervalMinutes must divide 390 and 210, got ${im}`, {
      parameter: "intervalMinutes",
    }, "use 1, 2, 3, 5, 6, 10, 15 or 30");
  }
  const sessions = takeSessions(options.startDate ?? "2024-01-02", nSess);
  const stepMs = im * 60_000;
  let n = 0;
  for (const s of sessions) n += Math.round((s.closeMs - s.openMs) / stepMs);
  const barsPerSession = 390 / im;
  const barsPerYear = 252 * barsPerSession;

  const rng = new Rng(options.seed ?? 42);
  const time = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  const vix = new Float64Array(n);
  const session = new Int32Array(n);
  const dOpen = new Float64Array(nSess);
  const dClose = new Float64Array(nSess);

  const sqrtBpy = Math.sqrt(barsPerYear);
  // unit mean square of the U-shape: E[(1 + a·cos)²] = 1 + a²/2
  const uNorm = 1 / Math.sqrt(1 + 0.5 * p.intradayVolAmplitude * p.intradayVolAmplitude);
  const dayShare = Math.sqrt(1 - p.overnightVarianceShare);
  const kappa = p.vixMeanReversion / barsPerSession;
  const vovBar = p.volOfVix / Math.sqrt(barsPerSession);
  const rho = p.vixReturnCorrelation;
  const rhoC = Math.sqrt(1 - rho * rho);
  const spikeP = p.spikeProbabilityPerSession / barsPerSession;
  const lnLong = Math.log(p.vixLongRun);
  const mb = p.momentumBars;
  const logs = new Float64Array(n + 1); // log close history for the momentum signal
  let y = Math.log(p.vixStart);
  let price = p.startPrice;
  const round = (x: number) => Math.round(x / p.tick) * p.tick;
  logs[0] = Math.log(p.startPrice);
  let i = 0;
  for (let d = 0; d < nSess; d++) {
    const s = sessions[d];
    const nb = Math.round((s.closeMs - s.openMs) / stepMs);
    if (d > 0) {
      y += vovBar * Math.sqrt(p.overnightVixFactor * barsPerSession) * rng.normal() +
        kappa * barsPerSession * 0.3 * (lnLong - y);
      const sigDay = (Math.exp(y) / 100) * p.realisedOverVix / Math.sqrt(252);
      price *= Math.exp(Math.sqrt(p.overnightVarianceShare) * sigDay * rng.normal());
    }
    dOpen[d] = Math.exp(y);
    for (let b = 0; b < nb; b++, i++) {
      time[i] = s.openMs + b * stepMs;
      session[i] = d;
      // unit-mean intraday U-shape over the FULL session's clock position
      const m = (b + 0.5) / barsPerSession;
      const u = (1 + p.intradayVolAmplitude * Math.cos(2 * Math.PI * m)) * uNorm;
      const sig = (Math.exp(y) / 100) * p.realisedOverVix * dayShare * u / sqrtBpy;
      let mom = 0;
      if (i >= mb) {
        mom = (logs[i] - logs[i - mb]) / (sig * Math.sqrt(mb));
        if (mom > 2) mom = 2;
        else if (mom < -2) mom = -2;
      }
      const z = rng.studentT(p.tailDof); // unit variance
      const mu = p.driftPerYear / barsPerYear - p.reversalStrength * sig * mom;
      const o = price;
      const c = o * Math.exp(mu + sig * z - 0.5 * sig * sig);
      const wickH = sig * p.wickScale * Math.abs(rng.normal());
      const wickL = sig * p.wickScale * Math.abs(rng.normal());
      open[i] = round(o);
      close[i] = round(c);
      high[i] = Math.max(open[i], close[i], round(Math.max(o, c) * Math.exp(wickH)));
      low[i] = Math.min(open[i], close[i], round(Math.min(o, c) * Math.exp(-wickL)));
      volume[i] = Math.round(p.baseVolume * u * u * Math.exp(0.3 * rng.normal() - 0.045));
      price = c;
      logs[i + 1] = Math.log(c);
      // VIX: mean reversion, correlated shock, spikes
      y += kappa * (lnLong - y) + vovBar * (rho * z + rhoC * rng.normal());
      if (rng.next() < spikeP) y += p.spikeSize * (0.5 + rng.next());
      vix[i] = Math.round(Math.exp(y) * 100) / 100;
    }
    dClose[d] = vix[i - 1];
  }
  return {
    market: {
      symbol: options.symbol ?? "SYNTHSPY",
      interval: `${im}m`,
      intervalMs: stepMs,
      time,
      open,
      high,
      low,
      close,
      volume,
    },
    vix,
    sessions,
    session,
    vixDaily: {
      date: sessions.map((s) => s.date),
      open: Float64Array.from(dOpen, (v) => Math.round(v * 100) / 100),
      close: dClose,
    },
  };
}
