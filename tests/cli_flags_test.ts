/**
 * Every numeric flag of `deno task train`, table-style: each is declared from the run
 * configuration's one statement of ranges (`RUN_CONFIG_RANGES`), so the command line, a
 * `--config` file and `resolveRunConfig` refuse the same values in the same words; then the
 * ranges a user relies on, stated here by meaning (lr > 0, γ in [0, 1], clip in (0, 1), …);
 * then impossible combinations, refused before any data is loaded; then the other tasks'
 * numeric flags through their real processes (exit 2, `error: --x must be … (got "…")`).
 *
 * Cannot catch: a range that is too loose for a reason no row here states (e.g. a learning
 * rate of 0.9 is accepted: it is in (0, 1] but will diverge).
 */
import assert from "node:assert/strict";
import { flagSpec, OPTIONS, parseCommandLine } from "../cli/train.ts";
import { resolveRunConfig, RUN_CONFIG_RANGES } from "../lib/experiment/config.ts";
import { trainRun } from "../lib/experiment/train.ts";
import { ConfigError, describeRange } from "../lib/util/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function refused(args: string[]): Promise<string> {
  try {
    const { overrides, control } = await parseCommandLine(args);
    resolveRunConfig(overrides, { preset: control.get("preset") as string | undefined });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `${args.join(" ")}: ${e}`);
    return e.message;
  }
  assert.fail(`${args.join(" ")} was accepted`);
}

Deno.test("train flags: every numeric flag has a range from RUN_CONFIG_RANGES", () => {
  const numeric = OPTIONS.filter((o) =>
    o.kind === "int" || o.kind === "number" || o.kind === "nullable-number" || o.kind === "list"
  );
  assert.ok(numeric.length >= 25, `${numeric.length} numeric flags`);
  for (const o of numeric) {
    assert.ok(o.path && RUN_CONFIG_RANGES[o.path], `--${o.name} (${o.path}) has a declared range`);
    const s = flagSpec(o);
    assert.ok(s.type === "integer" || s.type === "number", o.name);
    if (o.kind === "int" || o.kind === "list") assert.equal(s.type, "integer", o.name);
  }
});

Deno.test("train flags: just outside each range, and non-numbers, are refused in one format", async () => {
  for (const o of OPTIONS.filter((o) => ["int", "number", "nullable-number"].includes(o.kind))) {
    const dom = RUN_CONFIG_RANGES[o.path!];
    const { min, max, exclusiveMin, exclusiveMax } = dom.range;
    const bad: string[] = ["abc"];
    if (min !== undefined) {
      bad.push(String(exclusiveMin ? min : min - (dom.type === "integer" ? 1 : 0.5)));
    }
    if (max !== undefined) {
      bad.push(String(exclusiveMax ? max : max + (dom.type === "integer" ? 1 : 0.5)));
    }
    if (dom.type === "integer") bad.push("1e3", "2.5");
    for (const v of bad) {
      const msg = await refused([`--${o.name}`, v]);
      const rule = v === "abc" || v === "1e3" || v === "2.5"
        ? (dom.type === "integer" ? "must be an integer" : "must be a number")
        : `must be ${describeRange(dom.range)}`;
      assert.ok(msg.startsWith(`--${o.name} ${rule} (got "${v}")`), `--${o.name} ${v}: ${msg}`);
    }
  }
});

Deno.test("train flags: the ranges by meaning", async () => {
  const rows: [string[], string][] = [
    [["--lr", "-1"], '--lr must be > 0 and ≤ 1 (got "-1")'],
    [["--lr", "0"], '--lr must be > 0 and ≤ 1 (got "0")'],
    [["--gamma", "1.01"], '--gamma must be ≥ 0 and ≤ 1 (got "1.01")'],
    [["--gae-lambda", "-0.1"], '--gae-lambda must be ≥ 0 and ≤ 1 (got "-0.1")'],
    [["--clip-range", "1"], '--clip-range must be > 0 and < 1 (got "1")'],
    [["--clip-range", "0"], '--clip-range must be > 0 and < 1 (got "0")'],
    [["--timesteps", "1e3"], '--timesteps must be an integer (got "1e3")'],
    [["--timesteps", "-5"], '--timesteps must be ≥ 1 (got "-5")'],
    [["--timesteps", "0"], '--timesteps must be ≥ 1 (got "0")'],
    [["--n-envs", "0"], '--n-envs must be ≥ 1 (got "0")'],
    [["--batch-size", "0"], '--batch-size must be ≥ 1 (got "0")'],
    [["--ent-coef", "-0.01"], '--ent-coef must be ≥ 0 (got "-0.01")'],
    [["--max-grad-norm", "0"], '--max-grad-norm must be > 0 (got "0")'],
    [["--target-kl", "0"], '--target-kl must be > 0 (got "0")'],
    [["--group-size", "1"], '--group-size must be ≥ 2 (got "1")'],
    [["--eval-freq", "-1"], '--eval-freq must be ≥ 0 (got "-1")'],
    [["--hidden", "64,0"], '--hidden must be ≥ 1 (got "0")'],
    [["--hidden", "64,1e2"], '--hidden must be an integer (got "1e2")'],
    [["--seed", "1.5"], '--seed must be an integer (got "1.5")'],
  ];
  for (const [args, expected] of rows) {
    const msg = await refused(args);
    assert.ok(msg.startsWith(expected), `${args.join(" ")}: ${msg}`);
  }
  // what is in range still parses to the typed value
  const ok = await parseCommandLine([
    "--lr",
    "1e-3",
    "--clip-range-vf",
    "none",
    "--hidden",
    "32,16",
  ]);
  assert.equal(ok.overrides.algorithm?.learningRate, 1e-3);
  assert.equal(ok.overrides.algorithm?.clipRangeVf, null);
  assert.deepEqual(ok.overrides.hidden, [32, 16]);
});

