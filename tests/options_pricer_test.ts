/**
 * The pricer: textbook values (Hull), put–call parity, Greeks against finite differences,
 * implied-volatility round trips and refusals, the normal CDF's stated error bound, and
 * expiry times across daylight saving time.
 *
 * Cannot catch: an error shared by the formula and its finite-difference check (both use
 * normCdf), which is why normCdf is checked against independent references and the prices
 * against published numbers.
 */
import assert from "node:assert/strict";
import {
  bsmGreeks,
  bsmPrice,
  expiryCloseMs,
  GREEK_COUNT,
  impliedVol,
  newYorkMinuteOfDay,
  normCdf,
  normPdf,
  type OptionInputs,
  priceBounds,
  yearsToExpiry,
} from "@lib/options/mod.ts";

function opt(p: Partial<OptionInputs>): OptionInputs {
  return {
    call: true,
    spot: 100,
    strike: 100,
    years: 0.25,
    rate: 0.037,
    dividend: 0.01,
    vol: 0.2,
    ...p,
  };
}

// ---- normal CDF: independent references
/** Φ(x) for |x| ≤ 3 from Φ(x) = ½ + φ(x)·Σ x^{2n+1}/(1·3·…·(2n+1)) (all terms one sign). */
function cdfSeries(x: number): number {
  const a = Math.abs(x);
  let term = a;
  let sum = a;
  for (let n = 1; n < 5000; n++) {
    term *= (a * a) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-18) break;
  }
  const half = normPdf(a) * sum;
  return x >= 0 ? 0.5 + half : 0.5 - half;
}
/** Lower tail Φ(−a), a ≥ 3, from the Mills-ratio continued fraction with 5,000 levels. */
function tailCf(a: number): number {
  let t = a;
  for (let k = 5000; k >= 1; k--) t = a + k / t;
  return normPdf(a) / t;
}

Deno.test("normCdf: absolute error ≤ 1e-15 and lower-tail relative error ≤ 1e-12 (the stated bound)", () => {
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i <= 1600; i++) {
    const z = -37 + (i * 45) / 1600;
    const ref = Math.abs(z) <= 3 ? cdfSeries(z) : z < 0 ? tailCf(-z) : 1 - tailCf(z);
    const v = normCdf(z);
    maxAbs = Math.max(maxAbs, Math.abs(v - ref));
    if (z <= 0) maxRel = Math.max(maxRel, Math.abs(v - ref) / ref);
  }
  assert.ok(maxAbs <= 1e-15, `max abs error ${maxAbs}`);
  assert.ok(maxRel <= 1e-12, `max rel error ${maxRel}`);
  // published values (Abramowitz & Stegun table 26.1 / high-precision tables)
  assert.ok(Math.abs(normCdf(1) - 0.8413447460685429) < 1e-15);
  assert.ok(Math.abs(normCdf(-1.96) - 0.024997895148220435) < 1e-15);
  assert.ok(Math.abs(normCdf(-5) / 2.866515718791939e-7 - 1) < 1e-12);
  assert.ok(Math.abs(normCdf(-10) / 7.619853024160527e-24 - 1) < 1e-12);
  assert.equal(normCdf(0), 0.5);
  assert.equal(normCdf(-40), 0);
  assert.equal(normCdf(40), 1);
  assert.ok(Number.isNaN(normCdf(NaN)));
});

// ---- textbook values
Deno.test("bsmPrice: Hull's examples (no dividend; index with dividend yield)", () => {
  // Hull, Options, Futures, and Other Derivatives, 8th ed., Example 14.6 (15.6 in 9th/10th):
  // S 42, K 40, r 10 %, σ 20 %, T 0.5 → call 4.76, put 0.81
  const c = bsmPrice(opt({ spot: 42, strike: 40, years: 0.5, rate: 0.1, dividend: 0, vol: 0.2 }));
  const p = bsmPrice(
    opt({ call: false, spot: 42, strike: 40, years: 0.5, rate: 0.1, dividend: 0, vol: 0.2 }),
  );
  assert.equal(c.toFixed(2), "4.76");
  assert.equal(p.toFixed(2), "0.81");
  // Hull, Example 16.1 (17.1 in later editions): index 930, K 900, r 8 %, q 3 %, σ 20 %,
  // two months → call 51.83
  const idx = bsmPrice(
    opt({ spot: 930, strike: 900, years: 2 / 12, rate: 0.08, dividend: 0.03, vol: 0.2 }),
  );
  assert.equal(idx.toFixed(2), "51.83");
});

