/**
 * Sweeps on the local pool (`deno task sweep`): the pool's results equal the same cells run
 * one by one with `deno task train`; resuming skips completed cells (their run folders are not
 * touched) and re-runs only the missing one; a cell that fails (an impossible config) is
 * reported with its error after its retries while the sweep completes; Ctrl-C leaves only
 * complete run folders and a manifest that resumes. Plus the pure parts: grid expansion and
 * ids, statistics, aggregation.
 *
 * Cells are tiny (2,048 PPO/A2C steps on 3,000 synthetic bars, ≈2–4 s each), so what this
 * cannot catch: anything about long runs (checkpoint sizes, memory), and speed (that is
 * bench/sweep_bench.ts). Runtime ≈ 60–90 s on a shared 2-core machine.
 */
import assert from "node:assert/strict";
import {
  aggregateResults,
  type CellRecord,
  defaultTrainCommand,
  expandGrid,
  metricStats,
  parseGridArg,
  parseSweepSpec,
  readRunSummary,
  readSweepManifest,
  runLocalPool,
  writeSweepResults,
} from "../lib/experiment/sweep/mod.ts";
import { ConfigError } from "../lib/util/errors.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const BASE = {
  timesteps: 2048,
  bars: 3000,
  signals: "none",
  "eval-freq": 1024,
  "checkpoint-freq": 0,
  "n-steps": 256,
  "episode-length": 256,
};
const SET_ARGS = Object.entries(BASE).flatMap(([k, v]) => ["--set", `${k}=${v}`]);

