/**
 * The Alpaca adapter (official SDK, real HTTP) against a loopback server that implements
 * the Trading API v2 subset with fault injection, driven through the ExecutionEngine.
 *
 * What each test asserts: the number of order POSTs the server saw (no duplicates, the right
 * retries and no others), the orders it holds (no lost or doubled orders), the fills and
 * positions the engine ends with (no lost fills), and the outcome kind and reason.
 *
 * What these tests cannot catch: differences between this server and the real Alpaca (only
 * the documented shapes are modelled), and timing races of a real network.
 */
import assert from "node:assert/strict";
import { AlpacaBroker, alpacaOptionsFromEnv } from "../lib/broker/alpaca.ts";
import { ClientOrderIdFactory } from "../lib/broker/client_id.ts";
import { ExecutionEngine, type SubmitOutcome } from "../lib/broker/engine.ts";
import { RateLimiter, type TimeSource } from "../lib/broker/rate_limiter.ts";
import { BrokerConfigError, type RiskGate } from "../lib/broker/types.ts";
import { MemoryUnresolvedStore } from "../lib/broker/unresolved.ts";
import { AlpacaServer } from "./broker_alpaca_server.ts";

const ALLOW: RiskGate = {
  checkTrade: () => ({ allowed: true, rule: null, reason: "ok", level: "low" }),
};

/** Fake time: sleeps advance the clock instantly and are recorded. */
function fakeTime(): TimeSource & { sleeps: number[]; t: number } {
  const ft = {
    t: Date.UTC(2024, 0, 2, 15),
    sleeps: [] as number[],
    now: () => ft.t,
    sleep: (ms: number) => {
      ft.sleeps.push(ms);
      ft.t += ms;
      return Promise.resolve();
    },
  };
  return ft;
}

async function withRig(
  fn: (r: {
    server: AlpacaServer;
    broker: AlpacaBroker;
    engine: ExecutionEngine;
    time: ReturnType<typeof fakeTime>;
    store: MemoryUnresolvedStore;
  }) => Promise<void>,
  options: { risk?: RiskGate; rateLimiter?: RateLimiter } = {},
): Promise<void> {
  const server = new AlpacaServer();
  server.setPrice("SPY", 500);
  const time = fakeTime();
  const broker = new AlpacaBroker({
    keyId: server.keyId,
    secret: server.secret,
    baseUrl: server.url,
    dataUrl: server.url,
    timeoutMs: 250,
    time,
    rateLimiter: options.rateLimiter,
  });
  const store = new MemoryUnresolvedStore();
  const engine = new ExecutionEngine(broker, {
    risk: options.risk ?? ALLOW,
    ids: new ClientOrderIdFactory({ venue: "alpaca", session: "t1" }),
    time,
    seed: 7,
    store,
    staleOrderMs: 60_000,
    settleAbsentAfterMs: 30_000,
  });
  try {
    await fn({ server, broker, engine, time, store });
  } finally {
    await server.close();
  }
}

const POSTS = (s: AlpacaServer) => s.count("POST", "/v2/orders");
const LOOKUPS = (s: AlpacaServer) => s.count("GET", "/v2/orders:by_client_order_id");
function confirmed(o: SubmitOutcome): asserts o is Extract<SubmitOutcome, { kind: "confirmed" }> {
  assert.equal(o.kind, "confirmed", JSON.stringify(o));
}

Deno.test("alpaca: a market order is confirmed with one POST and fills the position", async () => {
  await withRig(async ({ server, engine }) => {
    const out = await engine.marketOrder("SPY", 10, { side: "buy", price: 500 });
    confirmed(out);
    assert.equal(out.order.state, "filled");
    assert.equal(out.order.filledQty, 10);
    assert.equal(POSTS(server), 1);
    assert.equal(LOOKUPS(server), 0);
    assert.equal(server.positions.get("SPY")!.qty, 10);
    const sent = JSON.parse(server.log.find((l) => l.method === "POST")!.body);
    assert.equal(sent.client_order_id, out.clientOrderId);
    assert.equal(sent.type, "market");
  });
});

