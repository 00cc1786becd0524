/**
 * Access rules of the dashboard (each has a test in `tests/dashboard_security_test.ts`):
 *
 * 1. **Bind**: loopback (`127.0.0.0/8`, `::1`, `localhost`) by default. Any other address
 *    requires a token; {@link checkBind} refuses to start without one, and the request gate
 *    answers 401 to everything if it ever sees a non-loopback bind without a token.
 * 2. **Token** (when configured, on any bind): every request carries it as
 *    `Authorization: Bearer <t>`, `X-Dashboard-Token: <t>` or the `rlt_dash_token` cookie.
 *    `GET /<any page>?token=<t>` sets that cookie (HttpOnly, SameSite=Strict) and redirects to
 *    the same URL without the token, so it leaves the address bar and history. Wrong or
 *    missing → 401. Comparison is constant-time. The token never appears in a response body.
 * 3. **Host** (loopback without token): the `Host` header must name a loopback host, so a web
 *    page that DNS-rebinds its name to 127.0.0.1 cannot read the API → 403.
 * 4. **CSRF** for state-changing requests (POST): the `Origin` header must be present and equal
 *    to `http(s)://<Host>`; the session cookie `rlt_dash_session` (HttpOnly, SameSite=Strict,
 *    issued with every page) must be present; header `X-CSRF-Token` must equal
 *    HMAC-SHA256(server secret, session id), which pages carry in
 *    `<meta name="csrf-token">`; the body must be `application/json` (a cross-site HTML form
 *    cannot send that without a CORS preflight, which the server never grants) → else 403/415.
 *    The server secret is random per process: restarting the server invalidates every page.
 * 5. Every response: `Content-Security-Policy` (scripts only from this server, no inline
 *    script, `frame-ancestors 'none'`), `X-Content-Type-Options: nosniff`,
 *    `Referrer-Policy: no-referrer`, `Cache-Control: no-store` on API answers.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";

/** Cookie holding the access token (rule 2). */
export const TOKEN_COOKIE = "rlt_dash_token";
/** Cookie holding the session id the CSRF token is bound to (rule 4). */
export const SESSION_COOKIE = "rlt_dash_session";
/** Request header carrying the CSRF token (rule 4). */
export const CSRF_HEADER = "x-csrf-token";

/** True for a loopback host name or address (`127.0.0.0/8`, `::1`, `localhost`). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && m.slice(1).every((x) => Number(x) <= 255);
}

/**
 * Refuse a non-loopback bind without a token (rule 1).
 * @throws ConfigError naming `--host` / `--token`
 */
export function checkBind(host: string, token: string | null | undefined): void {
  if (!isLoopbackHost(host) && !token) {
    throw new ConfigError(
      `binding the dashboard to ${host} (not loopback) requires an access token`,
      { parameter: "--host" },
      "pass --token <secret> (or set RLT_DASHBOARD_TOKEN), or keep the default --host 127.0.0.1",
    );
  }
  if (token !== null && token !== undefined && token.length < 16) {
    throw new ConfigError("the access token must be at least 16 characters", {
      parameter: "--token",
    });
  }
}

/** Constant-time string equality (length difference returns false at once). */
export function safeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  if (x.length !== y.length) return false;
  let d = 0;
  for (let i = 0; i < x.length; i++) d |= x[i] ^ y[i];
  return d === 0;
}

/** Parse a `Cookie` header into name → value (first occurrence wins). */
export function parseCookies(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (k && !(k in out)) out[k] = part.slice(i + 1).trim();
  }
  return out;
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A fresh random id (256 bits, base64url). */
export function randomId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Options of {@link Security}. */
export interface SecurityOptions {
  /** Access token, or null for none (loopback only). */
  token: string | null;
  /** Address the server is bound to (decides rules 1 and 3). */
  boundHost: string;
}

/** Outcome of the request gate: a refusal to send, or the session to continue with. */
export type GateResult =
  | { ok: false; response: Response }
  | { ok: true; sessionId: string; newSession: boolean };

/** The request gate (rules 1–3) and the CSRF mechanism (rule 4). */
export class Security {
  readonly #token: string | null;
  readonly #boundHost: string;
  readonly #key: Promise<CryptoKey>;