async function sweepCli(args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}cli/sweep.ts`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const d = new TextDecoder();
  return { code: o.code, out: d.decode(o.stdout) + d.decode(o.stderr) };
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test("sweep grid: deterministic ids, axes × base, reserved keys refused, --grid values", async () => {
  const spec = parseSweepSpec({
    base: { timesteps: 100, entCoef: 0.01 },
    grid: { seed: [0, 1], agent: ["ppo", "a2c"] },
    cells: [{ agent: "grpo", seed: 5 }],
  });
  const a = await expandGrid(spec);
  const b = await expandGrid(parseSweepSpec(JSON.parse(JSON.stringify({
    grid: { agent: ["ppo", "a2c"], seed: [0, 1] }, // other axis order, same configs
    base: { "ent-coef": 0.01, timesteps: 100 },
    cells: [{ seed: 5, agent: "grpo" }],
  }))));
  assert.equal(a.length, 5);
  assert.equal(new Set(a.map((c) => c.id)).size, 5);
  assert.deepEqual(new Set(a.map((c) => c.id)), new Set(b.map((c) => c.id)), "id = f(config) only");
  const ppo1 = a.find((c) => c.config.agent === "ppo" && c.config.seed === 1)!;
  assert.deepEqual(ppo1.config, { timesteps: 100, "ent-coef": 0.01, seed: 1, agent: "ppo" });
  assert.match(ppo1.id, /^ppo-s1-[0-9a-f]{10}$/);
  // fold is passed through: part of the id, not of the train config
  const f = await expandGrid(parseSweepSpec({ grid: { fold: [0, 1], seed: [0] } }));
  assert.notEqual(f[0].id, f[1].id);
  assert.equal(f[0].trainConfig.fold, undefined);
  assert.equal(f[0].config.fold, 0);
  assert.throws(() => parseSweepSpec({ grid: { out: ["x"] } }), ConfigError);
  assert.throws(() => parseSweepSpec({ base: { seed: 1 } }), /grid or a list of cells/);
  assert.throws(() => parseSweepSpec({ grid: { seed: [] } }), /non-empty/);
  assert.deepEqual(parseGridArg("seed=0,1,2"), ["seed", [0, 1, 2]]);
  assert.deepEqual(parseGridArg("entCoef=0.01,1e-3"), ["ent-coef", [0.01, 0.001]]);
  assert.deepEqual(parseGridArg("agent=ppo,a2c"), ["agent", ["ppo", "a2c"]]);
  assert.deepEqual(parseGridArg("hidden=[[64,64],[32]]"), ["hidden", [[64, 64], [32]]]);
  assert.deepEqual(parseGridArg("norm-obs=true,false"), ["norm-obs", [true, false]]);
  assert.throws(() => parseGridArg("seed"), ConfigError);
});

Deno.test("sweep stats: mean, sample std, seeded bootstrap interval; paired diffs per fold", () => {
  const s = metricStats([1, 2, 3, 4, null, NaN], { seed: 7 });
  assert.equal(s.n, 4);
  assert.equal(s.mean, 2.5);
  assert.ok(Math.abs(s.std! - Math.sqrt(5 / 3)) < 1e-12);
  assert.ok(s.ci!.low < 2.5 && s.ci!.high > 2.5 && s.ci!.low >= 1 && s.ci!.high <= 4);
  assert.deepEqual(metricStats([1, 2, 3, 4], { seed: 7 }).ci, s.ci, "same seed, same interval");
  assert.equal(metricStats([3]).std, null);
  assert.equal(metricStats([3]).ci, null);
  const rec = (id: string, config: Record<string, number | string>): CellRecord => ({
    id,
    label: id,
    config,
    status: "completed",
    attempts: 1,
    errors: [],
    startedAt: null,
    finishedAt: null,
    seconds: 1,
    runDir: `/x/${id}`,
    worker: "local",
    evaluated: false,
  });
  const records = [
    rec("a", { agent: "ppo", fold: 0, seed: 0 }),
    rec("b", { agent: "ppo", fold: 0, seed: 1 }),
    rec("c", { agent: "ppo", fold: 1, seed: 0 }),
    rec("d", { agent: "a2c", fold: 0, seed: 0 }),
  ];
  const m = (rl: number, base: number) => ({
    "validation.final.sharpe": rl,
    "validation.random.sharpe": base,
  });
  const metrics = new Map([["a", m(2, 1)], ["b", m(1, 3)], ["c", m(5, 0)], ["d", m(0, 0)]]);
  const r = aggregateResults(records, metrics, {
    compare: [{ rl: "validation.final.sharpe", baseline: "validation.random.sharpe" }],
  });
  assert.deepEqual(r.groupBy, ["agent"]);
  const ppo = r.groups.find((g) => g.group === "agent=ppo")!;
  assert.equal(ppo.metrics["validation.final.sharpe"].mean, 8 / 3);
  const f0 = r.comparisons.find((c) => c.group === "agent=ppo" && c.fold === 0)!;
  assert.deepEqual(f0.diffs, [1, -2]);
  assert.equal(f0.wins, 1);
  const all = r.comparisons.find((c) => c.group === "agent=ppo" && c.fold === "all")!;
  assert.deepEqual(all.diffs, [1, -2, 5]);
  assert.equal(r.walkForward.filter((w) => w.group === "agent=ppo").length, 2);
  // a metric nobody measured gives no comparison (no fake zeros)
  const none = aggregateResults(records, metrics, {
    compare: [{ rl: "validation.final.sharpe", baseline: "evaluation.baseline.sharpe" }],
  });
  assert.equal(none.comparisons.length, 0);
});

Deno.test({
  name: "sweep local pool: same metrics as one-by-one train runs; resume skips completed cells",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sweep-test-" });
    try {
      const sweepDir = `${dir}/sw`;
      const r = await sweepCli([
        "--grid",
        "seed=0,1",
        "--grid",
        "agent=ppo,a2c",
        ...SET_ARGS,
        "--workers",
        "2",
        "--out",
        sweepDir,
      ]);
      assert.equal(r.code, 0, r.out);
      const manifest = (await readSweepManifest(sweepDir))!;
      assert.equal(manifest.status, "completed");
      assert.equal(manifest.cells.length, 4);
      // the same cells, one by one, with the train CLI directly (the real alternative)
      for (const cell of manifest.cells) {
        assert.equal(cell.status, "completed");
        assert.equal(cell.attempts, 1);
        const cfg = `${dir}/${cell.id}.json`;
        await Deno.writeTextFile(cfg, JSON.stringify(cell.config));
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            `${ROOT}cli/train.ts`,
            "--config",
            cfg,
            "--out",
            `${dir}/solo-${cell.id}`,
            "--no-progress",
          ],
          cwd: ROOT,
          stdout: "null",
          stderr: "piped",
        }).output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        const pooled = await readJson(`${cell.runDir}/manifest.json`);
        const solo = await readJson(`${dir}/solo-${cell.id}/manifest.json`);
        const v = (m: Record<string, unknown>) => (m.extra as Record<string, unknown>).validation;
        assert.deepEqual(v(pooled), v(solo), `${cell.label}: validation metrics differ`);
        assert.equal(pooled.timesteps, solo.timesteps);
        const s = await readRunSummary(cell.runDir!);
        assert.equal(typeof s.metrics["validation.random.sharpe"], "number");
      }
      // the results table holds every cell's metrics and two groups of two seeds
      const results = await readJson(`${sweepDir}/results.json`) as {
        groups: { group: string; cells: number }[];
        cells: { metrics: Record<string, number | null> }[];
      };
      assert.deepEqual(results.groups.map((g) => [g.group, g.cells]).sort(), [["agent=a2c", 2], [
        "agent=ppo",
        2,
      ]]);
      for (const c of results.cells) assert.ok("validation.final.totalReturn" in c.metrics);
      const html = await Deno.readTextFile(`${sweepDir}/report.html`);
      assert.match(html, /Plotly\.newPlot/);
      assert.doesNotMatch(html, /<script[^>]+src=/i, "no external script");

      // resume: nothing re-runs (run folders untouched, attempts unchanged)…
      const mtimes = async () =>
        await Promise.all(
          manifest.cells.map(async (c) =>
            (await Deno.stat(`${c.runDir}/manifest.json`)).mtime?.getTime()
          ),
        );
      const before = await mtimes();
      const again = await sweepCli([
        "--grid",
        "seed=0,1",
        "--grid",
        "agent=ppo,a2c",
        ...SET_ARGS,
        "--out",
        sweepDir,
      ]);
      assert.equal(again.code, 0, again.out);
      assert.deepEqual(await mtimes(), before);
      const m2 = (await readSweepManifest(sweepDir))!;
      assert.deepEqual(m2.cells.map((c) => c.attempts), [1, 1, 1, 1]);
      // …except a cell whose run folder is gone: only that one runs again, with the same result
      const gone = manifest.cells[3];
      const kept = await readJson(`${gone.runDir}/manifest.json`);
      await Deno.remove(gone.runDir!, { recursive: true });
      const third = await sweepCli([
        "--grid",
        "seed=0,1",
        "--grid",
        "agent=ppo,a2c",
        ...SET_ARGS,
        "--out",
        sweepDir,
      ]);
      assert.equal(third.code, 0, third.out);
      const m3 = (await readSweepManifest(sweepDir))!;
      assert.deepEqual(m3.cells.map((c) => c.attempts), [1, 1, 1, 2]);
      assert.deepEqual(await mtimes().then((t) => t.slice(0, 3)), before.slice(0, 3));
      const rerun = await readJson(`${gone.runDir}/manifest.json`);
      assert.deepEqual(
        (rerun.extra as Record<string, unknown>).validation,
        (kept.extra as Record<string, unknown>).validation,
      );
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "sweep local pool: a failing cell is retried and reported, the sweep completes; the evaluate step's evaluation.json is aggregated",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sweep-fail-" });
    try {
      // episode-length 5000 on 3,000 bars is impossible: the train CLI refuses it at setup
      const spec = parseSweepSpec({
        base: BASE,
        grid: { "episode-length": [256, 5000], seed: [0, 1] },
        compare: [{ rl: "evaluation.test.rl.sharpe", baseline: "evaluation.test.baseline.sharpe" }],
      });
      const cells = await expandGrid(spec);
      // a stand-in for `deno task evaluate <run>` (issue 20): writes evaluation.json into the run
      const evaluate = [
        Deno.execPath(),
        "eval",
        "const run = Deno.args[0]; const m = JSON.parse(Deno.readTextFileSync(run + '/manifest.json'));" +
        "Deno.writeTextFileSync(run + '/evaluation.json', JSON.stringify({ test: { rl: { sharpe: m.seed + 1 }," +
        " baseline: { sharpe: 0.5 } }, bars: [1, 2] }));",
        "{run}",
      ];
      const events: string[] = [];
      const m = await runLocalPool(cells, dir, {
        workers: 2,
        retries: 1,
        trainCommand: defaultTrainCommand(),
        evaluateCommand: evaluate,
        cwd: ROOT,
        onEvent: (e) => events.push(`${e.kind}:${e.cell.config["episode-length"]}`),
      });
      assert.equal(m.status, "completed_with_failures");
      const ok = m.cells.filter((c) => c.config["episode-length"] === 256);
      const bad = m.cells.filter((c) => c.config["episode-length"] === 5000);
      for (const c of ok) {
        assert.equal(c.status, "completed");
        assert.equal(c.evaluated, true);
      }
      for (const c of bad) {
        assert.equal(c.status, "failed");
        assert.equal(c.attempts, 2, "one retry");
        assert.equal(c.errors.length, 2);
        assert.match(c.errors[1].message, /too few for 5000-step episodes/);
        assert.match(await Deno.readTextFile(`${dir}/logs/${c.id}.log`), /too few/);
      }
      assert.deepEqual(events.filter((e) => e.endsWith(":5000")).sort(), [
        "error:5000",
        "error:5000",
        "failed:5000",
        "failed:5000",
      ]);
      // no half-written run folder of the failed cells
      const runs = [...Deno.readDirSync(`${dir}/runs`)].map((e) => e.name).sort();
      assert.deepEqual(runs, ok.map((c) => c.id).sort());
      // evaluation.json numbers (not arrays) become metrics; the paired comparison uses them
      const r = await writeSweepResults(dir, m, { spec });
      const g = r.groups.find((x) => x.group === "episode-length=256")!;
      assert.equal(g.metrics["evaluation.test.rl.sharpe"].mean, 1.5); // seeds 0, 1 → 1, 2
      assert.ok(!r.metricNames.some((n) => n.startsWith("evaluation.bars")));
      const cmp = r.comparisons.find((c) => c.group === "episode-length=256")!;
      assert.deepEqual(cmp.diffs, [0.5, 1.5]);
      assert.equal(r.comparisons.filter((c) => c.group === "episode-length=5000").length, 0);
      const csv = await Deno.readTextFile(`${dir}/results.csv`);
      assert.match(csv, /too few for 5000-step episodes/);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "sweep CLI: Ctrl-C leaves only complete run folders, marks running cells interrupted, resumes",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sweep-int-" });
    try {
      const sweepDir = `${dir}/sw`;
      const args = [
        "--grid",
        "seed=0,1,2",
        ...SET_ARGS,
        "--set",
        "timesteps=8192",
        "--workers",
        "1",
        "--out",
        sweepDir,
      ];
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${ROOT}cli/sweep.ts`, ...args],
        cwd: ROOT,
        stdout: "null",
        stderr: "null",
      }).spawn();
      // wait until the first cell is running, then interrupt
      for (let i = 0; i < 600; i++) {
        const m = await readSweepManifest(sweepDir).catch(() => null);
        if (m?.cells.some((c) => c.status === "running")) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 800)); // mid-cell
      child.kill("SIGINT");
      const st = await child.status;
      assert.equal(st.code, 130);
      const m = (await readSweepManifest(sweepDir))!;
      assert.equal(m.status, "interrupted");
      assert.ok(
        m.cells.some((c) => c.status === "interrupted"),
        JSON.stringify(m.cells.map((c) => c.status)),
      );
      assert.ok(m.cells.every((c) => c.status !== "running"));
      for (const e of Deno.readDirSync(`${sweepDir}/runs`)) {
        assert.ok(!e.name.startsWith("."), `leftover ${e.name}`);
        const man = await readJson(`${sweepDir}/runs/${e.name}/manifest.json`);
        assert.equal(man.status, "completed", `${e.name} is complete`);
      }
      const r = await sweepCli(args);
      assert.equal(r.code, 0, r.out);
      const m2 = (await readSweepManifest(sweepDir))!;
      assert.equal(m2.status, "completed");
      assert.ok(m2.cells.every((c) => c.status === "completed"));
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("sweep CLI: exit codes: bad input refused before anything runs (2, typed error), a failed cell (1)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sweep-bad-" });
  try {
    const unknown = await sweepCli([
      "--grid",
      "seed=0,1",
      "--set",
      "learning-rate=0.1",
      "--out",
      `${dir}/a`,
    ]);
    assert.equal(unknown.code, 2, unknown.out);
    assert.match(unknown.out, /error: the train CLI has no option --learning-rate/);
    const reserved = await sweepCli(["--grid", "out=a,b", "--out", `${dir}/b`]);
    assert.equal(reserved.code, 2);
    assert.match(reserved.out, /set by the sweep itself/);
    await Deno.writeTextFile(`${dir}/s.json`, '{"grid": {"seed": [0]}, "retrys": 2}');
    const typo = await sweepCli([`${dir}/s.json`, "--out", `${dir}/c`]);
    assert.equal(typo.code, 2);
    assert.match(typo.out, /unknown sweep field "retrys"/);
    const none = await sweepCli(["--workers", "2"]);
    assert.equal(none.code, 2);
    assert.match(none.out, /no grid/);
    for (const out of [unknown.out, reserved.out, typo.out, none.out]) {
      assert.doesNotMatch(out, /^\s+at /m, "no stack trace");
    }
    // a sweep whose only cell fails completes with exit code 1 and names the error
    const failing = await sweepCli([
      "--grid",
      "episode-length=5000",
      ...Object.entries(BASE).filter(([k]) => k !== "episode-length").flatMap(([k, v]) => [
        "--set",
        `${k}=${v}`,
      ]),
      "--retries",
      "0",
      "--out",
      `${dir}/d`,
    ]);
    assert.equal(failing.code, 1, failing.out);
    assert.match(
      failing.out,
      /failed .* after 1 attempt\(s\): train exited with code 2: error: .*too few/,
    );
    // nothing was run for bad input: no run folders anywhere
    for (const d of ["a", "b", "c"]) {
      assert.throws(() => Deno.statSync(`${dir}/${d}/runs`));
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("sweep run-folder reader: torn or missing manifest = not complete; evaluation.json numbers, torn metrics line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sweep-read-" });
  try {
    assert.equal((await readRunSummary(dir)).status, "missing");
    await Deno.writeTextFile(`${dir}/manifest.json`, '{"status": "completed", "seed": 3, "ext');
    const torn = await readRunSummary(dir);
    assert.equal(torn.complete, false, "a torn manifest is never trusted as complete");
    await Deno.writeTextFile(
      `${dir}/manifest.json`,
      JSON.stringify({
        status: "stopped_early",
        seed: 3,
        algorithm: "a2c",
        timesteps: 100,
        timings: { trainSeconds: 2 },
        extra: { validation: { final: { sharpe: null, totalReturn: -0.1, trades: 4 } } },
      }),
    );
    await Deno.writeTextFile(
      `${dir}/metrics.jsonl`,
      '{"type":"update","entropy":1.1}\n{"type":"eval","x":1}\n{"type":"upd',
    );
    await Deno.writeTextFile(
      `${dir}/evaluation.json`,
      JSON.stringify({ test: { rl: { sharpe: 1.2, name: "x" } } }),
    );
    const s = await readRunSummary(dir);
    assert.equal(s.complete, true, "stopped early is a normal end");
    assert.equal(s.seed, 3);
    assert.equal(s.evaluated, true);
    assert.deepEqual(s.metrics, {
      "validation.final.sharpe": null,
      "validation.final.totalReturn": -0.1,
      "validation.final.trades": 4,
      "train.seconds": 2,
      "train.stepsPerSecond": null,
      "train.timesteps": 100,
      "evaluation.test.rl.sharpe": 1.2,
      "train.entropy": 1.1,
    });
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
