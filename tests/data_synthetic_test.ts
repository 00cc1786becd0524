/**
 * Synthetic market: determinism (hash; the `learning` preset pinned to the arrays of the
 * earlier default), shape and conventions, realism of the default (`realistic`) market
 * against real BTCUSDT 5-minute facts (fat tails, volatility clustering at 1 bar, 1 hour and
 * 1 day, intraday seasonality, funding level/persistence, OI change size; the real values
 * come from `tools/calibrate_synthetic.ts`), the weak-but-real predictable component, and
 * the fixed-rule baseline's test-split Sharpe in [0.5, 3] on the default market.
 */
import assert from "node:assert/strict";
import {
  DEFAULT_SPLIT_FRACTIONS,
  DEFAULT_SYNTHETIC_BARS,
  generateSyntheticMarket,
  generateSyntheticMarketDetailed,
  loadMarketData,
  type MarketData,
  validateMarketData,
} from "../lib/data/mod.ts";
import { hashArrays } from "../lib/util/mod.ts";
import { stylizedFacts } from "../lib/data/stylized_facts.ts";

function hashMd(md: MarketData): Promise<string> {
  return hashArrays([
    md.time,
    md.open,
    md.high,
    md.low,
    md.close,
    md.volume,
    md.openInterest!,
    md.fundingRate!,
  ]);
}

function logReturns(close: Float64Array): Float64Array {
  const r = new Float64Array(close.length - 1);
  for (let i = 1; i < close.length; i++) r[i - 1] = Math.log(close[i] / close[i - 1]);
  return r;
}

const md42 = generateSyntheticMarket();

Deno.test("synthetic: default is 24 months (210,240 5-minute bars) from 2024-01-01 with OI and funding", () => {
  assert.equal(md42.time.length, DEFAULT_SYNTHETIC_BARS);
  assert.equal(md42.interval, "5m");
  assert.equal(md42.intervalMs, 300_000);
  assert.equal(md42.time[0], Date.UTC(2024, 0, 1));
  assert.equal(md42.time[1] - md42.time[0], 300_000);
  assert.ok(md42.openInterest && md42.fundingRate);
  const rep = validateMarketData(md42);
  assert.equal(rep.ok, true, JSON.stringify(rep.issues.slice(0, 3)));
  assert.equal(rep.gaps.count, 0);
  assert.equal(rep.nanCounts.openInterest, 0);
  // The default split's held-out test range covers at least six months (182.5 days).
  const testDays = (DEFAULT_SYNTHETIC_BARS * DEFAULT_SPLIT_FRACTIONS.test * 300_000) / 86_400_000;
  assert.ok(testDays >= 182.5, `test split ${testDays} days`);
});

Deno.test("synthetic: same seed → bit-identical arrays (hash), different seed → different", async () => {
  const a = await hashMd(generateSyntheticMarket({ seed: 42 }));
  const b = await hashMd(md42);
  assert.equal(a, b);
  // Pinned hash: a change to the generator must be deliberate (update this and the docs).
  assert.equal(a, "e61bbd11b804271a2fd6f62cedf1c2b883cea02865e5fd622466f3107bb64242");
  const c = await hashMd(generateSyntheticMarket({ seed: 43 }));
  assert.notEqual(a, c);
});

Deno.test("synthetic: the learning preset is bit-identical to the pre-calibration default", async () => {
  // The learning proofs (PPO on the strong edge) rely on these exact arrays: 52,560 bars,
  // seed 42, the former default parameters (hash pinned before the calibration).
  const md = generateSyntheticMarket({ preset: "learning" });
  assert.equal(md.time.length, 52_560);
  assert.equal(
    await hashMd(md),
    "a5df6676aef2b996b2cfb3b233d7e0e63334bb573abcfe02d06e9e27d9e821cc",
  );
  assert.throws(() => generateSyntheticMarket({ preset: "nope" as "learning" }), /preset/);
});

Deno.test("synthetic: funding settles only on bars whose (open, close] holds 00/08/16 UTC", () => {
  const f = md42.fundingRate!;
  let count = 0;
  for (let i = 0; i < f.length; i++) {
    const close = md42.time[i] + md42.intervalMs;
    const settles = close % (8 * 3_600_000) === 0;
    assert.equal(!Number.isNaN(f[i]), settles, `bar ${i}`);
    if (settles) {
      count++;
      assert.ok(Math.abs(f[i]) <= 0.003, `funding ${f[i]} within cap`);
    }
  }
  assert.equal(count, Math.floor((DEFAULT_SYNTHETIC_BARS * 300_000) / (8 * 3_600_000)));
  // Funding is not a constant: the premium moves it away from the 0.01 % interest rate.
  const vals = Array.from(f).filter((x) => !Number.isNaN(x));
  assert.ok(vals.filter((x) => x !== 0.0001).length > 0.1 * vals.length);
});

