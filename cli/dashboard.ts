/**
 * `deno task dashboard [--models models/] [--journal <file|folder> …] [--port 8787]
 * [--host 127.0.0.1] [--token <secret>]`
 *
 * Serves the local dashboard (runs table, live training curves, evaluations, compare, the
 * live loops' journals with the kill switch). Loopback only unless a token is given
 * (`--token` or `RLT_DASHBOARD_TOKEN`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startDashboard } from "@lib/dashboard/mod.ts";
import { ConfigError, runCli } from "@lib/util/mod.ts";

const USAGE = `Serve the local dashboard over the run folders.

usage: deno task dashboard [--models models/] [--journal <file|folder> …] [--port 8787] [--host 127.0.0.1] [--token <secret>]

  --models <folder>      folder holding the run folders [default: models]
  --journal <path>       a paper loop's journal file (it may not exist yet), or a folder of journals
                         (*.sqlite, *.db, <run>/paper/journal.sqlite); repeatable. The Live page
                         follows it; its kill switch sets the same state as deno task paper:kill
  --market <m>           us_equity | crypto: the journals' day boundaries [default: guessed from the symbol]
  --port <n>             port, 0 = any free one [default: 8787]
  --host <address>       address to bind [default: 127.0.0.1]; any non-loopback address needs a token
  --token <secret>       access token (≥ 16 characters; or env RLT_DASHBOARD_TOKEN); every request
                         must carry it: open <url>/?token=<secret> once (sets a cookie), or send
                         "Authorization: Bearer <secret>" from scripts
  --stale-after <s>      a running run whose files did not change for this long shows as stale [default: 300]
  --help                 show this help`;

await runCli(async () => {
  const options = {
    models: { type: "string", default: "models" },
    journal: { type: "string", multiple: true },
    market: { type: "string" },
    port: { type: "string", default: "8787" },
    host: { type: "string", default: "127.0.0.1" },
    token: { type: "string" },
    "stale-after": { type: "string", default: "300" },
    help: { type: "boolean", short: "h" },
  } as const;
  let values;
  try {
    values = parseArgs({ args: Deno.args, options }).values;
  } catch (e) {
    // unknown flag, missing value, value that looks like a flag (`--stale-after -1`)
    throw new ConfigError((e as Error).message, {}, "see deno task dashboard --help");
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    throw new ConfigError(`--port must be an integer 0–65535, got "${values.port}"`, {
      parameter: "--port",
    });
  }
  const staleAfter = Number(values["stale-after"]);
  if (!Number.isFinite(staleAfter) || staleAfter <= 0) {
    throw new ConfigError(`--stale-after must be a positive number of seconds`, {
      parameter: "--stale-after",
    });
  }
  const token = values.token ?? Deno.env.get("RLT_DASHBOARD_TOKEN") ?? null;
  const journals = values.journal ?? [];
  const market = values.market ?? null;
  if (market !== null && market !== "us_equity" && market !== "crypto") {
    throw new ConfigError(`--market must be us_equity or crypto, got "${market}"`, {
      parameter: "--market",
    });
  }
  const d = await startDashboard({
    models: values.models,
    journals,
    market,
    hostname: values.host,
    port,
    token,
    staleAfterMs: staleAfter * 1000,
  });
  console.log(
    `dashboard: ${d.url}  (runs from ${values.models}${
      journals.length ? `, journals ${journals.join(", ")}` : ""
    })`,
  );
  if (token) {
    console.log(
      "access: open the URL with ?token=<your token> once, or send it as a Bearer header",
    );
  }
  const stop = async () => {
    await d.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
});
