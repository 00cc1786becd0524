/**
 * The paper broker on lib/trading's Account: the backtest-equivalence test (the same orders
 * give the same fills and equity to the cent), fill rules, bracket/OCO linkage, idempotency
 * through the engine, and a seeded fuzz test of the accounting invariants and the order
 * state machine.
 *
 * What these tests cannot catch: whether the paper fill model matches a real venue's queue
 * position or liquidity (it is the env's model by design).
 */
import assert from "node:assert/strict";
import { backtest, RandomPolicy } from "../lib/backtest/mod.ts";
import type { MarketData } from "../lib/data/market_data.ts";
import type { FeatureMatrix } from "../lib/features/feature_matrix.ts";
import { ENV_FEATURES, FuturesTradingEnv } from "../lib/env/futures_env.ts";
import type { Account } from "../lib/trading/account.ts";
import { periodsPerYear } from "../lib/util/calendar.ts";
import { Rng } from "../lib/util/prng.ts";
import { ClientOrderIdFactory } from "../lib/broker/client_id.ts";
import { ExecutionEngine } from "../lib/broker/engine.ts";
import { type PaperBar, PaperBroker } from "../lib/broker/paper_broker.ts";
import type { TimeSource } from "../lib/broker/rate_limiter.ts";
import { type Broker, isTerminal, type Order, type RiskGate } from "../lib/broker/types.ts";

const FIVE_MIN = 300_000;
const ALLOW: RiskGate = {
  checkTrade: () => ({ allowed: true, rule: null, reason: "ok", level: "low" }),
};

/** A seeded random-walk market with real high/low ranges and funding every 8 bars. */
function market(n: number, seed: number): { md: MarketData; fm: FeatureMatrix } {
  const rng = new Rng(seed);
  const time = new Float64Array(n), open = new Float64Array(n), high = new Float64Array(n);
  const low = new Float64Array(n), close = new Float64Array(n), volume = new Float64Array(n);
  const funding = new Float64Array(n).fill(NaN);
  let p = 100;
  for (let i = 0; i < n; i++) {
    time[i] = Date.UTC(2024, 0, 1) + i * FIVE_MIN;
    open[i] = p;
    p *= Math.exp(0.004 * rng.normal());
    close[i] = p;
    high[i] = Math.max(open[i], close[i]) * (1 + 0.002 * rng.next());
    low[i] = Math.min(open[i], close[i]) * (1 - 0.002 * rng.next());
    volume[i] = 1000;
    if (i % 8 === 7) funding[i] = 0.0001 * rng.normal();
  }
  const md: MarketData = {
    symbol: "TEST",
    interval: "5m",
    intervalMs: FIVE_MIN,
    time,
    open,
    high,
    low,
    close,
    volume,
    fundingRate: funding,
  };
  const names = [...ENV_FEATURES] as string[];
  const cols = names.length;
  const data = new Float64Array(n * cols);
  for (let i = 0; i < n; i++) {
    const row: Record<string, number> = {
      return_20: 0,
      natr: 0.003,
      rsi_14: 50,
      oi_price_divergence_20: 0,
      oi_change_20: 0,
      funding_rate: 0,
      volume_ratio: 1,
      bb_position: 0.5,
      atr_14: close[i] * 0.003,
    };
    names.forEach((name, j) => (data[i * cols + j] = row[name]));
  }
  const fm: FeatureMatrix = {
    names,
    rows: n,
    cols,
    data,
    time,
    firstValidRow: 0,
    valid: new Uint8Array(n).fill(1),
    available: { openInterest: true, funding: true },
  };
  return { md, fm };
}

function barOf(md: MarketData, t: number): PaperBar {
  return {
    time: md.time[t],
    open: md.open[t],
    high: md.high[t],
    low: md.low[t],
    close: md.close[t],
    volume: md.volume[t],
    fundingRate: md.fundingRate![t],
    index: t,
  };
}

