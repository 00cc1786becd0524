/**
 * Security rules of the dashboard over real HTTP (servers bind 127.0.0.1 only):
 * token on a non-loopback bind, Host check on loopback, path confinement to the models
 * folder and to the configured journals (journal ids are looked up, never joined to a path),
 * CSRF on the kill switch, secret redaction.
 *
 * The non-loopback bind is simulated with `boundHost: "0.0.0.0"` while listening on
 * 127.0.0.1 (the rule depends on the bound address, not on who connects).
 * "Without reading outside" is checked with FIFOs: the outside targets of the symlinks are
 * named pipes, so a server that opened one would block and the request would time out.
 * Cannot catch: a secret stored under an innocent key (see `_redact.ts`).
 */
import assert from "node:assert/strict";
import { createDashboard, startDashboard } from "@lib/dashboard/mod.ts";
import { ConfigError } from "@lib/util/mod.ts";
import { Journal } from "@lib/live/mod.ts";
import { rawRequest, writeRun } from "./dashboard_fixtures.ts";

const TOKEN = "test-token-0123456789abcdef";
const OUTSIDE = "OUTSIDE-CONTENT-must-not-leak";

async function fixture(): Promise<{ root: string; models: string }> {
  const root = await Deno.makeTempDir({ prefix: "dash-sec-" });
  const models = `${root}/models`;
  await writeRun(models, "runA", {
    config: { apiKey: "SECRET-A-123", exchange: { password: "pw-999", name: "binance" } },
  });
  await writeRun(models, "runB");
  // outside the models folder: a readable file, a run-looking folder, and FIFOs
  await Deno.mkdir(`${root}/outside/evilrun`, { recursive: true });
  await Deno.writeTextFile(`${root}/outside/secret.txt`, OUTSIDE);
  const fifo = (p: string) => new Deno.Command("mkfifo", { args: [p] }).output();
  await fifo(`${root}/outside/evilrun/manifest.json`);
  await fifo(`${root}/outside/evilrun/metrics.jsonl`);
  await fifo(`${root}/outside/pipe`);
  // a run folder symlinked out, a metrics file symlinked out, a hidden temp folder
  await Deno.symlink(`${root}/outside/evilrun`, `${models}/evil`);
  await Deno.remove(`${models}/runB/metrics.jsonl`);
  await Deno.symlink(`${root}/outside/pipe`, `${models}/runB/metrics.jsonl`);
  await Deno.symlink(`${root}/outside/secret.txt`, `${models}/runB/evaluation.json`);
  await writeRun(models, ".tmp-best-1234abcd");
  return { root, models };
}

