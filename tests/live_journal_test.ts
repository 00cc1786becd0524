import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  Journal,
  JOURNAL_SCHEMA_VERSION,
  JournalError,
  MIGRATIONS,
  newClientOrderId,
  schedulerOptionsFromJournal,
} from "../lib/live/journal.ts";
import { SimulatedClock } from "../lib/live/clock.ts";
import { type JobContext, TradingScheduler } from "../lib/live/scheduler.ts";
import { Rng } from "../lib/util/prng.ts";

const tmpDirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const d of tmpDirs) Deno.removeSync(d, { recursive: true });
});

async function tmpJournalPath(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "journal_test_" });
  tmpDirs.push(dir);
  return `${dir}/journal.sqlite`;
}

Deno.test("journal: records every kind of row and answers the dashboard's queries", async () => {
  const path = await tmpJournalPath();
  const j = Journal.open(path);
  assert.equal(j.schemaVersion(), JOURNAL_SCHEMA_VERSION);
  j.registerAgent({
    agent: "ppo-1",
    symbol: "SPY",
    runDir: "models/ppo-1",
    createdMs: 1,
    config: { lr: 3e-4 },
  });
  j.registerAgent({ agent: "grpo-1", symbol: "SPY", createdMs: 2 });
  const bar = {
    symbol: "SPY",
    interval: "5m",
    openTimeMs: 1000,
    open: 1,
    high: 2,
    low: 0.5,
    close: 1.5,
    volume: 10,
    receivedMs: 1300,
  };
  const barId = j.recordBar(bar);
  assert.equal(j.recordBar(bar), barId, "a bar seen twice is journaled once");
  const d1 = j.recordDecision({
    tsMs: 1300,
    agent: "ppo-1",
    symbol: "SPY",
    barTimeMs: 1000,
    obsHash: "abc",
    action: 2,
    smoothedAction: 1.5,
    probs: [0.1, 0.2, 0.7],
    decision: "acted",
    targetPosition: 3,
  });
  j.recordDecision({
    tsMs: 1300,
    agent: "grpo-1",
    symbol: "SPY",
    barTimeMs: 1000,
    action: 0,
    decision: "blocked",
    reason: "daily_loss_limit",
  });
  j.recordDecision({
    tsMs: 1600,
    agent: "ppo-1",
    symbol: "SPY",
    barTimeMs: 1300,
    action: 1,
    decision: "exited",
    reason: "ladder_level_2",
  });

  // Client order id journaled BEFORE submission; visible as an open order at once.
  j.recordOrderIntent({
    clientOrderId: "c1",
    agent: "ppo-1",
    symbol: "SPY",
    side: "buy",
    qty: 3,
    type: "market",
    decisionId: d1,
    createdMs: 1300,
  });
  assert.equal(j.order("c1")!.status, "pending_submit");
  assert.deepEqual(j.openOrders().map((o) => o.clientOrderId), ["c1"]);
  assert.throws(
    () =>
      j.recordOrderIntent({
        clientOrderId: "c1",
        agent: "ppo-1",
        symbol: "SPY",
        side: "buy",
        qty: 3,
        type: "market",
        createdMs: 1301,
      }),
    JournalError,
  );
  j.recordBrokerResponse({
    tsMs: 1310,
    clientOrderId: "c1",
    kind: "submit_ack",
    status: "accepted",
    brokerOrderId: "B1",
    payload: { raw: true },
  });
  assert.equal(j.order("c1")!.brokerOrderId, "B1");
  assert.equal(
    j.recordFill({
      fillId: "F1",
      clientOrderId: "c1",
      agent: "ppo-1",
      symbol: "SPY",
      side: "buy",
      qty: 1,
      price: 1.5,
      fee: 0.01,
      tsMs: 1320,
    }),
    true,
  );
  assert.equal(j.order("c1")!.status, "partially_filled");
  assert.equal(
    j.recordFill({
      fillId: "F1",
      clientOrderId: "c1",
      agent: "ppo-1",
      symbol: "SPY",
      side: "buy",
      qty: 1,
      price: 1.5,
      tsMs: 1320,
    }),
    false,
    "a replayed fill is ignored",
  );
  j.recordFill({
    fillId: "F2",
    clientOrderId: "c1",
    agent: "ppo-1",
    symbol: "SPY",
    side: "buy",
    qty: 2,
    price: 1.6,
    tsMs: 1330,
  });
  const o = j.order("c1")!;
  assert.equal(o.status, "filled");
  assert.equal(o.filledQty, 3);
  assert.deepEqual(j.openOrders(), []);
  assert.deepEqual(j.brokerResponses("c1").map((r) => [r.kind, r.status, r.payload]), [[
    "submit_ack",
    "accepted",
    { raw: true },
  ]]);
  assert.deepEqual(j.ordersUpdatedSince(1320).map((x) => x.clientOrderId), ["c1"]);
  assert.deepEqual(j.ordersUpdatedSince(1330), []);
  assert.deepEqual(j.positionsFromFills(), [{ agent: "ppo-1", symbol: "SPY", qty: 3 }]);

  j.recordPosition({
    tsMs: 1330,
    agent: "ppo-1",
    symbol: "SPY",
    qty: 3,
    avgPrice: 1.5667,
    source: "journal",
  });
  j.recordEquity({ tsMs: 1300, agent: "ppo-1", equity: 2000 });
  j.recordEquity({ tsMs: 1600, agent: "ppo-1", equity: 2010 });
  j.recordEquity({ tsMs: 1600, agent: "grpo-1", equity: 1990 });
  assert.deepEqual(j.latestEquity().map((e) => [e.agent, e.equity]), [["grpo-1", 1990], [
    "ppo-1",
    2010,
  ]]);
  assert.deepEqual(j.equityCurve("ppo-1").map((e) => e.equity), [2000, 2010]);
  j.recordTrade({
    agent: "ppo-1",
    symbol: "SPY",
    side: "long",
    qty: 3,
    entryMs: 1330,
    exitMs: 1600,
    entryPrice: 1.5667,
    exitPrice: 1.6,
    pnl: 0.09,
    exitReason: "ladder_level_2",
  });
  assert.equal(j.trades({ agent: "ppo-1" })[0].exitReason, "ladder_level_2");

  j.recordRiskEvent({
    tsMs: 1300,
    agent: "grpo-1",
    rule: "daily_loss_limit",
    action: "halt",
    detail: { loss: 0.02 },
  });
  j.recordRiskEvent({ tsMs: 1300, agent: "ppo-1", rule: "stale_data", action: "halt" });
  j.recordRiskEvent({ tsMs: 1400, agent: "ppo-1", rule: "stale_data", action: "resume" });
  j.recordKillSwitchEvent({ tsMs: 1500, action: "set", reason: "manual", source: "cli" });
  const risk = j.riskState();
  assert.equal(risk.killSwitch!.action, "set");
  assert.deepEqual(risk.halted.map((r) => [r.agent, r.rule]), [["grpo-1", "daily_loss_limit"]]);
  assert.deepEqual(risk.recent[2].detail, { loss: 0.02 });
  j.recordLoopEvent({ tsMs: 1, kind: "loop_start", detail: { pid: 1 } });

  const last = j.lastDecisions(2);
  assert.deepEqual(last.map((d) => d.decision), ["exited", "blocked"]);
  assert.deepEqual(j.lastDecisions(5, { agent: "ppo-1" })[1].probs, [0.1, 0.2, 0.7]);
  assert.equal(j.lastDecisions(5, { agent: "ppo-1" })[1].smoothedAction, 1.5);

  // Since-id cursors page through a table without gaps or repeats.
  const seen: unknown[] = [];
  let cursor = 0;
  for (;;) {
    const page = j.since("decisions", cursor, 2);
    if (!page.rows.length) break;
    seen.push(...page.rows.map((r) => r.id));
    cursor = page.nextId;
  }
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(j.since("risk_events", 0).rows[0].detail, { loss: 0.02 });
  assert.equal(j.agents()[0].runDir, "models/ppo-1");
  assert.deepEqual(j.agents()[0].config, { lr: 3e-4 });
  j.close();
});