Deno.test("synthetic: default market has real BTCUSDT-like stylised facts", () => {
  // Real values (tools/calibrate_synthetic.ts on ../shared/data): Bybit BTCUSDT 5m 2025-04→07
  // vol 0.40/yr, kurtosis 22, acf(|r|) 0.31 / 0.22 / 0.11 at lags 1 / 12 / 288, 0.68 % of
  // bars beyond 4σ, busiest/quietest UTC hour |r| ratio 2.3; Binance BTCUSDT funding
  // 2020–23 mean 1.4e-4, std 2.6e-4, lag-1 acf 0.79; Binance ETHUSDT OI 5m log-change std
  // 0.0023. Bounds: a factor ~2 around the real values, far from what a Gaussian random walk
  // (kurtosis 3, acf 0, ratio 1) or the old market (acf at 288 bars 0.016, ratio 1.3) gives.
  const f = stylizedFacts(md42, { periodsPerYear: 105_120 });
  const msg = JSON.stringify(f);
  assert.ok(f.annualVol > 0.3 && f.annualVol < 0.7, `annualised vol: ${msg}`);
  assert.ok(f.kurtosis > 10 && f.kurtosis < 60, `kurtosis: ${msg}`);
  assert.ok(Math.abs(f.acfReturnLag1) < 0.05, `no linear autocorrelation: ${msg}`);
  assert.ok(f.acfAbsReturn.lag1 > 0.15 && f.acfAbsReturn.lag1 < 0.5, msg);
  assert.ok(f.acfAbsReturn.lag12 > 0.1 && f.acfAbsReturn.lag12 < 0.4, msg);
  assert.ok(
    f.acfAbsReturn.lag288 > 0.05 && f.acfAbsReturn.lag288 < 0.25,
    `day-scale clustering: ${msg}`,
  );
  assert.ok(f.fractionBeyond4Sigma > 0.003 && f.fractionBeyond4Sigma < 0.015, `tails: ${msg}`);
  assert.ok(f.intradayVolRatio > 1.6 && f.intradayVolRatio < 3.5, `intraday seasonality: ${msg}`);
  const fu = f.funding!;
  assert.ok(fu.mean > 0.5e-4 && fu.mean < 2.5e-4, `funding mean: ${msg}`);
  assert.ok(fu.std > 1.2e-4 && fu.std < 5e-4, `funding std: ${msg}`);
  assert.ok(fu.acfLag1 > 0.6 && fu.acfLag1 < 0.95, `funding persistence: ${msg}`);
  assert.ok(f.oiLogChangeStd! > 0.0012 && f.oiLogChangeStd! < 0.0045, `OI change: ${msg}`);
});

Deno.test("synthetic: intraday volume seasonality (US afternoon busier than Asian night)", () => {
  const byHour = new Float64Array(24);
  const cnt = new Float64Array(24);
  for (let i = 0; i < md42.time.length; i++) {
    const h = new Date(md42.time[i]).getUTCHours();
    byHour[h] += md42.volume[i];
    cnt[h]++;
  }
  const at = (h: number) => byHour[h] / cnt[h];
  assert.ok(at(14) > 1.3 * at(3), `14h ${at(14)} vs 3h ${at(3)}`);
});

Deno.test("synthetic: regimes all occur and high-vol bars are more volatile", () => {
  const s = generateSyntheticMarketDetailed({ seed: 42 });
  const r = logReturns(s.market.close);
  const sum = [0, 0, 0];
  const n = [0, 0, 0];
  for (let i = 1; i < s.regime.length; i++) {
    sum[s.regime[i]] += r[i - 1] ** 2;
    n[s.regime[i]]++;
  }
  for (let k = 0; k < 3; k++) assert.ok(n[k] > 1000, `regime ${k} has ${n[k]} bars`);
  assert.ok(sum[2] / n[2] > 2 * (sum[0] / n[0]), "high-vol regime variance > 2× range");
});

