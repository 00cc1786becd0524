/**
 * `deno task evaluate` on an OPTIONS run: the same evaluateRun, episode loop, table, targets,
 * bootstrap and evaluation.json as a futures run, with the options env's references (reversal
 * rule as the bootstrap's baseline, flat, always call, always put, random) and the guards
 * (`--risk spec --exits spec`, `--smoothing`) recorded and acting. Runtime ≈ 10–20 s (one tiny
 * training run, two CLI subprocesses).
 *
 * What these tests cannot catch: whether a trained options agent is any good (the budget is
 * far too small to learn); the guards' own rules are tested in the risk/guard tests.
 */
import assert from "node:assert/strict";
import { trainRun } from "../lib/experiment/train.ts";
import { backtest, MomentumOptionsPolicy, optionsEpisode } from "../lib/backtest/mod.ts";
import { buildOptionsSetup, optionsEnvDefaults } from "../lib/experiment/options_setup.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function evaluateCli(dir: string, ...flags: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}cli/evaluate.ts`, dir, "--samples", "200", ...flags],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert.equal(out.code, 0, dec.decode(out.stderr));
  return {
    stdout: dec.decode(out.stdout),
    json: JSON.parse(await Deno.readTextFile(`${dir}/evaluation.json`)),
  };
}

Deno.test("deno task evaluate on an options run: the options references, the bootstrap and the guards in evaluation.json", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rlt-evalopt-" });
  try {
    const res = await trainRun(
      {
        env: "options",
        agent: "ppo",
        timesteps: 2048,
        seed: 0,
        data: { episodeLength: 512 },
        optionsEnv: { sessions: 120 },
        evaluation: { evalFreq: 1024 },
      },
      { out: dir, progress: false, log: () => {} },
    );
    res.engine.dispose();
    const plain = await evaluateCli(dir);
    const j = plain.json;
    assert.equal(j.env, "options");
    assert.equal(j.baseline, "reversal rule (1 h)");
    const names = j.rows.map((r: { name: string }) => r.name);
    assert.deepEqual(names, [
      "best model",
      "final model",
      "reversal rule (1 h)",
      "always flat",
      "always call",
      "always put",
      "random (seed 0)",
    ]);
    assert.deepEqual(j.guards, { risk: "off", exits: "off", smoothing: null });
    assert.equal(j.bootstrap.length, 2);
    assert.ok(Math.abs(j.bootstrap[0].sharpeBaseline - j.rows[2].sharpe) < 1e-9);
    for (const r of j.rows) {
      assert.equal(r.time.length, r.equity.length);
      assert.ok(r.equity.length > 100, `${r.name}: a whole-split curve`);
      assert.deepEqual(r.riskCounts, {});
    }
    // the references act: the constant sides trade, flat does not
    const row = (n: string) => j.rows.find((r: { name: string }) => r.name === n);
    assert.equal(row("always flat").trades, 0);
    assert.ok(row("always call").trades > 0 && row("always put").trades > 0);
    assert.ok(j.targets.some((t: { strategy: string }) => t.strategy === "always put"));
    assert.match(plain.stdout, /vs the reversal rule \(1 h\)/);
    assert.ok(
      j.notes.some((n: string) => /plants exactly this edge/.test(n)),
      "the baseline is named for what it is",
    );

    const guarded = await evaluateCli(
      dir,
      "--risk",
      "spec",
      "--exits",
      "spec",
      "--smoothing",
      "0.5",
    );
    const g = guarded.json;
    assert.deepEqual(g.guards, { risk: "spec", exits: "spec", smoothing: 0.5 });
    const grow = (n: string) => g.rows.find((r: { name: string }) => r.name === n);
    // the guards act on the references too (same loop): the exit ladder / lockouts intervene
    // and change the always-call curve
    const interventions = g.rows.reduce(
      (s: number, r: { riskCounts: Record<string, number> }) =>
        s + Object.values(r.riskCounts).reduce((a, b) => a + b, 0),
      0,
    );
    assert.ok(interventions > 0, "no guard intervened on any strategy");
    assert.notEqual(grow("always call").finalEquity, row("always call").finalEquity);
    assert.match(guarded.stdout, /guards: risk "spec", exits "spec", smoothing 0.5/);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("backtest() of the options env is the same episode as optionsEpisode: equity, trades and sides agree", async () => {
  const setup = await buildOptionsSetup({
    config: { ...optionsEnvDefaults(), sessions: 60 },
    episodeLength: 256,
  });
  const policy = new MomentumOptionsPolicy("reversal");
  const bt = backtest(policy, () => setup.makeEvalEnv("test"), {
    periodsPerYear: setup.periodsPerYear,
  });
  const ep = optionsEpisode(policy, setup.makeEvalEnv("test"));
  assert.equal(bt.steps, ep.steps);
  assert.deepEqual(Array.from(bt.equity), Array.from(ep.equity));
  assert.equal(bt.trades.length, ep.trades);
  assert.ok(bt.trades.length > 10);
  for (let t = 0; t < ep.steps; t++) {
    assert.equal(Math.sign(bt.position[t + 1]), ep.position[t], `side after step ${t}`);
    assert.equal(bt.price[t + 1], ep.price[t], `underlying after step ${t}`);
  }
  assert.deepEqual(bt.actionLabels, ["FLAT", "CALL", "PUT"]);
  assert.equal(bt.actionCounts.reduce((a, b) => a + b, 0), bt.steps);
  // exposure counts the bars an option was held over, forced session-close exits included
  const heldBars = ep.position.reduce(
    (s, p, i) =>
      s +
      (p !== 0 || bt.trades.some((tr) => tr.exitBar === bt.bar[i + 1] && tr.exitReason !== "exit")
        ? 1
        : 0),
    0,
  );
  assert.equal(Math.round((bt.metrics.exposure ?? -1) * bt.steps), heldBars);
});