Deno.test("paper broker replays a backtest's orders with the same fills and equity to the cent", async () => {
  const { md, fm } = market(600, 11);
  const env = new FuturesTradingEnv({ market: md, features: fm });
  // record every order the env's account executes (bar, signed quantity)
  const acct = env.account as Account;
  const orders: { bar: number; delta: number }[] = [];
  for (const m of ["enterRisk", "open", "scaleIn", "scaleOut", "reduce", "close"] as const) {
    const orig = (acct[m] as (...a: number[]) => boolean).bind(acct);
    (acct as unknown as Record<string, unknown>)[m] = (...args: number[]) => {
      const before = acct.direction * acct.size;
      const r = orig(...args);
      const after = acct.direction * acct.size;
      if (after !== before) orders.push({ bar: acct.bar, delta: after - before });
      return r;
    };
  }
  const result = backtest(new RandomPolicy({ seed: 5 }), env, {
    periodsPerYear: periodsPerYear("5m", "crypto"),
  });
  assert.ok(orders.length >= 40, `the random policy traded (${orders.length} orders)`);
  assert.ok(result.trades.length >= 10);

  const broker = new PaperBroker({ symbols: ["TEST"] });
  const ids = new ClientOrderIdFactory({ venue: "paper", session: "eq" });
  const first = result.bar[0], last = result.bar[result.steps];
  const equity: number[] = [];
  let k = 0;
  for (let t = first; t <= last; t++) {
    broker.onBar("TEST", barOf(md, t));
    if (t < last) equity.push(broker.account("TEST").equity);
    for (; k < orders.length && orders[k].bar === t; k++) {
      const o = await broker.submit({
        symbol: "TEST",
        side: orders[k].delta > 0 ? "buy" : "sell",
        qty: Math.abs(orders[k].delta),
        type: "market",
        timeInForce: "gtc",
        clientOrderId: ids.next(),
      });
      assert.equal(o.state, "filled", `order ${k} at bar ${t}: ${o.reason}`);
    }
    if (t === last) equity.push(broker.account("TEST").equity);
  }
  assert.equal(k, orders.length, "every order replayed");
  assert.equal(equity.length, result.equity.length);
  let worst = 0;
  for (let i = 0; i < equity.length; i++) {
    worst = Math.max(worst, Math.abs(equity[i] - result.equity[i]));
  }
  assert.ok(worst < 0.005, `equity differs by ${worst} (> half a cent)`);
  const pt = broker.account("TEST").ledger.trades();
  assert.equal(pt.length, result.trades.length);
  for (let i = 0; i < pt.length; i++) {
    const a = pt[i], b = result.trades[i];
    assert.ok(Math.abs(a.entryPrice - b.entryPrice) < 1e-9 * b.entryPrice, `trade ${i} entry`);
    assert.ok(Math.abs(a.exitPrice - b.exitPrice) < 1e-9 * b.exitPrice, `trade ${i} exit`);
    assert.ok(Math.abs(a.pnl - b.pnl) < 0.005, `trade ${i} pnl ${a.pnl} vs ${b.pnl}`);
    assert.equal(a.entryTime, b.entryTime);
    assert.equal(a.exitTime, b.exitTime);
  }
  const a = broker.account("TEST");
  assert.ok(Math.abs(a.feesPaid - result.feesPaid) < 0.005);
  assert.ok(Math.abs(a.fundingPaid - result.fundingPaid) < 0.005);
  assert.ok(result.fundingPaid !== 0, "funding was exercised");
});

/** A broker with one symbol at price 100 (no minimums, so small test sizes are allowed). */
function paper(options: { participation?: number } = {}): PaperBroker {
  const b = new PaperBroker({
    symbols: ["X"],
    trading: { minNotional: 0, initialBalance: 10_000 },
    participation: options.participation,
  });
  b.onBar("X", { time: 0, open: 100, high: 100, low: 100, close: 100, volume: 1000 });
  return b;
}
const bar = (t: number, o: number, h: number, l: number, c: number, v = 1000): PaperBar => ({
  time: t * FIVE_MIN,
  open: o,
  high: h,
  low: l,
  close: c,
  volume: v,
});
let cidSeq = 0;
const cid = () => `c${++cidSeq}`;

