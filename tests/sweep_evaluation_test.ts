/**
 * The sweep's default comparison is the held-out test split of `deno task evaluate` (the
 * sweep's evaluate step): best model vs fixed-rule baseline Sharpe from each run's
 * `evaluation.json`, paired per cell and per fold; without any evaluation.json it falls back
 * to the validation comparison of the run manifests. One tiny real sweep (2 cells, real
 * training and the real evaluate task): ≈ 15–30 s.
 *
 * What these tests cannot catch: whether the agents are any good (budgets far too small), or
 * the statistics of the interval (aggregate tests in sweep_test.ts).
 */
import assert from "node:assert/strict";
import {
  aggregateResults,
  type CellRecord,
  DEFAULT_COMPARE,
  type MetricValues,
  readRunSummary,
  runLocalSweep,
  VALIDATION_COMPARE,
} from "../lib/experiment/sweep/mod.ts";
import { evaluateRuns, sweepRunRefs } from "../lib/experiment/evaluate_run.ts";
import { sweepComparisonRows } from "../lib/report/tables_sweep.ts";

function record(id: string, seed: number, fold: number): CellRecord {
  return {
    id,
    label: id,
    config: { seed, fold },
    status: "completed",
    attempts: 1,
    errors: [],
    runDir: `/x/${id}`,
  } as unknown as CellRecord;
}

Deno.test("sweep aggregate: the default comparison is the test-split RL vs baseline Sharpe per fold, else validation's", () => {
  const recs = [record("a", 0, 0), record("b", 1, 0), record("c", 0, 1), record("d", 1, 1)];
  const evaluated = new Map<string, MetricValues>([
    ["a", {
      "evaluation.test.rl.sharpe": 1,
      "evaluation.test.baseline.sharpe": 0.5,
      "validation.final.sharpe": 9,
      "validation.random.sharpe": 0,
    }],
    ["b", { "evaluation.test.rl.sharpe": 0, "evaluation.test.baseline.sharpe": 0.5 }],
    ["c", { "evaluation.test.rl.sharpe": 2, "evaluation.test.baseline.sharpe": -1 }],
    ["d", { "evaluation.test.rl.sharpe": 3, "evaluation.test.baseline.sharpe": -1 }],
  ]);
  const r = aggregateResults(recs, evaluated);
  assert.ok(r.comparisons.every((c) => c.rl === DEFAULT_COMPARE[0].rl));
  const byFold = (f: number | "all") => r.comparisons.find((c) => c.fold === f)!;
  assert.deepEqual(byFold(0).diffs, [0.5, -0.5]);
  assert.deepEqual(byFold(1).diffs, [3, 4]);
  assert.equal(byFold(1).wins, 2);
  assert.equal(byFold("all").diffs.length, 4);
  // no evaluation.json anywhere: the validation comparison of the manifests
  const plain = new Map<string, MetricValues>([
    ["a", {
      "validation.final.sharpe": 1,
      "validation.random.sharpe": 0,
      "validation.alwaysFlat.sharpe": 0,
    }],
    ["b", {
      "validation.final.sharpe": 2,
      "validation.random.sharpe": 1,
      "validation.alwaysFlat.sharpe": 0,
    }],
  ]);
  const v = aggregateResults(recs.slice(0, 2), plain);
  assert.deepEqual(
    [...new Set(v.comparisons.map((c) => `${c.rl}-${c.baseline}`))],
    VALIDATION_COMPARE.map((c) => `${c.rl}-${c.baseline}`),
  );
});

Deno.test({
  name:
    "tiny real sweep (2 cells): deno task evaluate runs per cell and the comparison pairs each run's evaluation.json",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "rlt-sweep-eval-" });
    try {
      const wf = await runLocalSweep({
        name: "eval-compare",
        base: {
          timesteps: 1024,
          bars: 3000,
          signals: "none",
          "eval-freq": 512,
          "checkpoint-freq": 0,
          "n-steps": 256,
          "episode-length": 256,
        },
        grid: { seed: [0, 1] },
      }, { out: dir, workers: 2 });
      assert.equal(wf.manifest.status, "completed");
      const [cmp] = wf.results.comparisons.filter((c) => c.fold === "all");
      assert.equal(cmp.rl, "evaluation.test.rl.sharpe");
      assert.equal(cmp.baseline, "evaluation.test.baseline.sharpe");
      assert.equal(cmp.diffs.length, 2);
      for (const [i, cell] of wf.manifest.cells.entries()) {
        const ev = JSON.parse(await Deno.readTextFile(`${cell.runDir}/evaluation.json`));
        const boot = ev.bootstrap[0];
        assert.equal(boot.run, "best model");
        assert.ok(Math.abs(cmp.diffs[i] - (boot.sharpeRl - boot.sharpeBaseline)) < 1e-12);
        const s = await readRunSummary(cell.runDir!);
        const base = ev.rows.find((r: { name: string }) => r.name === "fixed-rule baseline");
        assert.equal(s.metrics["evaluation.test.baseline.totalReturn"], base.totalReturn);
      }
      // the notebook's path: the sweep's runs evaluated together on one setup give the same
      // model and baseline Sharpe as each cell's own evaluate step
      const refs = sweepRunRefs(wf.manifest, { which: () => ["best"] });
      assert.deepEqual(refs.map((r) => r.label), ["ppo s0", "ppo s1"]);
      const together = await evaluateRuns(refs, { bootstrap: { samples: 200 } });
      for (const [i, cell] of wf.manifest.cells.entries()) {
        const ev = JSON.parse(await Deno.readTextFile(`${cell.runDir}/evaluation.json`));
        const t = together.vsBaseline!.tests[i].test;
        assert.ok(Math.abs(t.sharpeA - ev.bootstrap[0].sharpeRl) < 1e-9);
        assert.ok(Math.abs(t.sharpeB - ev.bootstrap[0].sharpeBaseline) < 1e-9);
      }
      const rows = sweepComparisonRows(wf.results);
      assert.equal(rows.length, wf.results.comparisons.length);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
