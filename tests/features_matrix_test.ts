import assert from "node:assert/strict";
import {
  computeFeatures,
  FEATURE_NAMES,
  FEATURE_WARMUP,
  featureColumn,
  REQUIRED_FEATURES,
} from "@lib/features/mod.ts";
import { DataError, Rng } from "@lib/util/mod.ts";
import { cloneMarket, randomWalkMarket } from "./features_fixture.ts";

Deno.test("feature matrix has the required names, shape, warm-up and validity", () => {
  const md = randomWalkMarket(400);
  const fm = computeFeatures(md);
  for (const name of REQUIRED_FEATURES) assert.ok(fm.names.includes(name), name);
  assert.deepEqual(fm.names, [...FEATURE_NAMES]);
  assert.equal(fm.rows, 400);
  assert.equal(fm.cols, FEATURE_NAMES.length);
  assert.equal(fm.data.length, 400 * fm.cols);
  assert.equal(fm.firstValidRow, FEATURE_WARMUP);
  assert.equal(FEATURE_WARMUP, 33); // MACD(12,26,9) histogram is the longest warm-up
  for (let i = 0; i < 400; i++) {
    const row = fm.data.subarray(i * fm.cols, (i + 1) * fm.cols);
    if (i < fm.firstValidRow) {
      assert.equal(fm.valid[i], 0);
      assert.ok(row.every((v) => Number.isNaN(v)), `warm-up row ${i} must be NaN`);
    } else {
      assert.equal(fm.valid[i], 1);
      assert.ok(row.every((v) => Number.isFinite(v)), `row ${i} must be finite`);
    }
  }
  assert.deepEqual(fm.available, { openInterest: true, funding: true });
  assert.equal(fm.time, md.time);
});

Deno.test("feature values follow their documented definitions and units", () => {
  const md = randomWalkMarket(300);
  const fm = computeFeatures(md);
  const c = md.close;
  const oi = md.openInterest!;
  const r20 = featureColumn(fm, "return_20");
  const atr = featureColumn(fm, "atr_14");
  const natr = featureColumn(fm, "natr");
  const vr = featureColumn(fm, "volume_ratio");
  const oc = featureColumn(fm, "oi_change_20");
  const od = featureColumn(fm, "oi_price_divergence_20");
  const rsi = featureColumn(fm, "rsi_14");
  for (const i of [33, 100, 299]) {
    assert.equal(r20[i], c[i] / c[i - 20] - 1);
    assert.equal(natr[i], atr[i] / c[i]); // fraction, not percent
    assert.ok(natr[i] > 0 && natr[i] < 0.05, `natr is a fraction: ${natr[i]}`);
    let s = 0;
    for (let k = i - 19; k <= i; k++) s += md.volume[k];
    assert.ok(Math.abs(vr[i] - md.volume[i] / (s / 20)) < 1e-12);
    assert.equal(oc[i], oi[i] / oi[i - 20] - 1);
    assert.equal(od[i], oc[i] - r20[i]);
    assert.ok(rsi[i] >= 0 && rsi[i] <= 100);
  }
});

Deno.test("funding_rate is the last settled rate, forward-filled, 0 before the first settlement", () => {
  const md = randomWalkMarket(300, { fundingEvery: 50 });
  const fm = computeFeatures(md);
  const f = featureColumn(fm, "funding_rate");
  const fr = md.fundingRate!;
  // settlements on bars 49, 99, 149, …
  for (let i = 33; i < 49; i++) assert.equal(f[i], 0);
  for (let i = 49; i < 99; i++) assert.equal(f[i], fr[49]);
  for (let i = 99; i < 149; i++) assert.equal(f[i], fr[99]);
  assert.equal(f[299], fr[299]);
});

Deno.test("missing OI and funding: neutral 0, available=false, pipeline keeps working", () => {
  const md = randomWalkMarket(200, { withOi: false, withFunding: false });
  const fm = computeFeatures(md);
  assert.deepEqual(fm.available, { openInterest: false, funding: false });
  assert.equal(fm.firstValidRow, FEATURE_WARMUP);
  for (const name of ["oi_change_20", "oi_price_divergence_20", "funding_rate"]) {
    const col = featureColumn(fm, name);
    for (let i = fm.firstValidRow; i < fm.rows; i++) assert.equal(col[i], 0, `${name}[${i}]`);
  }
  // OI present but all NaN counts as absent.
  const md2 = randomWalkMarket(200);
  md2.openInterest!.fill(NaN);
  md2.fundingRate!.fill(NaN);
  assert.deepEqual(computeFeatures(md2).available, { openInterest: false, funding: false });
  // OI unknown for a stretch: neutral 0 on rows whose window touches it, rows stay valid.
  const md3 = randomWalkMarket(200);
  md3.openInterest!.fill(NaN, 100, 110);
  const fm3 = computeFeatures(md3);
  const oc = featureColumn(fm3, "oi_change_20");
  assert.equal(oc[105], 0);
  assert.equal(oc[125], 0); // i − 20 = 105 unknown
  assert.notEqual(oc[131], 0);
  assert.equal(fm3.valid[105], 1);
});

