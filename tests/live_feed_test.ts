/**
 * The live Alpaca bar feed (polling market data v2) against the local Alpaca server: closed
 * bars only (a bar still open at the clock's time is held back until it closes), oldest first,
 * each once across polls that return overlapping history, and the paper loop trading on it.
 *
 * What it cannot catch: Alpaca's real pagination limits and delays (the local server returns
 * the stored bars).
 */
import assert from "node:assert/strict";
import { AlpacaBroker, RateLimiter } from "@lib/broker/mod.ts";
import { generateSyntheticMarket } from "@lib/data/mod.ts";
import {
  alpacaBarFeed,
  alpacaTimeframe,
  Journal,
  PaperLoop,
  PersistentPaperBroker,
  type RunPolicy,
  SimulatedClock,
} from "@lib/live/mod.ts";
import { AlpacaServer } from "./broker_alpaca_server.ts";

const md = generateSyntheticMarket({ bars: 160, seed: 9 });
const SYM = "SPY";

function serverBars(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    t: new Date(md.time[i]).toISOString(),
    o: md.open[i],
    h: md.high[i],
    l: md.low[i],
    c: md.close[i],
    v: md.volume[i],
  }));
}

Deno.test("alpaca feed: closed bars only, in order, once; the loop trades on them", async () => {
  const server = new AlpacaServer();
  const dir = await Deno.makeTempDir();
  try {
    server.bars.set(SYM, serverBars(120));
    server.pageSize = 50;
    const broker = new AlpacaBroker({
      keyId: server.keyId,
      secret: server.secret,
      baseUrl: server.url,
      dataUrl: server.url,
      rateLimiter: new RateLimiter({ limit: 100_000, windowMs: 60_000 }),
    });
    // the clock sits inside bar 119: bars 0..118 are closed, 119 is not yet
    const clock = new SimulatedClock(md.time[119] + 60_000);
    let polls = 0;
    const feed = alpacaBarFeed(broker, {
      symbol: SYM,
      interval: "5m",
      intervalMs: md.intervalMs,
      startMs: md.time[0],
      pollMs: 60_000,
      maxBars: 130,
      clock,
    });
    const got: number[] = [];
    for (let k = 0; k < 119; k++) got.push((await feed.next())!.bar.time);
    assert.deepEqual(got, Array.from(md.time.slice(0, 119)));
    // more bars appear at the venue while the feed waits (the simulated clock jumps by pollMs)
    server.bars.set(SYM, serverBars(160));
    const orig = broker.getBars.bind(broker);
    broker.getBars = (s, o) => {
      polls++;
      return orig(s, o);
    };
    const nx = await feed.next();
    assert.equal(nx!.bar.time, md.time[119], "bar 119 once it closed, not a repeat");
    assert.ok(polls >= 1);
    assert.equal(alpacaTimeframe(300_000), "5Min");
    assert.equal(alpacaTimeframe(3_600_000), "1Hour");

    // the loop on a fresh feed, paper broker
    const policy: RunPolicy = {
      name: "live",
      runDir: "(test)",
      config: {},
      trading: {},
      obsDim: 20,
      actions: 6,
      decide: (_o, mask) => {
        const a = mask[1] ? 1 : mask[3] ? 3 : 0;
        return {
          action: a,
          rawAction: a,
          probs: [0, 0, 0, 0, 0, 0].map((_, j) => j === a ? 1 : 0),
        };
      },
      reset() {},
    };
    const j = Journal.open(`${dir}/j.sqlite`, { synchronous: "NORMAL" });
    const pb = new PersistentPaperBroker(`${dir}/b.sqlite`, { symbols: [SYM] });
    try {
      const s = await new PaperLoop({
        journal: j,
        agents: [{ policy, broker: pb }],
        feed: alpacaBarFeed(broker, {
          symbol: SYM,
          interval: "5m",
          intervalMs: md.intervalMs,
          startMs: md.time[0],
          maxBars: 150,
          clock: new SimulatedClock(md.time[159] + md.intervalMs),
        }),
        risk: "off",
        exits: "off",
        disabledWatchdogs: ["stale-data"],
      }).run();
      assert.equal(s.bars, 150);
      assert.equal(j.count("bars"), 150);
      assert.ok(s.orders > 0, "it traded on the live bars");
      assert.equal(s.stopReason, "end_of_feed");
    } finally {
      pb.close();
      j.close();
    }
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
