/**
 * ExecutionEngine rules that do not depend on a venue, on the paper broker (wrapped to
 * inject failures where needed): the routing rule, the risk gate's inputs, retries of reads,
 * and unresolved orders persisted across a restart until a lookup settles them.
 *
 * Cannot catch: venue-specific error shapes (the adapter suites cover those).
 */
import assert from "node:assert/strict";
import { ClientOrderIdFactory } from "../lib/broker/client_id.ts";
import { ExecutionEngine } from "../lib/broker/engine.ts";
import { PaperBroker } from "../lib/broker/paper_broker.ts";
import type { TimeSource } from "../lib/broker/rate_limiter.ts";
import { type Broker, BrokerError, type RiskGate } from "../lib/broker/types.ts";
import { FileUnresolvedStore } from "../lib/broker/unresolved.ts";

const ALLOW: RiskGate = {
  checkTrade: () => ({ allowed: true, rule: null, reason: "ok", level: "low" }),
};
const time = (): TimeSource & { t: number } => {
  const ft = {
    t: 1_000_000,
    now: () => ft.t,
    sleep: (ms: number) => {
      ft.t += ms;
      return Promise.resolve();
    },
  };
  return ft;
};

function paper(): PaperBroker {
  const b = new PaperBroker({
    symbols: ["X"],
    trading: { minNotional: 0, initialBalance: 10_000 },
  });
  b.onBar("X", { time: 0, open: 100, high: 100, low: 100, close: 100 });
  return b;
}

/** Delegate every call to `b`, with overrides. */
function wrap(b: Broker, over: Partial<Broker>): Broker {
  return {
    venue: b.venue,
    submit: (r) => b.submit(r),
    cancel: (id) => b.cancel(id),
    replace: (id, c) => b.replace(id, c),
    getOrder: (id) => b.getOrder(id),
    getOrders: (o) => b.getOrders(o),
    getPositions: () => b.getPositions(),
    getAccount: () => b.getAccount(),
    getClock: () => b.getClock(),
    ...over,
  };
}

Deno.test("engine routing: market becomes a marketable limit only when the spread is wider than 0.2 %", async () => {
  const b = paper();
  const engine = new ExecutionEngine(b, {
    risk: ALLOW,
    ids: new ClientOrderIdFactory({ venue: "paper", session: "r" }),
    time: time(),
  });
  const wide = await engine.marketOrder("X", 1, { side: "buy", quote: { bid: 99, ask: 101 } });
  assert.equal(wide.kind, "confirmed");
  if (wide.kind !== "confirmed") return;
  assert.equal(wide.order.type, "limit");
  assert.ok(Math.abs(wide.order.limitPrice! - 101 * 1.001) < 1e-9);
  assert.equal(wide.order.state, "filled", "marketable: fills at once");
  const routed = engine.events.find((e) => e.type === "routed")!;
  assert.ok(Math.abs((routed.detail!.spread as number) - 0.02) < 1e-12);
  const narrow = await engine.marketOrder("X", 1, {
    side: "sell",
    quote: { bid: 99.95, ask: 100.05 },
  });
  assert.equal(narrow.kind === "confirmed" && narrow.order.type, "market");
  const sell = await engine.marketOrder("X", 1, { side: "sell", quote: { bid: 99, ask: 101 } });
  assert.ok(sell.kind === "confirmed" && Math.abs(sell.order.limitPrice! - 99 * 0.999) < 1e-9);
});

Deno.test("engine risk gate: gets the price, equity, spread, exposure flag and extra context", async () => {
  const seen: unknown[] = [];
  const risk: RiskGate = {
    checkTrade: (o, c) => {
      seen.push({ ...o, ...c });
      return { allowed: true, rule: null, reason: "ok", level: "low" };
    },
  };
  const b = paper();
  const engine = new ExecutionEngine(b, {
    risk,
    ids: new ClientOrderIdFactory({ venue: "paper", session: "g" }),
    time: time(),
  });
  await engine.marketOrder("X", 3, {
    side: "buy",
    quote: { bid: 99.9, ask: 100.1 },
    risk: { vix: 21, ivRank: 40 },
  });
  await engine.marketOrder("X", 2, { side: "sell", price: 100 });
  assert.deepEqual(seen[0], {
    symbol: "X",
    side: "buy",
    qty: 3,
    price: 100,
    reducesExposure: false,
    timeMs: 1_000_000,
    equity: 10_000,
    ivRank: 40,
    vix: 21,
    spreadFraction: (100.1 - 99.9) / 100,
  });
  assert.equal((seen[1] as { reducesExposure: boolean }).reducesExposure, true);
});