Deno.test("dashboard: paths from the URL never leave the models folder (404, nothing read)", async () => {
  const { root, models } = await fixture();
  const d = await startDashboard({ models, port: 0 });
  try {
    const attempts = [
      "/api/runs/..",
      "/api/runs/../outside/evilrun",
      "/api/runs/%2e%2e",
      "/api/runs/%2e%2e/metrics",
      "/api/runs/%2E%2E%2Foutside%2Fevilrun",
      "/api/runs/..%2Foutside%2Fsecret.txt",
      "/api/runs/%252e%252e%252foutside",
      "/api/runs/%2fetc%2fpasswd",
      "/api/runs//etc/passwd",
      `/api/runs/${encodeURIComponent(root + "/outside/evilrun")}`,
      "/api/runs/..%5Coutside",
      "/api/runs/evil",
      "/api/runs/evil/metrics?since=0",
      "/api/runs/evil/stream",
      "/api/runs/evil/evaluation",
      "/runs/evil",
      "/runs/..%2F..%2Fetc%2Fpasswd",
      "/compare?ids=runA,evil",
      "/compare?ids=runA,..%2Foutside",
      "/api/runs/.tmp-best-1234abcd",
      "/api/runs/runB/evaluation",
      "/static/..%2F..%2F..%2Fdeno.json",
      "/static/%2e%2e/%2e%2e/deno.json",
      "/api/runs/runA%00",
    ];
    for (const target of attempts) {
      const r = await rawRequest(d.port, target);
      assert.deepEqual(r.status, 404, `${target} → ${r.status}: ${r.body.slice(0, 200)}`);
      assert.ok(!r.body.includes(OUTSIDE), `${target} leaked outside content`);
    }
    // the listing skips the symlinked-out folder and the hidden temp folder
    // (timeouts: a server that opened one of the FIFOs would block instead of answering)
    const signal = () => AbortSignal.timeout(5000);
    const runs = await (await fetch(`${d.url}/api/runs`, { signal: signal() })).json();
    assert.deepEqual(runs.map((r: { id: string }) => r.id).sort(), ["runA", "runB"]);
    // a metrics file symlinked out of the models folder is treated as absent (not opened:
    // it is a FIFO, opening it would hang this request)
    const m = await (await fetch(`${d.url}/api/runs/runB/metrics?since=0`, { signal: signal() }))
      .json();
    assert.deepEqual(m.rows, []);
    const b = await (await fetch(`${d.url}/api/runs/runB`, { signal: signal() })).json();
    assert.deepEqual(b.hasEvaluation, false);
    assert.ok(!JSON.stringify(b).includes(OUTSIDE));
  } finally {
    await d.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("dashboard: a non-loopback bind needs the token on every request (401 without)", async () => {
  const { root, models } = await fixture();
  // refuses to start at all on a non-loopback address without a token
  await assert.rejects(() => startDashboard({ models, hostname: "0.0.0.0", port: 0 }), ConfigError);
  await assert.rejects(
    () => startDashboard({ models, hostname: "0.0.0.0", port: 0, token: "short" }),
    ConfigError,
  );
  // misconfigured (non-loopback bound, no token): everything is refused
  const bare = await createDashboard({ models, boundHost: "0.0.0.0" });
  const r0 = await bare.handler(new Request("http://10.0.0.5:8787/api/runs"));
  assert.deepEqual(r0.status, 401);
  await r0.body?.cancel();
  bare.close();

  const d = await startDashboard({ models, port: 0, token: TOKEN, boundHost: "0.0.0.0" });
  const bodies: string[] = [];
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${d.url}${path}`, { headers, redirect: "manual" });
    const text = await r.text();
    bodies.push(text, [...r.headers.entries()].filter(([k]) => k !== "set-cookie").join("\n"));
    return { r, text };
  };
  try {
    for (const p of ["/", "/api/runs", "/api/runs/runA", "/runs/runA", "/static/dashboard.js"]) {
      assert.deepEqual((await get(p)).r.status, 401, `${p} without token`);
      assert.deepEqual(
        (await get(p, { authorization: "Bearer wrong-token-0123456789" })).r.status,
        401,
      );
      assert.deepEqual((await get(p, { authorization: `Bearer ${TOKEN}` })).r.status, 200, p);
      assert.deepEqual((await get(p, { "x-dashboard-token": TOKEN })).r.status, 200, p);
    }
    const sse = await fetch(`${d.url}/api/runs/runA/stream`);
    assert.deepEqual(sse.status, 401);
    await sse.body?.cancel();
    assert.deepEqual((await get("/?token=wrong-token-0123456789")).r.status, 401);
    // /?token= sets an HttpOnly cookie and redirects to the same page without the token
    const { r } = await get(`/runs/runA?token=${TOKEN}`);
    assert.deepEqual(r.status, 303);
    assert.deepEqual(r.headers.get("location"), "/runs/runA");
    const cookie = r.headers.get("set-cookie") ?? "";
    assert.ok(/HttpOnly/.test(cookie) && /SameSite=Strict/.test(cookie), cookie);
    const c = cookie.split(";")[0];
    assert.deepEqual((await get("/api/runs", { cookie: c })).r.status, 200);
    assert.deepEqual((await get("/api/runs/runA", { cookie: c })).r.status, 200);
    // the token never appears in a body or a (non-cookie) header
    for (const b of bodies) assert.ok(!b.includes(TOKEN), "token echoed in a response");
  } finally {
    await d.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("dashboard: on loopback without a token, a foreign Host header is refused (DNS rebinding)", async () => {
  const { root, models } = await fixture();
  const d = await startDashboard({ models, port: 0 });
  try {
    const bad = await rawRequest(d.port, "/api/runs", { headers: { host: "evil.example:8787" } });
    assert.deepEqual(bad.status, 403);
    for (const host of [`127.0.0.1:${d.port}`, `localhost:${d.port}`]) {
      assert.deepEqual((await rawRequest(d.port, "/api/runs", { headers: { host } })).status, 200);
    }
  } finally {
    await d.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("dashboard: the kill switch is POST-only and CSRF-checked (Origin, session, token, JSON)", async () => {
  const { root, models } = await fixture();
  const calls: string[] = [];
  const d = await startDashboard({
    models,
    port: 0,
    journals: [`${root}/paper.sqlite`],
    kill: (reason) => void calls.push(reason),
  });
  const origin = d.url;
  try {
    // a page hands out the session cookie and the CSRF token (meta tag)
    const page = await fetch(`${d.url}/live`);
    const html = await page.text();
    const session = (page.headers.get("set-cookie") ?? "").split(";")[0];
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(html)?.[1] ?? "";
    assert.ok(session.startsWith("rlt_dash_session=") && csrf.length > 20);
    // a second session's token does not work with the first session
    const other = await fetch(`${d.url}/live`);
    const otherCsrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await other.text())?.[1];

    const post = async (headers: Record<string, string>, body = '{"reason":"test"}') => {
      const r = await fetch(`${d.url}/api/live/kill`, { method: "POST", headers, body });
      await r.body?.cancel();
      return r.status;
    };
    const good = {
      origin,
      cookie: session,
      "x-csrf-token": csrf,
      "content-type": "application/json",
    };
    const get = await fetch(`${d.url}/api/live/kill`, { headers: { cookie: session } });
    assert.deepEqual(get.status, 405);
    assert.deepEqual(get.headers.get("allow"), "POST");
    await get.body?.cancel();
    const { origin: _o, ...noOrigin } = good;
    assert.deepEqual(await post(noOrigin), 403, "no Origin");
    assert.deepEqual(await post({ ...good, origin: "http://evil.example" }), 403, "foreign Origin");
    const { cookie: _c, ...noCookie } = good;
    assert.deepEqual(await post(noCookie), 403, "no session");
    const { "x-csrf-token": _x, ...noCsrf } = good;
    assert.deepEqual(await post(noCsrf), 403, "no CSRF token");
    assert.deepEqual(await post({ ...good, "x-csrf-token": csrf.slice(0, -2) + "xx" }), 403);
    assert.deepEqual(
      await post({ ...good, "x-csrf-token": otherCsrf ?? "" }),
      403,
      "other session",
    );
    assert.deepEqual(await post({ ...good, "content-type": "text/plain" }), 415, "form-like body");
    assert.deepEqual(calls, [], "no refused request reached kill()");
    assert.deepEqual(await post(good), 200);
    assert.deepEqual(calls, ["test"]);
    // other methods elsewhere are refused too
    const put = await fetch(`${d.url}/api/runs`, { method: "PUT", body: "x" });
    assert.deepEqual(put.status, 405);
    await put.body?.cancel();
  } finally {
    await d.shutdown();
  }
  // without a journal the (CSRF-valid) request gets 409, nothing else happens
  const d2 = await startDashboard({ models, port: 0 });
  try {
    const page = await fetch(`${d2.url}/live`);
    const html = await page.text();
    const r = await fetch(`${d2.url}/api/live/kill`, {
      method: "POST",
      headers: {
        origin: d2.url,
        cookie: (page.headers.get("set-cookie") ?? "").split(";")[0],
        "x-csrf-token": /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? "",
        "content-type": "application/json",
      },
      body: "{}",
    });
    assert.deepEqual(r.status, 409);
    await r.body?.cancel();
  } finally {
    await d2.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("dashboard: secret-looking config keys are redacted and pages carry a strict CSP", async () => {
  const { root, models } = await fixture();
  const d = await startDashboard({ models, port: 0 });
  try {
    const r = await fetch(`${d.url}/api/runs/runA`);
    const text = await r.text();
    assert.ok(!text.includes("SECRET-A-123") && !text.includes("pw-999"), text);
    const detail = JSON.parse(text);
    assert.deepEqual(detail.config.apiKey, "[redacted]");
    assert.deepEqual(detail.config.exchange.password, "[redacted]");
    assert.deepEqual(detail.config.exchange.name, "binance");
    // a malformed file is reported without quoting it (a parse error would quote the secret)
    await Deno.writeTextFile(`${models}/runB/config.json`, '{"apiKey": "SECRET-B-456", oops');
    for (const p of ["/api/runs", "/api/runs/runB"]) {
      const t = await (await fetch(`${d.url}${p}`)).text();
      assert.ok(!t.includes("SECRET-B-456"), `${p} quoted a malformed file: ${t}`);
      assert.ok(t.includes("config.json is not valid JSON"), t);
      assert.ok(!t.includes(root), `${p} names a server path`);
    }
    const page = await fetch(`${d.url}/runs/runA`);
    await page.body?.cancel();
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.ok(csp.includes("script-src 'self'") && csp.includes("frame-ancestors 'none'"), csp);
    assert.deepEqual(page.headers.get("x-content-type-options"), "nosniff");
    // plotly is served locally (no CDN): the page references only same-origin scripts
    const html = await (await fetch(`${d.url}/runs/runA`)).text();
    assert.ok(html.includes('src="/static/plotly.min.js"') && !/https?:\/\//.test(html));
  } finally {
    await d.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("dashboard: journal ids from the URL never reach a path outside the configured journals", async () => {
  const root = await Deno.makeTempDir({ prefix: "dash-sec-j-" });
  const models = `${root}/models`;
  await writeRun(models, "r");
  const folder = `${root}/journals`;
  await Deno.mkdir(`${folder}/run-1/paper`, { recursive: true });
  Journal.open(`${folder}/a.sqlite`).close();
  Journal.open(`${folder}/run-1/paper/journal.sqlite`).close();
  Journal.open(`${folder}/.hidden.sqlite`).close();
  // outside: a journal-looking FIFO (opening it would hang the request) and a secret file
  await Deno.mkdir(`${root}/outside`);
  await Deno.writeTextFile(`${root}/outside/secret.txt`, OUTSIDE);
  await new Deno.Command("mkfifo", { args: [`${root}/outside/x.sqlite`] }).output();
  await Deno.symlink(`${root}/outside/x.sqlite`, `${folder}/evil.sqlite`);
  // a report symlinked out of the journal's folder is not served (built from the journal)
  await Deno.mkdir(`${folder}/reports`);
  await Deno.symlink(
    `${root}/outside/secret.txt`,
    `${folder}/reports/daily_report_2026-01-02.html`,
  );
  const d = await startDashboard({ models, port: 0, journals: [folder] });
  try {
    const signal = () => AbortSignal.timeout(5000);
    const list = await (await fetch(`${d.url}/api/live`, { signal: signal() })).json();
    assert.deepEqual(list.journals.map((j: { id: string }) => j.id), ["a", "run-1"]);
    const attempts = [
      "/api/live/evil/state",
      "/api/live/.hidden/state",
      "/api/live/..%2Foutside%2Fx/state",
      "/api/live/%2e%2e/state",
      "/api/live/%2E%2E%2Foutside%2Fx/stream",
      `/api/live/${encodeURIComponent(`${root}/outside/x.sqlite`)}/state`,
      "/api/live/..%5Coutside/decisions",
      "/api/live/a.sqlite/state",
      "/api/live/run-1%2Fpaper%2Fjournal/state",
      "/live/evil",
      "/live/..%2F..%2Fetc%2Fpasswd",
      "/live/a/reports/..%2F..%2Foutside%2Fsecret.txt",
      "/live/a/reports/%2e%2e%2f%2e%2e%2fsecret",
      "/live/a/reports/2026-01-02%2F..%2F..",
      "/live/evil/reports/2026-01-02",
      "/api/live/a/kill",
    ];
    for (const target of attempts) {
      const r = await rawRequest(d.port, target);
      const want = target.endsWith("/kill") ? 405 : 404;
      assert.deepEqual(r.status, want, `${target} → ${r.status}: ${r.body.slice(0, 200)}`);
      assert.ok(!r.body.includes(OUTSIDE), `${target} leaked outside content`);
      assert.ok(!r.body.includes(root), `${target} named a server path`);
    }
    // several journals: the short routes refuse to guess
    const many = await rawRequest(d.port, "/api/live/state");
    assert.deepEqual(many.status, 400);
    // the symlinked-out report is not read: the page is built from the journal instead
    const rep = await fetch(`${d.url}/live/a/reports/2026-01-02`, { signal: signal() });
    const html = await rep.text();
    assert.deepEqual(rep.status, 200);
    assert.ok(!html.includes(OUTSIDE) && html.includes("Daily report 2026-01-02"));
    const st = await (await fetch(`${d.url}/api/live/run-1/state`, { signal: signal() })).json();
    assert.deepEqual([st.id, st.available], ["run-1", true]);
    assert.ok(!JSON.stringify(st).includes(root), "state names a server path");
  } finally {
    await d.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});
