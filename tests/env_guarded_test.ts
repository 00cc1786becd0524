/**
 * The futures env under the guardrails, on the seeded synthetic market: the wrapper is
 * transparent without guards, denied entries become HOLD, ladder exits go through the
 * account's one accounting and the env's trade counters, and every intervention is reported.
 *
 * What these tests cannot catch: whether the guards improve an agent (notebook 10's question);
 * intrabar level touches (the env sees closes only, by design).
 */
import assert from "node:assert/strict";
import { generateSyntheticMarket } from "../lib/data/synthetic.ts";
import { computeFeatures } from "../lib/features/features.ts";
import { checkEnv } from "../lib/env/check_env.ts";
import { type FuturesEnvOptions, FuturesTradingEnv } from "../lib/env/futures_env.ts";
import { Action } from "../lib/env/policy.ts";
import { type GuardedEnvInfo, GuardedFuturesEnv } from "../lib/env/guarded_env.ts";
import { exitPreset, type RiskEvent, riskPreset } from "../lib/risk/mod.ts";
import { Rng } from "../lib/util/prng.ts";

const market = generateSyntheticMarket({ seed: 7, bars: 6_000 });
const features = computeFeatures(market);
const base: FuturesEnvOptions = { market, features };

/** Enter long whenever flat, otherwise hold: exposes the ladder to every kind of path. */
const alwaysLong = (info: GuardedEnvInfo) => info.position === 0 ? Action.ENTER_LONG : Action.HOLD;

function randomActions(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.int(6));
}

Deno.test("without guards (or with the `off` presets) the wrapper is transparent: same rewards, equity and trades", () => {
  const actions = randomActions(3_000, 3);
  const plain = new FuturesTradingEnv(base);
  plain.reset();
  const ref: Array<readonly [number, number, boolean]> = [];
  for (const a of actions) {
    const r = plain.step(a);
    ref.push([r.reward, r.info.equity, r.terminated || r.truncated]);
    if (r.terminated || r.truncated) break;
  }
  assert.ok(ref.length > 100 && plain.account.ledger.count > 10, "the random run traded");
  for (const guard of [{}, { risk: riskPreset("off"), exits: exitPreset("off") }]) {
    const g = new GuardedFuturesEnv(base, guard);
    g.reset();
    ref.forEach((expected, i) => {
      const r = g.step(actions[i]);
      const info = r.info as GuardedEnvInfo;
      assert.deepEqual([r.reward, info.equity, r.terminated || r.truncated], expected, `step ${i}`);
    });
    assert.equal(g.env.account.ledger.count, plain.account.ledger.count);
    assert.deepEqual(g.interventionCounts(), {});
  }
});

Deno.test("kill switch: every entry becomes HOLD, reported in info and counted; EXIT still works", () => {
  const g = new GuardedFuturesEnv(base, { risk: riskPreset("spec") });
  let { info } = g.reset();
  g.step(Action.ENTER_LONG); // open before the switch
  assert.equal(g.env.account.direction, 1);
  g.riskManager!.setKill("test", info.time);
  let r = g.step(Action.EXIT); // flattening is always allowed
  assert.equal(g.env.account.direction, 0);
  for (let i = 0; i < 50; i++) {
    r = g.step(i % 2 ? Action.ENTER_LONG : Action.ENTER_SHORT);
    info = r.info as GuardedEnvInfo;
    assert.equal(info.requestedAction, i % 2 ? Action.ENTER_LONG : Action.ENTER_SHORT);
    assert.equal(info.riskDenied, 1);
    assert.equal(info.riskRule, "kill_switch");
    assert.equal(info.action, Action.HOLD);
    assert.equal(info.position, 0);
    assert.equal(info.riskEvents.length, 1);
    assert.match(info.riskEvents[0].reason, /order denied: kill switch: test/);
  }
  assert.equal(info.riskDenials, 50);
  assert.equal(g.interventionCounts().kill_switch, 51); // set + 50 denials
});

Deno.test("spread circuit breaker from a context series: entries denied exactly on the wide-spread bars", () => {
  const spread = new Float64Array(market.close.length).fill(0.001);
  const wideFrom = 2_000;
  const wideTo = 2_300;
  spread.fill(0.08, wideFrom, wideTo);
  // alternate entries and exits from bar 1950, so the lockout at 2000–2299 meets many entries
  const g = new GuardedFuturesEnv({ ...base, range: { start: 1_950, end: 2_400 } }, {
    risk: { disabled: ["daily_loss", "loss_streak", "max_drawdown"] },
    context: { spreadFraction: spread },
  });
  let info = g.reset().info;
  let denied = 0;
  for (let i = 0; i < 450; i++) {
    const bar = info.bar;
    const r = g.step(info.position === 0 ? Action.ENTER_SHORT : Action.EXIT);
    info = r.info as GuardedEnvInfo;
    if (info.riskDenied) {
      denied++;
      assert.ok(bar >= wideFrom && bar < wideTo, `denied at bar ${bar}, outside the wide spread`);
      assert.equal(info.riskRule, "spread");
    } else if (bar >= wideFrom && bar < wideTo) {
      assert.notEqual(info.requestedAction, Action.ENTER_SHORT, `entry allowed at bar ${bar}`);
    }
    if (r.terminated || r.truncated) break;
  }
  assert.ok(denied >= 100, `only ${denied} denials over a 300-bar lockout`);
});

