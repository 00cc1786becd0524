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
import { startDashboard } from "@lib/dashboard/mod.ts";
import { type FlagSpec, parseFlags, runCli } from "@lib/util/mod.ts";

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

/** The dashboard's flags (ranges: a TCP port, a positive staleness in seconds). */
const DASHBOARD_FLAGS = {
  models: { type: "string", default: "models", description: "folder holding the run folders" },
  journal: { type: "string", multiple: true, description: "journal file or folder (repeatable)" },
  market: {
    type: "string",
    choices: ["us_equity", "crypto"],
    description: "the journals' day boundaries",
  },
  port: { type: "integer", default: 8787, range: { min: 0, max: 65535 }, description: "port" },
  host: { type: "string", default: "127.0.0.1", description: "address to bind" },
  token: { type: "string", description: "access token" },
  "stale-after": {
    type: "number",
    default: 300,
    range: { min: 0, exclusiveMin: true },
    description: "seconds without file changes before a running run shows as stale",
  },
  help: { type: "boolean", short: "h", description: "show this help" },
} as const satisfies Record<string, FlagSpec>;

await runCli(async () => {
  const { values } = parseFlags(Deno.args, DASHBOARD_FLAGS, {
    usage: "see deno task dashboard --help",
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = values.port;
  const staleAfter = values["stale-after"];
  const token = values.token ?? Deno.env.get("RLT_DASHBOARD_TOKEN") ?? null;
  const journals = values.journal;
  const market = (values.market ?? null) as "us_equity" | "crypto" | null;
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
