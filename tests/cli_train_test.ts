/**
 * End-to-end test of `deno task train` with a tiny budget: trains, evaluates on validation,
 * saves a loadable run with TensorBoard files; --help lists every option and the presets;
 * --preset applies a preset under --config and flags; --reward parses and merges; bad input
 * gives a typed error (exit code 2, no stack trace). Runtime ≈ 20–30 s (subprocesses).
 */
import assert from "node:assert/strict";
import { helpText, OPTIONS, parseRewardSpec, presetListText } from "../cli/train.ts";
import { TRADING_PRESETS } from "../lib/experiment/config.ts";
import { resolveRewardConfig } from "../lib/env/reward.ts";
import { listCheckpoints, loadRun, readMetrics } from "../lib/experiment/run_dir.ts";
import { evaluatePolicy } from "../lib/backtest/evaluate.ts";
import { buildTradingSetup } from "../lib/experiment/setup.ts";

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

Deno.test("cli train: --help lists every option with its default", () => {
  const h = helpText();
  for (const o of OPTIONS) {
    assert.ok(h.includes(`--${o.name}`), o.name);
    if (o.def !== undefined) {
      const line = h.split("\n").find((l) => l.trimStart().split(" ")[0] === `--${o.name}`)!;
      assert.ok(line.includes(`[default: ${o.def}]`), `${o.name}: ${line}`);
    } else {
      assert.match(h, new RegExp(`--${o.name}.*default`), o.name);
    }
  }
});