Deno.test("alpaca: 429 honours Retry-After, looks the id up, resubmits once with the same id", async () => {
  await withRig(async ({ server, engine, time }) => {
    server.inject("POST", "/v2/orders", { kind: "status", status: 429, retryAfterS: 3 });
    const out = await engine.marketOrder("SPY", 1, { side: "buy", price: 500 });
    confirmed(out);
    assert.equal(out.attempts, 2);
    assert.equal(POSTS(server), 2);
    assert.equal(LOOKUPS(server), 1, "one lookup before the resubmit");
    assert.ok(time.sleeps[0] >= 3000, `waited ${time.sleeps[0]} ms < Retry-After 3 s`);
    const ids = server.log.filter((l) => l.method === "POST").map((l) =>
      JSON.parse(l.body).client_order_id
    );
    assert.deepEqual(ids, [out.clientOrderId, out.clientOrderId]);
    assert.equal(server.orders.size, 1);
  });
});

Deno.test("alpaca: 500 then 503 → third attempt confirms; backoff grows; one order", async () => {
  await withRig(async ({ server, engine, time }) => {
    server.inject("POST", "/v2/orders", { kind: "status", status: 500 });
    server.inject("POST", "/v2/orders", { kind: "status", status: 503 });
    const out = await engine.marketOrder("SPY", 2, { side: "buy", price: 500 });
    confirmed(out);
    assert.equal(out.attempts, 3);
    assert.equal(POSTS(server), 3);
    assert.equal(LOOKUPS(server), 2);
    assert.equal(server.orders.size, 1);
    assert.equal(server.positions.get("SPY")!.qty, 2);
    // exponential with jitter in [0.5, 1.5): 250·[0.5,1.5) then 500·[0.5,1.5)
    assert.ok(time.sleeps[0] >= 125 && time.sleeps[0] < 375, String(time.sleeps[0]));
    assert.ok(time.sleeps[1] >= 250 && time.sleeps[1] < 750, String(time.sleeps[1]));
  });
});

Deno.test("alpaca: 503 on every attempt → unresolved, persisted, blocks new exposure until settled", async () => {
  await withRig(async ({ server, engine, time, store }) => {
    for (let i = 0; i < 3; i++) {
      server.inject("POST", "/v2/orders", { kind: "status", status: 503 });
    }
    const out = await engine.marketOrder("SPY", 5, { side: "buy", price: 500 });
    assert.equal(out.kind, "unresolved");
    assert.equal(POSTS(server), 3, "3 attempts, no more");
    assert.equal((await store.list()).length, 1);
    const blocked = await engine.marketOrder("SPY", 1, { side: "buy", price: 500 });
    assert.equal(blocked.kind, "denied");
    assert.equal(blocked.kind === "denied" && blocked.source, "unresolved");
    assert.equal(POSTS(server), 3, "the blocked order was never sent");
    // another symbol is not blocked
    server.setPrice("QQQ", 400);
    confirmed(await engine.marketOrder("QQQ", 1, { side: "buy", price: 400 }));
    // still absent long enough later → settled as never placed
    time.t += 31_000;
    await engine.settleUnresolved();
    assert.equal((await store.list()).length, 0);
    confirmed(await engine.marketOrder("SPY", 1, { side: "buy", price: 500 }));
  });
});

Deno.test("alpaca: timeout before the order applied → lookup shows absent → one resubmit", async () => {
  await withRig(async ({ server, engine }) => {
    server.inject("POST", "/v2/orders", { kind: "hang", ms: 600, apply: false });
    const out = await engine.marketOrder("SPY", 3, { side: "buy", price: 500 });
    confirmed(out);
    assert.equal(POSTS(server), 2);
    assert.equal(server.orders.size, 1, "no duplicate order");
    assert.equal(server.positions.get("SPY")!.qty, 3);
  });
});

Deno.test("alpaca: timeout AFTER the order applied → found by lookup, never resubmitted", async () => {
  await withRig(async ({ server, engine }) => {
    server.inject("POST", "/v2/orders", { kind: "hang", ms: 600, apply: true });
    const out = await engine.marketOrder("SPY", 3, { side: "buy", price: 500 });
    confirmed(out);
    assert.equal(POSTS(server), 1, "no resubmission of an applied order");
    assert.equal(server.orders.size, 1);
    assert.equal(out.order.filledQty, 3);
  });
});

