/**
 * `deno task broker:status` end to end: the real CLI process against the loopback Alpaca
 * server (keys from the environment, base URL override), the paper broker, and the clear
 * error when keys are missing. Cannot catch: real-venue connectivity.
 */
import assert from "node:assert/strict";
import { AlpacaServer } from "./broker_alpaca_server.ts";

const CLI = new URL("../cli/broker_status.ts", import.meta.url).pathname;

async function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  const clean: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) clean[k] = v;
  }
  const p = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, ...args],
    env: { ...clean, ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
  const o = await p.output();
  return {
    code: o.code,
    out: new TextDecoder().decode(o.stdout),
    err: new TextDecoder().decode(o.stderr),
  };
}

Deno.test("broker:status prints Alpaca account, positions and open orders; never the secret", async () => {
  const server = new AlpacaServer();
  try {
    server.setPrice("SPY", 500);
    server.positions.set("SPY", { qty: 3, avg: 490 });
    const r = await run(["--broker", "alpaca"], {
      APCA_API_KEY_ID: server.keyId,
      APCA_API_SECRET_KEY: server.secret,
      ALPACA_BASE_URL: server.url,
    });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /broker: alpaca/);
    assert.match(r.out, /status ACTIVE/);
    assert.match(r.out, /SPY 3 @ 490/);
    assert.match(r.out, /open orders \(0\)/);
    assert.ok(!r.out.includes(server.secret) && !r.err.includes(server.secret));
  } finally {
    await server.close();
  }
});

Deno.test("broker:status: paper works without keys; missing Alpaca/Binance keys are a clear error", async () => {
  const paper = await run(["--broker", "paper", "--json"], {});
  assert.equal(paper.code, 0, paper.err);
  assert.equal(JSON.parse(paper.out).account.equity, 2000);
  const a = await run(["--broker", "alpaca"], {});
  assert.equal(a.code, 2);
  assert.match(a.err, /Alpaca keys missing: set APCA_API_KEY_ID and APCA_API_SECRET_KEY/);
  const b = await run(["--broker", "binance"], { BINANCE_API_KEY: "k" });
  assert.equal(b.code, 2);
  assert.match(b.err, /Binance keys missing: set BINANCE_API_SECRET/);
  assert.ok(!b.err.includes("Stack") && !b.err.includes("    at "));
});
