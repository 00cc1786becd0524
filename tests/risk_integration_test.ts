/**
 * The guardrails where they act: `backtest()` / `runEpisode` with `risk` / `exits` (any
 * policy, the one episode loop), training under them (`RunConfig.risk`), their events in the
 * results and the with/without report sentence.
 *
 * What these tests cannot catch: whether the spec's limits are good ones (notebook 10 shows
 * what they do to the baseline and an agent); the rules' own arithmetic is covered by
 * risk_manager_test.ts, profit_manager_test.ts and env_guarded_test.ts.
 */
import assert from "node:assert/strict";
import { generateSyntheticMarket } from "../lib/data/synthetic.ts";
import { computeFeatures } from "../lib/features/features.ts";
import {
  Action,
  FuturesTradingEnv,
  GuardedFuturesEnv,
  guardEnv,
  OBS_INDEX,
  type Policy,
} from "../lib/env/mod.ts";
import { generateSyntheticOptionsMarket } from "../lib/data/mod.ts";
import { OptionsTradingEnv } from "../lib/env/options_env.ts";
import { GuardedOptionsEnv, type GuardedOptionsEnvInfo } from "../lib/env/guarded_options_env.ts";
import { backtest, type BacktestResult, RandomPolicy, runEpisode } from "../lib/backtest/mod.ts";
import { exitPreset, riskPreset } from "../lib/risk/mod.ts";
import { isOptionsSetup, resolveRunConfig, trainRun } from "../lib/experiment/mod.ts";
import { guardSetup } from "../lib/experiment/setup.ts";
import {
  guardComparisonRows,
  guardCostSentence,
  riskCountRows,
  riskEventRows,
  riskEventsFigure,
} from "../lib/report/mod.ts";
import { ConfigError } from "../lib/util/mod.ts";

const market = generateSyntheticMarket({ seed: 7, bars: 6_000 });
const features = computeFeatures(market);
const makeEnv = () => new FuturesTradingEnv({ market, features });
const P = makeEnv().periodsPerYear;

const POSITION = OBS_INDEX.position;

/** A rule policy from a function of the observation (batch of one). */
function constantPolicy(name: string, f: (obs: Float64Array) => number): Policy {
  return {
    name,
    act: (obs) => ({
      actions: Float64Array.of(f(obs)),
      logProb: Float64Array.of(0),
      value: Float64Array.of(NaN),
    }),
  };
}

function same(a: BacktestResult, b: BacktestResult): void {
  assert.deepEqual(b.equity, a.equity);
  assert.deepEqual(b.actions, a.actions);
  assert.deepEqual(b.position, a.position);
  assert.deepEqual(b.trades, a.trades);
  assert.deepEqual(b.metrics, a.metrics);
}

Deno.test("off presets (names or all-disabled configs that still wrap) leave a backtest exactly unchanged", () => {
  const policy = new RandomPolicy({ seed: 3 });
  const plain = backtest(policy, makeEnv, { periodsPerYear: P });
  assert.ok(plain.trades.length > 20, "the random policy trades");
  for (
    const guards of [
      { risk: "off" as const, exits: "off" as const },
      { risk: riskPreset("off"), exits: exitPreset("off") },
    ]
  ) {
    const g = backtest(policy, makeEnv, { periodsPerYear: P, ...guards });
    same(plain, g);
    assert.deepEqual(g.riskEvents, []);
    assert.deepEqual(g.riskCounts, {});
  }
});

Deno.test("guards change a backtest only from the first intervention on; events are counted and timestamped on bar closes", () => {
  const policy = new RandomPolicy({ seed: 3 });
  const plain = backtest(policy, makeEnv, { periodsPerYear: P });
  const g = backtest(policy, makeEnv, { periodsPerYear: P, risk: "spec", exits: "spec" });
  assert.ok(g.riskEvents.length > 0, "the spec rules fire on a random policy");
  // counted by rule
  const counts: Record<string, number> = {};
  for (const e of g.riskEvents) counts[e.rule] = (counts[e.rule] ?? 0) + 1;
  assert.deepEqual(g.riskCounts, counts);
  // timestamped at a decision close, in time order, with a reason and numbers
  const interval = market.intervalMs;
  const closes = new Set(Array.from(g.time, (t) => t + interval));
  for (let i = 0; i < g.riskEvents.length; i++) {
    const e = g.riskEvents[i];
    assert.ok(closes.has(e.timeMs), `event ${i} (${e.rule}) at a bar close`);
    if (i > 0) assert.ok(e.timeMs >= g.riskEvents[i - 1].timeMs, "time order");
    assert.ok(e.reason.length > 0 && Object.keys(e.numbers).length > 0);
  }
  // identical up to the decision of the first event, different after it
  const first = g.riskEvents[0].timeMs;
  const step = Array.from(g.time).findIndex((t) => t + interval === first);
  assert.ok(step >= 0);
  assert.deepEqual(g.equity.subarray(0, step + 1), plain.equity.subarray(0, step + 1));
  assert.deepEqual(g.actions.subarray(0, step), plain.actions.subarray(0, step));
  assert.notDeepEqual(g.equity, plain.equity);
  // the recorded actions are those the env took: no entry while a denial was reported
  const table = riskCountRows([g]);
  assert.equal(table.at(-1)!.rule, "total");
  assert.equal(table.at(-1)![g.name], g.riskEvents.length);
});