Deno.test("synthetic: OI–price divergence (observable) predicts partial reversals, weakly", () => {
  // Score computed ONLY from observed close and open interest up to bar t.
  for (const seed of [42, 3]) {
    const md = seed === 42 ? md42 : generateSyntheticMarket({ seed });
    const learning = generateSyntheticMarket({ seed, preset: "learning" });
    const corrL = divergenceCorrelation(learning);
    const corr = divergenceCorrelation(md);
    // Measured: realistic −0.23 (seed 42), −0.20 (seed 3); learning −0.31, −0.26. Clearly
    // real (standard error ≈ 1/√n ≈ 0.003–0.006, ×~3 for the 12-bar overlap), yet only a
    // subset of bars carries it; the realistic market's edge is the weaker one.
    assert.ok(corr < -0.1, `seed ${seed}: corr ${corr}`);
    assert.ok(corr > -0.3, `seed ${seed}: corr ${corr} too strong to be realistic`);
    assert.ok(corr > corrL, `seed ${seed}: realistic ${corr} vs learning ${corrL}`);
  }
});

/** Correlation of the reversal-side divergence score with the next-12-bar log return. */
function divergenceCorrelation(md: MarketData): number {
  const c = md.close;
  const oi = md.openInterest!;
  const L = 20;
  const H = 12;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let t = L; t < c.length - H; t++) {
    const rp = Math.log(c[t] / c[t - L]);
    const ro = Math.log(oi[t] / oi[t - L]);
    if (ro >= 0) continue; // the reversal side: moves made while OI fell
    xs.push(rp * -ro);
    ys.push(Math.log(c[t + H] / c[t]));
  }
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

Deno.test("synthetic: options (bars, interval, start, params) and bad input", () => {
  const md = generateSyntheticMarket({
    seed: 1,
    bars: 100,
    interval: "1h",
    startTime: "2023-06-01T00:00:00Z",
  });
  assert.equal(md.time.length, 100);
  assert.equal(md.intervalMs, 3_600_000);
  assert.equal(md.time[0], Date.UTC(2023, 5, 1));
  // With 1-hour bars, the 08:00 settlement is on the bar opening 07:00.
  const i7 = 7;
  assert.ok(!Number.isNaN(md.fundingRate![i7]));
  assert.ok(Number.isNaN(md.fundingRate![8]));
  assert.throws(() => generateSyntheticMarket({ bars: 0 }), /bars must be a positive integer/);
  assert.throws(() => generateSyntheticMarket({ startTime: "yesterday" }), /startTime/);
  assert.throws(
    () => generateSyntheticMarket({ params: { garchAlpha: 0.5, garchBeta: 0.6 } }),
    /garchAlpha/,
  );
});

Deno.test('synthetic: data sources "synthetic" and "synthetic:learning" name the presets', async () => {
  const a = await loadMarketData("synthetic:learning", { synthetic: { seed: 5, bars: 300 } });
  const b = generateSyntheticMarket({ preset: "learning", seed: 5, bars: 300 });
  assert.deepEqual(a.close, b.close);
  const c = await loadMarketData("synthetic", { synthetic: { seed: 5, bars: 300 } });
  assert.deepEqual(c.close, generateSyntheticMarket({ seed: 5, bars: 300 }).close);
  assert.notDeepEqual(a.close, c.close);
  await assert.rejects(() => loadMarketData("synthetic:strong"), /unknown synthetic market preset/);
});

Deno.test({
  // The realism requirement that matters to users: a fixed rule must not print money. Runs
  // the train CLI's pipeline (walk-forward ML signals on 210,240 bars: 2–5 min) and the
  // specification's baseline through the backtest on the default split. It cannot catch an
  // edge that only an RL agent finds (the PPO runs in presets/ show that separately).
  name: "synthetic: fixed-rule baseline's test-split Sharpe on the default market is 0.5–3",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { buildTradingSetup } = await import("../lib/experiment/mod.ts");
    const { backtest, FixedRuleBaseline } = await import("../lib/backtest/mod.ts");
    const setup = await buildTradingSetup({});
    const days = (setup.split.test.end - setup.split.test.start) * 300_000 / 86_400_000;
    assert.ok(days >= 182, `test split ${days} days`);
    const r = backtest(new FixedRuleBaseline(), setup.makeEvalEnv("test"), {
      periodsPerYear: setup.periodsPerYear,
    });
    const s = r.metrics.sharpe!;
    const msg = `test Sharpe ${s}, return ${r.metrics.totalReturn}, ${r.trades.length} trades`;
    assert.ok(s >= 0.5 && s <= 3, msg);
    assert.ok(r.trades.length >= 30, msg); // a Sharpe from a handful of trades means nothing
  },
});
