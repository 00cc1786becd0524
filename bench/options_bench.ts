/**
 * Options env benchmark: steps per second of `OptionsTradingEnv` (single env, one core) with
 * uniformly random actions in [−1, 1] drawn from `Rng` inside the timed loop, on the default
 * synthetic SPY/VIX market (two years of 5-minute RTH bars), training episodes of 2048 bars
 * with random starts; plus the share of steps spent holding an option (each such step prices
 * the option with Black-Scholes-Merton and the spread model).
 *
 * Prints ONE JSON line: `{"bench":"options","steps_per_s":…,"goal_steps_per_s":500000,…}`.
 *
 * Usage: `deno task bench:options [--seconds 3]`
 */
import { generateSyntheticOptionsMarket } from "../lib/data/mod.ts";
import { OptionsTradingEnv } from "../lib/env/mod.ts";
import { parseFlags, runCli } from "@lib/util/mod.ts";
import { Rng } from "@lib/util/mod.ts";

await runCli(() => {
  const { values } = parseFlags(Deno.args, {
    seconds: {
      type: "number",
      default: 3,
      range: { min: 0, exclusiveMin: true, max: 120 },
      description: "seconds per measurement (benchmarks stay under 2 min)",
    },
  }, { usage: "usage: deno task bench:options [--seconds S]" });
  const seconds = values.seconds;
  const t0 = performance.now();
  const data = generateSyntheticOptionsMarket();
  const env = new OptionsTradingEnv({ data, episodeLength: 2048, seed: 1 });
  const setupS = (performance.now() - t0) / 1000;
  const rng = new Rng(7);
  const act = new Float64Array(1);
  env.reset({ seed: 1 });
  let held = 0;
  const run = (budgetMs: number): number => {
    let steps = 0;
    held = 0;
    const start = performance.now();
    while (performance.now() - start < budgetMs) {
      for (let k = 0; k < 20_000; k++) {
        act[0] = rng.next() * 2 - 1;
        const r = env.step(act);
        if (r.info.position !== 0) held++;
        if (r.terminated || r.truncated) env.reset();
      }
      steps += 20_000;
    }
    return steps / ((performance.now() - start) / 1000);
  };
  run(300); // warm-up (JIT)
  let steps = 0;
  const start = performance.now();
  const sps = run(seconds * 1000);
  steps = Math.round(sps * (performance.now() - start) / 1000);
  let load: number | null = null;
  try {
    load = Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    // not Linux
  }
  console.log(JSON.stringify({
    bench: "options",
    steps_per_s: Math.round(sps),
    goal_steps_per_s: 500_000,
    held_share: Math.round((held / steps) * 1000) / 1000,
    bars: data.market.time.length,
    setup_s: Math.round(setupS * 1000) / 1000,
    seconds,
    load_avg_1m: load,
    deno: Deno.version.deno,
  }));
});
