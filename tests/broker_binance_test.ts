/**
 * The Binance USDⓈ-M adapter (ccxt `binanceusdm`, real HTTP and HMAC signing) against a
 * loopback server implementing the venue's REST subset with fault injection, driven through
 * the ExecutionEngine.
 *
 * Each test asserts the order POSTs the server saw (no duplicates, the right retries and no
 * others), the orders it holds, the fills/positions the engine ends with, and the outcome
 * kind and reason. Cannot catch: behaviour of the real venue beyond its documented shapes.
 */
import assert from "node:assert/strict";
import {
  binanceOptionsFromEnv,
  BinanceUsdmBroker,
  classifyBinanceError,
} from "../lib/broker/binance.ts";
import { ClientOrderIdFactory } from "../lib/broker/client_id.ts";
import { ExecutionEngine, type SubmitOutcome } from "../lib/broker/engine.ts";
import type { TimeSource } from "../lib/broker/rate_limiter.ts";
import { BrokerConfigError, type RiskGate } from "../lib/broker/types.ts";
import { MemoryUnresolvedStore } from "../lib/broker/unresolved.ts";
import { BinanceServer } from "./broker_binance_server.ts";

const ALLOW: RiskGate = {
  checkTrade: () => ({ allowed: true, rule: null, reason: "ok", level: "low" }),
};

function fakeTime(): TimeSource & { sleeps: number[]; t: number } {
  const ft = {
    t: Date.UTC(2024, 0, 2),
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
    server: BinanceServer;
    broker: BinanceUsdmBroker;
    engine: ExecutionEngine;
    time: ReturnType<typeof fakeTime>;
    store: MemoryUnresolvedStore;
  }) => Promise<void>,
): Promise<void> {
  const server = new BinanceServer();
  const time = fakeTime();
  const broker = new BinanceUsdmBroker({
    apiKey: server.apiKey,
    secret: server.secret,
    symbols: ["BTCUSDT", "ETHUSDT"],
    baseUrl: server.url,
    timeoutMs: 250,
    time,
  });
  const store = new MemoryUnresolvedStore();
  const engine = new ExecutionEngine(broker, {
    risk: ALLOW,
    ids: new ClientOrderIdFactory({ venue: "binanceusdm", session: "b1" }),
    time,
    seed: 3,
    store,
    settleAbsentAfterMs: 30_000,
  });
  try {
    await fn({ server, broker, engine, time, store });
  } finally {
    await server.close();
  }
}

const POSTS = (s: BinanceServer) => s.count("POST", "/fapi/v1/order");
const LOOKUPS = (s: BinanceServer) => s.count("GET", "/fapi/v1/order");
const GTC = { timeInForce: "gtc" as const, price: 50_000 };
function confirmed(o: SubmitOutcome): asserts o is Extract<SubmitOutcome, { kind: "confirmed" }> {
  assert.equal(o.kind, "confirmed", JSON.stringify(o));
}

Deno.test("binance: markets load from the local exchangeInfo; our newClientOrderId is sent", async () => {
  await withRig(async ({ server, engine }) => {
    const out = await engine.marketOrder("BTCUSDT", 0.01, { side: "buy", ...GTC });
    confirmed(out);
    assert.equal(out.order.state, "filled");
    assert.equal(server.count("GET", "/fapi/v1/exchangeInfo"), 1);
    assert.equal(POSTS(server), 1);
    const p = server.log.find((l) => l.method === "POST")!.params;
    assert.equal(p.newClientOrderId, out.clientOrderId);
    assert.equal(p.type, "MARKET");
    assert.equal(p.quantity, "0.01");
    assert.equal(server.positions.get("BTCUSDT")!.amt, 0.01);
  });
});

Deno.test("binance: 429 (−1003) honours Retry-After, one lookup, one resubmit with the same id", async () => {
  await withRig(async ({ server, engine, time }) => {
    server.inject("POST", "/fapi/v1/order", {
      kind: "status",
      status: 429,
      code: -1003,
      msg: "Too many requests; current limit is 1200 requests per minute.",
      retryAfterS: 2,
    });
    const out = await engine.marketOrder("BTCUSDT", 0.01, { side: "buy", ...GTC });
    confirmed(out);
    assert.equal(POSTS(server), 2);
    assert.equal(LOOKUPS(server), 1);
    assert.ok(time.sleeps[0] >= 2000, String(time.sleeps[0]));
    const ids = server.log.filter((l) => l.method === "POST").map((l) => l.params.newClientOrderId);
    assert.deepEqual(ids, [out.clientOrderId, out.clientOrderId], "ccxt did not mint a new id");
    assert.equal(server.orders.length, 1);
  });
});

Deno.test("binance: 503 → lookup absent → resubmit; one order", async () => {
  await withRig(async ({ server, engine }) => {
    server.inject("POST", "/fapi/v1/order", { kind: "status", status: 503 });
    const out = await engine.marketOrder("BTCUSDT", 0.01, { side: "buy", ...GTC });
    confirmed(out);
    assert.equal(POSTS(server), 2);
    assert.equal(server.orders.length, 1);
  });
});