Deno.test("ladder exits on the synthetic market: partial TPs shrink the account by the rung's fraction, full exits go through EXIT, accounting stays one", () => {
  const g = new GuardedFuturesEnv(base, { exits: exitPreset("spec") });
  const lev = g.env.account.config.leverage;
  let info = g.reset().info;
  const seen = new Set<string>();
  let exitEvents = 0;
  let partials = 0;
  for (let i = 0; i < 5_900; i++) {
    const a = g.env.account;
    const before = { dir: a.direction, size: a.size, entry: a.entryPrice, price: info.price };
    const pm = g.profitManager!;
    const managed = pm.has(market.symbol) ? pm.position(market.symbol)! : null;
    const r = g.step(alwaysLong(info));
    info = r.info as GuardedEnvInfo;
    exitEvents += info.riskEvents.filter((e) => e.numbers.qty !== undefined).length;
    if (info.exitOrders > 0) {
      seen.add(info.exitRule);
      // the ladder is judged on the close where the decision is taken, at the managed entry
      const gain = lev * (before.price - managed!.entryPrice) / managed!.entryPrice;
      const e = info.riskEvents.filter((x: RiskEvent) => x.rule === info.exitRule).at(-1)!;
      assert.ok(Math.abs(e.numbers.gain - gain) < 1e-9, `gain ${e.numbers.gain} vs ${gain}`);
      if (info.exitRule === "stop_loss") assert.ok(gain <= -0.15 + 1e-9);
      if (info.exitRule.startsWith("tp")) assert.ok(gain >= 0.4 - 1e-9);
      if (
        info.exitRule === "stop_loss" || info.exitRule === "tp5" ||
        info.exitRule === "trailing_stop"
      ) {
        assert.equal(info.action, Action.EXIT, "a full exit is the env's EXIT");
        assert.equal(info.tradeClosed, 1);
      } else if (info.exitRule === "tp1" && info.exitOrders === 1) {
        assert.ok(
          Math.abs(a.size - before.size * 0.5) < 1e-9 * before.size,
          `tp1 kept ${a.size} of ${before.size}`,
        );
        partials++;
      }
    }
    // one accounting: the account's identity holds after every ladder fill
    const acct = g.env.account;
    const identity = acct.initialBalance + acct.realisedPnl - acct.feesPaid - acct.fundingPaid +
      acct.unrealisedPnl;
    assert.ok(Math.abs(acct.equity - identity) < 1e-6, `equity identity broken at step ${i}`);
    // the env's trade counters saw every close (none bypassed by the wrapper)
    assert.equal(info.totalTrades, acct.ledger.count);
    if (r.terminated || r.truncated) break;
  }
  assert.ok(seen.has("stop_loss") && seen.has("tp1"), `rules seen: ${[...seen]}`);
  assert.ok(partials > 0, "no lone TP1 partial exit was checked");
  assert.equal(info.ladderExits, exitEvents, "every ladder order is an event and is counted");
});

Deno.test("loss streak through the env: after 3 losing trades in a UTC day new entries are HOLD until the next day", () => {
  const g = new GuardedFuturesEnv(base, {
    risk: { ...riskPreset("spec"), disabled: ["daily_loss", "max_drawdown"] },
    // a 1 % (of margin) stop: many short losing trades, so streaks of 3 happen within a day
    exits: { ...exitPreset("spec"), stopLoss: 0.01 },
  });
  let info = g.reset().info;
  const lossesByDay = new Map<string, number>();
  let streakDenials = 0;
  for (let i = 0; i < 5_900; i++) {
    const day = new Date(info.time + market.intervalMs).toISOString().slice(0, 10);
    const r = g.step(alwaysLong(info));
    info = r.info as GuardedEnvInfo;
    if (info.tradeClosed && info.closedTradePnl < 0) {
      lossesByDay.set(day, (lossesByDay.get(day) ?? 0) + 1);
    }
    if (info.riskDenied) {
      assert.equal(info.riskRule, "loss_streak");
      assert.ok(
        (lossesByDay.get(day) ?? 0) >= 3,
        `denied on ${day} after ${lossesByDay.get(day)} losses`,
      );
      streakDenials++;
    }
    if (r.terminated || r.truncated) break;
  }
  assert.ok(streakDenials > 0, "the path never hit a 3-loss streak: the test exercised nothing");
});

Deno.test("cloneState/restoreState replays identically with both guards (GRPO needs it)", () => {
  const g = new GuardedFuturesEnv(base, { risk: riskPreset("spec"), exits: exitPreset("spec") });
  g.reset();
  const actions = randomActions(600, 11);
  for (const a of actions.slice(0, 300)) g.step(a);
  const snap = JSON.parse(JSON.stringify({ ...g.cloneState(), inner: null }));
  const full = g.cloneState();
  const run = () =>
    actions.slice(300).map((a) => {
      const r = g.step(a);
      return [
        r.reward,
        (r.info as GuardedEnvInfo).riskDenials,
        (r.info as GuardedEnvInfo).ladderExits,
      ];
    });
  const first = run();
  g.restoreState(full);
  assert.deepEqual(run(), first);
  assert.equal(snap.kind, "GuardedFuturesEnv"); // the managers' part is plain JSON
});

Deno.test("the guarded env passes the env checker", () => {
  const g = new GuardedFuturesEnv({ ...base, episodeLength: 500 }, {
    risk: riskPreset("spec"),
    exits: exitPreset("spec"),
  });
  const report = checkEnv(g, { steps: 1_500 });
  assert.ok(report.steps >= 1_500);
});