Deno.test("journal: a v1 file is migrated in place and keeps its rows", async () => {
  const path = await tmpJournalPath();
  // Write a v1 journal exactly as v1 code did.
  const raw = new DatabaseSync(path);
  raw.exec("PRAGMA journal_mode = WAL");
  raw.exec(MIGRATIONS[0]);
  raw.exec("PRAGMA user_version = 1");
  raw.prepare(
    `INSERT INTO decisions (ts_ms, agent, symbol, bar_time_ms, action, decision, reason)
     VALUES (1, 'old', 'SPY', 0, 2, 'blocked', 'max_drawdown')`,
  ).run();
  raw.exec(`INSERT INTO scheduler_events (job, scheduled_ms, at_ms, session_date, outcome)
            VALUES ('close_flatten', 5, 6, '2026-03-11', 'fired')`);
  raw.close();

  // A reader refuses an old file rather than guessing.
  assert.throws(() => Journal.open(path, { readOnly: true }), JournalError);
  const j = Journal.open(path);
  assert.equal(j.schemaVersion(), 2);
  const [d] = j.lastDecisions(1);
  assert.equal(d.reason, "max_drawdown");
  assert.equal(d.smoothedAction, null);
  assert.ok(j.schedulerHandled("close_flatten", 5));
  j.recordTrade({
    agent: "old",
    symbol: "SPY",
    side: "short",
    qty: 1,
    entryMs: 0,
    exitMs: 1,
    entryPrice: 2,
    exitPrice: 1,
    pnl: 1,
  });
  j.recordKillSwitchEvent({ tsMs: 2, action: "set" });
  assert.equal(j.count("trades"), 1);
  j.close();
  // Reopening a current file is a no-op.
  const again = Journal.open(path);
  assert.equal(again.schemaVersion(), 2);
  assert.equal(again.count("trades"), 1);
  again.close();
});