Deno.test("alpaca: accepted but the response lost, with a partial fill → found, no duplicate, no lost fill", async () => {
  await withRig(async ({ server, engine }) => {
    // the server applies the order (40 % filled at once), then drops the connection
    server.inject("POST", "/v2/orders", { kind: "drop", fraction: 0.4 });
    const out = await engine.marketOrder("SPY", 10, { side: "buy", price: 500 });
    confirmed(out);
    assert.equal(out.attempts, 1, "found by the lookup after the lost response");
    assert.equal(POSTS(server), 1, "never resubmitted");
    assert.equal(LOOKUPS(server), 1);
    assert.equal(server.orders.size, 1);
    assert.equal(out.order.state, "partially_filled");
    assert.equal(out.order.filledQty, 4);
    // the rest fills later; reconciliation picks the fill up
    server.fillRest(out.clientOrderId);
    const ev = await engine.reconcile();
    const fills = engine.events.filter((e) =>
      e.type === "fill" && e.clientOrderId === out.clientOrderId
    );
    assert.deepEqual(fills.map((e) => e.detail!.qty), [4, 6], "every fill seen exactly once");
    assert.equal(ev.filter((e) => e.type === "position_mismatch").length, 0, JSON.stringify(ev));
    assert.equal(server.positions.get("SPY")!.qty, 10);
    const known = engine.orders().find((o) => o.clientOrderId === out.clientOrderId)!;
    assert.equal(known.state, "filled");
  });
});

Deno.test("alpaca: an unparseable 200 reply after the order applied → found by lookup, not resubmitted", async () => {
  await withRig(async ({ server, engine }) => {
    server.inject("POST", "/v2/orders", { kind: "garbage" });
    const out = await engine.marketOrder("SPY", 2, { side: "buy", price: 500 });
    confirmed(out);
    assert.equal(POSTS(server), 1);
    assert.equal(LOOKUPS(server), 1);
    assert.equal(server.orders.size, 1);
  });
});

Deno.test("alpaca: 403 insufficient buying power is rejected at once: no retry, no lookup", async () => {
  await withRig(async ({ server, engine, time }) => {
    const out = await engine.marketOrder("SPY", 1000, { side: "buy", price: 500 });
    assert.equal(out.kind, "rejected");
    if (out.kind !== "rejected") return;
    assert.equal(out.status, 403);
    assert.match(out.reason, /insufficient buying power/);
    assert.equal(POSTS(server), 1);
    assert.equal(LOOKUPS(server), 0);
    assert.equal(time.sleeps.length, 0);
  });
});

Deno.test("alpaca: 422 validation error is rejected with the venue's message, not retried", async () => {
  await withRig(async ({ server, engine }) => {
    const out = await engine.marketOrder("NOPE", 1, { side: "buy", price: 10 });
    assert.equal(out.kind, "rejected");
    assert.match(out.kind === "rejected" ? out.reason : "", /asset "NOPE" not found/);
    assert.equal(out.kind === "rejected" && out.status, 422);
    assert.equal(POSTS(server), 1);
  });
});

Deno.test("alpaca: client ids — reuse after cancel is rejected; > 48 chars denied locally", async () => {
  await withRig(async ({ server, engine }) => {
    const a = await engine.limitOrder("SPY", 1, { side: "buy", limitPrice: 400, price: 400 });
    confirmed(a);
    await engine.cancel(a.clientOrderId);
    const again = await engine.limitOrder("SPY", 1, {
      side: "buy",
      limitPrice: 400,
      clientOrderId: a.clientOrderId,
    });
    assert.equal(again.kind, "rejected");
    assert.match(again.kind === "rejected" ? again.reason : "", /client_order_id must be unique/);
    const long = await engine.limitOrder("SPY", 1, {
      side: "buy",
      limitPrice: 400,
      clientOrderId: "x".repeat(49),
    });
    assert.equal(long.kind, "denied");
    assert.equal(POSTS(server), 2, "the 49-char id was never sent");
  });
});

Deno.test("alpaca: venue constraints are typed refusals and never sent", async () => {
  await withRig(async ({ server, engine }) => {
    server.setPrice("SPY240621C00500000", 5);
    const opt = await engine.bracketOrder("SPY240621C00500000", 1, {
      side: "buy",
      takeProfit: 7,
      stopLoss: 4,
      price: 5,
    });
    assert.equal(opt.kind, "denied");
    assert.equal(opt.kind === "denied" && opt.rule, "alpaca.options_simple_only");
    const oneLeg = await engine.submit({
      symbol: "SPY",
      qty: 1,
      side: "buy",
      type: "market",
      orderClass: "bracket",
      takeProfit: { limitPrice: 550 },
    }, { price: 500, timeInForce: "gtc" });
    assert.equal(oneLeg.kind === "denied" && oneLeg.rule, "bracket.needs_both_legs");
    const iocBracket = await engine.bracketOrder("SPY", 1, {
      side: "buy",
      takeProfit: 550,
      stopLoss: 480,
      price: 500,
      timeInForce: "ioc",
    });
    assert.equal(iocBracket.kind === "denied" && iocBracket.rule, "bracket.time_in_force");
    const ocoEntry = await engine.ocoOrder("SPY", 1, {
      side: "sell",
      takeProfit: 550,
      stopLoss: 480,
    });
    assert.equal(ocoEntry.kind === "denied" && ocoEntry.rule, "oco.exit_only");
    assert.equal(POSTS(server), 0);
  });
});

