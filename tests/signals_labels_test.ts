import assert from "node:assert/strict";
import {
  expectedCalibrationError,
  makeLabels,
  scorePredictions,
  SIGNAL_CLASSES,
} from "@lib/signals/mod.ts";
import { ConfigError } from "@lib/util/mod.ts";
import { randomWalkMarket } from "./features_fixture.ts";

Deno.test("labels: forward return over H with a volatility-scaled dead zone", () => {
  const md = randomWalkMarket(400);
  const H = 5;
  const W = 20;
  const lab = makeLabels(md, { horizon: H, deadZone: 0.5, volWindow: W });
  assert.deepEqual(SIGNAL_CLASSES, ["down", "flat", "up"]);
  const c = md.close;
  let seen = [0, 0, 0];
  for (let t = 0; t < 400; t++) {
    if (t < W || t + H >= 400) {
      assert.equal(lab.label[t], -1, `bar ${t} must be unlabelled`);
      assert.ok(Number.isNaN(lab.forwardReturn[t]));
      continue;
    }
    const r: number[] = [];
    for (let k = t - W + 1; k <= t; k++) r.push(Math.log(c[k] / c[k - 1]));
    const m = r.reduce((a, b) => a + b, 0) / W;
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / W);
    const th = 0.5 * sd * Math.sqrt(H);
    const fr = c[t + H] / c[t] - 1;
    assert.ok(Math.abs(lab.threshold[t] - th) < 1e-15);
    assert.equal(lab.forwardReturn[t], fr);
    const want = fr > th ? 2 : fr < -th ? 0 : 1;
    assert.equal(lab.label[t], want);
    seen[want]++;
  }
  assert.ok(seen.every((k) => k > 30), `all classes occur: ${seen}`);
  seen = [0, 0, 0];
  // Default dead zone ≈ a third per class on a Gaussian random walk.
  const d = makeLabels(randomWalkMarket(6000, { seed: 3 }));
  for (const y of d.label) if (y >= 0) seen[y]++;
  const tot = seen[0] + seen[1] + seen[2];
  for (const k of seen) assert.ok(k / tot > 0.25 && k / tot < 0.42, `class shares ${seen}`);
});

Deno.test("labels: bad options are ConfigErrors", () => {
  const md = randomWalkMarket(100);
  assert.throws(() => makeLabels(md, { horizon: 0 }), ConfigError);
  assert.throws(() => makeLabels(md, { deadZone: -1 }), ConfigError);
  assert.throws(() => makeLabels(md, { volWindow: 1.5 }), ConfigError);
});

Deno.test("scorePredictions: accuracy, balanced accuracy, log-loss, confusion, calibration", () => {
  // rows: (true, pred, probs)
  const y = [0, 0, 1, 2, 2, 2, -1];
  const p = [0, 1, 1, 2, 2, 0, 2];
  const probs = [
    [0.7, 0.2, 0.1],
    [0.3, 0.5, 0.2],
    [0.2, 0.6, 0.2],
    [0.1, 0.1, 0.8],
    [0.2, 0.2, 0.6],
    [0.5, 0.1, 0.4],
    [0.1, 0.1, 0.8],
  ].flat();
  const r = scorePredictions(y, p, { probs, bins: 10 });
  assert.equal(r.count, 6);
  assert.equal(r.accuracy, 4 / 6);
  // recalls: down 1/2, flat 1/1, up 2/3
  assert.ok(Math.abs(r.balancedAccuracy - (0.5 + 1 + 2 / 3) / 3) < 1e-15);
  assert.deepEqual(r.confusion, [[1, 1, 0], [0, 1, 0], [1, 0, 2]]);
  assert.deepEqual(r.classCounts, [2, 1, 3]);
  const ll = -(Math.log(0.7) + Math.log(0.3) + Math.log(0.6) + Math.log(0.8) + Math.log(0.6) +
    Math.log(0.4)) / 6;
  assert.ok(Math.abs(r.logLoss - ll) < 1e-12);
  // confidences 0.7, 0.5, 0.6, 0.8, 0.6, 0.5 → bins 5 (two: 0.5, 0.5), 6 (two), 7, 8
  const b5 = r.calibration[5];
  assert.equal(b5.count, 2);
  assert.equal(b5.meanConfidence, 0.5);
  assert.equal(b5.accuracy, 0); // row 1 wrong (pred flat, true down), row 5 wrong
  assert.equal(r.calibration[6].count, 2);
  assert.equal(r.calibration[6].accuracy, 1);
  assert.equal(r.calibration[8].accuracy, 1);
  const ece = expectedCalibrationError(r.calibration);
  const want = (2 * 0.5 + 2 * 0.4 + 1 * 0.3 + 1 * 0.2) / 6;
  assert.ok(Math.abs(ece - want) < 1e-12, `${ece} vs ${want}`);
  // Hard predictions only: no log-loss, no calibration.
  const h = scorePredictions(y, p);
  assert.ok(Number.isNaN(h.logLoss));
  assert.deepEqual(h.calibration, []);
});
