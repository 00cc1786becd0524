import assert from "node:assert/strict";
import {
  Action,
  checkEnv,
  type FuturesEnvOptions,
  FuturesTradingEnv,
  OBS_DIM,
  OBSERVATION_NAMES,
  REWARD_TERMS,
} from "../lib/env/mod.ts";
import { EnvError } from "../lib/util/errors.ts";
import { Rng } from "../lib/util/prng.ts";
import {
  constantFeatures,
  makeTestFeatures,
  makeTestMarket,
  makeTestSignals,
  marketFromCloses,
} from "./env_fixtures.ts";

const near = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b)), `${a} ≠ ${b}`);

const MD = makeTestMarket({ bars: 6000, seed: 11 });
const FM = makeTestFeatures(MD);

function env(extra: Partial<FuturesEnvOptions> = {}): FuturesTradingEnv {
  return new FuturesTradingEnv({ market: MD, features: FM, ...extra });
}

/** closes alternating +up / −down fractions from 100. */
function zigzag(n: number, up: number, down: number): number[] {
  const c = [100];
  for (let i = 1; i < n; i++) c.push(c[i - 1] * (i % 2 ? 1 + up : 1 - down));
  return c;
}

Deno.test("checkEnv passes for training, evaluation, signals, cross margin and no-funding envs", () => {
  const variants: Partial<FuturesEnvOptions>[] = [
    { episodeLength: 256, seed: 1 },
    {},
    { signals: makeTestSignals(MD, 3000), episodeLength: 500 },
    {
      trading: { marginMode: "cross", leverage: 20, maintenanceMarginRate: 0.01 },
      episodeLength: 300,
    },
    { range: { start: 4000, end: 6000 }, reward: { sharpe: { enabled: false } } },
  ];
  for (const v of variants) {
    const r = checkEnv(env(v), { steps: 1500 });
    assert.equal(r.steps, 1500);
    assert.ok(r.checked.includes("actionMask") && r.checked.includes("cloneState"));
  }
  const noFunding = makeTestMarket({ bars: 800, fundingEvery: 0 });
  checkEnv(new FuturesTradingEnv({ market: noFunding, features: makeTestFeatures(noFunding) }), {
    steps: 500,
  });
});

Deno.test("observation: the 20 entries of the issue, on a live example", () => {
  const sig = makeTestSignals(MD, 0);
  const e = env({ signals: sig });
  const t0 = e.reset().info.bar;
  e.step(Action.ENTER_LONG);
  for (let k = 0; k < 29; k++) e.step(Action.HOLD);
  const o = e.observation;
  const a = e.account;
  const t = e.bar;
  assert.equal(t, t0 + 30);
  assert.equal(OBSERVATION_NAMES.length, OBS_DIM);
  const f = (name: string) => FM.data[t * FM.cols + FM.names.indexOf(name)];
  const clip = (v: number) => Math.max(-10, Math.min(10, v));
  const expected = [
    1,
    a.unrealisedPnl / a.equity,
    0.3,
    sig.signal[t] - 1,
    sig.confidence[t],
    sig.target[t],
    f("return_20"),
    f("natr"),
    f("rsi_14") / 100,
    f("oi_price_divergence_20"),
    f("oi_change_20"),
    f("funding_rate") * 100,
    f("volume_ratio"),
    f("bb_position"),
    a.equity / 2000,
    e.info.drawdown,
    a.balance / 2000,
    clip(e.info.recentSharpe),
    a.distanceToLiquidation(),
    0,
  ];
  for (let i = 0; i < OBS_DIM; i++) near(o[i], expected[i], 1e-12);
  assert.ok(o[18] > 0.15 && o[18] < 1, "distance to liquidation is live");
  assert.ok(o[1] !== 0, "unrealised PnL is live");
});

