/**
 * The Server-Sent Events stream of a run over HTTP (no browser): rows arrive as the file
 * grows, each exactly once and in order, including a line written in two pieces; the run
 * summary is pushed again when `evaluation.json` appears and when a silent `running` run
 * turns stale; HEAD and closed clients leave no file watcher behind; `Last-Event-ID`
 * resumes after the last row seen.
 * Cannot catch: browser-side drawing (see dashboard_browser_e2e_test.ts).
 */
import assert from "node:assert/strict";
import { startDashboard } from "@lib/dashboard/mod.ts";
import { appendRow, updateRow, writeRun } from "./dashboard_fixtures.ts";

interface SseEvent {
  event: string;
  id: string | null;
  data: Record<string, unknown>;
}

/** Read SSE events from a response until `until` says stop (or `timeoutMs`). */
function sseReader(res: Response) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buf = "";
  const pump = (async () => {
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
        if (ev && data) {
          events.push({
            event: ev,
            id: /^id: (.*)$/m.exec(block)?.[1] ?? null,
            data: JSON.parse(data),
          });
        }
      }
    }
  })();
  return {
    events,
    async waitFor(pred: (evs: SseEvent[]) => boolean, timeoutMs = 10_000): Promise<void> {
      const end = Date.now() + timeoutMs;
      while (!pred(events)) {
        if (Date.now() > end) throw new Error(`timed out; events: ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close(): Promise<void> {
      await reader.cancel().catch(() => {});
      await pump;
    },
  };
}

const rowsOf = (evs: SseEvent[]) =>
  evs.filter((e) => e.event === "metrics").flatMap((e) => e.data.rows as { timesteps: number }[]);

async function noWatchers(d: { watchedFolders: number }): Promise<number> {
  for (let i = 0; i < 50 && d.watchedFolders > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return d.watchedFolders;
}

Deno.test("dashboard stream: rows once and in order as the file grows; evaluation.json and staleness are pushed", async () => {
  const models = await Deno.makeTempDir();
  const dir = await writeRun(models, "r", { status: "running", rows: 2 });
  const d = await startDashboard({ models, port: 0, staleAfterMs: 1500, heartbeatMs: 200 });
  try {
    const s = sseReader(await fetch(`${d.url}/api/runs/r/stream?since=0`));
    await s.waitFor((e) => rowsOf(e).length === 2);
    assert.equal(s.events[0].event, "run");
    assert.equal(s.events[0].data.status, "running");
    for (let i = 3; i <= 6; i++) await appendRow(dir, updateRow(i));
    // a line written in two pieces arrives once, whole
    const torn = JSON.stringify(updateRow(7)) + "\n";
    await Deno.writeTextFile(`${dir}/metrics.jsonl`, torn.slice(0, 20), { append: true });
    await new Promise((r) => setTimeout(r, 100));
    await Deno.writeTextFile(`${dir}/metrics.jsonl`, torn.slice(20), { append: true });
    await s.waitFor((e) => rowsOf(e).length === 7);
    assert.deepEqual(
      rowsOf(s.events).map((r) => r.timesteps),
      [1, 2, 3, 4, 5, 6, 7].map((i) => 512 * i),
    );
    // evaluation.json written later → a new summary with hasEvaluation
    await Deno.writeTextFile(
      `${dir}/evaluation.json`,
      JSON.stringify({ rows: [{ name: "best", sharpe: 1 }] }),
    );
    await s.waitFor((e) => e.some((x) => x.event === "run" && x.data.hasEvaluation === true));
    // no write for longer than staleAfterMs → the heartbeat pushes the stale status
    await s.waitFor((e) => e.some((x) => x.event === "run" && x.data.status === "stale"), 10_000);
    // resuming with Last-Event-ID (the byte offset of the last row seen) sends only newer rows
    const lastId = s.events.filter((e) => e.event === "metrics").at(-1)!.id!;
    await s.close();
    await appendRow(dir, updateRow(8));
    const again = sseReader(
      await fetch(`${d.url}/api/runs/r/stream`, { headers: { "last-event-id": lastId } }),
    );
    await again.waitFor((e) => rowsOf(e).length >= 1);
    assert.deepEqual(rowsOf(again.events).map((r) => r.timesteps), [512 * 8]);
    await again.close();
    assert.equal(await noWatchers(d), 0, "closing the streams closes the watcher");
    // HEAD on a stream answers and keeps nothing open
    const head = await fetch(`${d.url}/api/runs/r/stream`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(await noWatchers(d), 0, "HEAD leaves no watcher");
  } finally {
    await d.shutdown();
    await Deno.remove(models, { recursive: true });
  }
});

Deno.test("dashboard stream: shutdown ends open streams", async () => {
  const models = await Deno.makeTempDir();
  await writeRun(models, "r", { status: "running" });
  const d = await startDashboard({ models, port: 0 });
  const s = sseReader(await fetch(`${d.url}/api/runs/r/stream?since=0`));
  await s.waitFor((e) => rowsOf(e).length === 10);
  assert.equal(d.watchedFolders, 1);
  await d.shutdown();
  assert.equal(d.watchedFolders, 0);
  await s.close();
  await Deno.remove(models, { recursive: true });
});
