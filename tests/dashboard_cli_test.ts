/**
 * `deno task dashboard` as a user runs it: refuses a non-loopback bind without a token and
 * bad flags with a one-line error (exit 2, no stack trace); with `--journal` the kill switch
 * (POST with CSRF) sets the same state as `deno task paper:kill` (the `<journal>.KILL` file
 * read by `readKillSwitch`, and a `kill_switch_events` row with source `dashboard`);
 * SIGTERM stops it cleanly.
 * Cannot catch: the live loop reacting to the file (the live layer's tests own that; the
 * browser test drives a writer that stops on it).
 */
import assert from "node:assert/strict";
import { Journal, readKillSwitch } from "@lib/live/mod.ts";
import { writeRun } from "./dashboard_fixtures.ts";

const ROOT = new URL("..", import.meta.url).pathname;

function cli(args: string[], env: Record<string, string> = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/dashboard.ts", ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("dashboard CLI: bad binds and flags fail with a clear one-line error", async () => {
  const models = await Deno.makeTempDir();
  const cases: [string[], RegExp][] = [
    [["--models", models, "--host", "0.0.0.0"], /requires an access token/],
    [["--models", models, "--host", "0.0.0.0", "--token", "short"], /at least 16 characters/],
    [["--models", models, "--port", "http"], /error: --port must be an integer \(got "http"\)/],
    [
      ["--models", models, "--port", "70000"],
      /error: --port must be ≥ 0 and ≤ 65535 \(got "70000"\)/,
    ],
    [["--models", `${models}/nope`], /models folder .* cannot be read/],
    [["--models", models, "--stale-after", "-1"], /error: --stale-after must be > 0 \(got "-1"\)/],
    [["--models", models, "--stale-after", "0"], /error: --stale-after must be > 0 \(got "0"\)/],
    [["--models", models, "--bogus"], /bogus/],
    [
      ["--models", models, "--journal", `${models}/nope/j.sqlite`],
      /journal .* folder does not exist/,
    ],
    [
      ["--models", models, "--market", "forex"],
      /error: --market must be one of us_equity, crypto \(got "forex"\)/,
    ],
  ];
  for (const [args, message] of cases) {
    const out = await cli(args).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, `${args.join(" ")}: ${err}`);
    assert.match(err, message);
    assert.ok(!/\n\s+at /.test(err), `stack trace printed: ${err}`);
  }
  await Deno.remove(models, { recursive: true });
});

Deno.test("dashboard CLI: with --journal the kill switch sets the paper:kill state", async () => {
  const root = await Deno.makeTempDir();
  await writeRun(`${root}/models`, "r");
  const journal = `${root}/paper.db`;
  Journal.open(journal).close(); // the loop has started once
  const child = cli(["--models", `${root}/models`, "--port", "0", "--journal", journal]).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  try {
    let first = "";
    while (!first.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`dashboard exited: ${await stderr}`);
      first += value;
    }
    const url = /dashboard: (http:\/\/\S+)/.exec(first)?.[1];
    assert.ok(url, first);
    const page = await fetch(`${url}/live`);
    const html = await page.text();
    const r = await fetch(`${url}/api/live/kill`, {
      method: "POST",
      headers: {
        origin: url,
        cookie: (page.headers.get("set-cookie") ?? "").split(";")[0],
        "x-csrf-token": /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? "",
        "content-type": "application/json",
      },
      body: JSON.stringify({ reason: "test stop" }),
    });
    assert.equal(r.status, 200, await r.text());
    const kill = readKillSwitch(journal);
    assert.equal(kill?.reason, "test stop");
    assert.equal(kill?.source, "dashboard");
    assert.ok(Math.abs(kill!.setAtMs - Date.now()) < 60_000);
    const j = Journal.open(journal, { readOnly: true });
    try {
      const ev = j.since("kill_switch_events", 0).rows;
      assert.deepEqual(
        ev.map((e) => [e.action, e.reason, e.source]),
        [["set", "test stop", "dashboard"]],
      );
    } finally {
      j.close();
    }
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    await lines.cancel().catch(() => {});
    await stderr;
    assert.equal(status.code, 0, "SIGTERM stops the dashboard cleanly");
    await Deno.remove(root, { recursive: true });
  }
});