Deno.test("cli train: --help and --preset list show the presets and the precedence", async () => {
  const h = helpText();
  for (const p of Object.values(TRADING_PRESETS)) {
    assert.match(h, new RegExp(`^  ${p.name} +\\S`, "m"));
    assert.ok(presetListText().includes(`${p.name}: ${p.description}`));
  }
  assert.match(h, /defaults \(the specification's\) < --preset < --config file < flags/);
  assert.match(presetListText(), /--reward +pnl=100,drawdown=off,.*sharpe=off/);
  assert.match(presetListText(), /--norm-obs +true/);
  const r = await train(["--preset", "list"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^synthetic-ppo: /m);
});

Deno.test("cli train: --reward syntax", () => {
  assert.deepEqual(parseRewardSpec("drawdown=0,sharpe=off,pnl=100"), {
    drawdown: { weight: 0, enabled: true },
    sharpe: { enabled: false },
    pnl: { weight: 100, enabled: true },
  });
  assert.deepEqual(
    parseRewardSpec("duration.thresholdBars=20, sharpe.threshold=1.5,liquidation.enabled=off"),
    {
      duration: { thresholdBars: 20 },
      sharpe: { threshold: 1.5 },
      liquidation: { enabled: false },
    },
  );
  const full = resolveRewardConfig(parseRewardSpec("drawdown=on,action=0.1"));
  assert.equal(full.drawdown.enabled, true);
  assert.equal(full.drawdown.weight, 5);
  assert.equal(full.action.weight, 0.1);
  assert.throws(() => parseRewardSpec(""), /empty reward specification/);
});

Deno.test("cli train: bad flags and configs are typed errors without stack traces", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const cases: [string[], RegExp][] = [
      [["--agent", "dqn"], /error: --agent must be one of ppo, a2c, grpo \(got "dqn"\)/],
      [["--timesteps", "-5"], /error: --timesteps must be ≥ 1 \(got "-5"\)/],
      [["--timesteps", "abc"], /error: --timesteps must be an integer \(got "abc"\)/],
      [["--bogus"], /error: unknown flag --bogus/],
      [["--config", `${dir}/missing.json`], /cannot read config/],
      [["--engine", "torch"], /--engine must be one of fast, tfjs \(got "torch"\)/],
      [
        ["--preset", "fast-ppo"],
        /--preset must be one of none, list, synthetic-ppo \(got "fast-ppo"\)/,
      ],
      [["--preset", "synthetic-ppo", "--agent", "a2c"], /preset synthetic-ppo is a PPO preset/],
      [["--reward", "drawdown"], /--reward: cannot parse "drawdown".*parameter reward\b/],
      [["--reward", "drawdown=maybe"], /--reward: reward\.drawdown: expected on, off or a number/],
      [["--reward", "bonus=1"], /--reward: unknown reward term "bonus".*known terms: pnl/],
      [["--reward", "sharpe.window=5"], /--reward: reward term "sharpe" has no field "window"/],
      [["--reward", "pnl.weight=x"], /--reward: reward\.pnl\.weight: expected a number/],
    ];
    Deno.writeTextFileSync(
      `${dir}/badr.json`,
      JSON.stringify({ reward: { pnl: { weight: "a" } } }),
    );
    cases.push([
      ["--config", `${dir}/badr.json`],
      /--reward: reward\.pnl\.weight is invalid.*badr\.json/,
    ]);
    Deno.writeTextFileSync(`${dir}/bad.json`, JSON.stringify({ "learning-rate": 1 }));
    cases.push([["--config", `${dir}/bad.json`], /unknown option "learning-rate".*bad\.json/]);
    for (const [args, re] of cases) {
      const r = await train(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.ok(!/\n\s+at /.test(r.stderr), `stack trace for ${args.join(" ")}: ${r.stderr}`);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("cli train: a tiny PPO run trains, evaluates, saves a loadable run with TensorBoard files", async () => {
  const dir = Deno.makeTempDirSync();
  const out = `${dir}/run`;
  try {
    Deno.writeTextFileSync(`${dir}/cfg.json`, JSON.stringify({ nSteps: 512, "ent-coef": 0.02 }));
    const r = await train([
      "--agent",
      "ppo",
      "--timesteps",
      "2048",
      "--bars",
      "6000",
      "--signals",
      "none",
      "--episode-length",
      "512",
      "--eval-freq",
      "1024",
      "--checkpoint-freq",
      "1024",
      "--n-epochs",
      "2",
      "--config",
      `${dir}/cfg.json`,
      "--seed",
      "7",
      "--out",
      out,
      "--backend",
      "cpu",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /trained ppo for 2,048 steps/);
    assert.match(r.stdout, /always flat/);
    assert.match(r.stderr, /2,048\/2,048 steps/); // progress bar on stderr
    const names = [...Deno.readDirSync(out)].map((e) => e.name);
    for (
      const f of [
        "config.json",
        "manifest.json",
        "metrics.jsonl",
        "model.json",
        "weights.bin",
        "policy.json",
        "best",
      ]
    ) {
      assert.ok(names.includes(f), f);
    }
    assert.ok(names.some((n) => n.startsWith("events.out.tfevents.")));
    assert.deepEqual(listCheckpoints(out), [1024, 2048]);
    const cfg = JSON.parse(Deno.readTextFileSync(`${out}/config.json`));
    // config.json is the resolved RunConfig: every value, defaults included
    assert.equal(cfg.algorithm.nSteps, 512);
    assert.equal(cfg.algorithm.entCoef, 0.02);
    assert.equal(cfg.algorithm.batchSize, 64);
    assert.equal(cfg.seed, 7);
    const manifest = JSON.parse(Deno.readTextFileSync(`${out}/manifest.json`));
    assert.equal(manifest.status, "completed");
    assert.equal(manifest.backend, "cpu");
    assert.equal(manifest.engine, "fast");
    assert.equal(manifest.seed, 7);
    assert.match(manifest.data.sha256, /^[0-9a-f]{64}$/);
    assert.equal(manifest.timesteps, 2048);
    const metrics = await readMetrics(out);
    assert.equal(metrics.filter((m) => m.type === "update").length, 4);
    assert.ok(metrics.filter((m) => m.type === "eval").length >= 2);
    // the saved run reloads and evaluates deterministically, equal to what the CLI reported
    const run = await loadRun(out);
    const setup = await buildTradingSetup({ bars: 6000, signals: "none", episodeLength: 512 });
    const a = evaluatePolicy(setup.makeEvalEnv(), run.policy, {
      periodsPerYear: setup.periodsPerYear,
    });
    const b = evaluatePolicy(setup.makeEvalEnv(), run.policy, {
      periodsPerYear: setup.periodsPerYear,
    });
    assert.deepEqual(a.returns, b.returns);
    assert.ok(Math.abs(a.meanReturn - manifest.extra.validation.final.meanReturn) < 1e-9);

    // --resume continues from the latest checkpoint with the saved configuration
    const r2 = await train(["--resume", out, "--timesteps", "3072", "--no-progress"]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /resume: .*checkpoints\/2048 at 2048 steps/);
    const m2 = JSON.parse(Deno.readTextFileSync(`${out}/manifest.json`));
    assert.equal(m2.timesteps, 3072);
    assert.match(m2.resumedFrom, /checkpoints\/2048$/);
    assert.equal(JSON.parse(Deno.readTextFileSync(`${out}/config.json`)).algorithm.nSteps, 512);
    assert.deepEqual(listCheckpoints(out), [1024, 2048, 3072]);
    const steps = (await readMetrics(out)).filter((m) => m.type === "update").map((m) =>
      m.timesteps
    );
    assert.deepEqual(steps, [512, 1024, 1536, 2048, 2560, 3072]);
    const r3 = await train(["--resume", out, "--timesteps", "3072", "--no-progress"]);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /already has 3072/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("cli train: --preset applies under --config and flags; config.json and manifest record it", async () => {
  const dir = Deno.makeTempDirSync();
  const out = `${dir}/run`;
  try {
    // --config sets lr and one reward term; flags set n-envs, n-epochs and another term
    Deno.writeTextFileSync(
      `${dir}/cfg.json`,
      JSON.stringify({ lr: 0.001, reward: { pnl: { weight: 50 } } }),
    );
    const r = await train([
      "--preset",
      "synthetic-ppo",
      "--config",
      `${dir}/cfg.json`,
      "--reward",
      "action=0.1",
      "--timesteps",
      "2048",
      "--bars",
      "6000",
      "--signals",
      "none",
      "--episode-length",
      "512",
      "--n-envs",
      "2",
      "--n-epochs",
      "2",
      "--eval-freq",
      "0",
      "--checkpoint-freq",
      "0",
      "--no-progress",
      "--out",
      out,
      "--backend",
      "cpu",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /trained ppo \(preset synthetic-ppo\) for 2,048 steps/);
    assert.match(r.stdout, /return %\s+Sharpe\s+trades/);
    assert.match(
      r.stdout,
      /final model [+-]?\d[\d,.]* % vs always flat \(0\.00 %\): .*; vs random/,
    );
    assert.match(r.stdout, /tensorboard --logdir /);
    const cfg = JSON.parse(Deno.readTextFileSync(`${out}/config.json`));
    assert.equal(cfg.preset, "synthetic-ppo");
    // preset values where nothing else was given
    assert.equal(cfg.normObs, true);
    assert.equal(cfg.algorithm.annealLr, true);
    assert.equal(cfg.algorithm.nSteps, 512);
    // --config over the preset, flags over both
    assert.equal(cfg.algorithm.learningRate, 0.001);
    assert.equal(cfg.nEnvs, 2);
    assert.equal(cfg.algorithm.nEpochs, 2);
    assert.equal(cfg.timesteps, 2048);
    // the full resolved reward: the preset's switches, the config's and the flag's weights
    const expected = resolveRewardConfig({
      drawdown: { enabled: false },
      sharpe: { enabled: false },
      pnl: { weight: 50 },
      action: { weight: 0.1, enabled: true },
    });
    assert.deepEqual(cfg.reward, expected);
    const manifest = JSON.parse(Deno.readTextFileSync(`${out}/manifest.json`));
    assert.equal(manifest.extra.preset, "synthetic-ppo");
    assert.deepEqual(manifest.extra.reward, expected);
    assert.equal(manifest.extra.validation.alwaysFlat.totalReturn, 0);
    assert.equal(manifest.extra.validation.alwaysFlat.trades, 0);
    // the run really used that reward: re-evaluating under it reproduces the reported sum
    const run = await loadRun(out);
    const setup = await buildTradingSetup({
      bars: 6000,
      signals: "none",
      episodeLength: 512,
      reward: cfg.reward,
    });
    const ev = evaluatePolicy(setup.makeEvalEnv(), run.policy, {
      periodsPerYear: setup.periodsPerYear,
    });
    assert.ok(Math.abs(ev.meanReturn - manifest.extra.validation.final.meanReturn) < 1e-9);
    assert.equal(ev.trades, manifest.extra.validation.final.trades);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