Deno.test("a ladder exit is recorded as the action the env took (EXIT), not the policy's HOLD", () => {
  // enter long when flat, then hold: only the ladder (stop loss, TP5, trailing stop) closes
  const longHold = constantPolicy(
    "long_then_hold",
    (obs) => obs[POSITION] === 0 ? Action.ENTER_LONG : Action.HOLD,
  );
  const g = backtest(longHold, makeEnv, { periodsPerYear: P, exits: "spec" });
  const ladderCloses = g.riskEvents.filter((e) =>
    e.rule === "stop_loss" || e.rule === "tp5" ||
    e.rule === "trailing_stop"
  );
  assert.ok(ladderCloses.length >= 1, "the position was closed by the ladder");
  assert.ok(g.actionCounts[Action.EXIT] >= 1, "EXIT recorded");
  // after each ladder close the policy re-enters: more than one trade, all by the ladder or the end
  assert.ok(g.trades.length >= ladderCloses.length);
});

Deno.test("guardEnv refuses to guard twice and names unknown presets", () => {
  const once = guardEnv(makeEnv(), { risk: "spec" });
  assert.ok(once instanceof GuardedFuturesEnv);
  assert.throws(() => guardEnv(once, { risk: "spec" }), ConfigError);
  assert.throws(() => runEpisode(new RandomPolicy(), makeEnv(), { exits: "tight" as "spec" }), {
    name: "ConfigError",
    message: /unknown preset "tight"/,
  });
});

Deno.test("RunConfig risk/exits: off by default, spec or partial configs, bad values named", () => {
  const d = resolveRunConfig({});
  assert.equal(d.risk, "off");
  assert.equal(d.exits, "off");
  const c = resolveRunConfig({ risk: { maxLossStreak: 5 }, exits: "spec" });
  assert.deepEqual(c.risk, { maxLossStreak: 5 });
  assert.throws(() => resolveRunConfig({ risk: "tight" as "spec" }), (e: ConfigError) => {
    assert.equal(e.where.parameter, "risk");
    return true;
  });
  assert.throws(
    () => resolveRunConfig({ risk: { maxDailyLossFraction: -1 } }),
    (e: ConfigError) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.where.parameter ?? "", /^risk/);
      return true;
    },
  );
  assert.throws(() => resolveRunConfig({ exits: { stopLoss: -0.2 } }), (e: ConfigError) => {
    assert.match(e.where.parameter ?? "", /^exits/);
    return true;
  });
});