Deno.test("paper: market at the slipped mark; limits only when traded through; stops with slippage", async () => {
  const b = paper();
  const s = b.account("X").config.slippage;
  const m = await b.submit({
    symbol: "X",
    side: "buy",
    qty: 10,
    type: "market",
    timeInForce: "gtc",
    clientOrderId: cid(),
  });
  assert.equal(m.state, "filled");
  assert.ok(Math.abs(m.avgFillPrice - 100 * (1 + s)) < 1e-12);
  const lim = await b.submit({
    symbol: "X",
    side: "buy",
    qty: 5,
    type: "limit",
    limitPrice: 98,
    timeInForce: "gtc",
    clientOrderId: cid(),
  });
  b.onBar("X", bar(1, 99, 99.5, 98, 99)); // touches 98 but does not trade through
  assert.equal((await b.getOrder(lim.clientOrderId))!.state, "accepted");
  b.onBar("X", bar(2, 99, 99, 97.5, 98.5)); // trades through
  const l2 = (await b.getOrder(lim.clientOrderId))!;
  assert.equal(l2.state, "filled");
  assert.ok(Math.abs(l2.avgFillPrice - 98) < 1e-9, `limit filled at ${l2.avgFillPrice}`);
  const stop = await b.submit({
    symbol: "X",
    side: "sell",
    qty: 15,
    type: "stop",
    stopPrice: 95,
    timeInForce: "gtc",
    clientOrderId: cid(),
  });
  b.onBar("X", bar(3, 94, 94.5, 93, 94)); // gaps below the stop: fills at the open
  const s2 = (await b.getOrder(stop.clientOrderId))!;
  assert.equal(s2.state, "filled");
  assert.ok(Math.abs(s2.avgFillPrice - 94 * (1 - s)) < 1e-9);
  assert.equal(b.account("X").direction, 0);
});

Deno.test("paper: participation cap gives partial fills; IOC remainder cancelled; reduce-only never opens", async () => {
  const b = paper({ participation: 0.01 }); // 10 units per bar of 1000
  const o = await b.submit({
    symbol: "X",
    side: "buy",
    qty: 25,
    type: "market",
    timeInForce: "gtc",
    clientOrderId: cid(),
  });
  assert.deepEqual([o.state, o.filledQty], ["partially_filled", 10]);
  b.onBar("X", bar(1, 100, 101, 99, 100));
  b.onBar("X", bar(2, 100, 101, 99, 100));
  const done = (await b.getOrder(o.clientOrderId))!;
  assert.deepEqual([done.state, done.filledQty, done.fills.length], ["filled", 25, 3]);
  b.onBar("X", bar(3, 100, 101, 99, 100));
  const ioc = await b.submit({
    symbol: "X",
    side: "sell",
    qty: 20,
    type: "market",
    timeInForce: "ioc",
    clientOrderId: cid(),
  });
  assert.deepEqual([ioc.state, ioc.filledQty], ["canceled", 10]);
  const flat = paper();
  const ro = await flat.submit({
    symbol: "X",
    side: "sell",
    qty: 1,
    type: "market",
    timeInForce: "gtc",
    reduceOnly: true,
    clientOrderId: cid(),
  });
  assert.equal(ro.state, "rejected");
  assert.equal(flat.account("X").direction, 0);
});

Deno.test("paper: bracket legs wait for the entry, then take-profit cancels stop-loss", async () => {
  const b = paper();
  const o = await b.submit({
    symbol: "X",
    side: "buy",
    qty: 10,
    type: "limit",
    limitPrice: 99,
    timeInForce: "gtc",
    orderClass: "bracket",
    takeProfit: { limitPrice: 105 },
    stopLoss: { stopPrice: 96 },
    clientOrderId: "br1",
  });
  assert.deepEqual(o.legs!.map((l) => l.state), ["new", "new"], "legs held until the entry fills");
  b.onBar("X", bar(1, 100, 106, 99.5, 105)); // TP price reached, but the entry has not filled
  assert.equal(b.account("X").direction, 0);
  assert.equal((await b.getOrder("br1-tp"))!.state, "new");
  b.onBar("X", bar(2, 100, 100, 98, 99)); // entry fills
  assert.equal((await b.getOrder("br1-tp"))!.state, "accepted");
  assert.equal((await b.getOrder("br1-sl"))!.state, "accepted");
  b.onBar("X", bar(3, 100, 106, 99, 104)); // TP trades through
  assert.equal((await b.getOrder("br1-tp"))!.state, "filled");
  const sl = (await b.getOrder("br1-sl"))!;
  assert.equal(sl.state, "canceled");
  assert.match(sl.reason!, /OCO: br1-tp filled/);
  assert.equal(b.account("X").direction, 0);
  assert.equal(b.account("X").ledger.count, 1);
});

