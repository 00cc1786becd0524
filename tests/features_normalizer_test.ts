import assert from "node:assert/strict";
import {
  applyNormalizer,
  computeFeatures,
  featureColumn,
  fitNormalizer,
  normalizerFromJson,
  normalizeRow,
  normalizerToJson,
} from "@lib/features/mod.ts";
import { ConfigError, DataError, ModelError } from "@lib/util/mod.ts";
import { cloneMarket, randomWalkMarket } from "./features_fixture.ts";

Deno.test("z-score normaliser fitted on the training range: mean 0 / std 1 there", () => {
  const fm = computeFeatures(randomWalkMarket(600));
  const stats = fitNormalizer(fm, { end: 400, clip: null });
  assert.equal(stats.count, 400 - fm.firstValidRow);
  assert.deepEqual(stats.fitRange, [0, 400]);
  const z = applyNormalizer(fm, stats);
  for (const name of ["return_20", "rsi_14", "natr", "volume_ratio"]) {
    const col = featureColumn(z, name).subarray(fm.firstValidRow, 400);
    const m = col.reduce((s, x) => s + x, 0) / col.length;
    const v = col.reduce((s, x) => s + (x - m) ** 2, 0) / col.length;
    assert.ok(Math.abs(m) < 1e-9, `${name} mean ${m}`);
    assert.ok(Math.abs(v - 1) < 1e-9, `${name} var ${v}`);
  }
  // Invalid (warm-up) rows stay NaN.
  assert.ok(Number.isNaN(z.data[0]));
  assert.equal(z.valid[0], 0);
});

Deno.test("normaliser statistics depend only on the fit range (no test-split leakage)", () => {
  const md = randomWalkMarket(600);
  const a = fitNormalizer(computeFeatures(md), { start: 50, end: 300 });
  const md2 = cloneMarket(md);
  for (let i = 300; i < 600; i++) {
    md2.close[i] *= 2;
    md2.high[i] *= 2.1;
    md2.volume[i] *= 10;
  }
  const b = fitNormalizer(computeFeatures(md2), { start: 50, end: 300 });
  assert.deepEqual(a, b);
});

Deno.test("robust normaliser uses median and IQR/1.349; zero-spread columns are only centred", () => {
  const md = randomWalkMarket(400, { withOi: false, withFunding: false });
  const fm = computeFeatures(md);
  const stats = fitNormalizer(fm, { method: "robust" });
  const j = fm.names.indexOf("return_1");
  const col = featureColumn(fm, "return_1").subarray(fm.firstValidRow).slice().sort();
  const q = (p: number) => {
    const pos = (col.length - 1) * p;
    const lo = Math.floor(pos);
    return col[lo] + (col[Math.ceil(pos)] - col[lo]) * (pos - lo);
  };
  assert.equal(stats.center[j], q(0.5));
  assert.ok(Math.abs(stats.scale[j] - (q(0.75) - q(0.25)) / 1.349) < 1e-15);
  const k = fm.names.indexOf("funding_rate"); // absent → constant 0
  assert.equal(stats.scale[k], 1);
  assert.equal(stats.center[k], 0);
});

Deno.test("normaliser round-trips through JSON and re-applies identically to new rows", () => {
  const fm = computeFeatures(randomWalkMarket(500));
  const stats = fitNormalizer(fm, { end: 300, clip: 3 });
  const back = normalizerFromJson(normalizerToJson(stats));
  assert.deepEqual(back, stats);
  const z1 = applyNormalizer(fm, stats);
  const z2 = applyNormalizer(fm, back);
  assert.deepEqual(z1.data, z2.data);
  // Live row path gives the same numbers, clipped to ±3.
  const out = new Float64Array(fm.cols);
  const i = 450;
  normalizeRow(back, fm.data.subarray(i * fm.cols, (i + 1) * fm.cols), out);
  assert.deepEqual(out, z1.data.subarray(i * fm.cols, (i + 1) * fm.cols));
  assert.ok(z1.data.every((v) => Number.isNaN(v) || Math.abs(v) <= 3));
});

Deno.test("normaliser errors: bad range, no valid rows, column mismatch, corrupt JSON", () => {
  const fm = computeFeatures(randomWalkMarket(200));
  assert.throws(() => fitNormalizer(fm, { start: 10, end: 5 }), ConfigError);
  assert.throws(() => fitNormalizer(fm, { end: 20 }), DataError); // only warm-up rows
  const stats = fitNormalizer(fm);
  const other = { ...fm, names: fm.names.slice().reverse() };
  assert.throws(() => applyNormalizer(other, stats), DataError);
  assert.throws(() => normalizerFromJson("{"), ModelError);
  assert.throws(
    () => normalizerFromJson(JSON.stringify({ ...stats, scale: stats.scale.map(() => 0) })),
    ModelError,
  );
});
