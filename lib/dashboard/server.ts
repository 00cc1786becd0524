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
 * | `/live` | live-loop page (kill switch; state once the journal reader lands) |
 * | `/static/plotly.min.js`, `/static/dashboard.js`, `/static/dashboard.css` | assets |
 * | `/api/runs` | `RunSummary[]` |
 * | `/api/runs/:id` | `RunDetail` (config and manifest redacted) |
 * | `/api/runs/:id/metrics?since=<byte offset>` | `MetricsChunk` |
 * | `/api/runs/:id/stream?since=<byte offset>` | SSE: `run` (summary), `metrics` (chunk, `id:` = next offset) |
 * | `/api/runs/:id/evaluation` | `EvaluationData` or 404 |
 * | `/api/live/state` | `{available, journal, killAvailable}` |
 * | POST `/api/live/kill` | body `{reason}`; CSRF-checked; calls the injected `kill(reason)` |
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

/** Stops the live loop; `reason` is shown in the journal. Provided by the live layer / CLI. */
export type KillFunction = (reason: string) => Promise<void> | void;

/** Options of {@link createDashboard} and {@link startDashboard}. */
export interface DashboardOptions {
  /** Folder holding the run folders (default `models`). */
  models?: string;
  /** Path of the live loop's journal, or null (live pages then say so). */
  journal?: string | null;
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
  /** Kill switch of the live loop; without it `POST /api/live/kill` answers 409. */
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

    // POST /api/live/kill — the one state-changing route
    if (seg.length === 3 && seg[0] === "api" && seg[1] === "live" && seg[2] === "kill") {
      if (req.method !== "POST") return notAllowed("POST");
      const refused = await security.checkCsrf(req, session);
      if (refused) return refused;
      if (!options.kill) return jsonError(409, "no live loop is attached (start with --journal)");
      let reason = "kill switch pressed in the dashboard";
      try {
        const body = await req.json();
        if (body && typeof body.reason === "string" && body.reason.trim()) {
          reason = body.reason.trim().slice(0, 500);
        }
      } catch {
        return jsonError(400, 'the body must be a JSON object like {"reason": "…"}');
      }
      await options.kill(reason);
      return json({ ok: true, reason });
    }
    if (!isGet) return notAllowed("GET, HEAD");

    if (seg.length === 1 && seg[0] === "") return page({ kind: "runs" }, session);
    if (seg.length === 1 && seg[0] === "live") return page({ kind: "live" }, session);
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
    if (seg.length === 3 && seg[1] === "live" && seg[2] === "state") {
      return json({
        available: false,
        journal: options.journal ? "configured" : null,
        killAvailable: Boolean(options.kill),
        note: "the live view arrives with the trading-loop journal",
      });
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
