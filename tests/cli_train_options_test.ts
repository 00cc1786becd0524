/**
 * `deno task train --env options` end to end (tiny budgets, subprocesses): PPO and GRPO write
 * the same run folder as the futures env (config.json with the resolved `optionsEnv` section,
 * manifest, metrics, TensorBoard events, checkpoints, best model, a GRPO normaliser learned
 * from the rollouts), `loadRun` reads it back and the episode loop reproduces the recorded
 * validation figures; the run configuration's `optionsEnv` section merges field by field and
 * rejects bad values; real bars with a daily VIX CSV build the same setup.
 *
 * What this cannot catch: whether the agents learn (tests/agents_options_learning_test.ts).
 */
import assert from "node:assert/strict";
import { mergeRunOverrides, resolveRunConfig } from "../lib/experiment/config.ts";
import { loadRun } from "../lib/experiment/run_dir.ts";
import { buildOptionsSetup, optionsEnvDefaults } from "../lib/experiment/options_setup.ts";
import { evaluatePolicy } from "../lib/backtest/mod.ts";
import { OPTIONS_ENV_DEFAULTS } from "../lib/env/mod.ts";
import { generateSyntheticOptionsMarket } from "../lib/data/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function train(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}cli/train.ts`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const TINY = [
  "--env",
  "options",
  "--symbol",
  "SPY",
  "--sessions",
  "40",
  "--episode-length",
  "390",
  "--data-seed",
  "5",
  "--eval-freq",
  "2048",
  "--checkpoint-freq",
  "2048",
  "--norm-obs",
  "--no-progress",
];