Deno.test("journal: refuses a newer schema and a file that is not a database", async () => {
  const path = await tmpJournalPath();
  const raw = new DatabaseSync(path);
  raw.exec(`PRAGMA user_version = ${JOURNAL_SCHEMA_VERSION + 1}`);
  raw.close();
  assert.throws(
    () => Journal.open(path),
    (e) => e instanceof JournalError && /newer/.test(e.message),
  );
  const junk = path.replace("journal.sqlite", "junk.sqlite");
  await Deno.writeTextFile(junk, "this is not sqlite ".repeat(100));
  assert.throws(() => Journal.open(junk), JournalError);
  assert.throws(() => Journal.open(`${path}.missing`, { readOnly: true }), JournalError);
});

Deno.test("journal: a reader holding a snapshot does not block the writer (WAL), unlike rollback mode", async () => {
  const path = await tmpJournalPath();
  const w = Journal.open(path, { busyTimeoutMs: 0 }); // no waiting: a lock would fail at once
  w.recordEquity({ tsMs: 0, agent: "a", equity: 1 });
  const reader = new DatabaseSync(path, { readOnly: true });
  reader.exec("BEGIN");
  const n0 = (reader.prepare("SELECT COUNT(*) AS n FROM equity").get() as { n: number }).n;
  const dashboard = Journal.open(path, { readOnly: true });
  for (let i = 1; i <= 200; i++) {
    w.recordEquity({ tsMs: i, agent: "a", equity: 1 + i });
    // The dashboard streams while the loop writes.
    if (i % 50 === 0) assert.equal(dashboard.since("equity", 0, 10_000).rows.length, i + 1);
  }
  // The open read transaction still sees its snapshot; a new one sees everything.
  assert.equal((reader.prepare("SELECT COUNT(*) AS n FROM equity").get() as { n: number }).n, n0);
  reader.exec("COMMIT");
  assert.equal((reader.prepare("SELECT COUNT(*) AS n FROM equity").get() as { n: number }).n, 201);
  reader.close();
  dashboard.close();
  w.close();

  // The real alternative: the default rollback journal, where the same reader blocks commits.
  const rb = path.replace("journal.sqlite", "rollback.sqlite");
  const w2 = new DatabaseSync(rb);
  w2.exec("PRAGMA busy_timeout = 0; CREATE TABLE t (v); INSERT INTO t VALUES (1)");
  const r2 = new DatabaseSync(rb, { readOnly: true });
  r2.exec("BEGIN");
  r2.prepare("SELECT COUNT(*) FROM t").get();
  assert.throws(() => w2.exec("INSERT INTO t VALUES (2)"), /locked|busy/i);
  r2.exec("COMMIT");
  r2.close();
  w2.close();
});