Deno.test("bsmGreeks: Hull's delta/gamma/vega/theta example, in the documented units", () => {
  // Hull, chapter "The Greek Letters": S 49, K 50, r 5 %, σ 20 %, T 20 weeks = 0.3846 yr,
  // call 2.40, delta 0.522, gamma 0.066, vega 12.1 (per 1.00 vol), theta −4.31 per year
  const g = new Float64Array(GREEK_COUNT);
  bsmGreeks(opt({ spot: 49, strike: 50, years: 0.3846, rate: 0.05, dividend: 0, vol: 0.2 }), g);
  assert.equal(g[0].toFixed(2), "2.40");
  assert.equal(g[1].toFixed(3), "0.522");
  assert.equal(g[2].toFixed(3), "0.066");
  assert.equal(g[3].toFixed(1), "12.1");
  assert.equal(g[4].toFixed(2), "-4.31");
  assert.equal((g[4] / 365).toFixed(4), "-0.0118"); // per calendar day
});

// ---- parity and finite differences on a grid
const GRID: OptionInputs[] = [];
for (const spot of [80, 95, 100, 105, 130]) {
  for (const years of [2 / 365, 0.05, 0.5, 2]) {
    for (const vol of [0.08, 0.2, 0.6]) {
      for (const dividend of [0, 0.01, 0.05]) {
        GRID.push(opt({ spot, years, vol, dividend, rate: 0.037 }));
      }
    }
  }
}

Deno.test("put–call parity C − P = S·e^{−qT} − K·e^{−rT} holds to 1e-12 relative", () => {
  for (const o of GRID) {
    const c = bsmPrice({ ...o, call: true });
    const p = bsmPrice({ ...o, call: false });
    const f = o.spot * Math.exp(-o.dividend * o.years) - o.strike * Math.exp(-o.rate * o.years);
    assert.ok(Math.abs(c - p - f) <= 1e-12 * o.spot, `${JSON.stringify(o)}: ${c - p} vs ${f}`);
  }
});

Deno.test("bsmGreeks price equals bsmPrice; Greeks match central finite differences", () => {
  const g = new Float64Array(GREEK_COUNT);
  for (const base of GRID) {
    for (const call of [true, false]) {
      const o = { ...base, call };
      bsmGreeks(o, g);
      assert.ok(Math.abs(g[0] - bsmPrice(o)) < 1e-12 * o.spot);
      const hS = o.spot * 1e-4;
      const up = bsmPrice({ ...o, spot: o.spot + hS });
      const dn = bsmPrice({ ...o, spot: o.spot - hS });
      const mid = bsmPrice(o);
      const delta = (up - dn) / (2 * hS);
      const gamma = (up - 2 * mid + dn) / (hS * hS);
      const hV = 1e-5;
      const vega = (bsmPrice({ ...o, vol: o.vol + hV }) - bsmPrice({ ...o, vol: o.vol - hV })) /
        (2 * hV);
      const hT = Math.min(1e-6, o.years / 10);
      // theta = −∂V/∂T (time passing shortens the life)
      const theta =
        -(bsmPrice({ ...o, years: o.years + hT }) - bsmPrice({ ...o, years: o.years - hT })) /
        (2 * hT);
      const tag = JSON.stringify(o);
      assert.ok(Math.abs(g[1] - delta) < 1e-6, `delta ${tag}: ${g[1]} vs ${delta}`);
      assert.ok(
        Math.abs(g[2] - gamma) < 1e-4 * Math.max(1, Math.abs(gamma)),
        `gamma ${tag}: ${g[2]} vs ${gamma}`,
      );
      assert.ok(
        Math.abs(g[3] - vega) < 1e-5 * Math.max(1, vega),
        `vega ${tag}: ${g[3]} vs ${vega}`,
      );
      assert.ok(
        Math.abs(g[4] - theta) < 1e-4 * Math.max(1, Math.abs(theta)),
        `theta ${tag}: ${g[4]} vs ${theta}`,
      );
    }
  }
});