Deno.test("fill convention: a decision on bar t's close fills at close[t] ± slippage", () => {
  const e = env();
  const s = e.reset().info.bar;
  e.step(Action.ENTER_SHORT);
  near(e.account.entryPrice, MD.close[s] * (1 - 0.0002));
  for (let k = 0; k < 5; k++) e.step(Action.HOLD);
  const x = e.bar;
  e.step(Action.EXIT);
  const tr = e.trades()[0];
  assert.equal(tr.entryBar, s);
  assert.equal(tr.exitBar, x, "the ledger stamps the bar whose close filled the exit");
  assert.equal(tr.exitTime, MD.time[x]);
  near(tr.exitPrice, MD.close[x] * (1 + 0.0002));
  assert.equal(tr.entryTime, MD.time[s]);
});

Deno.test("spec bug 1: episodes start at the first valid feature row (evaluation) or at random (training)", () => {
  const md = makeTestMarket({ bars: 600 });
  const fm = constantFeatures(md, { firstValidRow: 37 });
  const ev = new FuturesTradingEnv({ market: md, features: fm });
  assert.equal(ev.reset().info.bar, 37);
  assert.equal(ev.firstBar, 37);
  const ev2 = new FuturesTradingEnv({ market: md, features: fm, range: { start: 100, end: 600 } });
  assert.equal(ev2.reset().info.bar, 100);
  const tr = new FuturesTradingEnv({ market: md, features: fm, episodeLength: 200, seed: 4 });
  const starts = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const s = tr.reset().info.bar;
    assert.ok(s >= 37 && s <= 599 - 200, `start ${s}`);
    assert.equal(tr.episodeEnd, s + 200);
    starts.add(s);
  }
  assert.ok(starts.size > 20, "starts vary");
  // the episode has exactly episodeLength steps
  tr.reset();
  let steps = 0;
  for (;;) {
    steps++;
    const r = tr.step(Action.HOLD);
    if (r.truncated) break;
  }
  assert.equal(steps, 200);
});

Deno.test("spec bug 2: SCALE_OUT in the env realises the closed half's PnL (equity keeps it)", () => {
  const md = marketFromCloses([100, 100, 102, 104, 104, 104]);
  const e = new FuturesTradingEnv({ market: md, features: constantFeatures(md) });
  e.reset();
  e.step(Action.ENTER_LONG);
  e.step(Action.HOLD);
  e.step(Action.HOLD); // bar 3, close 104
  const a = e.account;
  const eq = a.equity;
  const size = a.size;
  const entry = a.entryPrice;
  e.step(Action.SCALE_OUT); // fills at 104, next close 104
  const fill = 104 * (1 - 0.0002);
  near(e.info.realisedPnl, (size / 2) * (fill - entry));
  near(a.size, size / 2);
  near(e.info.equity, eq - (size / 2) * (104 * 0.0002 + fill * 0.0004));
  assert.ok(e.info.realisedPnl > 0);
});

Deno.test("spec bug 3: the Sharpe window fills and the Sharpe bonus applies", () => {
  const md = marketFromCloses(zigzag(80, 0.003, 0.001));
  const e = new FuturesTradingEnv({ market: md, features: constantFeatures(md) });
  e.reset();
  const bonus: number[] = [];
  const sharpe: number[] = [];
  let r = e.step(Action.ENTER_LONG);
  bonus.push(r.info.rewardSharpe as number);
  for (let k = 0; k < 40; k++) {
    r = e.step(Action.HOLD);
    bonus.push(r.info.rewardSharpe as number);
    sharpe.push(r.info.recentSharpe as number);
  }
  assert.deepEqual(bonus.slice(0, 19), new Array(19).fill(0), "window not yet full");
  assert.ok(sharpe[30] > 0.5);
  assert.equal(bonus[30], 0.2);
  assert.equal(bonus.filter((b) => b === 0.2).length >= 15, true);
});

