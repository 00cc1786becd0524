/**
 * The paper loop's guards: the kill switch (flatten and stop within one bar, stays set across
 * restarts until reset), the fail-closed startup reconciliation gate (exact diff, refusal,
 * `adoptBrokerState` journaled), and the watchdogs (broker dead-man switch, stale data), each
 * journaled.
 *
 * What these cannot catch: real network partitions (the dead broker is simulated by a
 * wrapper whose heartbeat throws).
 */
import assert from "node:assert/strict";
import { generateSyntheticMarket, type MarketData } from "@lib/data/mod.ts";
import type { Broker } from "@lib/broker/mod.ts";
import {
  type BarFeed,
  Journal,
  LoopError,
  PaperLoop,
  type PaperLoopOptions,
  PersistentPaperBroker,
  replayFeed,
  resetKillSwitch,
  type RunPolicy,
  setKillSwitch,
  SimulatedClock,
} from "@lib/live/mod.ts";

const md = generateSyntheticMarket({ bars: 400, seed: 5 });

/** Long whenever possible (so there is a position to flatten), else hold. */
const alwaysLong: RunPolicy = {
  name: "long",
  runDir: "(test)",
  config: {},
  trading: {},
  obsDim: 20,
  actions: 6,
  decide(_obs, mask) {
    const a = mask[1] ? 1 : 0;
    return { action: a, rawAction: a, probs: [1 - a, a, 0, 0, 0, 0] };
  },
  reset() {},
};

function cols(m: MarketData) {
  return {
    symbol: m.symbol,
    interval: m.interval,
    intervalMs: m.intervalMs,
    time: m.time,
    open: m.open,
    high: m.high,
    low: m.low,
    close: m.close,
    volume: m.volume,
    openInterest: m.openInterest,
    fundingRate: m.fundingRate,
  };
}

async function withLoop<T>(
  dir: string,
  extra: Partial<PaperLoopOptions> & { wrap?: (b: Broker) => Broker },
  fn: (loop: PaperLoop, j: Journal, b: PersistentPaperBroker) => Promise<T>,
): Promise<T> {
  const j = Journal.open(`${dir}/j.sqlite`, { synchronous: "NORMAL" });
  const b = new PersistentPaperBroker(`${dir}/b.sqlite`, { symbols: [md.symbol] });
  try {
    const loop = new PaperLoop({
      journal: j,
      agents: [{ policy: alwaysLong, broker: extra.wrap ? extra.wrap(b) : b }],
      feed: extra.feed ?? replayFeed(cols(md)),
      risk: "off",
      exits: "off",
      ...extra,
    });
    return await fn(loop, j, b);
  } finally {
    b.close();
    j.close();
  }
}

