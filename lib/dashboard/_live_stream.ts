/**
 * The Server-Sent Events stream of a live journal (`GET /api/live/:id/stream`).
 *
 * Events: `snapshot` (first, and again after a reconnect: {@link LiveSnapshot}), `rows` (the
 * rows a pass read, by table, oldest first), `state` ({@link LiveState} after the pass),
 * `problem` (a read failed; no details). A keep-alive comment every `heartbeatMs` also runs
 * a pass (so the stat fallback and the "last write" age stay fresh).
 *
 * Every stream of the same journal shares one {@link LiveFeed}: one reader connection, one
 * pass per change, however many tabs are open. A reconnecting EventSource gets a fresh
 * snapshot (the client replaces what it shows), so no row is lost or drawn twice.
 *
 * @module
 */
import type { LiveFeed, LiveUpdate } from "./live.ts";

/** Options of {@link openLiveStream}. */
export interface LiveStreamOptions {
  /** The server's open streams (each registers its stop function; shutdown calls them). */
  streams: Set<() => void>;
  /** Keep-alive interval, ms. */
  heartbeatMs: number;
}

/** Open the SSE response of a live journal (see the module doc for its events). */
export function openLiveStream(feed: LiveFeed, options: LiveStreamOptions): Response {
  const { streams, heartbeatMs } = options;
  let closed = false;
  let started = false;
  let unsubscribe = () => {};
  let beat: ReturnType<typeof setInterval> | undefined;
  let ctrl: ReadableStreamDefaultController<Uint8Array> | null = null;
  const backlog: LiveUpdate[] = [];
  const enc = new TextEncoder();
  const send = (s: string) => {
    if (!closed) ctrl?.enqueue(enc.encode(s));
  };
  const event = (name: string, data: unknown) =>
    send(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
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
  const deliver = (u: LiveUpdate) => {
    if (Object.keys(u.rows).length) event("rows", u.rows);
    event("state", u.state);
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      ctrl = controller;
      streams.add(stop);
      send("retry: 2000\n\n");
      // subscribe first, so nothing committed between the snapshot and the subscription is
      // missed; updates that arrive before the snapshot is sent are already in it
      unsubscribe = feed.subscribe((u) => {
        if (started) deliver(u);
        else backlog.push(u);
      });
      beat = setInterval(() => {
        send(": keep-alive\n\n");
        void feed.pass();
      }, heartbeatMs);
      feed.snapshot().then((snap) => {
        started = true;
        backlog.length = 0;
        event("snapshot", snap);
      }).catch((e) => {
        console.error(`dashboard: live stream of ${feed.entry.id}: ${(e as Error).message}`);
        event("problem", { error: "reading the journal failed" });
      });
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