Deno.test("binance: −1007 execution status unknown (not applied) → unresolved, never resubmitted, blocks the symbol", async () => {
  await withRig(async ({ server, engine, store, time }) => {
    server.inject("POST", "/fapi/v1/order", { kind: "unknown", code: -1007, apply: false });
    const out = await engine.marketOrder("BTCUSDT", 0.01, { side: "buy", ...GTC });
    assert.equal(out.kind, "unresolved");
    assert.equal(POSTS(server), 1, "status unknown: no resubmission");
    assert.equal((await store.list())[0].clientOrderId, out.clientOrderId);
    const blocked = await engine.marketOrder("BTCUSDT", 0.01, { side: "buy", ...GTC });
    assert.equal(blocked.kind === "denied" && blocked.source, "unresolved");
    confirmed(await engine.marketOrder("ETHUSDT", 0.1, { side: "buy", ...GTC, price: 3000 }));
    time.t += 31_000;
    await engine.settleUnresolved();
    assert.equal((await store.list()).length, 0);
  });
});

Deno.test("binance: −1006 but the order WAS applied → the lookup confirms it; one order", async () => {
  await withRig(async ({ server, engine }) => {
    server.inject("POST", "/fapi/v1/order", { kind: "unknown", code: -1006, apply: true });
    const out = await engine.marketOrder("BTCUSDT", 0.02, { side: "buy", ...GTC });
    confirmed(out);
    assert.equal(POSTS(server), 1);
    assert.equal(server.orders.length, 1);
    assert.equal(out.order.filledQty, 0.02);
  });
});

Deno.test("binance: timeout before applying → one resubmit; timeout after applying → none", async () => {
  await withRig(async ({ server, engine }) => {
    server.inject("POST", "/fapi/v1/order", { kind: "hang", ms: 600, apply: false });
    confirmed(await engine.marketOrder("BTCUSDT", 0.01, { side: "buy", ...GTC }));
    assert.equal(POSTS(server), 2);
    server.inject("POST", "/fapi/v1/order", { kind: "hang", ms: 600, apply: true });
    confirmed(await engine.marketOrder("BTCUSDT", 0.01, { side: "buy", ...GTC }));
    assert.equal(POSTS(server), 3);
    assert.equal(server.orders.length, 2, "no duplicate");
    assert.ok(Math.abs(server.positions.get("BTCUSDT")!.amt - 0.02) < 1e-12);
  });
});

Deno.test("binance: response lost after a partial fill → found; later fill reconciled; no lost fill", async () => {
  await withRig(async ({ server, engine }) => {
    server.inject("POST", "/fapi/v1/order", { kind: "drop", fraction: 0.5 });
    const out = await engine.marketOrder("BTCUSDT", 0.04, { side: "buy", ...GTC });
    confirmed(out);
    assert.equal(POSTS(server), 1);
    assert.equal(out.order.state, "partially_filled");
    assert.equal(out.order.filledQty, 0.02);
    server.fillRest(out.clientOrderId);
    const ev = await engine.reconcile();
    const fills = engine.events.filter((e) =>
      e.type === "fill" && e.clientOrderId === out.clientOrderId
    );
    assert.deepEqual(fills.map((e) => e.detail!.qty), [0.02, 0.02]);
    assert.equal(ev.filter((e) => e.type === "position_mismatch").length, 0);
    assert.equal(engine.orders()[0].state, "filled");
  });
});

Deno.test("binance: −2019 margin insufficient and −4016 price bound are rejected without retries", async () => {
  await withRig(async ({ server, engine, time }) => {
    const big = await engine.marketOrder("BTCUSDT", 5, { side: "buy", ...GTC });
    assert.equal(big.kind, "rejected");
    assert.equal(big.kind === "rejected" && big.code, -2019);
    assert.match(big.kind === "rejected" ? big.reason : "", /Margin is insufficient/);
    const far = await engine.limitOrder("BTCUSDT", 0.01, {
      side: "buy",
      limitPrice: 60_000,
      timeInForce: "gtc",
    });
    assert.equal(far.kind === "rejected" && far.code, -4016);
    assert.equal(POSTS(server), 2);
    assert.equal(LOOKUPS(server), 0);
    assert.equal(time.sleeps.length, 0);
  });
});

Deno.test("binance: ccxt's local precision refusal is rejected, not retried, never sent", async () => {
  await withRig(async ({ server, engine }) => {
    const tiny = await engine.marketOrder("BTCUSDT", 0.0001, { side: "buy", ...GTC });
    assert.equal(tiny.kind, "rejected", JSON.stringify(tiny));
    assert.match(tiny.kind === "rejected" ? tiny.reason : "", /ccxt refused before sending/);
    assert.equal(POSTS(server), 0);
  });
});