Deno.test("paper: OCO partial fill shrinks the sibling; cancelling one leg cancels the group", async () => {
  const b = paper({ participation: 0.004 }); // 4 units per bar
  for (let i = 0; i < 3; i++) {
    await b.submit({
      symbol: "X",
      side: "buy",
      qty: 4,
      type: "market",
      timeInForce: "gtc",
      clientOrderId: cid(),
    });
    b.onBar("X", bar(1 + i, 100, 100, 100, 100));
  }
  assert.equal(b.account("X").size, 12);
  const oco = await b.submit({
    symbol: "X",
    side: "sell",
    qty: 10,
    type: "limit",
    limitPrice: 105,
    timeInForce: "gtc",
    orderClass: "oco",
    takeProfit: { limitPrice: 105 },
    stopLoss: { stopPrice: 95 },
    clientOrderId: "oco1",
  });
  assert.equal(oco.legs![0].state, "accepted");
  b.onBar("X", bar(5, 100, 106, 100, 104)); // TP fills 4 of 10
  const tp = (await b.getOrder("oco1"))!, sl = (await b.getOrder("oco1-sl"))!;
  assert.deepEqual([tp.state, tp.filledQty], ["partially_filled", 4]);
  assert.equal(sl.qty, 6, "the stop now covers only the remainder");
  await b.cancel("oco1-sl");
  assert.equal((await b.getOrder("oco1"))!.state, "canceled");
  assert.equal(b.account("X").size, 8);
});

Deno.test("paper: a reduction that would leave dust is refused; reversal goes through flat", async () => {
  const b = new PaperBroker({ symbols: ["X"], trading: { minNotional: 100 } });
  b.onBar("X", { time: 0, open: 100, high: 100, low: 100, close: 100 });
  await b.submit({
    symbol: "X",
    side: "buy",
    qty: 5,
    type: "market",
    timeInForce: "gtc",
    clientOrderId: "a",
  });
  const dust = await b.submit({
    symbol: "X",
    side: "sell",
    qty: 4.5,
    type: "market",
    timeInForce: "gtc",
    clientOrderId: "b",
  });
  assert.equal(dust.state, "rejected");
  assert.match(dust.reason!, /below the minimum size/);
  const rev = await b.submit({
    symbol: "X",
    side: "sell",
    qty: 8,
    type: "market",
    timeInForce: "gtc",
    clientOrderId: "c",
  });
  assert.equal(rev.state, "filled");
  assert.ok(Math.abs(b.account("X").direction * b.account("X").size + 3) < 1e-12);
  assert.equal(b.account("X").ledger.count, 1, "the long round trip was booked");
});

Deno.test("paper + engine: idempotency — a client id is used once; engine ids never repeat", async () => {
  const b = paper();
  await b.submit({
    symbol: "X",
    side: "buy",
    qty: 1,
    type: "market",
    timeInForce: "gtc",
    clientOrderId: "dup",
  });
  await assert.rejects(
    b.submit({
      symbol: "X",
      side: "buy",
      qty: 1,
      type: "market",
      timeInForce: "gtc",
      clientOrderId: "dup",
    }),
    /already used/,
  );
  assert.equal(b.fills.length, 1, "the duplicate did not trade");
  // the engine resubmits only after a lookup, with the same id: a flaky broker that applies
  // the order then throws must not produce a second order
  let calls = 0;
  const flaky: Broker = {
    venue: "paper",
    submit: async (req) => {
      calls++;
      await b.submit(req);
      throw new Error("socket hang up");
    },
    cancel: (id) => b.cancel(id),
    replace: (id, c) => b.replace(id, c),
    getOrder: (id) => b.getOrder(id),
    getOrders: (o) => b.getOrders(o),
    getPositions: () => b.getPositions(),
    getAccount: () => b.getAccount(),
    getClock: () => b.getClock(),
  };
  const t: TimeSource = { now: () => 0, sleep: () => Promise.resolve() };
  const engine = new ExecutionEngine(flaky, {
    risk: ALLOW,
    ids: new ClientOrderIdFactory({ venue: "paper", session: "idem" }),
    time: t,
  });
  const out = await engine.marketOrder("X", 2, { side: "buy", price: 100 });
  assert.equal(out.kind, "confirmed", JSON.stringify(out));
  assert.equal(calls, 1);
  assert.equal(b.fills.length, 2);
  const seen = new Set<string>();
  const f = new ClientOrderIdFactory({ venue: "binanceusdm", session: "s" });
  for (let i = 0; i < 10_000; i++) seen.add(f.next());
  assert.equal(seen.size, 10_000);
  assert.equal(
    new ClientOrderIdFactory({ venue: "binanceusdm", session: "s" }).next(),
    "rl-s-1",
    "deterministic",
  );
});