Deno.test("causality: perturbing any bar after t leaves every feature at rows ≤ t bit-identical", () => {
  const base = randomWalkMarket(500, { fundingEvery: 40 });
  const ref = computeFeatures(base);
  const rng = new Rng(123);
  for (let trial = 0; trial < 12; trial++) {
    const t = 30 + rng.int(440);
    const md = cloneMarket(base);
    // Perturb every column of every bar after t (and one bar heavily).
    for (let i = t + 1; i < md.time.length; i++) {
      const f = 1 + 0.05 * rng.normal();
      md.open[i] *= f;
      md.close[i] *= 1 + 0.05 * rng.normal();
      md.high[i] = Math.max(md.open[i], md.close[i]) * 1.01;
      md.low[i] = Math.min(md.open[i], md.close[i]) * 0.99;
      md.volume[i] *= 3;
      md.openInterest![i] *= 1.5;
      md.fundingRate![i] = 0.01;
    }
    const fm = computeFeatures(md);
    const end = (t + 1) * ref.cols;
    for (let k = 0; k < end; k++) {
      assert.ok(Object.is(fm.data[k], ref.data[k]), `t=${t} row ${Math.floor(k / ref.cols)}`);
    }
    assert.deepEqual(fm.valid.subarray(0, t + 1), ref.valid.subarray(0, t + 1));
    // …and the future did change.
    assert.notDeepEqual(fm.data.subarray(end), ref.data.subarray(end));
  }
});

Deno.test("bad input: too short, NaN, non-positive price → DataError naming the bar", () => {
  assert.throws(() => computeFeatures(randomWalkMarket(FEATURE_WARMUP)), DataError);
  const ok = computeFeatures(randomWalkMarket(FEATURE_WARMUP + 1));
  assert.equal(ok.firstValidRow, FEATURE_WARMUP);
  const md = randomWalkMarket(200);
  md.close[150] = NaN;
  assert.throws(() => computeFeatures(md), (e: unknown) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, /bar 150/);
    assert.match(e.message, /close/);
    return true;
  });
  const md2 = randomWalkMarket(200);
  md2.low[10] = 0;
  assert.throws(() => computeFeatures(md2), DataError);
  const md3 = randomWalkMarket(200);
  md3.volume[10] = -1;
  assert.throws(() => computeFeatures(md3), DataError);
  assert.throws(
    () => computeFeatures(md3, { nanPolicy: "bogus" as "error" }),
    DataError,
  );
});

Deno.test('nanPolicy "invalidate": bad bars and the warm-up after them are invalid, no NaN leaks', () => {
  const md = randomWalkMarket(300);
  md.close[150] = NaN;
  const fm = computeFeatures(md, { nanPolicy: "invalidate" });
  const ref = computeFeatures(randomWalkMarket(300));
  assert.equal(fm.firstValidRow, FEATURE_WARMUP);
  // Rows before the bad bar are unchanged (causal).
  for (let k = 0; k < 150 * fm.cols; k++) assert.ok(Object.is(fm.data[k], ref.data[k]));
  // The bad bar and the re-warm-up after it are invalid; the indicators restart at 151.
  for (let i = 150; i < 151 + FEATURE_WARMUP; i++) assert.equal(fm.valid[i], 0, `row ${i}`);
  for (let i = 151 + FEATURE_WARMUP; i < 300; i++) assert.equal(fm.valid[i], 1, `row ${i}`);
  for (let i = 0; i < fm.rows; i++) {
    const row = fm.data.subarray(i * fm.cols, (i + 1) * fm.cols);
    if (fm.valid[i]) assert.ok(row.every(Number.isFinite), `valid row ${i} has NaN`);
    else assert.ok(row.every(Number.isNaN), `invalid row ${i} is not all-NaN`);
  }
});

Deno.test("constant price and zero volume give documented neutral features, never NaN", () => {
  const n = 120;
  const c = new Float64Array(n).fill(100);
  const md = {
    symbol: "FLAT",
    interval: "5m",
    intervalMs: 300_000,
    time: Float64Array.from({ length: n }, (_, i) => i * 300_000),
    open: c,
    high: c,
    low: c,
    close: c,
    volume: new Float64Array(n),
  };
  const fm = computeFeatures(md);
  assert.equal(fm.firstValidRow, FEATURE_WARMUP);
  const expect: Record<string, number> = {
    return_20: 0,
    atr_14: 0,
    natr: 0,
    rsi_14: 50,
    bb_position: 0.5,
    volume_ratio: 1,
    oi_change_20: 0,
    oi_price_divergence_20: 0,
    funding_rate: 0,
    return_1: 0,
    return_5: 0,
    realized_vol_20: 0,
    macd_hist_norm: 0,
    ema_slope_20: 0,
  };
  for (const name of fm.names) {
    assert.ok(name in expect, `add ${name} to this test`);
    const col = featureColumn(fm, name);
    for (let i = fm.firstValidRow; i < n; i++) assert.equal(col[i], expect[name], `${name}[${i}]`);
  }
});
