/**
 * Sweep speed-up of the local pool: the same 4-cell grid (PPO and A2C × seeds 0, 1; each cell
 * a `cli/train.ts` subprocess on the synthetic market, 3,000 bars, no signals) run
 * sequentially (`--workers 1`) and with the pool on 2 cores (`--workers 2`). Prints ONE JSON
 * line:
 *
 * `{"bench":"sweep","cells":4,"timesteps":…,"sequential_s":…,"pool2_s":…,"speedup":…,
 *   "goal":1.8,"cores":…,"loadavg_before":[1,5,15 min],"loadavg_after":[…]}`
 *
 * The goal (≥ 1.8× on 2 cores) holds only on an otherwise idle machine: other processes take
 * cores from the pool, so the load average is printed with the figure. Both runs produce the
 * same run folders (same seeds), checked here before printing.
 *
 * Usage: `deno task bench:sweep [--timesteps 12288]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  defaultTrainCommand,
  expandGrid,
  parseSweepSpec,
  projectRoot,
  readRunSummary,
  runLocalPool,
} from "../lib/experiment/sweep/mod.ts";

const args = parseArgs({
  args: Deno.args,
  options: { timesteps: { type: "string", default: "12288" } },
});
const TIMESTEPS = Number(args.values.timesteps);

function loadavg(): number[] {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).map(Number);
  } catch {
    return [];
  }
}

const spec = parseSweepSpec({
  base: {
    timesteps: TIMESTEPS,
    bars: 3000,
    signals: "none",
    "eval-freq": 0,
    "checkpoint-freq": 0,
    "n-steps": 256,
    "episode-length": 256,
  },
  grid: { agent: ["ppo", "a2c"], seed: [0, 1] },
  evaluate: "off",
});
const cells = await expandGrid(spec);
const root = projectRoot();
const tmp = await Deno.makeTempDir({ prefix: "sweep-bench-" });
const before = loadavg();
try {
  const time = async (workers: number) => {
    const dir = `${tmp}/w${workers}`;
    const t0 = performance.now();
    const m = await runLocalPool(cells, dir, {
      workers,
      retries: 0,
      trainCommand: defaultTrainCommand(root),
      cwd: root,
    });
    const s = (performance.now() - t0) / 1000;
    if (m.status !== "completed") throw new Error(`sweep with ${workers} workers: ${m.status}`);
    return { s, m };
  };
  const seq = await time(1);
  const pool = await time(2);
  for (const c of cells) {
    const a = await readRunSummary(`${tmp}/w1/runs/${c.id}`);
    const b = await readRunSummary(`${tmp}/w2/runs/${c.id}`);
    if (
      JSON.stringify(a.metrics["validation.final.totalReturn"]) !==
        JSON.stringify(b.metrics["validation.final.totalReturn"])
    ) {
      throw new Error(`cell ${c.id}: pool and sequential runs differ`);
    }
  }
  console.log(JSON.stringify({
    bench: "sweep",
    cells: cells.length,
    timesteps: TIMESTEPS,
    sequential_s: Number(seq.s.toFixed(2)),
    pool2_s: Number(pool.s.toFixed(2)),
    speedup: Number((seq.s / pool.s).toFixed(2)),
    goal: 1.8,
    cores: navigator.hardwareConcurrency,
    loadavg_before: before,
    loadavg_after: loadavg(),
  }));
} finally {
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}
