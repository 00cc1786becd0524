/**
 * The Server-Sent Events stream of one run (`GET /api/runs/:id/stream?since=<byte offset>`).
 *
 * Events: `run` (the run summary; sent first, then whenever `manifest.json` or
 * `evaluation.json` changes, or the status turns stale), `metrics` (a `MetricsChunk`; its
 * `id:` is the next byte offset, so a reconnecting EventSource resumes with
 * `Last-Event-ID` after the last row it saw), `problem` (a read failed; no details).
 * A keep-alive comment every `heartbeatMs` also re-checks the status.
 *
 * The stream is woken by the shared folder watcher (`_watch.ts`); each wake-up runs one
 * pass that reads only what is new; a wake-up during a pass schedules one more pass.
 *
 * @module
 */
import type { RunLocation } from "./_paths.ts";
import { runFile } from "./_paths.ts";
import type { RunWatchers } from "./_watch.ts";
import { readMetricsChunk, readRunDetail, type ReadRunOptions } from "./runs.ts";

/** Options of {@link openRunStream}. */
export interface RunStreamOptions {
  /** Byte offset of `metrics.jsonl` to start from (0 = every row). */
  since: number;
  /** The server's shared watchers. */
  watchers: RunWatchers;
  /** The server's open streams (each registers its stop function; shutdown calls them). */
  streams: Set<() => void>;
  /** Stale threshold and clock for the run summary. */
  readOptions: ReadRunOptions;
  /** Keep-alive and status re-check interval, ms. */
  heartbeatMs: number;
}

/** Open the SSE response of one run (see the module doc for its events). */
export function openRunStream(run: RunLocation, options: RunStreamOptions): Response {
  const { watchers, streams, readOptions, heartbeatMs } = options;
  let offset = options.since;
  let busy = false;
  let dirty = false;
  let closed = false;
  let manifestSig = "";
  let lastStatus = "";
  let recheckStatus = false;
  let unsubscribe = () => {};
  let beat: ReturnType<typeof setInterval> | undefined;
  let ctrl: ReadableStreamDefaultController<Uint8Array> | null = null;
  const enc = new TextEncoder();
  const send = (s: string) => {
    if (!closed) ctrl?.enqueue(enc.encode(s));
  };
  const stop = () => {
    if (closed) return;
    closed = true;
    if (beat !== undefined) clearInterval(beat);
    unsubscribe();
    streams.delete(stop);
    try {
      ctrl?.close();
    } catch { /* already closed by the client */ }
  };
  // One pass: the run summary when the manifest changed, then every new complete metrics
  // line. A change signalled during a pass sets `dirty` and runs one more pass.
  const pump = async () => {
    if (busy) {
      dirty = true;
      return;
    }
    busy = true;
    try {
      do {
        dirty = false;
        // summary again when the manifest or evaluation.json changed, or (heartbeat) when
        // the status may have turned stale without any file changing
        let sig = "";
        for (const f of ["manifest.json", "evaluation.json"]) {
          const p = await runFile(run, f);
          try {
            const st = p ? await Deno.stat(p) : null;
            sig += st ? `${st.size}:${st.mtime?.getTime()};` : "-;";
          } catch {
            sig += "?;"; // replaced between calls
          }
        }
        if (sig !== manifestSig || recheckStatus) {
          const { config: _c, manifest: _m, ...summary } = await readRunDetail(run, readOptions);
          if (sig !== manifestSig || summary.status !== lastStatus) {
            send(`event: run\ndata: ${JSON.stringify(summary)}\n\n`);
          }
          manifestSig = sig;
          lastStatus = summary.status;
          recheckStatus = false;
        }
        for (;;) {
          const chunk = await readMetricsChunk(
            await runFile(run, "metrics.jsonl"),
            offset,
          );
          offset = chunk.next;
          if (chunk.rows.length || chunk.reset) {
            send(`id: ${chunk.next}\nevent: metrics\ndata: ${JSON.stringify(chunk)}\n\n`);
          }
          if (chunk.rows.length === 0) break;
        }
      } while (dirty && !closed);
    } catch (e) {
      console.error(`dashboard: stream of ${run.id}: ${(e as Error).message}`);
      send(`event: problem\ndata: ${JSON.stringify({ error: "reading the run failed" })}\n\n`);
    } finally {
      busy = false;
    }
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      ctrl = controller;
      streams.add(stop);
      send("retry: 2000\n\n");
      unsubscribe = watchers.subscribe(run.dir, () => void pump());
      beat = setInterval(() => {
        send(": keep-alive\n\n");
        recheckStatus = true;
        void pump();
      }, heartbeatMs);
      void pump();
    },
    cancel() {
      stop();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  });
}
