/**
 * A sweep's `fold` axis now reaches the train CLI (issue 19: `--fold` / `--folds` are real
 * RunConfig keys): `checkSweepKeys` stops treating `fold` as a label once `train --help`
 * declares it, and `runLocalSweep` (the one-call API for notebook 08) trains each cell on its
 * own walk-forward fold — different test windows per fold, recorded in each run's manifest.
 *
 * Cannot catch: statistical properties of walk-forward results (budgets here are tiny).
 * Runtime ≈ 15 s (train --help probe plus two tiny training subprocesses).
 */
import assert from "node:assert/strict";
import {
  checkSweepKeys,
  expandGrid,
  parseSweepSpec,
  runLocalSweep,
} from "../lib/experiment/sweep/mod.ts";
import { ConfigError } from "../lib/util/mod.ts";

Deno.test("sweep: fold is a label only when the train CLI lacks --fold", async () => {
  const spec = parseSweepSpec({ grid: { fold: [0, 1], seed: [0] } });
  const cells = await expandGrid(spec);
  const withFold = checkSweepKeys(spec, cells, new Set(["seed", "fold", "folds"]));
  assert.deepEqual(withFold.spec.passThrough, []);
  assert.equal(withFold.foldIsLabel, false);
  const without = checkSweepKeys(spec, cells, new Set(["seed"]));
  assert.deepEqual(without.spec.passThrough, ["fold"]);
  assert.equal(without.foldIsLabel, true);
  const bad = parseSweepSpec({ grid: { nope: [1] } });
  const badCells = await expandGrid(bad);
  assert.throws(
    () => checkSweepKeys(bad, badCells, new Set(["seed"])),
    (e) => e instanceof ConfigError && /the train CLI has no option --nope/.test(e.message),
  );
});

Deno.test("runLocalSweep: a fold axis trains each cell on its own walk-forward fold", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep_fold_" });
  try {
    const { cells, manifest, results } = await runLocalSweep({
      base: {
        bars: 6000,
        signals: "none",
        timesteps: 256,
        "n-steps": 128,
        "episode-length": 256,
        "eval-freq": 0,
        "checkpoint-freq": 0,
        backend: "cpu",
        folds: 2,
        seed: 0,
      },
      grid: { fold: [0, 1] },
      evaluate: "off",
    }, { out, workers: 1 });
    assert.equal(cells.length, 2);
    assert.deepEqual(cells.map((c) => c.trainConfig.fold), [0, 1], "fold sent to train");
    assert.ok(manifest.cells.every((c) => c.status === "completed"), JSON.stringify(manifest));
    const tests = [];
    for (const c of manifest.cells) {
      const m = JSON.parse(await Deno.readTextFile(`${c.runDir}/manifest.json`));
      assert.deepEqual(m.data.split.fold, { index: c.config.fold, folds: 2 });
      tests.push(m.data.split.ranges.test);
    }
    assert.ok(tests[0].end <= tests[1].start, `fold test windows differ: ${JSON.stringify(tests)}`);
    assert.equal(tests[1].end, 6000);
    assert.deepEqual(results.walkForward.map((r) => r.fold), [0, 1]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