Deno.test("spec bug 4: liquidation distance is margin-based (no penalty at entry) and liquidations happen", () => {
  const calm = marketFromCloses(zigzag(60, 0.001, 0.001));
  const e = new FuturesTradingEnv({ market: calm, features: constantFeatures(calm) });
  e.reset();
  let r = e.step(Action.ENTER_LONG);
  assert.ok((r.info.distanceToLiquidation as number) > 0.15);
  for (let k = 0; k < 20; k++) {
    r = e.step(Action.HOLD);
    assert.equal(r.info.rewardLiquidation, 0);
  }
  // isolated margin at 5× puts liquidation ≈ 20 % away; after a ≈ 8 % adverse move the
  // distance is below 15 % and the penalty applies
  const down = zigzag(30, 0.001, 0.001);
  for (let i = 0; i < 8; i++) down.push(down[down.length - 1] * 0.99);
  const dmd = marketFromCloses(down);
  const d = new FuturesTradingEnv({ market: dmd, features: constantFeatures(dmd) });
  d.reset();
  r = d.step(Action.ENTER_LONG);
  let penalised = 0;
  while (!r.truncated) {
    const dist = d.account.distanceToLiquidation();
    assert.equal(r.info.rewardLiquidation, dist < 0.15 ? -1 : 0);
    if (dist < 0.15) penalised++;
    r = d.step(Action.HOLD);
  }
  assert.ok(penalised >= 2, "the penalty applied near liquidation");
  assert.equal(r.info.rewardLiquidation, 0, "the end-of-episode close flattens the position");

  // a crash liquidates the long: terminated, recorded
  const closes = [100, 100, 100, 100, 75, 75, 75];
  const crash = marketFromCloses(closes);
  const c = new FuturesTradingEnv({ market: crash, features: constantFeatures(crash) });
  c.reset();
  c.step(Action.ENTER_LONG);
  c.step(Action.SCALE_IN);
  c.step(Action.SCALE_IN);
  assert.equal(c.bar, 3);
  const liq = c.account.liquidationPrice();
  assert.ok(liq > 75 && liq < 100);
  r = c.step(Action.HOLD);
  assert.equal(r.terminated, true);
  assert.equal(r.truncated, false);
  assert.equal(r.info.liquidated, 1);
  const t = c.trades();
  assert.equal(t.length, 1);
  assert.equal(t[0].exitReason, "liquidation");
  near(t[0].exitPrice, liq);
});

Deno.test("spec bug 5: the recent Sharpe is annualised with the interval and calendar", () => {
  const e = env({ episodeLength: 300, seed: 2 });
  assert.equal(e.periodsPerYear, 365 * 288);
  assert.equal(env({ calendar: "us_equity" }).periodsPerYear, 252 * 78);
  e.reset();
  const eqs = [e.info.equity];
  const rng = new Rng(9);
  for (let k = 0; k < 60; k++) {
    // (repeated SCALE_OUT would now close the position after a few halvings: minNotional)
    e.step(k === 0 ? Action.ENTER_LONG : rng.int(2) === 0 ? Action.HOLD : Action.SCALE_IN);
    eqs.push(e.info.equity);
  }
  assert.equal(e.info.position, 1);
  const rets = [];
  for (let i = eqs.length - 20; i < eqs.length; i++) rets.push(eqs[i] / eqs[i - 1] - 1);
  const mean = rets.reduce((s, x) => s + x, 0) / 20;
  const sd = Math.sqrt(rets.reduce((s, x) => s + (x - mean) ** 2, 0) / 20);
  near(e.info.recentSharpe, (mean / sd) * Math.sqrt(105120), 1e-6);
});

Deno.test("spec bug 6: funding settled inside a held bar is paid (long, positive rate)", () => {
  const closes = [100, 100, 101, 102, 103, 104];
  const funding = [NaN, NaN, 0.001, NaN, -0.002, NaN];
  const withF = marketFromCloses(closes, { funding });
  const noF = marketFromCloses(closes);
  const run = (md: typeof withF) => {
    const e = new FuturesTradingEnv({ market: md, features: constantFeatures(md) });
    e.reset();
    e.step(Action.ENTER_LONG);
    for (let k = 0; k < 3; k++) e.step(Action.HOLD);
    return e;
  };
  const a = run(withF);
  const b = run(noF);
  const q = a.account.size;
  near(a.info.fundingPaid, q * 101 * 0.001 + q * 103 * -0.002);
  near(b.info.equity - a.info.equity, a.info.fundingPaid);
  assert.equal(b.info.fundingPaid, 0);
});

