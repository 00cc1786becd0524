import assert from "node:assert/strict";
import {
  calibrationFigure,
  confusionMatrixFigure,
  diagnosticsRows,
  featureCorrelation,
  featureCorrelationFigure,
  featureHistogramsFigure,
  featureSummaryRows,
  foldAccuracyFigure,
  foldRows,
  indicatorOverlayFigure,
  oiFundingFeaturesFigure,
  walkForwardTimelineFigure,
} from "@lib/report/mod.ts";
import { computeFeatures, featureColumn } from "@lib/features/mod.ts";
import { buildSignals } from "@lib/signals/mod.ts";
import { randomWalkMarket } from "./features_fixture.ts";

Deno.test("feature correlation: unit diagonal, symmetric, NaN for a constant column", () => {
  const fm = computeFeatures(randomWalkMarket(500, { withFunding: false }));
  const { names, matrix } = featureCorrelation(fm);
  const f = names.indexOf("funding_rate");
  for (let i = 0; i < names.length; i++) {
    if (i === f) {
      assert.ok(Number.isNaN(matrix[i][i]));
      continue;
    }
    assert.ok(Math.abs(matrix[i][i] - 1) < 1e-12, names[i]);
    for (let j = 0; j < names.length; j++) {
      assert.ok(
        Object.is(matrix[i][j], matrix[j][i]) || Math.abs(matrix[i][j] - matrix[j][i]) < 1e-12,
      );
    }
  }
  // natr and atr_14 move together on a random walk around 100.
  assert.ok(matrix[names.indexOf("atr_14")][names.indexOf("natr")] > 0.9);
  const fig = featureCorrelationFigure(fm);
  assert.equal((fig.data[0].z as unknown[]).length, names.length);
});

Deno.test("feature summary rows and figures describe the valid rows only", () => {
  const md = randomWalkMarket(400);
  const fm = computeFeatures(md);
  const rows = featureSummaryRows(fm);
  const r = rows.find((x) => x.feature === "rsi_14")!;
  assert.equal(r.unit, "0-100");
  const col = featureColumn(fm, "rsi_14").subarray(fm.firstValidRow);
  assert.equal(r.min, Math.min(...col));
  assert.equal(r.max, Math.max(...col));
  const h = featureHistogramsFigure(fm);
  assert.equal(h.data.length, fm.cols);
  const counts = h.data[0].y as number[];
  assert.equal(counts.length, 60);
  assert.equal(counts.reduce((a, b) => a + b, 0), fm.rows - fm.firstValidRow);
  const o = indicatorOverlayFigure(md, fm, { start: 100, end: 300 });
  assert.ok(o.data.every((t) => (t.x as unknown[]).length === 200));
  const oi = oiFundingFeaturesFigure(fm, { maxPoints: 50 });
  assert.ok((oi.data[0].x as unknown[]).length <= 50);
});

Deno.test("signal figures: one timeline segment per fold, confusion rows sum to 100 %", async () => {
  const md = randomWalkMarket(3000);
  const fm = computeFeatures(md);
  const run = await buildSignals(md, fm, { folds: 3, epochs: 1, hidden: [4], seed: 2 });
  const tl = walkForwardTimelineFigure(run.model, md.time);
  const test = tl.data[2];
  assert.equal((test.x as unknown[]).length, 3 * 3); // start, end, gap per fold
  assert.equal(
    (test.x as string[])[0],
    new Date(md.time[run.model.folds[0].test.start]).toISOString(),
  );
  const cm = confusionMatrixFigure(run.diagnostics.model);
  for (const row of cm.data[0].z as number[][]) {
    const s = row.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - 100) < 0.2, `row sums to ${s}`);
  }
  const cal = calibrationFigure(run.diagnostics.model);
  const n = run.diagnostics.model.calibration.reduce((a, b) => a + b.count, 0);
  assert.equal(n, run.diagnostics.model.count);
  assert.ok((cal.data[1].x as number[]).every((x) => x >= 1 / 3 - 1e-6 && x <= 1));
  assert.equal(foldAccuracyFigure(run.diagnostics).data.length, 6);
  assert.equal(diagnosticsRows(run.diagnostics)[0].rows, run.diagnostics.model.count);
  assert.equal(foldRows(run.model, run.diagnostics).length, 3);
});
