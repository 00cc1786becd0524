/**
 * The paper loop against the env and the backtest on the same bars:
 * - the loop's observation equals the env's, bit for bit, on every decision bar (features
 *   from IncrementalFeatures vs the batch matrix; account/episode part from the loop's book
 *   vs the env's account; both assembled by lib/env/observation.ts);
 * - with the same fill model (the paper broker) and no guards, every paper fill matches the
 *   backtest's fill (bar, side, size, price) and the final equity agrees;
 * - a restart after the run (same journal) replays everything and changes nothing;
 * - with the risk guards on, the divergence report explains each difference.
 *
 * What these cannot catch: a drift in parts both sides share by construction (the accounting
 * of lib/trading, the observation assembly itself) — the env's own tests cover those.
 */
import assert from "node:assert/strict";
import { generateSyntheticMarket, type MarketData } from "@lib/data/mod.ts";
import { computeFeatures } from "@lib/features/mod.ts";
import { FuturesTradingEnv } from "@lib/env/mod.ts";
import { backtest } from "@lib/backtest/mod.ts";
import type { Policy } from "@lib/agents/mod.ts";
import {
  Journal,
  PaperLoop,
  PersistentPaperBroker,
  replayFeed,
  type RunPolicy,
  WATCHDOGS,
} from "@lib/live/mod.ts";
import { backtestFills, divergenceReport } from "../lib/live/divergence.ts";

/** A deterministic rule of the observation that trades often (every action kind). */
function rule(obs: Float64Array, mask: Uint8Array): number {
  let s = 0;
  for (let k = 0; k < obs.length; k++) s += obs[k] * (k + 1);
  const want = Math.floor(Math.abs(Math.sin(s * 97.3)) * 6) % 6;
  for (let d = 0; d < 6; d++) if (mask[(want + d) % 6]) return (want + d) % 6;
  return 0;
}

function rulePolicy(): { run: RunPolicy; policy: Policy; seen: Float64Array[] } {
  const seen: Float64Array[] = [];
  const run: RunPolicy = {
    name: "rule",
    runDir: "(test)",
    config: {},
    trading: {},
    obsDim: 20,
    actions: 6,
    decide(obs, mask) {
      const a = rule(obs, mask);
      const probs = [0, 0, 0, 0, 0, 0];
      probs[a] = 1;
      return { action: a, rawAction: a, probs };
    },
    reset() {},
  };
  const policy: Policy = {
    name: "rule",
    act(obs, options = {}) {
      seen.push(obs.slice());
      const a = rule(obs, options.masks!);
      return {
        actions: Float64Array.of(a),
        logProb: new Float64Array(1),
        value: new Float64Array(1),
      };
    },
  };
  return { run, policy, seen };
}

function columns(md: MarketData) {
  return {
    symbol: md.symbol,
    interval: md.interval,
    intervalMs: md.intervalMs,
    time: md.time,
    open: md.open,
    high: md.high,
    low: md.low,
    close: md.close,
    volume: md.volume,
    openInterest: md.openInterest,
    fundingRate: md.fundingRate,
  };
}

async function runLoop(
  md: MarketData,
  dir: string,
  options: { risk: "spec" | "off"; watchdogs: boolean },
) {
  const { run } = rulePolicy();
  const journal = Journal.open(`${dir}/j.sqlite`, { synchronous: "NORMAL" });
  const broker = new PersistentPaperBroker(`${dir}/broker.sqlite`, { symbols: [md.symbol] });
  const obs: Float64Array[] = [];
  try {
    const loop = new PaperLoop({
      journal,
      agents: [{ policy: run, broker }],
      feed: replayFeed(columns(md)),
      risk: options.risk,
      exits: "off",
      disabledWatchdogs: options.watchdogs ? [] : [...WATCHDOGS],
      onObservation: (_a, _t, o) => obs.push(o.slice()),
    });
    const summary = await loop.run();
    return { summary, obs, fills: journal.fills(), broker: broker.fills.slice() };
  } finally {
    broker.close();
    journal.close();
  }
}