Deno.test("paper fuzz: random submits/cancels keep lib/trading's invariants; no order ends twice", async () => {
  const rng = new Rng(2024);
  const syms = ["A", "B"];
  const b = new PaperBroker({ symbols: syms, trading: { minNotional: 0 }, participation: 0.2 });
  const terminalSeen = new Map<string, string>();
  const px: Record<string, number> = { A: 100, B: 50 };
  for (const s of syms) {
    b.onBar(s, { time: 0, open: px[s], high: px[s], low: px[s], close: px[s], volume: 100 });
  }
  const types = ["market", "limit", "stop", "stop_limit", "trailing_stop"] as const;
  let submitted = 0;
  for (let step = 1; step <= 3000; step++) {
    const s = syms[rng.int(2)];
    const r = rng.next();
    if (r < 0.35) {
      const type = types[rng.int(types.length)];
      const side = rng.next() < 0.5 ? "buy" : "sell";
      const p = px[s];
      const cls = rng.next() < 0.1 && (type === "market" || type === "limit")
        ? "bracket"
        : "simple";
      try {
        await b.submit({
          symbol: s,
          side,
          qty: 1 + rng.int(30),
          type,
          timeInForce: (["gtc", "day", "ioc"] as const)[rng.int(3)],
          limitPrice: p * (1 + 0.02 * (rng.next() - 0.5)),
          stopPrice: p * (side === "buy" ? 1 + 0.01 * rng.next() : 1 - 0.01 * rng.next()),
          trailFraction: 0.005 + 0.01 * rng.next(),
          orderClass: cls,
          takeProfit: cls === "bracket"
            ? { limitPrice: side === "buy" ? p * 1.02 : p * 0.98 }
            : undefined,
          stopLoss: cls === "bracket"
            ? { stopPrice: side === "buy" ? p * 0.98 : p * 1.02 }
            : undefined,
          reduceOnly: rng.next() < 0.1,
          clientOrderId: `f${step}`,
        });
        submitted++;
      } catch (e) {
        assert.match((e as Error).message, /broker rejected/);
      }
    } else if (r < 0.5) {
      const open = await b.getOrders();
      if (open.length) await b.cancel(open[rng.int(open.length)].clientOrderId);
    } else {
      const o = px[s];
      const c = o * Math.exp(0.01 * rng.normal());
      px[s] = c;
      b.onBar(s, {
        time: step * FIVE_MIN,
        open: o,
        high: Math.max(o, c) * (1 + 0.003 * rng.next()),
        low: Math.min(o, c) * (1 - 0.003 * rng.next()),
        close: c,
        volume: 50 + rng.int(100),
        fundingRate: step % 8 === 0 ? 0.0002 * rng.normal() : undefined,
      });
    }
    // an order seen terminal never changes state again
    if (step % 50 === 0) {
      for (const o of await b.getOrders({ status: "all" })) {
        const prev = terminalSeen.get(o.clientOrderId);
        if (prev !== undefined) assert.equal(o.state, prev, `${o.clientOrderId} left ${prev}`);
        else if (isTerminal(o.state)) terminalSeen.set(o.clientOrderId, o.state);
      }
    }
    // invariants after every step
    for (const sym of syms) {
      const a = b.account(sym);
      const init = a.config.initialBalance;
      assert.ok([-1, 0, 1].includes(a.direction));
      assert.ok(a.size >= 0 && (a.direction === 0) === (a.size === 0), `step ${step}: dir/size`);
      assert.ok(Math.abs(a.balance - (init + a.realisedPnl - a.feesPaid - a.fundingPaid)) < 1e-6);
      assert.ok(Math.abs(a.equity - (a.balance + a.unrealisedPnl)) < 1e-9);
      assert.ok(a.feesPaid >= 0);
      // the ledger plus the open trade explain all the money
      assert.ok(
        Math.abs(a.ledger.totalPnl() + a.openTradePnl - (a.equity - init)) < 1e-6,
        `step ${step}: ledger`,
      );
    }
  }
  const all = await b.getOrders({ status: "all" });
  assert.ok(submitted > 500 && all.length >= submitted);
  const signed: Record<string, number> = { A: 0, B: 0 };
  for (const f of b.fills) signed[f.symbol] += f.side === "buy" ? f.qty : -f.qty;
  let liquidations = 0;
  for (const sym of syms) {
    for (const t of b.account(sym).ledger.trades()) {
      if (t.exitReason === "liquidation") liquidations++;
    }
  }
  if (liquidations === 0) {
    for (const sym of syms) {
      const a = b.account(sym);
      assert.ok(Math.abs(signed[sym] - a.direction * a.size) < 1e-6, `${sym}: fills = position`);
    }
  }
  const states = new Set<string>();
  for (const o of all) {
    for (const h of o.history) states.add(h.state);
    const terminals = o.history.filter((h) => isTerminal(h.state));
    assert.ok(
      terminals.length <= 1,
      `${o.clientOrderId} ended twice: ${JSON.stringify(o.history)}`,
    );
    if (terminals.length) assert.equal(o.history.at(-1)!.state, o.state);
    assert.ok(o.filledQty <= o.qty * (1 + 1e-9) + 1e-9, `${o.clientOrderId} overfilled`);
    const fillSum = o.fills.reduce((s, f) => s + f.qty, 0);
    assert.ok(Math.abs(fillSum - o.filledQty) < 1e-9);
    if (terminalSeen.has(o.clientOrderId)) assert.equal(terminalSeen.get(o.clientOrderId), o.state);
  }
  for (const s of ["filled", "canceled", "rejected", "expired", "partially_filled", "accepted"]) {
    assert.ok(states.has(s), `fuzz reached state ${s}`);
  }
});