Deno.test("expired and zero-vol options: intrinsic / discounted intrinsic with consistent delta", () => {
  const g = new Float64Array(GREEK_COUNT);
  bsmGreeks(opt({ spot: 105, years: 0 }), g);
  assert.deepEqual(Array.from(g), [5, 1, 0, 0, 0]);
  bsmGreeks(opt({ call: false, spot: 105, years: -0.1 }), g);
  assert.deepEqual(Array.from(g), [0, 0, 0, 0, 0]);
  const o = opt({ spot: 105, vol: 0 });
  bsmGreeks(o, g);
  const fwd = 105 * Math.exp(-0.01 * 0.25) - 100 * Math.exp(-0.037 * 0.25);
  assert.ok(Math.abs(g[0] - fwd) < 1e-12);
  assert.ok(Math.abs(g[0] - bsmPrice({ ...o, vol: 1e-9 })) < 1e-9);
});

// ---- implied volatility
Deno.test("impliedVol round-trips on the grid (price within 1e-9; vol within 1e-8 where vega ≥ 0.01)", () => {
  let checked = 0;
  for (const base of GRID) {
    for (const call of [true, false]) {
      const o = { ...base, call };
      const price = bsmPrice(o);
      const g = new Float64Array(GREEK_COUNT);
      bsmGreeks(o, g);
      const iv = impliedVol(price, o);
      // a price that only exceeds its lower bound by rounding noise carries no vol information
      const b = new Float64Array(2);
      priceBounds(o, b);
      if (price - b[0] < 1e-9 * o.spot || g[3] < 1e-6) continue;
      assert.ok(iv !== null, `null for ${JSON.stringify(o)} price ${price}`);
      // the repriced option matches; the vol itself is pinned down where vega ≥ 0.01
      assert.ok(Math.abs(bsmPrice({ ...o, vol: iv }) - price) < 1e-9, JSON.stringify(o));
      if (g[3] >= 0.01) assert.ok(Math.abs(iv - o.vol) < 1e-8, `${JSON.stringify(o)}: ${iv}`);
      checked++;
    }
  }
  assert.ok(checked >= 280, `only ${checked} grid points were informative`);
});

Deno.test("impliedVol: null below intrinsic, at/above the upper bound, expired, NaN", () => {
  const o = opt({ spot: 110 }); // call ITM by 10
  const b = new Float64Array(2);
  priceBounds(o, b);
  assert.equal(impliedVol(b[0] - 0.01, o), null);
  assert.equal(impliedVol(b[1], o), null);
  assert.equal(impliedVol(b[1] + 1, o), null);
  assert.equal(impliedVol(1, opt({ years: 0 })), null);
  assert.equal(impliedVol(NaN, o), null);
  assert.equal(impliedVol(-1, o), null);
  // a price reachable only with vol above the bracket
  assert.equal(impliedVol(bsmPrice(opt({ vol: 3 })), opt({}), { volHigh: 2 }), null);
  // Hull's call back-solved
  const hull = opt({ spot: 42, strike: 40, years: 0.5, rate: 0.1, dividend: 0 });
  assert.ok(Math.abs(impliedVol(bsmPrice({ ...hull, vol: 0.2 }), hull)! - 0.2) < 1e-10);
});

// ---- time
Deno.test("expiry is 16:00 New York in both EST and EDT; years are ACT/365", () => {
  assert.equal(new Date(expiryCloseMs("2026-02-20")).toISOString(), "2026-02-20T21:00:00.000Z");
  assert.equal(new Date(expiryCloseMs("2026-03-09")).toISOString(), "2026-03-09T20:00:00.000Z");
  // snapshot 2026-02-11 16:19 UTC, same-day expiry: 4 h 41 min left (21:00 UTC close)
  const snap = Date.UTC(2026, 1, 11, 16, 19);
  const y = yearsToExpiry(snap, "2026-02-11");
  assert.ok(Math.abs(y * 365 * 24 * 60 - 281) < 1e-6);
  assert.ok(yearsToExpiry(snap, "2026-02-10") < 0);
  assert.equal(newYorkMinuteOfDay(Date.UTC(2026, 6, 1, 13, 30)), 570);
  assert.throws(() => expiryCloseMs("2026-13-01"), /not a YYYY-MM-DD date/);
  assert.throws(() => expiryCloseMs("20260201"), /not a YYYY-MM-DD date/);
});