Deno.test("spec bug 7: an entry risks 2 % of equity at a 1.5 × ATR stop, whatever the leverage", () => {
  for (const leverage of [5, 10]) {
    const md = marketFromCloses([100, 100, 100]);
    const e = new FuturesTradingEnv({
      market: md,
      features: constantFeatures(md, { values: { atr_14: 1 } }),
      trading: { leverage },
    });
    e.reset();
    e.step(Action.ENTER_LONG);
    near(e.account.size * 1.5 * 1, 0.02 * 2000);
  }
});

Deno.test("spec bug 8: repeated SCALE_IN stays within equity × leverage and the mask turns it off", () => {
  const md = marketFromCloses(zigzag(40, 0.001, 0.001));
  const e = new FuturesTradingEnv({ market: md, features: constantFeatures(md) });
  e.reset();
  e.step(Action.ENTER_LONG);
  const mask = new Uint8Array(6);
  for (let k = 0; k < 10; k++) e.step(Action.SCALE_IN);
  const a = e.account;
  assert.ok(a.notional <= a.equity * 5 * 1.001, `${a.notional} vs ${a.equity}`);
  e.actionMask(mask);
  assert.equal(mask[Action.SCALE_IN], 0);
  const r = e.step(Action.SCALE_IN);
  assert.equal(r.info.actionExecuted, 0);
});

Deno.test("spec bug 9: a trade's PnL includes every fee (entry, scale, exit) and funding", () => {
  const md = makeTestMarket({ bars: 400, seed: 5, fundingEvery: 4 });
  const e = new FuturesTradingEnv({ market: md, features: makeTestFeatures(md) });
  e.reset();
  const script = [1, 0, 4, 0, 5, 0, 0, 4, 0, 3];
  for (const s of script) e.step(s);
  const [t] = e.trades();
  assert.equal(e.trades().length, 1);
  near(t.pnl, e.info.equity - 2000);
  near(t.fees, e.info.feesPaid);
  near(t.funding, e.info.fundingPaid);
  near(t.pnl, t.grossPnl - t.fees - t.funding);
  assert.ok(t.fees > 0 && t.funding !== 0);
});

Deno.test("spec bug 10: a position open at the end of the episode is closed and recorded", () => {
  const e = env({ episodeLength: 30, seed: 3 });
  e.reset();
  e.step(Action.ENTER_SHORT);
  let r;
  do r = e.step(Action.HOLD); while (!r.truncated && !r.terminated);
  assert.equal(r.truncated, true);
  const t = e.trades();
  assert.equal(t.length, 1);
  assert.equal(t[0].exitReason, "end_of_data");
  assert.equal(e.account.direction, 0);
  near(e.info.equity, e.info.balance);
  near(e.info.equity, 2000 + t[0].pnl);
  // opt-out leaves it open
  const k = env({ episodeLength: 30, seed: 3, closeAtEnd: false });
  k.reset();
  k.step(Action.ENTER_SHORT);
  do r = k.step(Action.HOLD); while (!r.truncated);
  assert.equal(k.trades().length, 0);
  assert.equal(k.account.direction, -1);
});

Deno.test("spec bug 11: natr is a fraction (ATR / close) in the observation and the volatility penalty", () => {
  const e = env();
  e.reset();
  const r = e.step(Action.ENTER_LONG);
  const t = e.bar;
  const natr = FM.data[t * FM.cols + FM.names.indexOf("atr_14")] / MD.close[t];
  near(r.observation[7], natr, 1e-12);
  assert.ok(natr > 0 && natr < 0.05, "a fraction, not a percentage");
  near(r.info.rewardVolatility as number, -2 * natr, 1e-12);
});

