/**
 * Fixtures of the paper-loop tests: a run folder with a small untrained (seeded) PPO network
 * on the futures env's observation layout, trading the embedded synthetic market.
 */
import { networkConfigFor } from "@lib/agents/mod.ts";
import { FastEngine } from "@lib/agents/mod.ts";
import { writeModelFolder } from "../lib/experiment/run_dir.ts";
import { Discrete } from "@lib/env/mod.ts";

/**
 * Write a run at `dir` (model at the root, `config.json` naming a 3000-bar synthetic market)
 * and return `dir`. The weights are seeded; their biases are scaled so the argmax moves with
 * the observation (the policy trades).
 */
export async function writeTestRun(dir: string, seed = 3): Promise<string> {
  const net = networkConfigFor("ppo", { obsDim: 20, actionSpace: new Discrete(6) });
  const engine = new FastEngine(net, { seed });
  const w = engine.getWeights();
  for (const t of w) {
    if (t.name.startsWith("pi/")) { for (let i = 0; i < t.data.length; i++) t.data[i] *= 4; }
  }
  engine.setWeights(w);
  await Deno.mkdir(dir, { recursive: true });
  await writeModelFolder(dir, {
    engine,
    normalizer: null,
    state: { timesteps: 0, updates: 0, algorithm: "ppo", engine: "fast", best: null },
  });
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({ agent: "ppo", data: { source: "synthetic", bars: 3000, dataSeed: 5 } }),
  );
  return dir;
}