Deno.test("kill switch: flattens and stops within one bar, stays set across restarts until reset", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const journal = `${dir}/j.sqlite`;
    let setAt = -1;
    let seenAfter = 0;
    const s1 = await withLoop(dir, {
      onObservation: (_a, t) => {
        if (setAt > 0) seenAfter++;
        // set it from "outside" once the agent holds a position
        if (setAt < 0 && t > md.time[150]) {
          setKillSwitch(journal, { reason: "test stop", source: "test" });
          setAt = t;
        }
      },
    }, (loop) => loop.run());
    assert.equal(s1.stopReason, "kill_switch");
    assert.equal(seenAfter, 0, "no decision after the bar the switch was set on");
    assert.equal(s1.agents[0].position, 0, "flat");
    // the broker agrees: flat
    const b = new PersistentPaperBroker(`${dir}/b.sqlite`, { symbols: [md.symbol] });
    assert.deepEqual(await b.getPositions(), []);
    b.close();
    // restart: still set → stops at once, no new orders
    const s2 = await withLoop(dir, {}, (loop) => loop.run());
    assert.equal(s2.stopReason, "kill_switch");
    assert.equal(s2.orders, 0);
    const j = Journal.open(journal, { readOnly: true });
    const actions = j.since("kill_switch_events", 0).rows.map((r) => r.action);
    j.close();
    assert.deepEqual(actions, ["set", "observed", "observed"]);
    // reset → runs to the end of the feed
    resetKillSwitch(journal, { source: "test" });
    const s3 = await withLoop(dir, {}, (loop) => loop.run());
    assert.equal(s3.stopReason, "end_of_feed");
    assert.ok(s3.bars > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startup gate: a journal that lost a fill refuses to start with an exact diff; adoption is journaled", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const feed = () => replayFeed(cols(md), { to: 200 });
    await withLoop(dir, { feed: feed() }, (loop) => loop.run());
    // lose the last fill from the journal (what a journal written after the broker would risk)
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(`${dir}/j.sqlite`);
    const last = db.prepare("SELECT client_order_id, qty FROM fills ORDER BY id DESC LIMIT 1")
      .get() as { client_order_id: string; qty: number };
    db.prepare("DELETE FROM fills WHERE id = (SELECT MAX(id) FROM fills)").run();
    db.close();
    await assert.rejects(
      () => withLoop(dir, { feed: feed() }, (loop) => loop.run()),
      (e: Error) => {
        assert.ok(e instanceof LoopError);
        assert.match(e.message, /order_filled_qty/);
        assert.ok(e.message.includes(last.client_order_id), e.message);
        assert.match(e.message, /position/);
        return true;
      },
    );
    const s = await withLoop(dir, { feed: feed(), adoptBrokerState: true }, (loop) => loop.run());
    assert.equal(s.stopReason, "end_of_feed");
    const j = Journal.open(`${dir}/j.sqlite`, { readOnly: true });
    const kinds = j.since("loop_events", 0).rows.map((r) => r.kind);
    j.close();
    assert.ok(kinds.includes("reconcile_mismatch"));
    assert.ok(kinds.includes("adopt_broker_state"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dead-man switch: failed heartbeats cancel, flatten and stop; switched off by name it does not fire", async () => {
  for (const off of [false, true]) {
    const dir = await Deno.makeTempDir();
    try {
      let bars = 0;
      const wrap = (b: Broker): Broker =>
        new Proxy(b, {
          get(t, k, r) {
            if (k === "getClock") {
              return () => {
                bars++;
                return bars > 120 ? Promise.reject(new Error("network down")) : t.getClock();
              };
            }
            const v = Reflect.get(t, k, r);
            return typeof v === "function" ? v.bind(t) : v;
          },
        });
      const s = await withLoop(
        dir,
        { wrap, disabledWatchdogs: off ? ["broker-connectivity"] : [] },
        (loop) => loop.run(),
      );
      if (off) {
        assert.equal(s.stopReason, "end_of_feed");
        assert.equal(s.watchdogs.length, 0);
      } else {
        assert.equal(s.stopReason, "dead_man");
        assert.equal(s.watchdogs[0].name, "broker-connectivity");
        assert.equal(s.agents[0].position, 0);
        const j = Journal.open(`${dir}/j.sqlite`, { readOnly: true });
        assert.ok(j.riskState().recent.some((r) => r.rule === "broker-connectivity"));
        j.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("stale-data watchdog: a feed that stops delivering fires, is journaled, and flattens", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clock = new SimulatedClock(Date.UTC(2024, 0, 1));
    const inner = replayFeed(cols(md), { to: 250 });
    let n = 0;
    let release: () => void = () => {};
    const feed: BarFeed = {
      symbol: inner.symbol,
      interval: inner.interval,
      intervalMs: inner.intervalMs,
      wallGapMs: 1000,
      async next() {
        n++;
        if (n === 200) await new Promise<void>((r) => release = r); // the feed stalls
        return inner.next();
      },
    };
    const s = await withLoop(dir, {
      feed,
      clock,
      log: (l) => {
        if (l.startsWith("WATCHDOG stale-data")) queueMicrotask(() => release());
      },
    }, (loop) => loop.run());
    assert.equal(s.watchdogs[0]?.name, "stale-data");
    const j = Journal.open(`${dir}/j.sqlite`, { readOnly: true });
    assert.ok(j.riskState().recent.some((r) => r.rule === "stale-data"));
    const flattened = j.lastDecisions(50).some((d) => d.reason === "watchdog stale-data");
    j.close();
    assert.ok(flattened, "the stale-data watchdog flattened the position");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("two runs side by side on separate paper sub-accounts; the daily report is per agent", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const alwaysShort: RunPolicy = {
      ...alwaysLong,
      name: "short",
      decide(_obs, mask) {
        const a = mask[2] ? 2 : 0;
        return { action: a, rawAction: a, probs: [1 - a / 2, 0, a / 2, 0, 0, 0] };
      },
    };
    const j = Journal.open(`${dir}/j.sqlite`, { synchronous: "NORMAL" });
    const b1 = new PersistentPaperBroker(`${dir}/long.sqlite`, { symbols: [md.symbol] });
    const b2 = new PersistentPaperBroker(`${dir}/short.sqlite`, { symbols: [md.symbol] });
    try {
      const s = await new PaperLoop({
        journal: j,
        agents: [{ policy: alwaysLong, broker: b1 }, { policy: alwaysShort, broker: b2 }],
        feed: replayFeed(cols(md)),
        risk: "off",
        exits: "off",
        flattenAtEnd: false,
        reportDir: `${dir}/reports`,
      }).run();
      assert.deepEqual(s.agents.map((a) => Math.sign(a.position)), [1, -1]);
      assert.deepEqual(j.agents().map((a) => a.agent).sort(), ["long", "short"]);
      // each sub-account holds only its own agent's position
      assert.ok((await b1.getPositions())[0].qty > 0);
      assert.ok((await b2.getPositions())[0].qty < 0);
      const rep = JSON.parse(await Deno.readTextFile(s.report!.jsonPath));
      assert.ok(JSON.stringify(rep).includes('"long"') && JSON.stringify(rep).includes('"short"'));
    } finally {
      b1.close();
      b2.close();
      j.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task paper: bad flags get a clear error naming the flag (exit 2)", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const cases: [string[], RegExp][] = [
    [[], /--run is required/],
    [["--run", "x", "--speed", "fast"], /--speed: "fast" is not N x or max/],
    [["--run", "x", "--no-watchdog", "stale-data,nap"], /--no-watchdog: unknown "nap"/],
    [["--run", "x", "--risk", "loose"], /--risk/],
  ];
  for (const [args, re] of cases) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${root}cli/paper.ts`, ...args],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, `${args.join(" ")}: ${err}`);
    assert.match(err, re);
    assert.doesNotMatch(err, /^\s+at /m, "no stack trace");
  }
});