Deno.test("engine reads are retried (3 attempts); when they keep failing the order is never sent", async () => {
  const b = paper();
  let fails = 2, submits = 0;
  const flaky = wrap(b, {
    getPositions: () => {
      if (fails-- > 0) return Promise.reject(new BrokerError("transient", "ECONNRESET"));
      return b.getPositions();
    },
    submit: (r) => {
      submits++;
      return b.submit(r);
    },
  });
  const engine = new ExecutionEngine(flaky, {
    risk: ALLOW,
    ids: new ClientOrderIdFactory({ venue: "paper", session: "q" }),
    time: time(),
  });
  assert.equal((await engine.marketOrder("X", 1, { side: "buy", price: 100 })).kind, "confirmed");
  fails = 3;
  const out = await engine.marketOrder("X", 1, { side: "buy", price: 100 });
  assert.equal(out.kind === "denied" && out.rule, "broker_unreachable");
  assert.equal(submits, 1);
});

Deno.test("engine: an unresolved order is persisted, survives a restart, blocks the symbol until a lookup settles it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/unresolved.json`;
    const b = paper();
    let lookupsWork = false;
    const broken = wrap(b, {
      // the order is applied, then the connection drops
      submit: async (r) => {
        await b.submit(r);
        throw new BrokerError("transient", "connection reset after send");
      },
      getOrder: (id) =>
        lookupsWork ? b.getOrder(id) : Promise.reject(new BrokerError("transient", "timeout")),
    });
    const t = time();
    const e1 = new ExecutionEngine(broken, {
      risk: ALLOW,
      ids: new ClientOrderIdFactory({ venue: "paper", session: "run1" }),
      time: t,
      store: new FileUnresolvedStore(path),
    });
    const out = await e1.marketOrder("X", 4, { side: "buy", price: 100 });
    assert.equal(out.kind, "unresolved");
    assert.equal(b.fills.length, 1, "the venue did fill it: the engine must not call it failed");
    const saved = JSON.parse(await Deno.readTextFile(path));
    assert.equal(saved[0].clientOrderId, out.clientOrderId);
    assert.ok(!JSON.stringify(saved).match(/secret|key/i));

    // restart: a new engine loads the store; reconciliation cannot settle it yet
    const e2 = new ExecutionEngine(broken, {
      risk: ALLOW,
      ids: new ClientOrderIdFactory({ venue: "paper", session: "run2" }),
      time: t,
      store: new FileUnresolvedStore(path),
    });
    await e2.start();
    assert.equal(e2.unresolved().length, 1);
    assert.ok(e2.events.some((e) => e.type === "position_unverified"));
    const blocked = await e2.marketOrder("X", 1, { side: "buy", price: 100 });
    assert.equal(blocked.kind === "denied" && blocked.source, "unresolved");
    // reducing exposure is still allowed
    const reduce = await e2.marketOrder("X", 1, { side: "sell", price: 100 });
    assert.equal(
      reduce.kind,
      "unresolved",
      "this broker loses every response: still never 'rejected'",
    );
    lookupsWork = true;
    await e2.tick();
    assert.equal(e2.unresolved().length, 0);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), []);
    const settled = e2.events.filter((e) => e.type === "unresolved_settled");
    assert.deepEqual(settled.map((e) => e.detail!.how), ["found", "found"]);
    const fills = e2.events.filter((e) => e.type === "fill").map((
      e,
    ) => [e.detail!.side, e.detail!.qty]);
    assert.deepEqual(fills, [["buy", 4], ["sell", 1]], "the fills of both orders are known");
    const ev = await e2.reconcile();
    assert.deepEqual(ev.filter((e) => e.type.startsWith("position")), [], "positions agree");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("engine: with an unresolved reduction pending, only the rest of the position may be reduced", async () => {
  const b = paper();
  await b.submit({
    symbol: "X",
    side: "buy",
    qty: 4,
    type: "market",
    timeInForce: "gtc",
    clientOrderId: "pos",
  });
  const broken = wrap(b, {
    // the request vanishes: nothing applied, no answer, no lookup possible
    submit: () => Promise.reject(new BrokerError("transient", "timeout")),
    getOrder: () => Promise.reject(new BrokerError("transient", "timeout")),
  });
  const engine = new ExecutionEngine(broken, {
    risk: ALLOW,
    ids: new ClientOrderIdFactory({ venue: "paper", session: "red" }),
    time: time(),
  });
  assert.equal((await engine.marketOrder("X", 3, { side: "sell", price: 100 })).kind, "unresolved");
  // the venue still shows 4, but the pending sell of 3 may land: only 1 may still be reduced,
  // else the two together could flip the position short
  const two = await engine.marketOrder("X", 2, { side: "sell", price: 100 });
  assert.equal(two.kind === "denied" && two.source, "unresolved");
  const one = await engine.marketOrder("X", 1, { side: "sell", price: 100 });
  assert.equal(one.kind, "unresolved", "allowed and sent (then lost again), not denied");
  // a buy adds exposure: blocked
  const buy = await engine.marketOrder("X", 1, { side: "buy", price: 100 });
  assert.equal(buy.kind === "denied" && buy.source, "unresolved");
  assert.equal(b.account("X").size, 4);
});
