/**
 * The dashboard's tolerant readers: metrics tailing by byte offset (torn last line, file
 * rewritten by a resume, garbage lines), run status (stale detection), evaluation shapes,
 * and a real `train` run folder read as data.
 * Cannot catch: fields a future writer renames (the readers then show "—"; the browser test
 * on a real training run is what notices).
 */
import assert from "node:assert/strict";
import {
  listRuns,
  normalizeEvaluation,
  readMetricsChunk,
  readRunDetail,
} from "@lib/dashboard/mod.ts";
import { drawdownOf, testSummary } from "../lib/dashboard/evaluation.ts";
import { resolveRunDir } from "../lib/dashboard/_paths.ts";
import { appendRow, updateRow, writeRun } from "./dashboard_fixtures.ts";

Deno.test("dashboard readers: metrics tail by byte offset keeps a torn last line for later", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/metrics.jsonl`;
  await Deno.writeTextFile(path, JSON.stringify(updateRow(1)) + "\n" + '{"type":"upd');
  const a = await readMetricsChunk(path, 0);
  assert.equal(a.rows.length, 1);
  assert.equal(a.reset, false);
  // the writer completes the torn line: the next read from `next` returns it
  await Deno.writeTextFile(path, 'ate","timesteps":1024,"loss":1}\n', { append: true });
  const b = await readMetricsChunk(path, a.next);
  assert.deepEqual(b.rows, [{ type: "update", timesteps: 1024, loss: 1 }]);
  // nothing new → same offset, no rows
  const c = await readMetricsChunk(path, b.next);
  assert.equal(c.rows.length, 0);
  assert.equal(c.next, b.next);
  // a garbage complete line is skipped and counted, the rest still arrives
  await Deno.writeTextFile(path, "not json\n" + JSON.stringify(updateRow(3)) + "\n", {
    append: true,
  });
  const d = await readMetricsChunk(path, c.next);
  assert.equal(d.rows.length, 1);
  assert.equal(d.skipped, 1);
  // rewritten shorter (a resume that truncates): restart from 0 with reset
  await Deno.writeTextFile(path, JSON.stringify(updateRow(1)) + "\n");
  const e = await readMetricsChunk(path, d.next);
  assert.equal(e.reset, true);
  assert.equal(e.rows.length, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("dashboard readers: a running run whose files stopped changing is stale", async () => {
  const models = await Deno.makeTempDir();
  const dir = await writeRun(models, "r", { status: "running" });
  const real = await Deno.realPath(models);
  const runDir = (await resolveRunDir(real, "r"))!;
  const now = Date.now();
  const fresh = await readRunDetail({ realRoot: real, dir: runDir, id: "r" }, {
    now: () => now,
    staleAfterMs: 60_000,
  });
  assert.equal(fresh.status, "running");
  const later = await readRunDetail({ realRoot: real, dir: runDir, id: "r" }, {
    now: () => now + 120_000,
    staleAfterMs: 60_000,
  });
  assert.equal(later.status, "stale");
  // steps while running come from the newest metrics row when it is ahead of the manifest
  await appendRow(dir, updateRow(50));
  const grown = await readRunDetail({ realRoot: real, dir: runDir, id: "r" }, {
    now: () => Date.now(),
  });
  assert.equal(grown.timesteps, 512 * 50);
  // a malformed manifest is a listed problem, not a crash
  await Deno.writeTextFile(`${dir}/manifest.json`, "{ not json");
  const broken = await listRuns(real, (id) => resolveRunDir(real, id));
  assert.equal(broken[0].status, "unknown");
  assert.ok(broken[0].problems.some((p) => p.startsWith("manifest.json")));
  await Deno.remove(models, { recursive: true });
});

Deno.test("dashboard readers: evaluation.json rows or groups, curves inline or apart, drawdown", () => {
  const rows = normalizeEvaluation({
    split: "test",
    rows: [
      { name: "final model", totalReturn: -0.02, sharpe: -0.5, equity: [100, 110, 99] },
      { name: "best model", totalReturn: 0.01, sharpe: 1.2, equity: [100, 101, 102] },
      { name: "fixed-rule baseline", totalReturn: 0.022, sharpe: 4.1, apiToken: "x" },
    ],
    targets: [{ target: "win rate", value: null, note: "n/a (too few trades)" }],
  });
  assert.equal(rows.split, "test");
  assert.deepEqual(rows.strategies.map((s) => s.name), [
    "final model",
    "best model",
    "fixed-rule baseline",
  ]);
  assert.deepEqual(rows.columns, ["totalReturn", "sharpe", "apiToken"]);
  assert.equal(rows.strategies[2].metrics.apiToken, "[redacted]");
  assert.deepEqual(rows.strategies[0].drawdown, [0, 0, 99 / 110 - 1]);
  assert.deepEqual(Object.keys(rows.tables), ["targets"]);
  assert.deepEqual(testSummary(rows), {
    split: "test",
    model: "best model",
    totalReturn: 0.01,
    sharpe: 1.2,
  });
  const groups = normalizeEvaluation({
    models: { final: { sharpe: 0.3 } },
    baselines: { buyHold: { sharpe: -1 } },
    curves: { final: { equity: [1, 2], time: [0, 300_000] }, buyHold: [1, 0.5] },
  });
  assert.deepEqual(groups.strategies.map((s) => s.name), ["final", "buyHold"]);
  assert.deepEqual(groups.strategies[0].time, [0, 300_000]);
  assert.deepEqual(groups.strategies[1].drawdown, [0, -0.5]);
  assert.equal(testSummary(groups)?.model, "final");
  assert.deepEqual(drawdownOf([2, NaN, 1]).map((x) => Number.isNaN(x) ? "nan" : x), [
    0,
    "nan",
    -0.5,
  ]);
  // garbage gives an empty evaluation, not a throw
  assert.deepEqual(normalizeEvaluation([1, 2]).strategies, []);
});