Deno.test("train flags: a --config file is checked against the same ranges", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ gamma: 2 }));
    const msg = await refused(["--config", `${dir}/c.json`]);
    assert.match(msg, /^--gamma must be ≥ 0 and ≤ 1 \(got "2"\).*c\.json/);
    // and resolveRunConfig (notebooks, sweeps) refuses the same value in the same words
    assert.throws(
      () => resolveRunConfig({ algorithm: { gamma: 2 } }),
      /^ConfigError: algorithm\.gamma must be ≥ 0 and ≤ 1 \(got 2\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train flags: impossible combinations are refused before any work", async () => {
  // PPO trains whole rollouts of n-steps × n-envs: 100 steps would silently train 2,048.
  assert.match(
    await refused(["--timesteps", "100"]),
    /^timesteps must be ≥ one rollout of 2048 steps \(got 100\).*would silently train 2048 steps/,
  );
  assert.match(
    await refused(["--timesteps", "1000", "--n-steps", "512", "--n-envs", "4"]),
    /one rollout of 2048 steps.*nSteps 512 × nEnvs 4/,
  );
  assert.match(
    await refused(["--agent", "grpo", "--timesteps", "4000"]),
    /one rollout of 4096 steps.*groupSize 16 × grpo\.horizon 64 × grpo\.groupsPerUpdate 4/,
  );
  assert.match(
    await refused(["--batch-size", "4096"]),
    /^algorithm\.batchSize must be ≤ the rollout of 2048 steps/,
  );
  assert.match(await refused(["--agent", "grpo", "--n-envs", "2"]), /GRPO runs groups on one env/);
  assert.match(
    await refused(["--preset", "synthetic-ppo", "--agent", "a2c"]),
    /preset synthetic-ppo is a PPO preset/,
  );
  // --resume with another agent or network: refused from config.json before loading anything
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({ ...resolveRunConfig({ agent: "ppo" }), agent: "ppo" }),
    );
    await assert.rejects(
      () => trainRun({ agent: "a2c" }, { resume: dir, log: () => {} }),
      /^ConfigError: --agent a2c conflicts with --resume: the run was trained with agent ppo/,
    );
    await assert.rejects(
      () => trainRun({ hidden: [32] }, { resume: dir, log: () => {} }),
      /--hidden 32 conflicts with --resume: the run was trained with hidden 64,64/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Run a task's script; returns exit code and stderr. */
async function task(script: string, args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}${script}`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("every task: numeric flags out of range exit 2 with the one message format", async () => {
  const rows: [string, string[], string][] = [
    ["cli/train.ts", ["--lr=-1"], 'error: --lr must be > 0 and ≤ 1 (got "-1")'],
    ["cli/train.ts", ["--timesteps", "100"], "error: timesteps must be ≥ one rollout of 2048"],
    [
      "cli/dashboard.ts",
      ["--port", "70000"],
      'error: --port must be ≥ 0 and ≤ 65535 (got "70000")',
    ],
    [
      "cli/sweep.ts",
      ["--grid", "lr=3e-4,-1", "--grid", "seed=0,1"],
      'error: cell lr=-1 seed=0: --lr must be > 0 and ≤ 1 (got "-1")',
    ],
    [
      "cli/sweep.ts",
      ["--grid", "timesteps=100,4096"],
      "error: cell timesteps=100: timesteps must be ≥ one rollout of 2048 steps",
    ],
    ["cli/dashboard.ts", ["--stale-after", "0"], 'error: --stale-after must be > 0 (got "0")'],
    [
      "cli/options_check.ts",
      ["x.csv", "--rate", "3.7"],
      'error: --rate must be ≥ -0.2 and ≤ 1 (got "3.7")',
    ],
    [
      "cli/options_check.ts",
      ["x.csv", "--vix", "0"],
      'error: --vix must be ≥ 1 and ≤ 200 (got "0")',
    ],
    [
      "cli/broker_status.ts",
      ["--broker", "ib"],
      'error: --broker must be one of paper, alpaca, binance (got "ib")',
    ],
    ["cli/sweep_worker.ts", ["--concurrency", "0"], 'error: --concurrency must be ≥ 1 (got "0")'],
    ["cli/data_synth.ts", ["--bars", "1e3"], 'error: --bars must be an integer (got "1e3")'],
    [
      "bench/env_bench.ts",
      ["--seconds", "500"],
      'error: --seconds must be > 0 and ≤ 120 (got "500")',
    ],
    [
      "bench/options_bench.ts",
      ["--seconds", "0"],
      'error: --seconds must be > 0 and ≤ 120 (got "0")',
    ],
    ["bench/dashboard_bench.ts", ["--clients", "0"], 'error: --clients must be ≥ 1 (got "0")'],
    ["bench/train_bench.ts", ["--steps", "-1"], 'error: --steps must be ≥ 1 (got "-1")'],
    [
      "bench/sweep_bench.ts",
      ["--timesteps", "1e4"],
      'error: --timesteps must be an integer (got "1e4")',
    ],
  ];
  for (const [script, args, expected] of rows) {
    const r = await task(script, args);
    assert.equal(r.code, 2, `${script} ${args.join(" ")}: ${r.stderr}`);
    assert.ok(r.stderr.includes(expected), `${script} ${args.join(" ")}: ${r.stderr}`);
    assert.ok(!/\n\s+at /.test(r.stderr), `stack trace: ${r.stderr}`);
  }
});
