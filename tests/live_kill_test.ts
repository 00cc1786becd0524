/**
 * kill -9 recovery of the paper loop: `deno task paper` is killed with SIGKILL at seeded random
 * moments (startup, reconciliation, mid-bar, between journaling an order and sending it, …)
 * and restarted with the same journal until it completes; then the journal is checked against
 * the broker's OWN record:
 * - paper broker: its input log (a separate file) replayed into a fresh broker;
 * - local Alpaca server: a separate process that outlives every loop.
 * Zero duplicates (no client order id ever POSTed twice, no broker order unknown to the
 * journal) and zero lost fills (every broker fill is journaled with the same quantity and
 * price, and nothing else is), and the positions agree.
 *
 * Default: 26 kills against each broker (52 in all) in well under 90 s of wall time on one
 * core; `RLT_LONG=1` does 100 against each.
 *
 * What it cannot catch: a crash inside SQLite's own commit (it trusts WAL), or power loss
 * (the replay uses synchronous=NORMAL, which survives process kills only).
 */
import assert from "node:assert/strict";
import { Rng } from "@lib/util/mod.ts";
import { Journal, PersistentPaperBroker } from "@lib/live/mod.ts";
import { writeTestRun } from "./live_fixture.ts";

const LONG = Deno.env.get("RLT_LONG") === "1";
const KILLS = LONG ? 100 : Number(Deno.env.get("RLT_KILLS") ?? 26);
const BARS = 260;
const ROOT = new URL("..", import.meta.url).pathname;

interface Cycle {
  kills: number;
  restarts: number;
  lastOutput: string;
}

