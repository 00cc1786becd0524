/**
 * Synthetic market: determinism (hash), shape and conventions, stylised facts (volatility
 * clustering, fat tails, no linear autocorrelation) and the weak-but-real predictable
 * component (OI–price divergence precedes partial reversals).
 */
import assert from "node:assert/strict";
import {
  DEFAULT_SYNTHETIC_BARS,
  generateSyntheticMarket,
  generateSyntheticMarketDetailed,
  type MarketData,
  validateMarketData,
} from "../lib/data/mod.ts";
import { hashArrays } from "../lib/util/mod.ts";

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

function autocorr(a: Float64Array, lag: number): number {
  let m = 0;
  for (const x of a) m += x;
  m /= a.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    den += (a[i] - m) ** 2;
    if (i >= lag) num += (a[i] - m) * (a[i - lag] - m);
  }
  return num / den;
}

const md42 = generateSyntheticMarket();

Deno.test("synthetic: default is 52,560 5-minute bars from 2024-01-01 with OI and funding", () => {
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
});

Deno.test("synthetic: same seed → bit-identical arrays (hash), different seed → different", async () => {
  const a = await hashMd(generateSyntheticMarket({ seed: 42 }));
  const b = await hashMd(md42);
  assert.equal(a, b);
  // Pinned hash: a change to the generator must be deliberate (update this and the docs).
  assert.equal(a, "a5df6676aef2b996b2cfb3b233d7e0e63334bb573abcfe02d06e9e27d9e821cc");
  const c = await hashMd(generateSyntheticMarket({ seed: 43 }));
  assert.notEqual(a, c);
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
  assert.equal(count, Math.floor((52_560 * 300_000) / (8 * 3_600_000)));
  // Funding is not a constant: the premium moves it away from the 0.01 % interest rate.
  const vals = Array.from(f).filter((x) => !Number.isNaN(x));
  assert.ok(vals.filter((x) => x !== 0.0001).length > 0.1 * vals.length);
});

Deno.test("synthetic: stylised facts — volatility clustering, fat tails, no linear autocorrelation", () => {
  const r = logReturns(md42.close);
  const abs = r.map(Math.abs);
  const ac1 = autocorr(abs, 1);
  const ac50 = autocorr(abs, 50);
  assert.ok(ac1 > 0.1, `acf(|r|, 1) = ${ac1}`);
  assert.ok(ac50 > 0.02, `acf(|r|, 50) = ${ac50}`);
  let m = 0;
  for (const x of r) m += x;
  m /= r.length;
  let v = 0;
  let k = 0;
  for (const x of r) {
    v += (x - m) ** 2;
    k += (x - m) ** 4;
  }
  v /= r.length;
  k /= r.length;
  const excess = k / (v * v) - 3;
  assert.ok(excess > 1, `excess kurtosis ${excess}`);
  const annVol = Math.sqrt(v * 105_120);
  assert.ok(annVol > 0.3 && annVol < 1.0, `annualised vol ${annVol}`);
  assert.ok(Math.abs(autocorr(r, 1)) < 0.05, `acf(r, 1) = ${autocorr(r, 1)}`);
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
    const corr = sxy / Math.sqrt(sxx * syy);
    // Measured −0.31 (seed 42) and −0.26 (seed 3) on the ~26k reversal-side bars: clearly
    // real (standard error ≈ 1/√n ≈ 0.006, ×~3 for the 12-bar overlap), yet only a subset of
    // bars carries it, so 3-class accuracy on all bars stays near 40 % (see synthetic.ts).
    assert.ok(corr < -0.1, `seed ${seed}: corr ${corr}`);
    assert.ok(corr > -0.45, `seed ${seed}: corr ${corr} too strong to be realistic`);
  }
});

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