Deno.test("spec bug 12: an evaluation env on a validation range stays inside it and never reads later bars", () => {
  const md = makeTestMarket({ bars: 3000, seed: 8 });
  const fm = makeTestFeatures(md);
  const range = { start: 2000, end: 2500 };
  const run = (m: typeof md) => {
    const e = new FuturesTradingEnv({ market: m, features: makeTestFeatures(m), range });
    const rng = new Rng(1);
    const out: number[] = [e.reset().info.bar];
    let r;
    do {
      r = e.step(rng.int(6));
      out.push(r.reward, r.info.equity as number, r.info.bar as number);
    } while (!r.truncated && !r.terminated);
    return { out, e };
  };
  const a = run(md);
  assert.equal(a.out[0], 2000);
  assert.equal(a.e.bar, 2499);
  // perturb every bar after the validation range: identical trajectory
  const m2 = { ...md, close: md.close.slice(), high: md.high.slice(), low: md.low.slice() };
  for (let i = 2500; i < 3000; i++) {
    m2.close[i] *= 1.5;
    m2.high[i] *= 1.5;
    m2.low[i] *= 1.5;
  }
  assert.deepEqual(run(m2).out, a.out);
  assert.ok(fm.firstValidRow < 2000);
});

Deno.test("causality: the observation at bar t does not depend on bars after t", () => {
  const md = makeTestMarket({ bars: 1000, seed: 21 });
  const script = (m: typeof md) => {
    const e = new FuturesTradingEnv({ market: m, features: makeTestFeatures(m) });
    e.reset();
    const obs: number[] = [];
    for (let k = 0; k < 300; k++) {
      e.step(k % 7 === 0 ? Action.ENTER_LONG : k % 11 === 0 ? Action.EXIT : Action.HOLD);
      obs.push(...e.observation);
    }
    return { obs, bar: e.bar };
  };
  const a = script(md);
  const m2 = { ...md, close: md.close.slice(), high: md.high.slice(), low: md.low.slice() };
  for (let i = a.bar + 1; i < 1000; i++) {
    m2.close[i] *= 0.7;
    m2.high[i] *= 0.7;
    m2.low[i] *= 0.7;
  }
  assert.deepEqual(script(m2).obs, a.obs);
});

Deno.test("reward components are reported, sum to the reward, and can be reweighted or switched off", () => {
  const e = env({ episodeLength: 400, seed: 6 });
  e.reset();
  const rng = new Rng(2);
  const seen = new Set<string>();
  for (let k = 0; k < 400; k++) {
    const r = e.step(rng.int(6));
    const i = r.info as Record<string, number>;
    let sum = 0;
    for (const t of REWARD_TERMS) {
      const v = i[`reward${t[0].toUpperCase()}${t.slice(1)}`];
      assert.equal(typeof v, "number");
      if (v !== 0) seen.add(t);
      sum += v;
    }
    near(sum, r.reward, 1e-12);
    if (r.truncated || r.terminated) break;
  }
  for (const t of ["pnl", "drawdown", "volatility", "action", "sharpe"]) assert.ok(seen.has(t), t);
  // switched off / reweighted
  const off = env({
    episodeLength: 400,
    seed: 6,
    reward: { drawdown: { enabled: false }, action: { weight: 1 }, pnl: { weight: 0 } },
  });
  off.reset();
  const rng2 = new Rng(2);
  for (let k = 0; k < 100; k++) {
    const r = off.step(rng2.int(6));
    assert.equal(r.info.rewardDrawdown, 0);
    assert.equal(r.info.rewardPnl, 0);
    assert.equal(r.info.rewardAction, r.info.actionExecuted ? -1 : 0);
  }
  assert.throws(() => env({ reward: { bogus: {} } as never }), /unknown reward term/);
  assert.throws(() => env({ reward: { pnl: { weight: NaN } } }), /reward\.pnl\.weight/);
});