async function killCycle(
  args: string[],
  options: { seed: number; kills: number; env?: Record<string, string> },
): Promise<Cycle> {
  const rng = new Rng(options.seed);
  let kills = 0, restarts = 0;
  for (;;) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}cli/paper.ts`, ...args],
      cwd: ROOT,
      env: options.env,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    restarts++;
    const out = child.output();
    if (kills < options.kills) {
      // anywhere from process start (startup, reconciliation) to well into the replay
      const delay = 200 + rng.next() * 2200;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const res = await Promise.race([
        out,
        new Promise<null>((r) => timer = setTimeout(() => r(null), delay)),
      ]);
      clearTimeout(timer);
      if (res === null) {
        try {
          child.kill("SIGKILL");
        } catch { /* exited meanwhile */ }
        await out;
        kills++;
        continue;
      }
      const text = new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr);
      assert.equal(res.code, 0, text);
      if (/stopped: end_of_feed/.test(text)) {
        // finished before the kill: start over on a fresh window? no — the journal is done;
        // count the remaining kills on restarts that only replay (still a kill at a moment)
        if (kills >= options.kills) return { kills, restarts, lastOutput: text };
        continue;
      }
    } else {
      const res = await out;
      const text = new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr);
      assert.equal(res.code, 0, text);
      return { kills, restarts, lastOutput: text };
    }
  }
}

/** How many orders a restart found pending (the kill landed between journal and answer). */
function pendingAtRestart(j: Journal): Record<string, number> {
  const out: Record<string, number> = {};
  for (let c = 0;;) {
    const { rows, nextId } = j.since("broker_responses", c, 5000);
    if (!rows.length) break;
    c = nextId;
    for (const r of rows) {
      const k = String(r.kind);
      if (k.startsWith("reconcile") || k === "resume_lookup") out[k] = (out[k] ?? 0) + 1;
    }
  }
  return out;
}

function checkJournalAgainst(
  journal: Journal,
  broker: { cid: string; qty: number; filledQty: number; avgPrice: number | null }[],
  options: { posted: string[]; positions: Map<string, number> },
): { duplicates: number; lostFills: number; phantomFills: number } {
  const posted = new Map<string, number>();
  for (const c of options.posted) posted.set(c, (posted.get(c) ?? 0) + 1);
  let duplicates = 0;
  for (const n of posted.values()) if (n > 1) duplicates += n - 1;
  for (const o of broker) if (!journal.order(o.cid)) duplicates++; // an order the journal never intended
  const jf = new Map<string, { qty: number; notional: number }>();
  for (const f of journal.fills()) {
    const x = jf.get(f.clientOrderId) ?? { qty: 0, notional: 0 };
    x.qty += f.qty;
    x.notional += f.qty * f.price;
    jf.set(f.clientOrderId, x);
  }
  let lostFills = 0, phantomFills = 0;
  const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
  for (const o of broker) {
    const j = jf.get(o.cid) ?? { qty: 0, notional: 0 };
    if (
      o.filledQty > 0 && (!near(j.qty, o.filledQty) ||
        Math.abs(j.notional / j.qty - o.avgPrice!) > 1e-8 * o.avgPrice!)
    ) lostFills++;
    if (o.filledQty === 0 && j.qty > 0) phantomFills++;
  }
  for (const cid of jf.keys()) if (!broker.some((o) => o.cid === cid)) phantomFills++;
  for (const p of journal.positionsFromFills()) {
    assert.ok(near(p.qty, options.positions.get(p.symbol) ?? 0), `position of ${p.symbol}`);
  }
  return { duplicates, lostFills, phantomFills };
}

Deno.test({
  name: `kill -9 at random moments: paper broker and local Alpaca server (${KILLS} kills each)`,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const server = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}tests/live_alpaca_process.ts`],
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const run = await writeTestRun(`${dir}/run`, 4);
      const reader = server.stdout.getReader();
      const line = new TextDecoder().decode((await reader.read()).value);
      reader.releaseLock();
      const { url, control } = JSON.parse(line.split("\n")[0]) as { url: string; control: string };
      // 5-minute bars at 6000× = 50 ms a bar: a run spans many kills
      const common = [
        "--run",
        run,
        "--limit",
        String(BARS),
        "--speed",
        "6000x",
        "--crash-window-ms",
        "30",
        "--risk",
        "off",
        "--exits",
        "off",
      ];
      const [paper, alpaca] = await Promise.all([
        killCycle([...common, "--journal", `${dir}/paper/j.sqlite`], { seed: 1, kills: KILLS }),
        killCycle(
          [
            ...common,
            "--journal",
            `${dir}/alpaca/j.sqlite`,
            "--broker",
            "alpaca",
            "--sim-price-url",
            `${control}/price`,
          ],
          {
            seed: 2,
            kills: KILLS,
            env: {
              APCA_API_KEY_ID: "test-key-id",
              APCA_API_SECRET_KEY: "test-secret",
              ALPACA_BASE_URL: url,
            },
          },
        ),
      ]);
      assert.equal(paper.kills, KILLS);
      assert.equal(alpaca.kills, KILLS);

      // paper: the broker's own record = its input log replayed
      const pj = Journal.open(`${dir}/paper/j.sqlite`, { readOnly: true });
      const pb = new PersistentPaperBroker(`${dir}/paper/j.sqlite.run.broker.sqlite`, {
        symbols: ["SYNTHBTCUSDT"],
      });
      try {
        const orders = await pb.getOrders({ status: "all" });
        const posted: string[] = [];
        // every submit the broker ever received (its log), to count re-submissions
        const { DatabaseSync } = await import("node:sqlite");
        const db = new DatabaseSync(`${dir}/paper/j.sqlite.run.broker.sqlite`, { readOnly: true });
        for (const r of db.prepare("SELECT body FROM inputs WHERE kind = 'submit'").all()) {
          posted.push(JSON.parse(String((r as { body: string }).body)).req.clientOrderId);
        }
        db.close();
        const positions = new Map((await pb.getPositions()).map((p) => [p.symbol, p.qty]));
        const res = checkJournalAgainst(
          pj,
          orders.map((o) => ({
            cid: o.clientOrderId,
            qty: o.qty,
            filledQty: o.filledQty,
            avgPrice: o.filledQty > 0 ? o.avgFillPrice : null,
          })),
          { posted, positions },
        );
        console.log(JSON.stringify({
          broker: "paper",
          kills: paper.kills,
          restarts: paper.restarts,
          orders: orders.length,
          fills: pb.fills.length,
          pendingAtRestart: pendingAtRestart(pj),
          ...res,
        }));
        assert.deepEqual(res, { duplicates: 0, lostFills: 0, phantomFills: 0 });
        assert.ok(pb.fills.length >= 20, `the run traded (${pb.fills.length} fills)`);
        assert.equal(pj.integrityCheck(), "ok");
      } finally {
        pb.close();
        pj.close();
      }

      // alpaca: the server's own record
      const state = await (await fetch(`${control}/state`)).json() as {
        orders: {
          clientOrderId: string;
          qty: number;
          filledQty: number;
          avgPrice: number | null;
        }[];
        positions: { symbol: string; qty: number }[];
        posted: string[];
      };
      const aj = Journal.open(`${dir}/alpaca/j.sqlite`, { readOnly: true });
      try {
        const res = checkJournalAgainst(
          aj,
          state.orders.map((o) => ({ cid: o.clientOrderId, ...o })),
          {
            posted: state.posted,
            positions: new Map(state.positions.map((p) => [p.symbol, p.qty])),
          },
        );
        console.log(JSON.stringify({
          broker: "alpaca",
          kills: alpaca.kills,
          restarts: alpaca.restarts,
          orders: state.orders.length,
          pendingAtRestart: pendingAtRestart(aj),
          ...res,
        }));
        assert.deepEqual(res, { duplicates: 0, lostFills: 0, phantomFills: 0 });
        assert.ok(state.orders.length >= 20, `the run traded (${state.orders.length} orders)`);
      } finally {
        aj.close();
      }
    } finally {
      try {
        server.kill("SIGKILL");
      } catch { /* gone */ }
      await server.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
