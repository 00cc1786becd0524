/**
 * The Live half of the dashboard without a browser:
 * - the figures of `/api/live/:id/state` from a hand-written journal over two days (equity and
 *   drawdown today and since start, daily loss used, loss streak of the day, halts in force,
 *   positions, open orders, the kill switch, report links), each against a value worked out
 *   by hand;
 * - reading never blocks the loop's writes: a separate process commits through the real
 *   `Journal` API with `busy_timeout = 0` (any lock wait would surface at once as
 *   SQLITE_BUSY) while three SSE clients stream and a script polls the JSON API; no write
 *   may fail, and every decision row arrives on every stream once, in id order. A control
 *   run shows the detector works: a connection that takes the write lock does make that
 *   writer fail.
 * Cannot catch: drawing in a browser (dashboard_live_browser_e2e_test.ts); a writer slowed by
 * disk contention rather than locks (commit times are printed, not asserted).
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { createDashboard, type LiveState, startDashboard } from "@lib/dashboard/mod.ts";
import { Journal, paperBrokerStorePath, setKillSwitch } from "@lib/live/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const H = 3_600_000;

function writer(journal: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tests/dashboard_live_writer.ts", "--journal", journal, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function writerResult(p: Deno.ChildProcess): Promise<{
  steps: number;
  commits: number;
  busyErrors: number;
  commitMs: { median: number; p99: number; max: number };
}> {
  const out = await p.output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.ok(out.success, `writer failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text.split("\n").at(-1)!);
}

async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Collect SSE events of one stream. */
function sse(res: Response) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { event: string; data: Record<string, unknown> }[] = [];
  let buf = "";
  const done = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: "", done: true }));
      if (done) return;
      buf += value;
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
      }
    }
  })();
  return {
    events,
    /** Decision ids: the snapshot's (ascending), then each `rows` event's. */
    decisionIds(): { snapshot: number[]; streamed: number[] } {
      const snap = events.find((e) => e.event === "snapshot");
      const snapshot = ((snap?.data.decisions ?? []) as { id: number }[]).map((d) => d.id)
        .reverse();
      const streamed = events.filter((e) => e.event === "rows").flatMap((e) =>
        ((e.data.decisions ?? []) as { id: number }[]).map((d) => d.id)
      );
      return { snapshot, streamed };
    },
    async close() {
      await reader.cancel().catch(() => {});
      await done;
    },
  };
}

