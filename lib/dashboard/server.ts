/**
 * The dashboard server: plain routing over `Deno.serve`.
 *
 * Why no framework: a dozen fixed routes with one path parameter; the hard parts (one decode
 * of each path segment, the folder checks, token/CSRF gates, SSE streams that close with the
 * server) are ours to get right whatever the router, and a hand-written table keeps every
 * rule visible in one file. Revisit (Hono) if routes grow past ~25 or need middleware chains.
 *
 * Routes (GET unless said; JSON answers carry `Cache-Control: no-store`):
 * | route | answer |
 * |---|---|
 * | `/` | runs table page |
 * | `/runs/:id` | run page: curves (live via SSE), config, validation, evaluation |
 * | `/compare?ids=a,b[,c,d]` | 2–4 runs on one chart |
 * | `/live` | the journals (redirects to `/live/:journal` when there is exactly one) |
 * | `/live/:journal` | live page: equity, drawdown, positions, orders, decisions, risk, per-agent metrics, reports, kill switch |
 * | `/live/:journal/reports/:date` | daily report HTML (the loop's file in `<journal dir>/reports/`, else built from the journal) |
 * | `/static/plotly.min.js`, `/static/dashboard.js`, `/static/dashboard.css` | assets |
 * | `/api/runs` | `RunSummary[]` |
 * | `/api/runs/:id` | `RunDetail` (config and manifest redacted) |
 * | `/api/runs/:id/metrics?since=<byte offset>` | `MetricsChunk` |
 * | `/api/runs/:id/stream?since=<byte offset>` | SSE: `run` (summary), `metrics` (chunk, `id:` = next offset) |
 * | `/api/runs/:id/evaluation` | `EvaluationData` or 404 |
 * | `/api/live` | `{journals: [{id, available, problem}]}` |
 * | `/api/live/:journal/state` | `LiveState` |
 * | `/api/live/:journal/snapshot` | `LiveSnapshot` (state, equity curves, latest decisions) |
 * | `/api/live/:journal/decisions?since=<row id>&limit=<n ≤ 1000>` | `{rows, nextId}` (oldest first) |
 * | `/api/live/:journal/stream` | SSE: `snapshot`, then `rows` and `state` after each journal write |
 * | POST `/api/live/:journal/kill` | body `{reason}`; CSRF-checked; sets the kill switch (`setKillSwitch`, source `dashboard`) |
 * | `/api/live/state`, `/decisions`, `/snapshot`, `/stream`, POST `/kill` | the same for the only journal (400 when several, 404/409 when none) |
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import { resolveRunDir, runFile, type RunLocation } from "./_paths.ts";
import { pageHtml, type PageKind } from "./_pages.ts";
import { RunWatchers } from "./_watch.ts";
import { openRunStream } from "./_stream.ts";
import { readEvaluation } from "./evaluation.ts";
import { listRuns, readMetricsChunk, readRunDetail, type ReadRunOptions } from "./runs.ts";
import { checkBind, type GateResult, jsonError, Security } from "./security.ts";
import { LiveFeed, type LiveJournalEntry, LiveJournals } from "./live.ts";
import { openLiveStream } from "./_live_stream.ts";
import { type ScheduleMarket, setKillSwitch } from "../live/mod.ts";

/**
 * Stops the live loop of `journal`; `reason` is shown in the journal. The default sets the
 * journal's kill switch exactly as `deno task paper:kill` does (`setKillSwitch`, source
 * `dashboard`); tests may inject another.
 */
export type KillFunction = (
  reason: string,
  journal: LiveJournalEntry,
) => Promise<unknown> | unknown;

/** Options of {@link createDashboard} and {@link startDashboard}. */
export interface DashboardOptions {
  /** Folder holding the run folders (default `models`). */
  models?: string;
  /**
   * Journals of live loops: files (may not exist yet) or folders of journals (see
   * `live.ts` for the ids). Default none (the live page then says so).
   */
  journals?: readonly string[];
  /** Market of the journals (day boundaries); default guessed from the first agent's symbol. */
  market?: ScheduleMarket | null;
  /** Access token (see `security.ts`), or null. */
  token?: string | null;
  /** Address to bind (default `127.0.0.1`). */
  hostname?: string;
  /** Port (default 8787; 0 = any free port). */
  port?: number;
  /**
   * The address the security rules assume the server is bound to (default: `hostname`).
   * Tests set it to a non-loopback address while listening on 127.0.0.1.
   */
  boundHost?: string;
  /** A `running` run idle longer than this shows as `stale`, ms (default 300,000). */
  staleAfterMs?: number;
  /** Fallback stat interval of the file watchers, ms (default 1000). */
  pollMs?: number;
  /** SSE keep-alive comment interval, ms (default 15,000). */
  heartbeatMs?: number;
  /** Replaces the default kill switch (`setKillSwitch`); for tests. */
  kill?: KillFunction | null;
}

