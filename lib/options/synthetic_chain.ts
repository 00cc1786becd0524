/**
 * A seeded synthetic SPY option chain for when the real chains (`../shared/data`) are absent
 * (a fresh clone): the pricer's own quotes with realistic departures from the model, so that
 * "pricer vs chain" still measures something. What it is NOT: market data; its errors are the
 * noise put in, documented here.
 *
 * Per snapshot: spot `spot` (default 692.30, SPY on 2026-02-11) and VIX `vix` (17.81). The
 * "market" IV of a quote is the fitted surface ({@link surfaceVol}) times a per-snapshot
 * level factor `exp(N(0, levelNoise²))` (default 0.05: the real level moved from 0.83 to 0.89
 * × VIX/100 between the two real snapshots) times a per-expiry factor `exp(N(0, expiryNoise²))` (default 0.02), plus
 * per-quote noise `N(0, quoteNoise²)` vol points (default 0.8). Mid = BSM at that IV (rate
 * 0.037, dividend 0.01, 365-day years to the 16:00 New York close of the expiry); bid/ask =
 * mid ∓ half the fitted spread model's spread, on the 0.01 tick (bid ≥ 0.01). The
 * "source IV" column is the market IV plus `N(0, 0.5²)` vol points (vendors' IV columns
 * disagree with any one pricer by about that). Strikes: every $1 within ±10 % of spot;
 * expiries: the calendar days `expiryDays` ahead (default 1, 2, 5, 9, 16, 23, 30, 44, 58, 86).
 *
 * @module
 */
import { ConfigError, Rng } from "../util/mod.ts";
import { bsmPrice, type OptionInputs } from "./bsm.ts";
import type { OptionChain, OptionQuote } from "./chain.ts";
import { modelSpread } from "./spread.ts";
import { expiryCloseMs, newYorkDate, yearsBetween } from "./time.ts";
import { surfaceVol, type VolQuery } from "./vol_model.ts";

/** Options of {@link syntheticOptionChain}. */
export interface SyntheticChainOptions {
  /** PRNG seed. Default 1. */
  seed?: number;
  /** Snapshot, UTC ms. Default 2026-02-11T16:19:00Z. */
  snapshotMs?: number;
  /** Underlying price. Default 692.30. */
  spot?: number;
  /** VIX level (index points). Default 17.81. */
  vix?: number;
  /** Calendar days to each expiry. */
  expiryDays?: number[];
  /** Std of the log level factor of the snapshot's IVs. Default 0.05. */
  levelNoise?: number;
  /** Std of the log per-expiry factor of the IVs. Default 0.02. */
  expiryNoise?: number;
  /** Std of the per-quote IV noise, vol points. Default 0.8. */
  quoteNoise?: number;
  /** Risk-free rate. Default 0.037. */
  rate?: number;
  /** Dividend yield. Default 0.01. */
  dividend?: number;
}

/** Build the seeded synthetic chain (see the module docs). */
export function syntheticOptionChain(options: SyntheticChainOptions = {}): OptionChain {
  const rng = new Rng(options.seed ?? 1);
  const snap = options.snapshotMs ?? Date.parse("2026-02-11T16:19:00Z");
  const spot = options.spot ?? 692.3;
  const vix = options.vix ?? 17.81;
  const rate = options.rate ?? 0.037;
  const dividend = options.dividend ?? 0.01;
  const days = options.expiryDays ?? [1, 2, 5, 9, 16, 23, 30, 44, 58, 86];
  const levelNoise = options.levelNoise ?? 0.05;
  const quoteNoise = options.quoteNoise ?? 0.8;
  if (
    !(spot > 0) || !(vix > 0) || !(levelNoise >= 0) || !(quoteNoise >= 0) ||
    !((options.expiryNoise ?? 0) >= 0)
  ) {
    throw new ConfigError("spot and vix must be > 0, noises ≥ 0", { parameter: "options" });
  }
  const level = Math.exp(levelNoise * rng.normal());
  const quotes: OptionQuote[] = [];
  const o: OptionInputs = { call: true, spot, strike: 0, years: 0, rate, dividend, vol: 0 };
  const vq: VolQuery = { vix, spot, strike: 0, years: 0, rate, dividend };
  const tick = (x: number) => Math.round(x * 100) / 100;
  let row = 0;
  for (const d of days) {
    const expiry = newYorkDate(snap + d * 86_400_000);
    const years = yearsBetween(snap, expiryCloseMs(expiry));
    if (!(years > 0)) continue;
    const perExpiry = Math.exp((options.expiryNoise ?? 0.02) * rng.normal());
    for (let k = Math.ceil(spot * 0.9); k <= Math.floor(spot * 1.1); k++) {
      for (const call of [true, false]) {
        row++;
        vq.strike = k;
        vq.years = years;
        const iv = Math.max(
          0.03,
          surfaceVol(vq) * level * perExpiry + (quoteNoise / 100) * rng.normal(),
        );
        o.call = call;
        o.strike = k;
        o.years = years;
        o.vol = iv;
        const mid = bsmPrice(o);
        const intrinsic = call ? spot - k : k - spot;
        const half = modelSpread(mid, intrinsic) / 2;
        const bid = Math.max(0.01, tick(mid - half));
        const ask = Math.max(bid + 0.01, tick(mid + half));
        quotes.push({
          row,
          call,
          strike: k,
          bid,
          ask,
          mid: (bid + ask) / 2,
          underlying: spot,
          expiry,
          years,
          sourceIv: Math.max(0.01, iv + 0.005 * rng.normal()),
        });
      }
    }
  }
  return {
    file: `synthetic chain (seed ${options.seed ?? 1})`,
    snapshotMs: snap,
    rows: row,
    quotes,
    skipped: { bad_number: 0, bad_type: 0, expired: 0, zero_bid: 0, crossed: 0 },
    skippedExamples: [],
  };
}
