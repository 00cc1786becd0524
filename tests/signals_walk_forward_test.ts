import assert from "node:assert/strict";
import { computeFeatures } from "@lib/features/mod.ts";
import {
  buildSignals,
  loadSignalModel,
  makeLabels,
  predictSignals,
  saveSignalModel,
  selectTrainingRows,
  type SignalOptions,
} from "@lib/signals/mod.ts";
import { ConfigError, DataError, ModelError, Rng } from "@lib/util/mod.ts";
import { cloneMarket, randomWalkMarket } from "./features_fixture.ts";

// Small and fast: the point here is the plumbing, not the signal quality.
const FAST: SignalOptions = { folds: 3, epochs: 2, hidden: [8], batchSize: 128, seed: 5 };

Deno.test("purge and embargo: no training label window reaches the test window", () => {
  const md = randomWalkMarket(3000);
  const fm = computeFeatures(md);
  const labels = makeLabels(md, { horizon: 12 });
  const fold = { train: { start: 0, end: 2000 }, test: { start: 2000, end: 2500 } };
  const rows = selectTrainingRows(fm, labels, fold, { horizon: 12, embargo: 7 });
  assert.equal(rows[0], Math.max(fm.firstValidRow, labels.volWindow));
  assert.equal(rows[rows.length - 1], 2000 - 12 - 7 - 1);
  for (const t of rows) {
    assert.ok(t + 12 + 7 < 2000);
    assert.ok(labels.label[t] >= 0 && fm.valid[t] === 1);
  }
});

Deno.test("walk-forward: folds purge + embargo, predictions only out of sample", async () => {
  const md = randomWalkMarket(4000);
  const fm = computeFeatures(md);
  const run = await buildSignals(md, fm, { ...FAST, embargo: 6 });
  const { folds, config } = run.model;
  assert.equal(folds.length, 3);
  assert.equal(config.embargo, 6);
  assert.equal(config.horizon, 12);
  for (let k = 0; k < folds.length; k++) {
    const f = folds[k];
    assert.equal(f.train.end, f.test.start - 12 - 6, "gap = purge (horizon) + embargo");
    assert.equal(f.train.start, fm.firstValidRow);
    if (k > 0) assert.equal(f.test.start, folds[k - 1].test.end);
    assert.equal(f.times.testStart, md.time[f.test.start]);
    assert.ok(f.trainRows > 0 && f.trainRows <= f.train.end - f.train.start);
    assert.equal(f.normalizer.fitRange[1], f.train.end);
    assert.equal(f.losses.length, 2);
  }
  assert.equal(folds[2].test.end, 4000);
  const s = run.signals;
  assert.equal(s.horizon, 12);
  for (let i = 0; i < 4000; i++) {
    if (i < folds[0].test.start) {
      assert.equal(s.signal[i], -1, `bar ${i} before the first test window`);
      assert.equal(s.available[i], 0);
      assert.ok(Number.isNaN(s.confidence[i]) && Number.isNaN(s.target[i]));
    } else {
      assert.equal(s.available[i], 1);
      assert.ok(s.signal[i] >= 0 && s.signal[i] <= 2);
      assert.ok(s.confidence[i] >= 1 / 3 - 1e-6 && s.confidence[i] <= 1);
      const p = run.probs.subarray(i * 3, i * 3 + 3);
      assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-5);
      assert.equal(s.confidence[i], Math.max(p[0], p[1], p[2]));
      assert.ok(Number.isFinite(s.target[i]));
    }
  }
  // target = Σ p_c · mean training forward return of class c, within [down mean, up mean].
  const m = folds[1].classMeanReturn;
  assert.ok(m[0] < 0 && m[2] > 0, `class means ${m}`);
  const i = folds[1].test.start + 10;
  const p = run.probs.subarray(i * 3, i * 3 + 3);
  assert.ok(Math.abs(run.signals.target[i] - (p[0] * m[0] + p[1] * m[1] + p[2] * m[2])) < 1e-15);
  // Diagnostics cover exactly the labelled out-of-sample rows.
  let scored = 0;
  for (let j = folds[0].test.start; j < 4000; j++) if (run.labels.label[j] >= 0) scored++;
  assert.equal(run.diagnostics.model.count, scored);
  assert.equal(run.diagnostics.perFold.length, 3);
});