Deno.test("journal: restarted scheduler reads what was handled from the journal and never repeats it", async () => {
  const path = await tmpJournalPath();
  const ny = (t: string) =>
    Temporal.ZonedDateTime.from(`2026-03-11T${t}[America/New_York]`).epochMilliseconds;
  const flattens: JobContext[] = [];
  const run = async (from: number, to: number, j: Journal) => {
    const clock = new SimulatedClock(from);
    await new TradingScheduler(
      { market: "us_equity" },
      { close_flatten: (c) => void flattens.push(c) },
      { clock, ...schedulerOptionsFromJournal(j, from) },
    ).runUntil(to);
  };
  let j = Journal.open(path);
  await run(ny("09:00"), ny("15:51"), j); // flatten fired at 15:50, then "crash"
  j.close();
  j = Journal.open(path);
  await run(ny("15:53"), ny("16:30"), j);
  assert.equal(flattens.length, 1);
  assert.equal(j.riskState().killSwitch, null);
  j.close();
});

Deno.test("journal: SIGKILL of a writing process at random moments loses no committed row", async () => {
  // Cannot catch: power loss (needs a real machine); synchronous = FULL is set for that.
  const path = await tmpJournalPath();
  const child = new URL("./fixtures/journal_writer_child.ts", import.meta.url).pathname;
  const rng = new Rng(17);
  let reported = -1;
  const kills = 10;
  for (let k = 0; k < kills; k++) {
    const proc = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", child, path],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const target = reported + 20 + rng.int(200);
    const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    while (reported < target) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) reported = Number(l.split(" ")[1]);
    }
    proc.kill("SIGKILL");
    const status = await proc.status;
    assert.equal(status.signal, "SIGKILL");
    await reader.cancel().catch(() => {});

    const j = Journal.open(path);
    assert.equal(j.integrityCheck(), "ok");
    const fills = j.count("fills");
    // Every transaction the child reported as committed is there, whole.
    assert.ok(fills >= reported + 1, `kill ${k}: ${fills} fills, ${reported + 1} reported`);
    assert.equal(j.count("orders"), fills, "an order and its fill commit together");
    assert.equal(j.count("equity"), fills);
    for (const i of [0, Math.floor(reported / 2), reported]) {
      assert.equal(j.order(`child-${i}`)!.status, "filled");
    }
    reported = fills - 1; // the next child resumes after the last committed row
    j.close();
  }
  assert.ok(reported > kills * 20);
});

Deno.test("newClientOrderId: deterministic, distinct per agent/bar/seq, ≤ 36 chars of [a-z0-9-]", () => {
  const a = newClientOrderId("ppo-1", 1_767_225_600_000, 0);
  assert.equal(a, newClientOrderId("ppo-1", 1_767_225_600_000, 0));
  const ids = new Set<string>();
  for (const agent of ["ppo-1", "ppo-2", "grpo-1"]) {
    for (let bar = 0; bar < 50; bar++) {
      for (let seq = 0; seq < 3; seq++) {
        ids.add(newClientOrderId(agent, 1_767_225_600_000 + bar * 300_000, seq));
      }
    }
  }
  assert.equal(ids.size, 3 * 50 * 3);
  for (const id of ids) assert.match(id, /^[a-z0-9-]{1,36}$/);
  assert.ok(newClientOrderId("x".repeat(300), Number.MAX_SAFE_INTEGER, 2 ** 40).length <= 36);
  assert.throws(() => newClientOrderId("a", -1, 0));
  assert.throws(() => newClientOrderId("a", 1.5, 0));
});