/** A dashboard request handler with its resources. */
export interface DashboardApp {
  /** Handle one request. */
  handler: (req: Request) => Promise<Response>;
  /** Close SSE streams and file watchers. */
  close(): void;
  /** Number of run folders currently watched (0 when no stream is open). */
  readonly watchedFolders: number;
}

/** A running dashboard server. */
export interface Dashboard extends DashboardApp {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** Port actually bound. */
  port: number;
  /** Stop the server and close every stream. */
  shutdown(): Promise<void>;
}

const STATIC_TYPES: Record<string, string> = {
  "dashboard.js": "text/javascript; charset=utf-8",
  "dashboard.css": "text/css; charset=utf-8",
  "plotly.min.js": "text/javascript; charset=utf-8",
};

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'", // plotly sets inline styles on its SVG
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

async function loadStatic(): Promise<Record<string, Uint8Array>> {
  const files: Record<string, URL> = {
    "dashboard.js": new URL("./static/dashboard.js", import.meta.url),
    "dashboard.css": new URL("./static/dashboard.css", import.meta.url),
    "plotly.min.js": new URL(
      "../../node_modules/plotly.js-dist-min/plotly.min.js",
      import.meta.url,
    ),
  };
  const out: Record<string, Uint8Array> = {};
  for (const [name, url] of Object.entries(files)) {
    try {
      out[name] = await Deno.readFile(url);
    } catch (e) {
      throw new ConfigError(
        `cannot read ${name} from ${url.pathname}: ${(e as Error).message}`,
        { file: url.pathname },
        name === "plotly.min.js" ? "run `deno task setup` (installs npm packages)" : undefined,
      );
    }
  }
  return out;
}