Deno.test("no look-ahead: changing bars after t leaves every signal at bars ≤ t identical", async () => {
  const md = randomWalkMarket(4000);
  const fm = computeFeatures(md);
  const a = await buildSignals(md, fm, FAST);
  const t = a.model.folds[1].test.start + 100; // inside fold 1's test window
  const md2 = cloneMarket(md);
  const rng = new Rng(9);
  for (let i = t + 1; i < 4000; i++) {
    md2.close[i] *= 1 + 0.02 * rng.normal();
    md2.high[i] = Math.max(md2.high[i], md2.close[i]);
    md2.low[i] = Math.min(md2.low[i], md2.close[i]);
  }
  const b = await buildSignals(md2, computeFeatures(md2), FAST);
  for (let i = 0; i <= t; i++) {
    assert.equal(b.signals.signal[i], a.signals.signal[i], `signal at ${i}`);
    assert.ok(Object.is(b.signals.confidence[i], a.signals.confidence[i]), `confidence at ${i}`);
    assert.ok(Object.is(b.signals.target[i], a.signals.target[i]), `target at ${i}`);
  }
  // The later fold's model did see the change (it trained on it).
  let differ = 0;
  for (let i = a.model.folds[2].test.start; i < 4000; i++) {
    if (!Object.is(b.signals.confidence[i], a.signals.confidence[i])) differ++;
  }
  assert.ok(differ > 0);
});

Deno.test("deterministic: same seed → bit-identical signals; another seed → different", async () => {
  const md = randomWalkMarket(3000);
  const fm = computeFeatures(md);
  const a = await buildSignals(md, fm, FAST);
  const b = await buildSignals(md, fm, FAST);
  assert.deepEqual(b.signals.signal, a.signals.signal);
  assert.deepEqual(b.probs, a.probs);
  assert.deepEqual(b.signals.target, a.signals.target);
  const c = await buildSignals(md, fm, { ...FAST, seed: 6 });
  assert.notDeepEqual(c.probs, a.probs);
});

Deno.test("save/load reproduces the run's signals exactly; corrupt files are ModelErrors", async () => {
  const md = randomWalkMarket(3000);
  const fm = computeFeatures(md);
  const run = await buildSignals(md, fm, FAST);
  const dir = await Deno.makeTempDir({ prefix: "signals_test_" });
  try {
    await saveSignalModel(dir, run.model, { meta: { symbol: md.symbol } });
    const loaded = await loadSignalModel(dir);
    assert.deepEqual(loaded.config, run.model.config);
    assert.deepEqual(loaded.folds, run.model.folds);
    assert.deepEqual(loaded.meta, { symbol: "TESTUSDT" });
    const again = await predictSignals(loaded, fm);
    assert.deepEqual(again.signals.signal, run.signals.signal);
    assert.deepEqual(again.probs, run.probs);
    assert.deepEqual(again.signals.target, run.signals.target);
    // Extending to new bars uses the last fold's model, trained before them.
    const longer = computeFeatures(randomWalkMarket(3200));
    const ext = await predictSignals(loaded, longer, { extend: true });
    assert.equal(ext.signals.available[3100], 1);
    const noExt = await predictSignals(loaded, longer);
    assert.equal(noExt.signals.available[3100], 0);
    // Re-predicting on different data is refused.
    const shifted = { ...fm, time: fm.time.map((x) => x + 300_000) };
    await assert.rejects(() => predictSignals(loaded, shifted), DataError);
    await Deno.writeTextFile(`${dir}/fold_0.model.json`, "{not json");
    await assert.rejects(() => loadSignalModel(dir), ModelError);
    await assert.rejects(() => loadSignalModel(`${dir}/missing`), ModelError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad options and mismatched inputs are typed errors", async () => {
  const md = randomWalkMarket(600);
  const fm = computeFeatures(md);
  await assert.rejects(() => buildSignals(md, fm, { ...FAST, folds: 20 }), ConfigError);
  await assert.rejects(() => buildSignals(md, fm, { ...FAST, embargo: -1 }), ConfigError);
  await assert.rejects(() => buildSignals(md, fm, { ...FAST, epochs: 0 }), ConfigError);
  await assert.rejects(
    () => buildSignals(randomWalkMarket(700), fm, FAST),
    DataError,
  );
});