Deno.test("bad input: actions outside the space, stepping after the end, short windows → EnvError", () => {
  const e = env({ episodeLength: 5 });
  assert.throws(() => e.step(0), (x: unknown) => x instanceof EnvError && /reset/.test(String(x)));
  e.reset();
  for (const bad of [6, -1, 1.5, NaN, Infinity]) {
    assert.throws(
      () => e.step(bad),
      (x: unknown) => x instanceof EnvError && /Discrete\(6\)/.test(String(x)),
    );
  }
  let r;
  do r = e.step(Action.HOLD); while (!r.truncated);
  assert.throws(() => e.step(Action.HOLD), EnvError);
  e.reset();
  e.step(Action.HOLD);
  const md = makeTestMarket({ bars: 100 });
  const fm = makeTestFeatures(md);
  assert.throws(
    () => new FuturesTradingEnv({ market: md, features: fm, episodeLength: 2048 }),
    (x: unknown) => x instanceof EnvError && /fewer than one episode/.test(x.message),
  );
  assert.throws(
    () => new FuturesTradingEnv({ market: md, features: fm, range: { start: 0, end: 20 } }),
    EnvError,
  );
  assert.throws(
    () => new FuturesTradingEnv({ market: md, features: fm, range: { start: 50, end: 500 } }),
    EnvError,
  );
  assert.throws(
    () =>
      new FuturesTradingEnv({
        market: md,
        features: makeTestFeatures(makeTestMarket({ bars: 99 })),
      }),
    /rows/,
  );
  const missing = { ...fm, names: fm.names.map((n) => (n === "rsi_14" ? "rsi" : n)) };
  assert.throws(
    () => new FuturesTradingEnv({ market: md, features: missing }),
    (x: unknown) => x instanceof EnvError && x.where.column === "rsi_14",
  );
  assert.throws(() => env().reset({ options: { start: 3 } }), EnvError);
  assert.throws(() => env({ episodeLength: 0 }), EnvError);
});

Deno.test("action masks agree with what step executes", () => {
  const e = env({ episodeLength: 1000, seed: 9, trading: { leverage: 3 } });
  e.reset();
  const rng = new Rng(4);
  const mask = new Uint8Array(6);
  const executedByAction = new Array(6).fill(0);
  for (let k = 0; k < 3000; k++) {
    e.actionMask(mask);
    assert.equal(mask[0], 1);
    const a = rng.int(6);
    const r = e.step(a);
    if (a !== 0) assert.equal(r.info.actionExecuted, mask[a], `step ${k} action ${a}`);
    executedByAction[a] += r.info.actionExecuted as number;
    if (r.truncated || r.terminated) e.reset();
  }
  for (let a = 1; a < 6; a++) assert.ok(executedByAction[a] > 0, `action ${a} executed sometimes`);
});

Deno.test("cloneState/restoreState restore everything, including the PRNG of the next reset", () => {
  const e = env({ episodeLength: 100, seed: 12 });
  e.reset();
  const rng = new Rng(3);
  for (let k = 0; k < 60; k++) e.step(rng.int(6));
  const snap = e.cloneState();
  const actions = Array.from({ length: 200 }, () => rng.int(6));
  const play = () => {
    const out: number[] = [];
    for (const a of actions) {
      const r = e.step(a);
      out.push(r.reward, ...r.observation);
      if (r.truncated || r.terminated) out.push(e.reset().info.bar as number);
    }
    return { out, trades: e.trades() };
  };
  const first = play();
  e.restoreState(snap);
  assert.deepEqual(play(), first);
  assert.throws(() => e.restoreState({}), EnvError);
});

Deno.test("same seed → identical episodes; render describes the state", () => {
  const a = env({ episodeLength: 200, seed: 1 });
  const b = env({ episodeLength: 200, seed: 1 });
  const c = env({ episodeLength: 200, seed: 2 });
  const sa = [a.reset().info.bar, a.reset().info.bar];
  assert.deepEqual([b.reset().info.bar, b.reset().info.bar], sa);
  assert.notDeepEqual([c.reset().info.bar, c.reset().info.bar], sa);
  assert.equal(a.reset({ seed: 77 }).info.bar, b.reset({ seed: 77 }).info.bar);
  a.step(Action.ENTER_LONG);
  const text = a.render();
  assert.match(text, /LONG/);
  assert.ok(text.includes(`equity ${a.info.equity.toFixed(2)}`), text);
  assert.match(text, /ENTER_LONG/);
});

