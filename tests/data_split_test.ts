/** Chronological splits and walk-forward folds: boundaries, purge/embargo gaps, bad input. */
import assert from "node:assert/strict";
import {
  type Fold,
  rangeLength,
  splitByDate,
  splitByFraction,
  walkForwardFolds,
} from "../lib/data/mod.ts";
import { ConfigError } from "../lib/util/mod.ts";

Deno.test("splitByFraction: default 0.6/0.15/0.25 covers every bar once, in order", () => {
  const s = splitByFraction(1000);
  assert.deepEqual(s, {
    train: { start: 0, end: 600 },
    validation: { start: 600, end: 750 },
    test: { start: 750, end: 1000 },
  });
  const s2 = splitByFraction(210_240);
  assert.equal(s2.train.end, Math.floor(210_240 * 0.6));
  assert.equal(s2.test.end, 210_240);
  // On the default 24-month synthetic market the test split is six months of 5-minute bars.
  assert.equal(rangeLength(s2.test), 52_560);
  assert.equal(rangeLength(s2.train) + rangeLength(s2.validation) + rangeLength(s2.test), 210_240);
});

Deno.test("splitByFraction: purge + embargo are cut from the start of validation and test", () => {
  const s = splitByFraction(1000, {
    train: 0.7,
    validation: 0.15,
    test: 0.15,
    purge: 12,
    embargo: 5,
  });
  assert.deepEqual(s.train, { start: 0, end: 700 });
  assert.deepEqual(s.validation, { start: 717, end: 850 });
  assert.deepEqual(s.test, { start: 867, end: 1000 });
  // A 12-bar label on the last training row (699) reads up to bar 711 < 717.
  assert.ok(s.train.end - 1 + 12 < s.validation.start);
  assert.ok(s.validation.end - 1 + 12 < s.test.start);
});

Deno.test("splitByFraction: fractions below 1 leave the tail unused; bad input throws", () => {
  const s = splitByFraction(100, { train: 0.5, validation: 0.2, test: 0.2 });
  assert.deepEqual(s.test, { start: 70, end: 90 });
  assert.throws(
    () => splitByFraction(100, { train: 0.8, validation: 0.2, test: 0.2 }),
    ConfigError,
  );
  assert.throws(() => splitByFraction(100, { train: -0.1 }), /train/);
  assert.throws(() => splitByFraction(100, { purge: 1.5 }), /purge/);
  assert.throws(() => splitByFraction(0), /positive bar count/);
});

Deno.test("splitByDate: boundaries at the first bar with open time ≥ the date (UTC)", () => {
  const t0 = Date.UTC(2024, 0, 1);
  const time = Float64Array.from({ length: 24 * 10 }, (_, i) => t0 + i * 3_600_000); // 10 days hourly
  const s = splitByDate(time, { validationStart: "2024-01-08", testStart: "2024-01-09T12:00:00Z" });
  assert.deepEqual(s.train, { start: 0, end: 7 * 24 });
  assert.deepEqual(s.validation, { start: 7 * 24, end: 8 * 24 + 12 });
  assert.deepEqual(s.test, { start: 8 * 24 + 12, end: 240 });
  // A date without offset is UTC, never local time; epoch ms works too.
  const s2 = splitByDate(time, {
    validationStart: "2024-01-08 00:00:00",
    testStart: Date.UTC(2024, 0, 9, 12),
    purge: 2,
  });
  assert.deepEqual(s2.validation, { start: 7 * 24 + 2, end: 8 * 24 + 12 });
  assert.deepEqual(s2.test, { start: 8 * 24 + 14, end: 240 });
  assert.throws(
    () => splitByDate(time, { validationStart: "2024-01-09", testStart: "2024-01-08" }),
    /validationStart/,
  );
  assert.throws(
    () => splitByDate(time, { validationStart: "soon", testStart: "2024-01-08" }),
    /not a valid date/,
  );
});

function checkFolds(folds: Fold[], n: number, gap: number): void {
  for (let i = 0; i < folds.length; i++) {
    const f = folds[i];
    assert.ok(f.train.start >= 0 && f.train.end > f.train.start);
    assert.equal(f.test.start - f.train.end, gap, `fold ${i}: gap`);
    assert.ok(f.test.end <= n);
    if (i > 0) assert.equal(f.test.start, folds[i - 1].test.end, "test windows are consecutive");
  }
  assert.equal(folds[folds.length - 1].test.end, n);
}

Deno.test("walkForwardFolds: expanding folds with purge + embargo", () => {
  const folds = walkForwardFolds(1000, { folds: 4, testSize: 100, purge: 12, embargo: 3 });
  assert.equal(folds.length, 4);
  checkFolds(folds, 1000, 15);
  assert.deepEqual(folds[0], { train: { start: 0, end: 585 }, test: { start: 600, end: 700 } });
  assert.deepEqual(folds[3], { train: { start: 0, end: 885 }, test: { start: 900, end: 1000 } });
  for (const f of folds) assert.equal(f.train.start, 0);
});

Deno.test("walkForwardFolds: rolling folds keep a fixed training length", () => {
  const folds = walkForwardFolds(1000, { folds: 3, mode: "rolling", trainSize: 300, purge: 10 });
  checkFolds(folds, 1000, 10);
  for (const f of folds) assert.equal(rangeLength(f.train), 300);
  assert.deepEqual(folds[0], { train: { start: 0, end: 300 }, test: { start: 310, end: 540 } });
  assert.deepEqual(folds[2], { train: { start: 460, end: 760 }, test: { start: 770, end: 1000 } });
});

Deno.test("walkForwardFolds: default test size and impossible layouts", () => {
  const folds = walkForwardFolds(600, { folds: 5, minTrain: 100 });
  assert.equal(folds.length, 5);
  assert.equal(rangeLength(folds[0].test), 100);
  assert.equal(folds[0].train.end, 100);
  assert.throws(() => walkForwardFolds(100, { folds: 5, testSize: 30 }), /does not fit/);
  assert.throws(() => walkForwardFolds(10, { folds: 20 }), /not enough bars/);
  assert.throws(() => walkForwardFolds(100, { folds: 0 }), /folds/);
  assert.throws(
    () => walkForwardFolds(100, { mode: "sideways" as unknown as "rolling" }),
    /mode/,
  );
});
