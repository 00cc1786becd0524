/**
 * Dashboard benchmark, no browser (the browser's own receive and drawing time is printed by
 * `tests/dashboard_browser_e2e_test.ts` and `tests/dashboard_live_browser_e2e_test.ts`):
 * - `--source metrics` (default): time from a `metrics.jsonl` append (one write, as the
 *   trainer logs) to the row's Server-Sent Event arriving at a client, with a folder watcher
 *   shared by `--clients` open streams;
 * - `--source journal`: time from the start of a journal commit (`Journal.recordDecision`,
 *   plus an equity snapshot after it, as the loop writes) to the decision's `rows` event
 *   arriving at each of `--clients` Live streams (one read-only reader shared by all).
 *
 * Prints ONE JSON line:
 * `{"bench":"dashboard","source":…,"append_to_event_ms":{"median":…,"p95":…,"max":…},…}`.
 *
 * Usage: `deno task bench:dashboard [--source metrics|journal] [--rows 200] [--interval-ms 20]
 * [--clients 4]`
 */
import { startDashboard } from "../lib/dashboard/mod.ts";
import { Journal } from "@lib/live/mod.ts";
import { parseFlags, runCli } from "@lib/util/mod.ts";

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    rows: { type: "integer", default: 200, range: { min: 1 }, description: "metrics rows" },
    "interval-ms": {
      type: "integer",
      default: 20,
      range: { min: 1 },
      description: "ms between appended rows",
    },
    clients: { type: "integer", default: 4, range: { min: 1 }, description: "SSE clients" },
    source: {
      type: "string",
      default: "metrics",
      choices: ["metrics", "journal"],
      description: "what the writer appends",
    },
  }, { usage: "usage: deno task bench:dashboard [--rows N] [--interval-ms N] [--clients N]" });
  const source = values.source;
  const rows = values.rows;
  const interval = values["interval-ms"];
  const clients = values.clients;
  const models = await Deno.makeTempDir({ prefix: "dash-bench-" });
  const dir = `${models}/run`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify({ status: "running" }));
  await Deno.writeTextFile(`${dir}/metrics.jsonl`, "");
  const journalPath = `${models}/loop.sqlite`;
  const journal = source === "journal"
    ? Journal.open(journalPath, { synchronous: "NORMAL" })
    : null;
  const d = await startDashboard({
    models,
    port: 0,
    journals: journal ? [journalPath] : [],
  });
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const url = journal ? `${d.url}/api/live/loop/stream` : `${d.url}/api/runs/run/stream?since=0`;
  const readers = await Promise.all(Array.from({ length: clients }, async () => {
    const res = await fetch(url);
    return res.body!.pipeThrough(new TextDecoderStream()).getReader();
  }));
  const done = readers.map(async (reader) => {
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: "", done: true }));
      if (done) return;
      buf += value;
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const now = performance.now();
        if (journal) {
          const m = /event: rows\ndata: (.*)/.exec(block);
          if (!m) continue;
          for (const r of JSON.parse(m[1]).decisions ?? []) {
            latencies.push(now - sentAt.get(r.id)!);
          }
          continue;
        }
        const m = /event: metrics\ndata: (.*)/.exec(block);
        if (!m) continue;
        for (const r of JSON.parse(m[1]).rows) latencies.push(now - sentAt.get(r.timesteps)!);
      }
    }
  });
  await new Promise((r) => setTimeout(r, 300));
  if (journal) {
    for (let i = 1; i <= rows; i++) {
      const t = performance.now();
      const id = journal.recordDecision({
        tsMs: Date.now(),
        agent: "a",
        symbol: "SPY",
        barTimeMs: i * 300_000,
        action: 1,
        decision: "acted",
      });
      sentAt.set(id, t);
      journal.recordEquity({ tsMs: Date.now(), agent: "a", equity: 2000 + i });
      await new Promise((r) => setTimeout(r, interval));
    }
  } else {
    const file = await Deno.open(`${dir}/metrics.jsonl`, { append: true });
    const enc = new TextEncoder();
    for (let i = 1; i <= rows; i++) {
      sentAt.set(i, performance.now());
      file.writeSync(
        enc.encode(JSON.stringify({ type: "update", timesteps: i, loss: 1 / i }) + "\n"),
      );
      await new Promise((r) => setTimeout(r, interval));
    }
    file.close();
  }
  const end = Date.now() + 5000;
  while (latencies.length < rows * clients && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const r of readers) await r.cancel().catch(() => {});
  await Promise.all(done);
  await d.shutdown();
  journal?.close();
  await Deno.remove(models, { recursive: true });
  const round = (x: number) => Math.round(x * 100) / 100;
  console.log(JSON.stringify({
    bench: "dashboard",
    source,
    append_to_event_ms: {
      median: round(quantile(latencies, 0.5)),
      p95: round(quantile(latencies, 0.95)),
      max: round(Math.max(...latencies)),
    },
    rows,
    clients,
    events_received: latencies.length,
    interval_ms: interval,
    // the machine is shared: the 1-minute load average tells how contended the run was
    load_avg_1m: Math.round(Deno.loadavg()[0] * 100) / 100,
    deno: Deno.version.deno,
  }));
}

if (import.meta.main) await runCli(main);