function withSecurityHeaders(res: Response): Response {
  const h = res.headers;
  h.set("content-security-policy", CSP);
  h.set("x-content-type-options", "nosniff");
  h.set("referrer-policy", "no-referrer");
  h.set("x-frame-options", "DENY");
  return res;
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

/** Path segments, each percent-decoded exactly once; null when a segment does not decode. */
function segments(pathname: string): string[] | null {
  const out: string[] = [];
  for (const raw of pathname.split("/").slice(1)) {
    try {
      out.push(decodeURIComponent(raw));
    } catch {
      return null;
    }
  }
  if (out.length > 1 && out[out.length - 1] === "") out.pop(); // trailing slash
  return out;
}

const LIVE_SUBS = new Set(["state", "snapshot", "decisions", "stream", "kill"]);

function parseSince(v: string | null): number | null {
  if (v === null || v === "") return 0;
  return /^\d{1,15}$/.test(v) ? Number(v) : null;
}

/**
 * Build the request handler (no socket): tests call it directly or serve it.
 * @throws ConfigError when the models folder is missing or the bind rule fails
 */
export async function createDashboard(options: DashboardOptions = {}): Promise<DashboardApp> {
  const modelsPath = options.models ?? "models";
  let realRoot: string;
  try {
    realRoot = await Deno.realPath(modelsPath);
    if (!(await Deno.stat(realRoot)).isDirectory) throw new Error("not a folder");
  } catch (e) {
    throw new ConfigError(
      `models folder ${modelsPath} cannot be read: ${(e as Error).message}`,
      { parameter: "--models" },
      "pass --models <folder holding run folders>",
    );
  }
  const token = options.token ?? null;
  const boundHost = options.boundHost ?? options.hostname ?? "127.0.0.1";
  checkBind(options.hostname ?? "127.0.0.1", token);
  const security = new Security({ token, boundHost });
  const assets = await loadStatic();
  const watchers = new RunWatchers({ pollMs: options.pollMs });
  const streams = new Set<() => void>();
  const readOpts: ReadRunOptions = { staleAfterMs: options.staleAfterMs };
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const resolve = (id: string) => resolveRunDir(realRoot, id);
  const journals = await LiveJournals.create(options.journals ?? []);
  const feeds = new Map<string, LiveFeed>();
  const feedOf = (entry: LiveJournalEntry): LiveFeed => {
    let f = feeds.get(entry.path);
    if (!f || f.entry.id !== entry.id) {
      f?.close();
      f = new LiveFeed(entry, { market: options.market, watchers });
      feeds.set(entry.path, f);
    }
    return f;
  };
  const kill: KillFunction = options.kill ??
    ((reason, entry) => setKillSwitch(entry.path, { reason, source: "dashboard" }));

  async function liveRoute(
    req: Request,
    url: URL,
    session: GateResult & { ok: true },
    id: string | null,
    sub: string,
  ): Promise<Response> {
    let entry: LiveJournalEntry | null;
    if (id === null) {
      const all = await journals.list();
      if (all.length === 0) {
        return sub === "kill"
          ? jsonError(409, "no live loop is attached (start with --journal)")
          : jsonError(404, "no journal is configured (start with --journal)");
      }
      if (all.length > 1) {
        return jsonError(400, "several journals: use /api/live/<journal id>/…", {
          journals: all.map((e) => e.id).join(","),
        });
      }
      entry = all[0];
    } else entry = await journals.get(id);
    if (entry === null) return jsonError(404, "not found");
    const feed = feedOf(entry);
    if (sub === "kill") {
      if (req.method !== "POST") {
        return jsonError(405, `method ${req.method} not allowed`, { allow: "POST" });
      }
      const refused = await security.checkCsrf(req, session);
      if (refused) return refused;
      let reason = "kill switch pressed in the dashboard";
      try {
        const body = await req.json();
        if (body && typeof body.reason === "string" && body.reason.trim()) {
          reason = body.reason.trim().slice(0, 500);
        }
      } catch {
        return jsonError(400, 'the body must be a JSON object like {"reason": "…"}');
      }
      await kill(reason, entry);
      void feed.pass(); // streams show the switch at once (the watcher also sees the file)
      return json({ ok: true, reason, journal: entry.id });
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return jsonError(405, `method ${req.method} not allowed`, { allow: "GET, HEAD" });
    }
    if (sub === "state") return json(await feed.state());
    if (sub === "snapshot") return json(await feed.snapshot());
    if (sub === "stream") return openLiveStream(feed, { streams, heartbeatMs });
    if (sub === "decisions") {
      const since = parseSince(url.searchParams.get("since"));
      const limitRaw = url.searchParams.get("limit") ?? "500";
      const limit = /^\d{1,4}$/.test(limitRaw) ? Math.min(1000, Number(limitRaw)) : NaN;
      if (since === null || !(limit > 0)) {
        return jsonError(400, "since must be a row id (integer ≥ 0) and limit 1–1000");
      }
      await feed.pass();
      return json(feed.decisionsSince(since, limit));
    }
    return jsonError(404, "not found");
  }

  async function page(kind: PageKind, session: GateResult & { ok: true }): Promise<Response> {
    const html = pageHtml(kind, await security.csrfToken(session.sessionId));
    const res = new Response(html, {
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
    });
    if (session.newSession) {
      res.headers.append("set-cookie", security.sessionCookie(session.sessionId));
    }
    return res;
  }

  async function route(req: Request, session: GateResult & { ok: true }): Promise<Response> {
    const url = new URL(req.url);
    const seg = segments(url.pathname);
    if (seg === null) return jsonError(404, "not found");
    const isGet = req.method === "GET" || req.method === "HEAD";
    const notAllowed = (allow: string) =>
      jsonError(405, `method ${req.method} not allowed`, { allow });

    // the live API (incl. POST …/kill, the one state-changing route)
    if (seg[0] === "api" && seg[1] === "live") {
      if (seg.length === 3 && LIVE_SUBS.has(seg[2])) {
        return liveRoute(req, url, session, null, seg[2]);
      }
      if (seg.length === 4 && LIVE_SUBS.has(seg[3])) {
        return liveRoute(req, url, session, seg[2], seg[3]);
      }
      if (seg.length === 2 && isGet) {
        const list = [];
        for (const e of await journals.list()) {
          const st = await feedOf(e).state();
          list.push({ id: e.id, available: st.available, problem: st.problem });
        }
        return json({ journals: list });
      }
      if (!isGet) return notAllowed("GET, HEAD");
      return jsonError(404, "not found");
    }
    if (!isGet) return notAllowed("GET, HEAD");

    if (seg.length === 1 && seg[0] === "") return page({ kind: "runs" }, session);
    if (seg.length === 1 && seg[0] === "live") {
      const all = await journals.list();
      if (all.length === 1) {
        return new Response(null, {
          status: 303,
          headers: { location: `/live/${encodeURIComponent(all[0].id)}` },
        });
      }
      return page({ kind: "live-index" }, session);
    }
    if (seg.length === 2 && seg[0] === "live") {
      if ((await journals.get(seg[1])) === null) return jsonError(404, "not found");
      return page({ kind: "live", journalId: seg[1] }, session);
    }
    if (seg.length === 4 && seg[0] === "live" && seg[2] === "reports") {
      const entry = await journals.get(seg[1]);
      if (entry === null || !/^\d{4}-\d{2}-\d{2}$/.test(seg[3])) return jsonError(404, "not found");
      const feed = feedOf(entry);
      const written = await feed.writtenReport(seg[3]);
      const html = written !== null
        ? await Deno.readTextFile(written)
        : (await feed.pass(), feed.dailyReportHtml(seg[3]));
      if (html === null) return jsonError(404, "the journal does not exist yet");
      return new Response(html, {
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      });
    }
    if (seg.length === 1 && seg[0] === "favicon.ico") return new Response(null, { status: 204 });
    if (seg.length === 1 && seg[0] === "compare") {
      const ids = (url.searchParams.get("ids") ?? "").split(",").filter(Boolean);
      if (ids.length < 2 || ids.length > 4 || new Set(ids).size !== ids.length) {
        return jsonError(400, "compare takes 2 to 4 different run ids: /compare?ids=a,b");
      }
      for (const id of ids) if ((await resolve(id)) === null) return jsonError(404, "not found");
      return page({ kind: "compare", runIds: ids }, session);
    }
    if (seg.length === 2 && seg[0] === "runs") {
      if ((await resolve(seg[1])) === null) return jsonError(404, "not found");
      return page({ kind: "run", runId: seg[1] }, session);
    }
    if (seg.length === 2 && seg[0] === "static" && seg[1] in assets) {
      return new Response(assets[seg[1]].slice(), {
        headers: { "content-type": STATIC_TYPES[seg[1]], "cache-control": "max-age=300" },
      });
    }
    if (seg[0] !== "api") return jsonError(404, "not found");

    if (seg.length === 2 && seg[1] === "runs") {
      return json(await listRuns(realRoot, resolve, readOpts));
    }
    if (seg[1] === "runs" && (seg.length === 3 || seg.length === 4)) {
      const id = seg[2];
      const dir = await resolve(id);
      if (dir === null) return jsonError(404, "not found");
      const run: RunLocation = { realRoot, dir, id };
      const sub = seg[3];
      if (sub === undefined) return json(await readRunDetail(run, readOpts));
      if (sub === "metrics" || sub === "stream") {
        const since = parseSince(
          url.searchParams.get("since") ?? req.headers.get("last-event-id"),
        );
        if (since === null) return jsonError(400, "since must be a byte offset (integer ≥ 0)");
        if (sub === "stream") {
          return openRunStream(run, {
            since,
            watchers,
            streams,
            readOptions: readOpts,
            heartbeatMs,
          });
        }
        return json(await readMetricsChunk(await runFile(run, "metrics.jsonl"), since));
      }
      if (sub === "evaluation") {
        const p = await runFile(run, "evaluation.json");
        if (p === null) return jsonError(404, "this run has no evaluation.json");
        const ev = await readEvaluation(p);
        if (!ev.evaluation) return jsonError(422, ev.problem ?? "unreadable evaluation.json");
        return json(ev.evaluation);
      }
    }
    return jsonError(404, "not found");
  }

  return {
    async handler(req: Request): Promise<Response> {
      const g = security.gate(req);
      if (!g.ok) return withSecurityHeaders(g.response);
      let res: Response;
      try {
        res = await route(req, g);
      } catch (e) {
        // details go to the server's console only (they may name server paths)
        console.error(
          `dashboard: ${req.method} ${new URL(req.url).pathname}: ${(e as Error).stack}`,
        );
        res = jsonError(500, "internal error (details in the dashboard's console)");
      }
      if (req.method === "HEAD") {
        await res.body?.cancel(); // also ends an SSE stream (and its watcher) at once
        res = new Response(null, { status: res.status, headers: res.headers });
      }
      return withSecurityHeaders(res);
    },
    close() {
      for (const stop of [...streams]) stop();
      for (const f of feeds.values()) f.close();
      feeds.clear();
      watchers.closeAll();
    },
    get watchedFolders() {
      return watchers.size;
    },
  };
}

/**
 * Serve the dashboard (binds `hostname`, default 127.0.0.1, port default 8787).
 * @throws ConfigError on a non-loopback bind without a token or an unreadable models folder
 */
export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const app = await createDashboard(options);
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Deno.serve({
    hostname,
    port: options.port ?? 8787,
    onListen: () => {},
  }, app.handler);
  const addr = server.addr as Deno.NetAddr;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    ...app,
    get watchedFolders() {
      return app.watchedFolders;
    },
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    async shutdown() {
      app.close();
      await server.shutdown();
    },
  };
}