Deno.test("paper: orders after a terminal state cannot change (state machine)", async () => {
  const b = paper();
  const o: Order = await b.submit({
    symbol: "X",
    side: "buy",
    qty: 1,
    type: "limit",
    limitPrice: 90,
    timeInForce: "gtc",
    clientOrderId: "sm",
  });
  await b.cancel("sm");
  await assert.rejects(b.cancel("sm"), /already canceled/);
  b.onBar("X", bar(1, 80, 80, 79, 80));
  const after = (await b.getOrder("sm"))!;
  assert.equal(after.state, "canceled");
  assert.equal(after.filledQty, 0);
  assert.equal(o.clientOrderId, "sm");
});

Deno.test("paper: with quotes, buys fill at the ask and sells at the bid; limits when the quote crosses", async () => {
  const b = paper();
  b.onQuote("X", { time: 1, bid: 99.9, ask: 100.1 });
  const buy = await b.submit({
    symbol: "X",
    side: "buy",
    qty: 2,
    type: "market",
    timeInForce: "gtc",
    clientOrderId: "q1",
  });
  assert.equal(buy.avgFillPrice, 100.1);
  const lim = await b.submit({
    symbol: "X",
    side: "sell",
    qty: 2,
    type: "limit",
    limitPrice: 100.5,
    timeInForce: "gtc",
    clientOrderId: "q2",
  });
  assert.equal(lim.state, "accepted");
  b.onQuote("X", { time: 2, bid: 100.4, ask: 100.6 });
  assert.equal((await b.getOrder("q2"))!.state, "accepted", "bid below the limit");
  b.onQuote("X", { time: 3, bid: 100.55, ask: 100.7 });
  const done = (await b.getOrder("q2"))!;
  assert.equal(done.state, "filled");
  assert.ok(Math.abs(done.avgFillPrice - 100.55) < 1e-9);
  const a = b.account("X");
  const fee = a.config.feeRate;
  // round trip booked by lib/trading at exactly the quoted prices
  const t = a.ledger.get(0);
  assert.ok(Math.abs(t.grossPnl - 2 * (100.55 - 100.1)) < 1e-9);
  assert.ok(Math.abs(t.fees - fee * 2 * (100.1 + 100.55)) < 1e-9);
  assert.equal(a.markPrice, (100.55 + 100.7) / 2);
});
