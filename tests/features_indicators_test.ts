import assert from "node:assert/strict";
import * as ti from "technicalindicators";
import {
  atrWilder,
  bollingerPercentB,
  ema,
  macdHistogram,
  realizedVol,
  rsiWilder,
} from "@lib/features/mod.ts";
import { Rng } from "@lib/util/mod.ts";

function close(a: number, b: number, tol = 1e-9): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

// Hand-computed (on paper) Wilder RSI(3) on a 6-bar series.
// changes: +1, −0.5, +1, +0.5, −1
// bar 3: avgGain = 2/3, avgLoss = 1/6, RS = 4 → 80
// bar 4: avgGain = (2·2/3 + 0.5)/3 = 11/18, avgLoss = (2·1/6)/3 = 1/9, RS = 5.5 → 84.6153846…
// bar 5: avgGain = (2·11/18)/3 = 11/27, avgLoss = (2/9 + 1)/3 = 11/27, RS = 1 → 50
Deno.test("rsiWilder matches hand-computed Wilder RSI(3) and is aligned to bar index", () => {
  const c = [10, 11, 10.5, 11.5, 12, 11];
  const r = rsiWilder(c, 3);
  assert.equal(r.length, 6);
  for (let i = 0; i < 3; i++) assert.ok(Number.isNaN(r[i]), `warm-up bar ${i} must be NaN`);
  assert.ok(close(r[3], 80), `bar 3: ${r[3]}`);
  assert.ok(close(r[4], 100 - 100 / 6.5), `bar 4: ${r[4]}`);
  assert.ok(close(r[5], 50), `bar 5: ${r[5]}`);
});

// Hand-computed Wilder ATR(3): TR of bars 1..5 = 1.2, 0.8, 1.2, 0.9, 1.3
// bar 3: (1.2 + 0.8 + 1.2)/3 = 1.0666…; bar 4: (2·1.0666… + 0.9)/3 = 1.0111…;
// bar 5: (2·1.0111… + 1.3)/3 = 1.1074074…
Deno.test("atrWilder matches hand-computed Wilder ATR(3) and is aligned to bar index", () => {
  const h = [10.5, 11.2, 11.0, 11.6, 12.3, 12.1];
  const l = [9.5, 10.1, 10.2, 10.4, 11.4, 10.8];
  const c = [10, 11, 10.5, 11.5, 12, 11];
  const a = atrWilder(h, l, c, 3);
  assert.equal(a.length, 6);
  for (let i = 0; i < 3; i++) assert.ok(Number.isNaN(a[i]));
  assert.ok(close(a[3], 3.2 / 3), `bar 3: ${a[3]}`);
  assert.ok(close(a[4], (2 * 3.2 / 3 + 0.9) / 3), `bar 4: ${a[4]}`);
  assert.ok(close(a[5], (2 * ((2 * 3.2 / 3 + 0.9) / 3) + 1.3) / 3), `bar 5: ${a[5]}`);
});

function series(n: number, seed: number): { h: number[]; l: number[]; c: number[] } {
  const rng = new Rng(seed);
  const h: number[] = [];
  const l: number[] = [];
  const c: number[] = [];
  let p = 100;
  for (let i = 0; i < n; i++) {
    const o = p;
    p *= Math.exp(0.01 * rng.normal());
    c.push(p);
    h.push(Math.max(o, p) * (1 + 0.003 * rng.next()));
    l.push(Math.min(o, p) * (1 - 0.003 * rng.next()));
  }
  return { h, l, c };
}

// Independent straightforward reference implementations (loops written from the definitions).
function refRsi(c: number[], p: number): number[] {
  const out = c.map(() => NaN);
  let g = 0;
  let l = 0;
  for (let i = 1; i <= p; i++) {
    const d = c[i] - c[i - 1];
    g += Math.max(d, 0);
    l += Math.max(-d, 0);
  }
  g /= p;
  l /= p;
  out[p] = 100 - 100 / (1 + g / l);
  for (let i = p + 1; i < c.length; i++) {
    const d = c[i] - c[i - 1];
    g = (g * (p - 1) + Math.max(d, 0)) / p;
    l = (l * (p - 1) + Math.max(-d, 0)) / p;
    out[i] = 100 - 100 / (1 + g / l);
  }
  return out;
}

function refAtr(h: number[], l: number[], c: number[], p: number): number[] {
  const out = c.map(() => NaN);
  const tr = c.map((_, i) =>
    i === 0 ? NaN : Math.max(h[i] - l[i], Math.abs(h[i] - c[i - 1]), Math.abs(l[i] - c[i - 1]))
  );
  let a = 0;
  for (let i = 1; i <= p; i++) a += tr[i];
  a /= p;
  out[p] = a;
  for (let i = p + 1; i < c.length; i++) {
    a = (a * (p - 1) + tr[i]) / p;
    out[i] = a;
  }
  return out;
}