Deno.test("binance: newClientOrderId rules — −4116 among open orders, reusable once closed, local pattern check", async () => {
  await withRig(async ({ server, engine }) => {
    const opts = {
      side: "buy" as const,
      limitPrice: 49_000,
      timeInForce: "gtc" as const,
      clientOrderId: "mine-1",
    };
    confirmed(await engine.limitOrder("BTCUSDT", 0.01, opts));
    const dup = await engine.limitOrder("BTCUSDT", 0.01, opts);
    assert.equal(dup.kind === "rejected" && dup.code, -4116);
    await engine.cancel("mine-1");
    confirmed(await engine.limitOrder("BTCUSDT", 0.01, opts));
    const long = await engine.limitOrder("BTCUSDT", 0.01, {
      ...opts,
      clientOrderId: "x".repeat(37),
    });
    assert.equal(long.kind, "denied");
    const hash = await engine.limitOrder("BTCUSDT", 0.01, { ...opts, clientOrderId: "bad#id" });
    assert.equal(hash.kind, "denied");
    assert.equal(POSTS(server), 3);
  });
});

Deno.test("binance: no native bracket/OCO or day orders — typed refusals", async () => {
  await withRig(async ({ server, engine }) => {
    const b = await engine.bracketOrder("BTCUSDT", 0.01, {
      side: "buy",
      takeProfit: 52_000,
      stopLoss: 48_000,
      price: 50_000,
    });
    assert.equal(b.kind === "denied" && b.rule, "binanceusdm.no_linked_orders");
    const d = await engine.marketOrder("BTCUSDT", 0.01, {
      side: "buy",
      price: 50_000,
      timeInForce: "day",
    });
    assert.equal(d.kind === "denied" && d.rule, "binanceusdm.time_in_force");
    assert.equal(POSTS(server), 0);
  });
});

Deno.test("binance: stop orders via the Algo Service, positions, account and clock map from the venue's shapes", async () => {
  await withRig(async ({ server, broker, engine }) => {
    confirmed(await engine.marketOrder("BTCUSDT", 0.1, { side: "buy", ...GTC }));
    const stop = await engine.submit(
      {
        symbol: "BTCUSDT",
        qty: 0.1,
        side: "sell",
        type: "stop",
        stopPrice: 48_000,
        reduceOnly: true,
      },
      GTC,
    );
    confirmed(stop);
    // conditional orders go to the Algo Service with our id as clientAlgoId
    const sent = server.log.find((l) =>
      l.method === "POST" && l.path === "/fapi/v1/algoOrder"
    )!.params;
    assert.equal(sent.type, "STOP_MARKET");
    assert.equal(sent.algoType, "CONDITIONAL");
    assert.equal(sent.triggerPrice, "48000");
    assert.equal(sent.clientAlgoId, stop.clientOrderId);
    assert.equal(sent.reduceOnly, "true");
    assert.deepEqual((await broker.getOrders()).map((o) => [o.clientOrderId, o.state]), [[
      stop.clientOrderId,
      "accepted",
    ]]);
    server.setPrice("BTCUSDT", 47_900);
    const done = (await broker.getOrder(stop.clientOrderId))!;
    assert.deepEqual([done.state, done.filledQty, done.avgFillPrice], ["filled", 0.1, 47_900]);
    assert.deepEqual(await broker.getPositions(), []);
    const acct = await broker.getAccount();
    assert.ok(acct.equity < 10_000, "loss and fees booked");
    assert.equal(acct.currency, "USDT");
    assert.equal((await broker.getClock()).isOpen, true);
  });
});

Deno.test("binance: a conditional stop is cancelled through the Algo Service", async () => {
  await withRig(async ({ server, broker, engine }) => {
    confirmed(await engine.marketOrder("BTCUSDT", 0.1, { side: "buy", ...GTC }));
    const stop = await engine.submit(
      {
        symbol: "BTCUSDT",
        qty: 0.1,
        side: "sell",
        type: "stop",
        stopPrice: 48_000,
        reduceOnly: true,
      },
      GTC,
    );
    confirmed(stop);
    const c = await engine.cancel(stop.clientOrderId);
    assert.equal(c.state, "canceled");
    assert.equal(server.count("DELETE", "/fapi/v1/algoOrder"), 1);
    server.setPrice("BTCUSDT", 47_000);
    assert.equal(server.positions.get("BTCUSDT")!.amt, 0.1, "a cancelled stop never fires");
    assert.deepEqual(await broker.getOrders(), []);
  });
});

Deno.test("binance: missing keys → clear error naming the variables", () => {
  assert.throws(
    () => binanceOptionsFromEnv(["BTCUSDT"], { get: () => undefined }),
    (e: unknown) =>
      e instanceof BrokerConfigError && /BINANCE_API_KEY and BINANCE_API_SECRET/.test(e.message),
  );
});

Deno.test("binance: error classification keeps request signatures out of messages", () => {
  const e = classifyBinanceError(
    new Error(
      'binanceusdm POST http://x/fapi/v1/order?timestamp=1&signature=abcdef0123 400 {"code":-2019,"msg":"Margin is insufficient."}',
    ),
    "submit",
  );
  assert.equal(e.kind, "rejected");
  assert.equal(e.code, -2019);
  const net = classifyBinanceError(
    new Error("binanceusdm GET http://x/fapi/v1/order?signature=abcdef0123 request timed out"),
    "getOrder",
  );
  assert.equal(net.kind, "transient");
  assert.ok(!net.message.includes("abcdef0123"));
});