Deno.test("alpaca: bracket legs wait for the entry, then one exit cancels the other", async () => {
  await withRig(async ({ server, engine }) => {
    const b = await engine.bracketOrder("SPY", 4, {
      side: "buy",
      entryPrice: 490,
      takeProfit: 520,
      stopLoss: 480,
      price: 490,
    });
    confirmed(b);
    assert.equal(b.order.legs!.length, 2);
    const raw = JSON.parse(server.log.find((l) => l.method === "POST")!.body);
    assert.equal(raw.order_class, "bracket");
    assert.deepEqual(raw.take_profit, { limit_price: "520" });
    assert.deepEqual(raw.stop_loss, { stop_price: "480" });
    server.setPrice("SPY", 489); // entry fills, legs go live
    server.setPrice("SPY", 521); // take-profit fills → stop-loss cancelled
    await engine.reconcile();
    const legs = (await engine.broker.getOrder(b.clientOrderId))!.legs!;
    const states = legs.map((l) => `${l.type}:${l.state}`).sort();
    assert.deepEqual(states, ["limit:filled", "stop:canceled"]);
    assert.equal(server.positions.get("SPY")!.qty, 0);
  });
});

Deno.test("alpaca: an OCO exit — stop fills, take-profit cancelled", async () => {
  await withRig(async ({ server, engine }) => {
    confirmed(await engine.marketOrder("SPY", 3, { side: "buy", price: 500 }));
    const oco = await engine.ocoOrder("SPY", 3, {
      side: "sell",
      takeProfit: 520,
      stopLoss: 490,
      price: 500,
    });
    confirmed(oco);
    const raw = JSON.parse(server.log.filter((l) => l.method === "POST")[1].body);
    assert.deepEqual(raw, {
      client_order_id: oco.clientOrderId,
      order_class: "oco",
      qty: "3",
      side: "sell",
      stop_loss: { stop_price: "490" },
      symbol: "SPY",
      take_profit: { limit_price: "520" },
      time_in_force: "gtc",
      type: "limit",
    });
    server.setPrice("SPY", 489);
    const o = (await engine.broker.getOrder(oco.clientOrderId))!;
    assert.equal(o.state, "canceled");
    assert.equal(o.legs![0].state, "filled");
    assert.equal(server.positions.get("SPY")!.qty, 0);
  });
});

Deno.test("alpaca: risk gate refusal is a typed result with the rule; nothing sent", async () => {
  const risk: RiskGate = {
    checkTrade: (o) =>
      o.qty > 100
        ? { allowed: false, rule: "max_position", reason: "qty above 100", level: "high" }
        : { allowed: true, rule: null, reason: "ok", level: "low" },
  };
  await withRig(async ({ server, engine }) => {
    const out = await engine.marketOrder("SPY", 101, { side: "buy", price: 500 });
    assert.deepEqual(
      out.kind === "denied" ? [out.source, out.rule, out.level] : out,
      ["risk", "max_position", "high"],
    );
    assert.equal(POSTS(server), 0);
  }, { risk });
});

Deno.test("alpaca: stale entry orders are cancelled; reconciliation reports outside changes", async () => {
  await withRig(async ({ engine, time, broker }) => {
    await engine.start();
    const lim = await engine.limitOrder("SPY", 1, { side: "buy", limitPrice: 450, price: 450 });
    confirmed(lim);
    time.t += 61_000;
    await engine.tick();
    assert.equal((await broker.getOrder(lim.clientOrderId))!.state, "canceled");
    assert.ok(engine.events.some((e) => e.type === "stale_cancelled"));
    // an order and a position created outside this engine
    await broker.submit({
      symbol: "SPY",
      qty: 2,
      side: "buy",
      type: "limit",
      limitPrice: 300,
      timeInForce: "gtc",
      clientOrderId: "manual-1",
    });
    await broker.submit({
      symbol: "SPY",
      qty: 2,
      side: "buy",
      type: "market",
      timeInForce: "day",
      clientOrderId: "manual-2",
    });
    const ev = await engine.reconcile();
    assert.ok(ev.some((e) => e.type === "unknown_open_order" && e.clientOrderId === "manual-1"));
    const mm = ev.find((e) => e.type === "position_mismatch")!;
    assert.deepEqual([mm.detail!.expected, mm.detail!.actual], [0, 2]);
  });
});