function refEma(x: number[], p: number, start = 0): number[] {
  const out = x.map(() => NaN);
  let s = 0;
  for (let i = start; i < start + p; i++) s += x[i];
  let e = s / p;
  out[start + p - 1] = e;
  const k = 2 / (p + 1);
  for (let i = start + p; i < x.length; i++) {
    e = (x[i] - e) * k + e;
    out[i] = e;
  }
  return out;
}

Deno.test("RSI(14) and ATR(14) match reference loops on 300 random bars", () => {
  const { h, l, c } = series(300, 7);
  const r = rsiWilder(c, 14);
  const rr = refRsi(c, 14);
  const a = atrWilder(h, l, c, 14);
  const ra = refAtr(h, l, c, 14);
  for (let i = 0; i < 300; i++) {
    if (i < 14) {
      assert.ok(Number.isNaN(r[i]) && Number.isNaN(a[i]));
      continue;
    }
    assert.ok(close(r[i], rr[i], 1e-9), `RSI bar ${i}: ${r[i]} vs ${rr[i]}`);
    assert.ok(close(a[i], ra[i], 1e-9), `ATR bar ${i}: ${a[i]} vs ${ra[i]}`);
  }
  // The package's own RSI (rounded to 2 decimals) agrees after alignment.
  const pkg = ti.RSI.calculate({ values: c, period: 14 });
  assert.equal(pkg.length, 300 - 14);
  for (let k = 0; k < pkg.length; k++) assert.ok(Math.abs(pkg[k] - r[k + 14]) <= 0.0051);
});

Deno.test("bollingerPercentB, ema, macdHistogram, realizedVol match reference loops", () => {
  const { c } = series(200, 11);
  const b = bollingerPercentB(c, 20, 2);
  for (let i = 0; i < 200; i++) {
    if (i < 19) {
      assert.ok(Number.isNaN(b[i]));
      continue;
    }
    const w = c.slice(i - 19, i + 1);
    const m = w.reduce((s, x) => s + x, 0) / 20;
    const sd = Math.sqrt(w.reduce((s, x) => s + (x - m) ** 2, 0) / 20);
    const ref = (c[i] - (m - 2 * sd)) / (4 * sd);
    assert.ok(close(b[i], ref, 1e-7), `%B bar ${i}: ${b[i]} vs ${ref}`);
  }
  const e = ema(c, 20);
  const re = refEma(c, 20);
  for (let i = 0; i < 200; i++) {
    if (i < 19) assert.ok(Number.isNaN(e[i]));
    else assert.ok(close(e[i], re[i], 1e-9), `EMA bar ${i}`);
  }
  // MACD(12,26,9): both EMAs seeded with their own SMA; signal EMA seeded on MACD from bar 25.
  const f = refEma(c, 12);
  const s = refEma(c, 26);
  const macd = c.map((_, i) => (i >= 25 ? f[i] - s[i] : NaN));
  const sig = refEma(macd, 9, 25);
  const hist = macdHistogram(c, 12, 26, 9);
  for (let i = 0; i < 200; i++) {
    if (i < 33) assert.ok(Number.isNaN(hist[i]), `MACD warm-up bar ${i}`);
    else assert.ok(close(hist[i], macd[i] - sig[i], 1e-7), `MACD bar ${i}: ${hist[i]}`);
  }
  const rv = realizedVol(c, 20);
  for (let i = 20; i < 200; i++) {
    const r = [];
    for (let k = i - 19; k <= i; k++) r.push(Math.log(c[k] / c[k - 1]));
    const m = r.reduce((x, y) => x + y, 0) / 20;
    const ref = Math.sqrt(r.reduce((x, y) => x + (y - m) ** 2, 0) / 20);
    assert.ok(close(rv[i], ref, 1e-9));
  }
  assert.ok(Number.isNaN(rv[19]));
});

Deno.test("constant prices give documented neutral indicator values", () => {
  const c = new Array(60).fill(100);
  const r = rsiWilder(c, 14);
  const a = atrWilder(c, c, c, 14);
  const b = bollingerPercentB(c, 20, 2);
  for (let i = 20; i < 60; i++) {
    assert.equal(r[i], 50);
    assert.equal(a[i], 0);
    assert.equal(b[i], 0.5);
  }
});

Deno.test("indicators on series shorter than their warm-up are all NaN, not an exception", () => {
  const c = [1, 2, 3];
  for (
    const v of [rsiWilder(c, 14), atrWilder(c, c, c, 14), bollingerPercentB(c), macdHistogram(c)]
  ) {
    assert.equal(v.length, 3);
    assert.ok(v.every((x) => Number.isNaN(x)));
  }
});
