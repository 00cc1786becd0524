/**
 * Feature families (`--features -oi`) and the normaliser's variance floor for features that
 * were constant in training (issue 19, point 3). The floor test compares with the real
 * alternative (plain z-scoring on the tiny spread) to show the failure it prevents.
 * Cannot catch: the observation normaliser of lib/agents (a separate running normaliser).
 */
import assert from "node:assert/strict";
import {
  applyNormalizer,
  computeFeatures,
  FEATURE_FAMILIES,
  FEATURE_NAMES,
  featureColumn,
  fitNormalizer,
  normalizerFromJson,
  normalizerToJson,
  parseFeatureSelection,
} from "@lib/features/mod.ts";
import { ConfigError } from "@lib/util/mod.ts";
import { randomWalkMarket } from "./features_fixture.ts";

Deno.test("families partition the feature columns", () => {
  const all = Object.values(FEATURE_FAMILIES).flat().sort();
  assert.deepEqual(all, [...FEATURE_NAMES].sort());
});

Deno.test("--features parsing: -oi, -funding, both, all; anything else is a --features error", () => {
  assert.deepEqual(parseFeatureSelection("-oi"), { exclude: ["oi"] });
  assert.deepEqual(parseFeatureSelection("-oi,-funding"), { exclude: ["funding", "oi"] });
  assert.deepEqual(parseFeatureSelection("all"), { exclude: [] });
  assert.deepEqual(parseFeatureSelection(undefined), { exclude: [] });
  for (const bad of ["oi", "-price", "-volume", "+oi", "-xyz"]) {
    assert.throws(
      () => parseFeatureSelection(bad),
      (e: Error) => e instanceof ConfigError && /^--features: cannot parse/.test(e.message),
      bad,
    );
  }
});

Deno.test("excluding a family: neutral columns and availability false, other columns unchanged", () => {
  const md = randomWalkMarket(400);
  const full = computeFeatures(md);
  assert.equal(full.available.openInterest, true);
  const noOi = computeFeatures(md, { exclude: ["oi"] });
  assert.equal(noOi.available.openInterest, false);
  assert.equal(noOi.available.funding, true);
  assert.deepEqual(noOi.excluded, ["oi"]);
  for (const name of FEATURE_NAMES) {
    const a = featureColumn(full, name);
    const b = featureColumn(noOi, name);
    for (let i = full.firstValidRow; i < full.rows; i++) {
      if (FEATURE_FAMILIES.oi.includes(name)) assert.equal(b[i], 0, `${name} ${i}`);
      else assert.ok(Object.is(a[i], b[i]), `${name} ${i}`);
    }
  }
  // Same as data without OI at all.
  const absent = computeFeatures({ ...md, openInterest: undefined });
  assert.deepEqual(Array.from(absent.data), Array.from(noOi.data));
  const noF = computeFeatures(md, { exclude: ["funding"] });
  assert.equal(noF.available.funding, false);
  assert.ok(featureColumn(noF, "funding_rate").every((v, i) => i < noF.firstValidRow || v === 0));
  assert.throws(
    () => computeFeatures(md, { exclude: ["price"] }),
    /cannot exclude feature family "price"/,
  );
});

Deno.test("variance floor: a feature (almost) constant in training never saturates later", () => {
  // OI known on the last 30 % of the bars; oi_change_20 non-zero on < 1 % of training rows.
  const n = 2000;
  const md = randomWalkMarket(n);
  const trainEnd = 1400;
  const oi = md.openInterest!;
  for (let i = 0; i < trainEnd - 30; i++) oi[i] = NaN; // OI on the last 30 training bars
  const fm = computeFeatures(md);
  const j = fm.names.indexOf("oi_change_20");
  const stats = fitNormalizer(fm, { end: trainEnd });
  assert.ok(stats.constant!.includes("oi_change_20"), String(stats.constant));
  assert.equal(stats.center[j], 0);
  assert.equal(stats.scale[j], 1);
  const z = applyNormalizer(fm, stats);
  let later = 0;
  for (let i = trainEnd; i < n; i++) {
    const raw = fm.data[i * fm.cols + j];
    const v = z.data[i * fm.cols + j];
    assert.ok(Math.abs(v) < 1, `row ${i}: ${v}`);
    assert.equal(v, raw); // centred on 0, own unit
    if (raw !== 0) later++;
  }
  assert.ok(later > 500, String(later));
  // The alternative (no floor: constantShare 0) z-scores on the tiny training spread and
  // saturates the ±10 clip on real later values — the failure of issue 19.
  const plain = fitNormalizer(fm, { end: trainEnd, constantShare: 0 });
  assert.ok(!plain.constant!.includes("oi_change_20"));
  const zp = applyNormalizer(fm, plain);
  let clipped = 0;
  for (let i = trainEnd; i < n; i++) if (Math.abs(zp.data[i * fm.cols + j]) === 10) clipped++;
  assert.ok(clipped > 100, `clipped ${clipped}`);
  // Columns that vary are untouched; the list survives JSON.
  assert.ok(!stats.constant!.includes("return_20"));
  assert.deepEqual(normalizerFromJson(normalizerToJson(stats)).constant, stats.constant);
});