Deno.test("dashboard live state: equity, drawdown, risk, positions and orders from a two-day journal", async () => {
  const root = await Deno.makeTempDir({ prefix: "dash-live-" });
  const path = `${root}/loop.sqlite`;
  const j = Journal.open(path);
  // New York session days: 2026-11-26 and 2026-11-27 (15:00 UTC = 10:00 New York)
  const d1 = Date.UTC(2026, 10, 26, 15);
  const d2 = Date.UTC(2026, 10, 27, 15);
  j.registerAgent({ agent: "a", symbol: "SPY", createdMs: d1, config: { risk: "spec" } });
  j.registerAgent({
    agent: "b",
    symbol: "QQQ",
    createdMs: d1,
    config: { risk: { maxDailyLossFraction: 0.05, maxLossStreak: 5 } },
  });
  const eq = (agent: string, t: number, e: number) => j.recordEquity({ tsMs: t, agent, equity: e });
  eq("a", d1, 2000);
  eq("a", d1 + H, 2100);
  eq("a", d1 + 2 * H, 1950);
  eq("a", d2, 2000);
  eq("a", d2 + H, 1980);
  eq("a", d2 + 2 * H, 1990);
  eq("b", d1, 1000);
  eq("b", d2 + 2 * H, 1010);
  const trade = (t: number, pnl: number) =>
    j.recordTrade({
      agent: "a",
      symbol: "SPY",
      side: "long",
      qty: 1,
      entryMs: t - H / 2,
      exitMs: t,
      entryPrice: 400,
      exitPrice: 400 + pnl,
      pnl,
    });
  trade(d1 + H, -5); // yesterday: not part of today's streak
  trade(d2 + H / 2, 3);
  trade(d2 + H, -1);
  trade(d2 + 2 * H, -2);
  j.recordRiskEvent({ tsMs: d1 + 2 * H, agent: "a", rule: "daily_loss", action: "risk" });
  j.recordRiskEvent({
    tsMs: d2 + H,
    agent: "a",
    rule: "max_drawdown",
    action: "risk",
    detail: { reason: "drawdown 10.00 % ≥ limit 10.00 %" },
  });
  j.recordOrderIntent({
    clientOrderId: "o1",
    agent: "a",
    symbol: "SPY",
    side: "buy",
    qty: 2,
    type: "market",
    createdMs: d2,
  });
  j.recordFill({
    fillId: "f1",
    clientOrderId: "o1",
    agent: "a",
    symbol: "SPY",
    side: "buy",
    qty: 2,
    price: 400,
    tsMs: d2,
  });
  j.recordOrderIntent({
    clientOrderId: "o2",
    agent: "a",
    symbol: "SPY",
    side: "sell",
    qty: 1,
    type: "limit",
    limitPrice: 410,
    createdMs: d2 + H,
  });
  j.recordPosition({
    tsMs: d2 + 2 * H,
    agent: "a",
    symbol: "SPY",
    qty: 2,
    avgPrice: 400,
    unrealizedPnl: 4,
    source: "journal",
  });
  j.recordLoopEvent({ tsMs: d1, kind: "start" });
  await Deno.mkdir(`${root}/reports`);
  await Deno.writeTextFile(`${root}/reports/daily_report_2026-11-26.html`, "<p>written</p>");
  const app = await createDashboard({ models: root, journals: [path] });
  const get = async (p: string) => {
    const r = await app.handler(
      new Request(`http://127.0.0.1:8787${p}`, { headers: { host: "127.0.0.1:8787" } }),
    );
    return { status: r.status, body: await r.text() };
  };
  try {
    const st = JSON.parse((await get("/api/live/loop/state")).body) as LiveState;
    assert.equal(st.day, "2026-11-27");
    assert.equal(st.market, "us_equity");
    const a = st.agents.find((x) => x.agent === "a")!;
    assert.deepEqual(
      [a.equity, a.startEquity, a.dayStartEquity, a.pnlToday, a.pnlSinceStart],
      [1990, 2000, 2000, -10, -10],
    );
    const close = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-12, `${x} vs ${y}`);
    close(a.pnlTodayFraction!, -0.005);
    close(a.maxDrawdown, 150 / 2100); // 2100 → 1950
    close(a.drawdown, 110 / 2100); // peak 2100, now 1990
    close(a.maxDrawdownToday, 0.01); // today's peak 2000 → 1980
    close(a.drawdownToday, 0.005); // today's peak 2000, now 1990
    close(a.dailyLossUsed, 0.005);
    assert.equal(a.dailyLossLimit, 0.02); // the specification's default ("spec")
    assert.equal(a.lossStreak, 2); // −1, −2 today; yesterday's −5 is another session
    assert.equal(a.lossStreakLimit, 3);
    const b = st.agents.find((x) => x.agent === "b")!;
    assert.deepEqual([b.dailyLossLimit, b.lossStreakLimit, b.dayStartEquity], [0.05, 5, 1010]);
    assert.deepEqual(st.total, {
      equity: 3000,
      startEquity: 3000,
      dayStartEquity: 3010,
      pnlToday: -10,
      pnlSinceStart: 0,
    });
    // yesterday's daily-loss halt has reset; today's drawdown halt is in force
    assert.deepEqual(
      st.risk.halts.map((h) => [h.agent, h.rule, h.reason]),
      [["a", "max_drawdown", "drawdown 10.00 % ≥ limit 10.00 %"]],
    );
    assert.deepEqual(
      st.positions.map((p) => [p.agent, p.symbol, p.qty, p.qtyFromFills, p.unrealizedPnl]),
      [["a", "SPY", 2, 2, 4]],
    );
    assert.deepEqual(st.openOrders.map((o) => [o.clientOrderId, o.status]), [[
      "o2",
      "pending_submit",
    ]]);
    assert.deepEqual(st.reports, [
      { date: "2026-11-27", written: false },
      { date: "2026-11-26", written: true },
    ]);
    assert.deepEqual([st.loop?.kind, st.loop?.tsMs], ["start", d1]);
    assert.equal(st.risk.killSwitch.set, false);
    assert.equal(st.metrics?.overall.stats.trades, 4);
    // reports: the loop's file as written; a day without a file built from the journal
    assert.equal((await get("/live/loop/reports/2026-11-26")).body, "<p>written</p>");
    assert.match((await get("/live/loop/reports/2026-11-27")).body, /Daily report 2026-11-27/);
    // decisions since a row id, for scripts
    // (stamped like a replay: the loop's wall clock weeks later, the bar on day 2)
    for (let i = 0; i < 5; i++) {
      j.recordDecision({
        tsMs: d2 + 30 * 24 * H + i,
        agent: "a",
        symbol: "SPY",
        barTimeMs: d2 + 3 * H,
        decision: i === 2 ? "blocked" : "acted",
        reason: i === 2 ? "spread" : null,
      });
    }
    const dec = JSON.parse((await get("/api/live/loop/decisions?since=2&limit=2")).body);
    assert.deepEqual(dec.rows.map((r: { id: number }) => r.id), [3, 4]);
    assert.equal(dec.nextId, 4);
    assert.equal((await get("/api/live/loop/decisions?since=-1")).status, 400);
    // the kill switch set by paper:kill's function shows in the state
    setKillSwitch(path, { reason: "from the CLI", source: "cli" });
    const st2 = JSON.parse((await get("/api/live/state")).body) as LiveState;
    assert.deepEqual(
      [st2.risk.killSwitch.set, st2.risk.killSwitch.reason, st2.risk.killSwitch.source],
      [true, "from the CLI", "cli"],
    );
    assert.deepEqual(st2.risk.killEvents.map((e) => [e.action, e.source]), [["set", "cli"]]);
    assert.equal(st2.counts.decisions, 5);
    assert.equal(st2.day, "2026-11-27", "the loop's day follows the bars, not the wall clock");
  } finally {
    app.close();
    j.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name:
    "dashboard live stream: a loop committing in a tight loop is never blocked (no SQLITE_BUSY at busy_timeout 0); every decision streamed once, in order",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "dash-live-w-" });
    const path = `${root}/loop.sqlite`;
    Journal.open(path).close();
    const d = await startDashboard({ models: root, journals: [path], port: 0, heartbeatMs: 100 });
    const streams = await Promise.all(
      [0, 1, 2].map(async () => sse(await fetch(`${d.url}/api/live/loop/stream`))),
    );
    let polling = true;
    let polls = 0;
    const poller = (async () => {
      while (polling) {
        for (const p of ["state", "snapshot", "decisions?since=0&limit=1000"]) {
          const r = await fetch(`${d.url}/api/live/loop/${p}`);
          assert.equal(r.status, 200);
          await r.body?.cancel();
          polls++;
        }
      }
    })();
    try {
      const w = writer(path, ["--steps", "600", "--interval-ms", "1", "--busy-timeout-ms", "0"]);
      const res = await writerResult(w);
      polling = false;
      await poller;
      console.log(JSON.stringify({
        measure: "writer commit time while the dashboard streams to 3 clients, ms",
        ...res,
        apiRequestsMeanwhile: polls,
      }));
      assert.equal(res.busyErrors, 0, "a write hit SQLITE_BUSY while the dashboard read");
      assert.ok(polls > 10, `the API was exercised during the writes (${polls} requests)`);
      const r = Journal.open(path, { readOnly: true });
      const total = r.count("decisions");
      r.close();
      assert.equal(total, 1200);
      for (const s of streams) {
        await waitFor(
          () => {
            const { snapshot, streamed } = s.decisionIds();
            return Math.max(0, ...snapshot, ...streamed) === total;
          },
          20_000,
          "every decision on the stream",
        );
        const { snapshot, streamed } = s.decisionIds();
        const first = snapshot.length ? snapshot.at(-1)! + 1 : 1;
        assert.deepEqual(
          streamed,
          Array.from({ length: total - first + 1 }, (_, i) => first + i),
          "decisions after the snapshot arrive once each, in id order",
        );
      }
      // the state event is throttled (at most about one a second): wait for the one that
      // follows the last write, then check it counts every decision
      const lastState = () =>
        streams[0].events.filter((e) => e.event === "state").at(-1)?.data as unknown as
          | LiveState
          | undefined;
      await waitFor(
        () => lastState()?.counts.decisions === total,
        20_000,
        "a state event counting every decision",
      );
      assert.equal(lastState()!.counts.decisions, total);
      // closing the streams (and a HEAD on a stream) leaves no watcher behind
      for (const s of streams) await s.close();
      const head = await fetch(`${d.url}/api/live/loop/stream`, { method: "HEAD" });
      assert.equal(head.headers.get("content-type"), "text/event-stream; charset=utf-8");
      await waitFor(() => d.watchedFolders === 0, 5000, "the journal's watcher to close");
    } finally {
      polling = false;
      for (const s of streams) await s.close();
      await d.shutdown();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("dashboard live stream (control): a connection holding the write lock does make the busy_timeout-0 writer fail", async () => {
  const root = await Deno.makeTempDir({ prefix: "dash-live-c-" });
  const path = `${root}/loop.sqlite`;
  Journal.open(path).close();
  const blocker = new DatabaseSync(path);
  // The blocker waits for the writer's own short transactions to end before taking the lock
  // (else BEGIN IMMEDIATE itself fails when it lands inside one of the writer's commits).
  blocker.exec("PRAGMA busy_timeout = 10000");
  try {
    const w = writer(path, ["--steps", "200", "--interval-ms", "2", "--busy-timeout-ms", "0"]);
    await waitFor(
      () => {
        try {
          const r = Journal.open(path, { readOnly: true });
          const n = r.count("decisions");
          r.close();
          return n > 0;
        } catch {
          return false;
        }
      },
      30_000,
      "the writer's first decision",
    );
    blocker.exec("BEGIN IMMEDIATE");
    await new Promise((r) => setTimeout(r, 150));
    blocker.exec("COMMIT");
    const res = await writerResult(w);
    assert.ok(res.busyErrors > 0, "the detector sees a lock that blocks the writer");
  } finally {
    blocker.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("dashboard live: no journal, a journal not started yet, an old journal, several journals", async () => {
  const root = await Deno.makeTempDir({ prefix: "dash-live-n-" });
  const req = (app: { handler: (r: Request) => Promise<Response> }, p: string) =>
    app.handler(new Request(`http://127.0.0.1:8787${p}`, { headers: { host: "127.0.0.1:8787" } }));
  try {
    const none = await createDashboard({ models: root });
    assert.deepEqual(await (await req(none, "/api/live")).json(), { journals: [] });
    assert.equal((await req(none, "/api/live/state")).status, 404);
    const page = await req(none, "/live");
    assert.equal(page.status, 200);
    assert.match(await page.text(), /data-page="live-index"/);
    none.close();
    // the loop has not started: the page says so; an old (v1) journal is named, not read
    await Deno.mkdir(`${root}/j`);
    const old = new DatabaseSync(`${root}/j/old.db`);
    old.exec("PRAGMA user_version = 1; CREATE TABLE agents (agent TEXT);");
    old.close();
    // a paper session's broker sub-account log next to its journal is not a journal
    const store = new DatabaseSync(paperBrokerStorePath(`${root}/j/old.db`, "agent-a"));
    store.exec("CREATE TABLE inputs (id INTEGER PRIMARY KEY);");
    store.close();
    const app = await createDashboard({
      models: root,
      journals: [`${root}/later.sqlite`, `${root}/j`],
    });
    const list = await (await req(app, "/api/live")).json();
    assert.deepEqual(
      list.journals.map((j: { id: string; available: boolean }) => [j.id, j.available]),
      [
        ["later", false],
        ["old", false],
      ],
    );
    assert.match(list.journals[0].problem, /does not exist yet/);
    assert.match(list.journals[1].problem, /older than v2/);
    assert.ok(!JSON.stringify(list).includes(root), "no server path in the answer");
    assert.equal((await req(app, "/live")).status, 200, "several journals: the index page");
    assert.equal((await req(app, "/api/live/state")).status, 400);
    // the loop starts: the same id becomes available
    Journal.open(`${root}/later.sqlite`).close();
    const st = await (await req(app, "/api/live/later/state")).json();
    assert.deepEqual([st.available, st.agents], [true, []]);
    app.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