for (const agent of ["ppo", "grpo"] as const) {
  Deno.test(`cli train --env options --agent ${agent}: run folder, TensorBoard, best model, loadRun`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `opt-cli-${agent}-` });
    try {
      const extra = agent === "ppo" ? ["--n-steps", "512"] : [];
      const r = await train([
        ...TINY,
        "--agent",
        agent,
        "--timesteps",
        "4096",
        ...extra,
        "--out",
        dir,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const files = [...Deno.readDirSync(dir)].map((e) => e.name);
      for (const f of ["config.json", "manifest.json", "metrics.jsonl", "policy.json", "best"]) {
        assert.ok(files.includes(f), `${f} in ${files}`);
      }
      assert.ok(files.some((f) => f.startsWith("events.out.tfevents")), "TensorBoard events");
      assert.ok(Deno.statSync(`${dir}/checkpoints`).isDirectory);
      const config = JSON.parse(Deno.readTextFileSync(`${dir}/config.json`));
      assert.equal(config.env, "options");
      assert.equal(config.optionsEnv.symbol, "SPY");
      assert.equal(config.optionsEnv.sessions, 40);
      assert.equal(config.optionsEnv.threshold, OPTIONS_ENV_DEFAULTS.threshold);
      // the normaliser saved with the model is the trained one (GRPO used to save identity)
      const norm = JSON.parse(Deno.readTextFileSync(`${dir}/normalizer.json`));
      assert.ok(norm.obsCount > 1000, `obsCount ${norm.obsCount}`);
      assert.ok(norm.obsVar.some((v: number) => Math.abs(v - 1) > 0.05));
      // loadRun + the episode loop reproduce the manifest's validation figures
      const run = await loadRun(dir);
      const setup = await buildOptionsSetup({
        dataSeed: 5,
        episodeLength: 390,
        config: { ...optionsEnvDefaults(), sessions: 40 },
      });
      const ev = evaluatePolicy(setup.makeEvalEnv("validation"), run.policy, {
        periodsPerYear: setup.periodsPerYear,
      });
      const manifest = JSON.parse(Deno.readTextFileSync(`${dir}/manifest.json`));
      assert.ok(Math.abs(ev.finalEquity! - manifest.extra.validation.final.finalEquity) < 1e-6);
      assert.equal(manifest.extra.validation.alwaysFlat.totalReturn, 0);
      run.engine.dispose();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("run config: optionsEnv merges field by field (contract, reward) over the env's defaults; bad values are named", () => {
  const d = resolveRunConfig({});
  assert.equal(d.env, "futures");
  assert.deepEqual(d.optionsEnv.contract, OPTIONS_ENV_DEFAULTS.contract);
  const c = resolveRunConfig({
    env: "options",
    optionsEnv: { contract: { strikeOffset: 1 }, reward: { whipsaw: { weight: 0.5 } } },
  });
  assert.equal(c.optionsEnv.contract.strikeOffset, 1);
  assert.equal(
    c.optionsEnv.contract.minDaysToExpiry,
    OPTIONS_ENV_DEFAULTS.contract.minDaysToExpiry,
  );
  assert.equal(c.optionsEnv.reward.whipsaw.weight, 0.5);
  assert.equal(c.optionsEnv.reward.whipsaw.enabled, true);
  // a saved config (resume) under new overrides: nested fields survive
  const m = mergeRunOverrides(
    { optionsEnv: { contract: { strikeOffset: 2 }, reward: { pnl: { weight: 50 } } } },
    { optionsEnv: { contract: { minDaysToExpiry: 3 }, reward: { pnl: { enabled: false } } } },
  );
  const r = resolveRunConfig({ env: "options", ...m });
  assert.equal(r.optionsEnv.contract.strikeOffset, 2);
  assert.equal(r.optionsEnv.contract.minDaysToExpiry, 3);
  assert.deepEqual(r.optionsEnv.reward.pnl, { enabled: false, weight: 50 });
  assert.throws(
    () => resolveRunConfig({ env: "options", optionsEnv: { threshold: 1.5 } }),
    /optionsEnv.threshold/,
  );
  assert.throws(
    () => resolveRunConfig({ optionsEnv: { strike: 3 } as never }),
    /optionsEnv.strike/,
  );
  assert.throws(
    () => resolveRunConfig({ env: "options", optionsEnv: { reward: { gamma: {} } as never } }),
    /gamma/,
  );
  assert.throws(() => resolveRunConfig({ env: "nope" as never }), /env/);
  assert.throws(() => resolveRunConfig({ env: "options", data: { bars: 100 } }), /sessions/);
});

Deno.test("options setup from real-data files: --data <bars.csv> --vix-file <vix.csv>", async () => {
  const m = generateSyntheticOptionsMarket({ seed: 9, sessions: 30 });
  const dir = await Deno.makeTempDir();
  try {
    const lines = ["timestamp,open,high,low,close,volume"];
    for (let i = 0; i < m.market.time.length; i++) {
      lines.push(
        [
          new Date(m.market.time[i]).toISOString(),
          m.market.open[i],
          m.market.high[i],
          m.market.low[i],
          m.market.close[i],
          m.market.volume[i],
        ].join(","),
      );
    }
    await Deno.writeTextFile(`${dir}/spy.csv`, lines.join("\n") + "\n");
    const v = m.vixDaily;
    await Deno.writeTextFile(
      `${dir}/vix.csv`,
      ["date,open,close", ...v.date.map((d, i) => `${d},${v.open[i]},${v.close[i]}`)].join("\n") +
        "\n",
    );
    const s = await buildOptionsSetup({
      data: `${dir}/spy.csv`,
      episodeLength: 390,
      config: { ...optionsEnvDefaults(), vixFile: `${dir}/vix.csv` },
    });
    assert.equal(s.market.time.length, m.market.time.length);
    assert.equal(s.periodsPerYear, 252 * 78);
    const env = s.makeEvalEnv("test");
    const r = env.reset();
    assert.ok(r.info.vix > 5 && r.info.vix < 80);
    await assert.rejects(
      buildOptionsSetup({ config: { ...optionsEnvDefaults(), vixFile: `${dir}/vix.csv` } }),
      /vix-file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