Deno.test("signals: absent or unavailable → 0, 0, 0; available → signal − 1, confidence, target", () => {
  const sig = makeTestSignals(MD, 3000);
  const e = env({ signals: sig, range: { start: 2990, end: 3100 } });
  e.reset();
  assert.deepEqual([...e.observation.subarray(3, 6)], [0, 0, 0]);
  for (let k = 0; k < 15; k++) e.step(Action.HOLD);
  const t = e.bar;
  assert.ok(t >= 3000);
  assert.deepEqual([...e.observation.subarray(3, 6)], [
    sig.signal[t] - 1,
    sig.confidence[t],
    sig.target[t],
  ]);
  const none = env({ range: { start: 2990, end: 3100 } });
  none.reset();
  assert.deepEqual([...none.observation.subarray(3, 6)], [0, 0, 0]);
  const bad = makeTestSignals(makeTestMarket({ bars: 10 }), 0);
  assert.throws(() => env({ signals: bad }), EnvError);
});

Deno.test("ruin: equity at or below 50 % of the initial balance terminates the episode", () => {
  const closes = [100, 100, 100];
  for (let i = 0; i < 40; i++) closes.push(closes[closes.length - 1] * 0.985);
  const md = marketFromCloses(closes);
  const e = new FuturesTradingEnv({
    market: md,
    features: constantFeatures(md, { values: { atr_14: 0.05 } }),
    trading: { marginMode: "cross" },
  });
  e.reset();
  e.step(Action.ENTER_LONG);
  for (let k = 0; k < 5; k++) e.step(Action.SCALE_IN);
  let r;
  do r = e.step(Action.HOLD); while (!r.terminated && !r.truncated);
  assert.equal(r.terminated, true);
  assert.ok((r.info.equity as number) <= 1000 || r.info.liquidated === 1);
  assert.equal(e.account.direction, 0);
  assert.ok(["ruin", "liquidation"].includes(e.trades().at(-1)!.exitReason));
});

Deno.test("integration: the synthetic market and the real feature builder pass checkEnv", async () => {
  const { generateSyntheticMarket } = await import("../lib/data/synthetic.ts");
  const { computeFeatures } = await import("../lib/features/mod.ts");
  const market = generateSyntheticMarket({ bars: 4000, seed: 3 });
  const features = computeFeatures(market);
  const e = new FuturesTradingEnv({ market, features, episodeLength: 512, seed: 1 });
  const r = checkEnv(e, { steps: 3000 });
  assert.ok(r.episodes >= 1);
  assert.equal(e.firstBar, features.firstValidRow);
});

Deno.test("fuzz: env info keeps the accounting identity, obs stay finite and clipped (300k random steps)", () => {
  const configs: Partial<FuturesEnvOptions>[] = [
    { episodeLength: 1500, seed: 1 },
    {
      episodeLength: 1500,
      seed: 2,
      trading: { leverage: 50, maintenanceMarginRate: 0.01 },
    },
    { episodeLength: 1500, seed: 3, trading: { marginMode: "cross", leverage: 20 } },
  ];
  let liquidations = 0;
  for (const c of configs) {
    const e = env(c);
    e.reset();
    const rng = new Rng(99);
    for (let k = 0; k < 100_000; k++) {
      const r = e.step(rng.int(6));
      const i = r.info;
      const rhs = 2000 + i.realisedPnl - i.feesPaid - i.fundingPaid + i.unrealisedPnl;
      if (!(Math.abs(i.equity - rhs) <= 1e-9 * Math.max(1, i.feesPaid))) {
        assert.fail(`step ${k}: equity ${i.equity} ≠ ${rhs}`);
      }
      if (!(i.size >= 0) || (i.size === 0) !== (i.position === 0)) assert.fail(`step ${k}: size`);
      for (let j = 0; j < OBS_DIM; j++) {
        const v = r.observation[j];
        if (!(v >= -10 && v <= 10)) assert.fail(`step ${k}: obs[${j}] = ${v}`);
      }
      if (!Number.isFinite(r.reward)) assert.fail(`step ${k}: reward ${r.reward}`);
      liquidations += i.liquidated;
      if (r.terminated || r.truncated) e.reset();
    }
  }
  assert.ok(liquidations > 0, "the high-leverage config liquidates sometimes");
});