  /** Gate for a server bound to `options.boundHost` with an optional token. */
  constructor(options: SecurityOptions) {
    this.#token = options.token;
    this.#boundHost = options.boundHost;
    this.#key = crypto.subtle.importKey(
      "raw",
      crypto.getRandomValues(new Uint8Array(32)),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
  }

  /** Whether requests must carry the token. */
  get tokenRequired(): boolean {
    return this.#token !== null || !isLoopbackHost(this.#boundHost);
  }

  /** Rules 1–3 for one request. */
  gate(req: Request): GateResult {
    const url = new URL(req.url);
    const cookies = parseCookies(req.headers.get("cookie"));
    if (this.tokenRequired) {
      if (this.#token === null) return refuse(401, "this dashboard has no token configured");
      const q = url.searchParams.get("token");
      if (q !== null && req.method === "GET") {
        if (!safeEqual(q, this.#token)) return refuse(401, "wrong token");
        url.searchParams.delete("token");
        const headers = new Headers({
          location: url.pathname + (url.search || ""),
          "set-cookie": `${TOKEN_COOKIE}=${
            encodeURIComponent(this.#token)
          }; HttpOnly; SameSite=Strict; Path=/`,
          "referrer-policy": "no-referrer",
          "cache-control": "no-store",
        });
        return { ok: false, response: new Response(null, { status: 303, headers }) };
      }
      const auth = req.headers.get("authorization");
      const given = (auth && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, "") : null) ??
        req.headers.get("x-dashboard-token") ??
        (cookies[TOKEN_COOKIE] !== undefined ? safeDecode(cookies[TOKEN_COOKIE]) : null);
      if (given === null || !safeEqual(given, this.#token)) {
        return refuse(401, "missing or wrong token (header, cookie, or open /?token=… once)");
      }
    } else {
      const host = hostName(req.headers.get("host") ?? "");
      if (!isLoopbackHost(host)) return refuse(403, "Host header is not a loopback name");
    }
    const sid = cookies[SESSION_COOKIE];
    if (sid && /^[A-Za-z0-9_-]{43}$/.test(sid)) {
      return { ok: true, sessionId: sid, newSession: false };
    }
    return { ok: true, sessionId: randomId(), newSession: true };
  }

  /** `Set-Cookie` value of a new session. */
  sessionCookie(sessionId: string): string {
    return `${SESSION_COOKIE}=${sessionId}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /** The CSRF token of a session (HMAC of the session id under the per-process secret). */
  async csrfToken(sessionId: string): Promise<string> {
    const sig = await crypto.subtle.sign(
      "HMAC",
      await this.#key,
      new TextEncoder().encode(`csrf:${sessionId}`),
    );
    return base64url(new Uint8Array(sig));
  }

  /** Rule 4 for a state-changing request: null when it passes, else the refusal. */
  async checkCsrf(req: Request, session: GateResult & { ok: true }): Promise<Response | null> {
    const origin = req.headers.get("origin");
    const host = req.headers.get("host");
    if (!origin || !host || (origin !== `http://${host}` && origin !== `https://${host}`)) {
      return refuse(403, "cross-origin or Origin-less request refused").response;
    }
    if (session.newSession) return refuse(403, "no session: reload the page").response;
    const given = req.headers.get(CSRF_HEADER);
    if (!given || !safeEqual(given, await this.csrfToken(session.sessionId))) {
      return refuse(403, "missing or wrong CSRF token: reload the page").response;
    }
    const ct = req.headers.get("content-type") ?? "";
    if (!/^application\/json\b/i.test(ct)) {
      return jsonError(415, "the body must be application/json");
    }
    return null;
  }
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** Host name of a `Host` header value (`[::1]:8787` → `::1`, `a:1` → `a`). */
function hostName(h: string): string {
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") >= 0 ? h.indexOf("]") : undefined);
  const i = h.lastIndexOf(":");
  return i >= 0 ? h.slice(0, i) : h;
}

/** A JSON error response `{error}` with the given status. */
export function jsonError(status: number, message: string, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  h.set("cache-control", "no-store");
  if (status === 401) h.set("www-authenticate", 'Bearer realm="rl-trading dashboard"');
  return new Response(JSON.stringify({ error: message }), { status, headers: h });
}

function refuse(status: number, message: string): { ok: false; response: Response } {
  return { ok: false, response: jsonError(status, message) };
}
