/**
 * Env benchmark: steps per second of `FuturesTradingEnv` (single env) and of a
 * `SyncVecEnv` of 16 (counting every sub-env step), with uniformly random actions drawn from
 * `Rng` inside the timed loop, on the default synthetic market (6 months of 5-minute bars)
 * and the real feature builder; training episodes of 2048 bars with random starts.
 *
 * Prints ONE JSON line:
 * `{"bench":"env","steps_per_s":…,"vec16_steps_per_s":…,"peak_rss_mb":…, …}`.
 * Reference: the specification's Python env (pandas `.iloc` per step) ran 1,849 steps/s on
 * this machine.
 *
 * Usage: `deno task bench:env [--seconds 3]`
 */
import { generateSyntheticMarket } from "../lib/data/mod.ts";
import { computeFeatures } from "../lib/features/mod.ts";
import { FuturesTradingEnv, SyncVecEnv } from "../lib/env/mod.ts";
import { parseFlags, Rng, runCli } from "../lib/util/mod.ts";

const SPEC_PYTHON_STEPS_PER_S = 1849;

function rssMb(): number {
  return Deno.memoryUsage().rss / 1048576;
}

/** Peak resident set size (VmHWM) when /proc is available, else the current RSS. */
function peakRssMb(sampled: number): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    if (m) return Math.max(sampled, Number(m[1]) / 1024);
  } catch {
    // not Linux: fall back to sampling
  }
  return sampled;
}

function loadAvg(): number | null {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return null;
  }
}

function main(): void {
  const { values } = parseFlags(Deno.args, {
    seconds: {
      type: "number",
      default: 3,
      range: { min: 0, exclusiveMin: true, max: 120 },
      description: "seconds of stepping (benchmarks stay under 2 min)",
    },
  }, { usage: "usage: deno task bench:env [--seconds S]" });
  const seconds = values.seconds;
  let peak = rssMb();

  const t0 = performance.now();
  const market = generateSyntheticMarket();
  const features = computeFeatures(market);
  const setupS = (performance.now() - t0) / 1000;
  peak = Math.max(peak, rssMb());
  const opts = { market, features, episodeLength: 2048 };

  // ---- single env
  const env = new FuturesTradingEnv({ ...opts, seed: 1 });
  const rng = new Rng(7);
  env.reset({ seed: 1 });
  const runSingle = (budgetMs: number): number => {
    let steps = 0;
    const start = performance.now();
    while (performance.now() - start < budgetMs) {
      for (let k = 0; k < 20_000; k++) {
        const r = env.step(rng.int(6));
        if (r.terminated || r.truncated) env.reset();
      }
      steps += 20_000;
    }
    return steps / ((performance.now() - start) / 1000);
  };
  runSingle(300); // warm-up (JIT)
  const single = runSingle(seconds * 1000);
  peak = Math.max(peak, rssMb());

  // ---- VecEnv(16)
  const n = 16;
  const vec = new SyncVecEnv(
    Array.from({ length: n }, (_, i) => new FuturesTradingEnv({ ...opts, seed: 100 + i })),
  );
  vec.reset({ seed: 100 });
  const actions = new Float64Array(n);
  const runVec = (budgetMs: number): number => {
    let steps = 0;
    const start = performance.now();
    while (performance.now() - start < budgetMs) {
      for (let k = 0; k < 2_000; k++) {
        for (let i = 0; i < n; i++) actions[i] = rng.int(6);
        vec.step(actions);
      }
      steps += 2_000 * n;
    }
    return steps / ((performance.now() - start) / 1000);
  };
  runVec(300);
  const vec16 = runVec(seconds * 1000);
  peak = Math.max(peak, rssMb());

  console.log(JSON.stringify({
    bench: "env",
    steps_per_s: Math.round(single),
    vec16_steps_per_s: Math.round(vec16),
    peak_rss_mb: Math.round(peakRssMb(peak) * 10) / 10,
    speedup_vs_spec_python: Math.round(single / SPEC_PYTHON_STEPS_PER_S),
    spec_python_steps_per_s: SPEC_PYTHON_STEPS_PER_S,
    bars: market.close.length,
    episode_length: 2048,
    setup_s: Math.round(setupS * 1000) / 1000,
    seconds_per_measure: seconds,
    // the machine is shared: the 1-minute load average tells how contended the run was
    load_avg_1m: loadAvg(),
    deno: Deno.version.deno,
  }));
}

if (import.meta.main) await runCli(main);