const md = generateSyntheticMarket({ bars: 1200, seed: 11 });

Deno.test("loop observation equals the env's bit for bit; paper fills equal the backtest's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { policy, seen } = rulePolicy();
    const env = new FuturesTradingEnv({ market: md, features: computeFeatures(md) });
    const bt = backtest(policy, env, { periodsPerYear: env.periodsPerYear });
    const loop = await runLoop(md, dir, { risk: "off", watchdogs: false });
    // the same run with the env's end close separable (see backtestFills)
    const open = new FuturesTradingEnv({
      market: md,
      features: computeFeatures(md),
      closeAtEnd: false,
    });
    const btOpen = backtest(rulePolicy().policy, open, { periodsPerYear: open.periodsPerYear });

    assert.equal(loop.obs.length, seen.length, "one decision per env step");
    for (let t = 0; t < seen.length; t++) {
      for (let k = 0; k < 20; k++) {
        if (!Object.is(loop.obs[t][k], seen[t][k])) {
          assert.fail(`step ${t} entry ${k}: loop ${loop.obs[t][k]} ≠ env ${seen[t][k]}`);
        }
      }
    }
    assert.ok(bt.trades.length >= 5, `the rule trades (${bt.trades.length} trades)`);
    const actions = new Set(bt.actions);
    for (const a of [1, 2, 3, 4, 5]) assert.ok(actions.has(a), `action ${a} exercised`);

    const j = Journal.open(`${dir}/j.sqlite`, { readOnly: true });
    try {
      const rep = divergenceReport(
        j,
        backtestFills(btOpen, { slippage: env.account.config.slippage, endClose: true }),
        {
          agent: "rule",
        },
      );
      const bad = rep.rows.filter((r) => r.explanation !== "match");
      assert.equal(bad.length, 0, `divergences: ${JSON.stringify(bad.slice(0, 3))}`);
      assert.ok(rep.matched >= 10);
      // final equity: the loop's book (= broker) vs the backtest
      const eq = j.latestEquity("rule")[0].equity;
      const last = bt.equity[bt.equity.length - 1];
      assert.ok(Math.abs(eq - last) <= 1e-9 * last, `equity ${eq} vs backtest ${last}`);
    } finally {
      j.close();
    }
    // journal fills = the broker's own record, one for one
    assert.equal(loop.fills.length, loop.broker.length);

    // a restart with the same journal and broker log replays every bar and changes nothing
    const again = await runLoop(md, dir, { risk: "off", watchdogs: false });
    assert.equal(again.summary.bars, 0);
    assert.equal(again.summary.replayedBars, md.time.length);
    assert.equal(again.summary.orders, 0);
    assert.equal(again.fills.length, loop.fills.length);
    for (let t = 0; t < seen.length; t++) {
      assert.deepEqual(Array.from(again.obs[t]), Array.from(loop.obs[t]));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with the risk guards on, every difference from the backtest is explained", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { policy } = rulePolicy();
    const env = new FuturesTradingEnv({ market: md, features: computeFeatures(md) });
    const bt = backtest(policy, env, { periodsPerYear: env.periodsPerYear });
    const loop = await runLoop(md, dir, { risk: "spec", watchdogs: true });
    const j = Journal.open(`${dir}/j.sqlite`, { readOnly: true });
    try {
      const rep = divergenceReport(
        j,
        backtestFills(bt, { slippage: env.account.config.slippage }),
        {
          agent: "rule",
        },
      );
      // the guards must have intervened for this test to mean anything
      const guarded = Object.keys(loop.summary.blockedByRule).length +
        loop.summary.watchdogs.length;
      assert.ok(guarded > 0, "the spec guards intervened");
      for (const r of rep.rows) {
        assert.ok(r.explanation.length > 0);
      }
      assert.ok(rep.differing > 0);
      assert.ok(
        Object.keys(rep.byExplanation).some((k) => k.startsWith("guard")),
        JSON.stringify(rep.byExplanation),
      );
    } finally {
      j.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