Deno.test("an agent trained with risk: spec records it, and its envs deny entries under a kill switch", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const res = await trainRun({
      agent: "ppo",
      timesteps: 1024,
      data: { bars: 6000, signals: "none", episodeLength: 512 },
      algorithm: { nSteps: 512 },
      evaluation: { evalFreq: 0, checkpointFreq: 0 },
      risk: "spec",
    }, { out: `${dir}/run`, progress: false, log: () => {} });
    const cfg = JSON.parse(Deno.readTextFileSync(`${dir}/run/config.json`));
    assert.equal(cfg.risk, "spec");
    assert.equal(cfg.exits, "off");
    const manifest = JSON.parse(Deno.readTextFileSync(`${dir}/run/manifest.json`));
    assert.deepEqual(manifest.guards, { risk: "spec", exits: "off" });
    for (const env of [res.setup.makeTrainEnv(0), res.setup.makeEvalEnv("validation")]) {
      assert.ok(env instanceof GuardedFuturesEnv, "train and validation envs are guarded");
      const { info } = env.reset();
      env.riskManager!.setKill("test", info.time);
      for (let i = 0; i < 20; i++) {
        const r = env.step(i % 2 ? Action.ENTER_LONG : Action.ENTER_SHORT);
        assert.equal(env.account.direction, 0, "no entry under the kill switch");
        assert.equal((r.info as { riskRule: string }).riskRule, "kill_switch");
      }
    }
    // the same config on an unguarded setup gives the guarded factories
    assert.ok(!isOptionsSetup(res.setup), "a futures run");
    const again = guardSetup(res.setup, { risk: "off" });
    assert.equal(again, res.setup);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("options env: the premium ladder flattens through the env, and the lockouts live in the env", () => {
  const data = generateSyntheticOptionsMarket({ seed: 3, sessions: 30 });
  const env = new OptionsTradingEnv({ data });
  const alwaysCall = constantPolicy("always_call", () => 1);
  const plain = runEpisode(alwaysCall, env);
  assert.deepEqual(plain.riskEvents, []);
  // exits only: every closing ladder order (info.exitRule) leaves the option sold (flat) in
  // that very step, and is reported as an event of the same rule
  let closes = 0;
  runEpisode(alwaysCall, env, {
    exits: "spec",
    hooks: {
      afterStep: (_n, _a, res) => {
        const info = res.info as GuardedOptionsEnvInfo;
        if (info.exitRule !== "") {
          closes++;
          assert.equal(info.position, 0, "flat after a ladder close");
          assert.equal(info.exited, 1, "the env sold the option");
          assert.ok(info.riskEvents.some((e) => e.rule === info.exitRule));
        }
      },
    },
  });
  assert.ok(closes > 0, "a call held through sessions hits its stop loss");
  // risk spec: the lockouts go into the caller's env for the guarded episode only
  const g = guardEnv(env, { risk: "spec", exits: "spec" });
  assert.ok(g instanceof GuardedOptionsEnv);
  assert.equal(g.env, env, "the same env and account");
  g.reset();
  assert.ok(env.riskManager !== null, "the env checks entries in the guarded episode");
  env.riskManager!.setKill("test", env.info.time);
  for (let i = 0; i < 10; i++) {
    const info = g.step(Float64Array.of(1)).info as GuardedOptionsEnvInfo;
    assert.equal(info.position, 0, "no call bought under the kill switch");
    assert.equal(info.riskBlocked, 1);
    assert.ok(info.riskEvents.some((e) => e.rule === "kill_switch"));
  }
  env.reset();
  assert.equal(env.riskManager, null, "an unguarded reset has no risk rules again");
});

Deno.test("the with/without sentence is computed from the numbers", () => {
  const policy = new RandomPolicy({ seed: 3 });
  const without = backtest(policy, makeEnv, { periodsPerYear: P });
  const withG = backtest(policy, makeEnv, { periodsPerYear: P, risk: "spec", exits: "spec" });
  const pair = { name: "random", without, with: withG };
  const s = guardCostSentence(pair);
  const diff = withG.metrics.totalReturn - without.metrics.totalReturn;
  assert.match(s, diff < 0 ? /the guards cost return/ : /the guards added return/);
  assert.match(s, new RegExp(`${withG.riskEvents.length} interventions`));
  assert.match(guardCostSentence({ name: "x", without, with: without }), /did not change/);
  assert.equal(guardComparisonRows([pair]).length, 2);
});

Deno.test("cli train: --risk spec --exits spec reach the run config and manifest; a bad name is a flag error", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const dir = Deno.makeTempDirSync();
  const train = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", `${root}cli/train.ts`, ...args],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  try {
    const bad = await train(["--risk", "tight"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--risk/);
    const r = await train([
      ...["--timesteps", "512", "--bars", "6000", "--signals", "none"],
      ...["--episode-length", "512", "--n-steps", "512", "--eval-freq", "0"],
      ...["--checkpoint-freq", "0", "--no-progress", "--out", `${dir}/run`],
      ...["--risk", "spec", "--exits", "spec"],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const cfg = JSON.parse(Deno.readTextFileSync(`${dir}/run/config.json`));
    assert.deepEqual([cfg.risk, cfg.exits], ["spec", "spec"]);
    const manifest = JSON.parse(Deno.readTextFileSync(`${dir}/run/manifest.json`));
    assert.deepEqual(manifest.guards, { risk: "spec", exits: "spec" });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("event table merges runs of the same denial; the figure has one mark per event", () => {
  const ev = (m: number, rule: string, reason: string) => ({
    timeMs: Date.UTC(2024, 0, 1, 0, m),
    rule,
    reason,
    numbers: { x: 1 },
  });
  const r = {
    name: "p",
    riskEvents: [
      ev(0, "daily_loss", "daily_loss halt"),
      ev(5, "daily_loss", "order denied"),
      ev(10, "daily_loss", "order denied"),
      ev(15, "daily_loss", "order denied"),
      ev(20, "tp1", "tp1 at 40 %"),
      ev(25, "daily_loss", "order denied"),
    ],
  };
  const rows = riskEventRows(r);
  assert.deepEqual(rows.map((x) => [x.rule, x.times, x.until]), [
    ["daily_loss", 1, ""],
    ["daily_loss", 3, "2024-01-01 00:15"],
    ["tp1", 1, ""],
    ["daily_loss", 1, ""],
  ]);
  assert.equal(riskEventRows(r, { collapse: false }).length, 6);
  assert.equal(riskEventRows(r, { limit: 2 }).length, 2);
  const fig = riskEventsFigure([r]);
  assert.equal((fig.data[0] as { x: number[] }).x.length, 6);
});