Deno.test("regression: 1,200 SCALE_OUTs after a short close it after a few halvings, no dust", () => {
  const e = env();
  e.reset();
  const mask = new Uint8Array(6);
  e.step(Action.ENTER_SHORT);
  assert.equal(e.info.position, -1);
  const entryNotional = e.account.notional;
  assert.ok(entryNotional > 1000);
  let executed = 0;
  let closedAt = -1;
  for (let k = 0; k < 1200; k++) {
    e.actionMask(mask);
    if (e.account.direction !== 0) assert.equal(mask[Action.SCALE_OUT], 1);
    else assert.deepEqual([...mask], [1, 1, 1, 0, 0, 0]);
    const r = e.step(Action.SCALE_OUT);
    executed += r.info.actionExecuted;
    if (r.info.tradeClosed === 1) closedAt = k;
    assert.ok(!r.terminated && !r.truncated);
    if (e.account.direction === 0) {
      assert.equal(e.info.size, 0);
      assert.equal(e.info.rewardLiquidation, 0);
    }
  }
  // halvings continue while the remainder stays ≥ 100 USDT, then one scale-out closes it all
  const halvings = Math.floor(Math.log2(entryNotional / 100));
  assert.ok(executed >= halvings && executed <= halvings + 1, `${executed} vs ${halvings}`);
  assert.equal(closedAt, executed - 1);
  assert.equal(e.account.size, 0);
  assert.equal(e.account.direction, 0);
  const trades = e.trades();
  assert.equal(trades.length, 1);
  assert.equal(trades[0].exitReason, "scale_out_close");
  assert.equal(trades[0].side, -1);
  // flat again: entries allowed and executed
  e.actionMask(mask);
  assert.equal(mask[Action.ENTER_LONG], 1);
  assert.equal(e.step(Action.ENTER_LONG).info.actionExecuted, 1);
  assert.equal(e.info.position, 1);
});

Deno.test("minimum size: ENTER and SCALE_IN below minNotional are masked out, rejected, flagged, free", () => {
  // the capped entry (≈ 2000 × 5 × 0.5 = 5000 USDT) is below a 6000 USDT minimum
  const big = env({ trading: { minNotional: 6000 } });
  big.reset();
  const mask = new Uint8Array(6);
  big.actionMask(mask);
  assert.deepEqual([...mask], [1, 0, 0, 0, 0, 0]);
  for (const act of [Action.ENTER_LONG, Action.ENTER_SHORT]) {
    const r = big.step(act);
    assert.equal(r.info.actionExecuted, 0);
    assert.equal(r.info.orderBelowMinimum, 1);
    assert.equal(r.info.rewardAction, 0);
    assert.equal(r.info.feesPaid, 0);
    assert.equal(r.info.position, 0);
  }
  assert.equal(big.step(Action.HOLD).info.orderBelowMinimum, 0);

  // 3000 USDT: the entry (≈ 5000) passes, its 1.5× scale-in (+≈ 2500) does not
  const e = env({ trading: { minNotional: 3000 } });
  e.reset();
  e.step(Action.ENTER_LONG);
  assert.equal(e.info.actionExecuted, 1);
  assert.equal(e.info.orderBelowMinimum, 0);
  e.actionMask(mask);
  assert.deepEqual([...mask], [1, 0, 0, 1, 0, 1]);
  const fees = e.info.feesPaid;
  const size = e.info.size;
  let r = e.step(Action.SCALE_IN);
  assert.equal(r.info.actionExecuted, 0);
  assert.equal(r.info.orderBelowMinimum, 1);
  assert.equal(r.info.feesPaid, fees);
  assert.equal(r.info.size, size);
  // SCALE_OUT is valid: its remainder (≈ 2500) is below 3000, so it closes the position
  r = e.step(Action.SCALE_OUT);
  assert.equal(r.info.actionExecuted, 1);
  assert.equal(r.info.tradeClosed, 1);
  assert.equal(r.info.position, 0);
  assert.equal(r.info.size, 0);
  assert.equal(e.trades()[0].exitReason, "scale_out_close");
  e.actionMask(mask);
  assert.deepEqual([...mask], [1, 1, 1, 0, 0, 0]);
});