Deno.test("alpaca: the client-side rate limiter keeps ≤ limit requests per window", async () => {
  const time = fakeTime();
  const limiter = new RateLimiter({ limit: 5, windowMs: 60_000, time });
  await withRig(async ({ server, broker }) => {
    for (let i = 0; i < 12; i++) await broker.getAccount();
    assert.equal(server.count("GET", "/v2/account"), 12);
    // 12 requests at 5/min need two full waits of a window
    assert.ok(limiter.waitedMs >= 120_000, String(limiter.waitedMs));
    assert.ok(limiter.inWindow() <= 5);
  }, { rateLimiter: limiter });
});

Deno.test("alpaca: account, positions, clock and paginated bars map from the v2 shapes", async () => {
  await withRig(async ({ server, broker }) => {
    server.bars.set(
      "SPY",
      [0, 1, 2].map((i) => ({
        t: `2024-01-0${2 + i}T05:00:00Z`,
        o: 470 + i,
        h: 475 + i,
        l: 465 + i,
        c: 472 + i,
        v: 1000 * (i + 1),
        n: 10,
        vw: 471,
      })),
    );
    server.pageSize = 2;
    const bars = await broker.getBars("SPY", { timeframe: "1Day" });
    assert.equal(bars.length, 3, "both pages read");
    assert.deepEqual(bars[2], {
      time: Date.UTC(2024, 0, 4, 5),
      open: 472,
      high: 477,
      low: 467,
      close: 474,
      volume: 3000,
    });
    assert.equal(server.count("GET", "/v2/stocks/bars"), 2);
    const acct = await broker.getAccount();
    assert.equal(acct.equity, 100_000);
    assert.equal(acct.status, "ACTIVE");
    const clock = await broker.getClock();
    assert.equal(clock.isOpen, true);
    assert.equal(clock.nextCloseMs, Date.UTC(2024, 0, 2, 21));
    await broker.submit({
      symbol: "SPY",
      qty: 2,
      side: "sell",
      type: "market",
      timeInForce: "day",
      clientOrderId: "s1",
    });
    assert.deepEqual((await broker.getPositions()).map((p) => [p.symbol, p.qty]), [["SPY", -2]]);
  });
});

Deno.test("alpaca: missing keys are a clear config error that names the variable", () => {
  const env = new Map([["APCA_API_SECRET_KEY", "s3cr3t-value"]]);
  assert.throws(
    () => alpacaOptionsFromEnv({ get: (k) => env.get(k) }),
    (e: unknown) =>
      e instanceof BrokerConfigError && /APCA_API_KEY_ID/.test(e.message) &&
      !e.message.includes("s3cr3t-value"),
  );
  assert.throws(
    () => new AlpacaBroker({ keyId: "k", secret: "s", baseUrl: "https://api.alpaca.markets" }),
    /LIVE host but live is not set/,
  );
});

Deno.test("alpaca: replace (PATCH) keeps the old order as replaced and works the new one", async () => {
  await withRig(async ({ server, broker, engine }) => {
    const lim = await engine.limitOrder("SPY", 2, { side: "buy", limitPrice: 450, price: 450 });
    confirmed(lim);
    const n = await broker.replace(lim.clientOrderId, {
      limitPrice: 455,
      newClientOrderId: "rep-1",
    });
    assert.deepEqual([n.clientOrderId, n.limitPrice, n.state], ["rep-1", 455, "accepted"]);
    const old = (await broker.getOrder(lim.clientOrderId))!;
    assert.equal(old.state, "canceled");
    assert.equal(old.reason, "replaced");
    assert.equal(server.count("PATCH", "/v2/orders/"), 1);
    const patch = JSON.parse(server.log.find((l) => l.method === "PATCH")!.body);
    assert.deepEqual(patch, { limit_price: "455", client_order_id: "rep-1" });
  });
});
