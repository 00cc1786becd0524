/**
 * `deno task data:inspect <file-or-folder|synthetic> [options]`
 *
 * Describes a data file or folder: detected layout and column mapping, rows, first/last bar
 * (ISO UTC), interval, calendar, gaps, real issues (with file, row, column) and counted
 * noise (timestamp jitter, float rounding) kept apart from them; for funding, the interval
 * and a units check. With `--oi` / `--funding` next to the bars it also shows their coverage.
 *
 * Output: human-readable text by default; `--json` prints ONE JSON line (for scripts);
 * `--pretty` prints the same JSON indented. Exit 0 when the file could be read (issues are
 * reported, not fatal), 2 with a one-line `error: …` for unreadable input (missing, empty,
 * header-only or binary files) or a bad flag.
 *
 * @module
 */
import {
  DATA_FLAG_HELP,
  DATA_FLAG_OPTIONS,
  datasetFromFlags,
  formatInspectReport,
  type InspectCalendar,
  inspectPath,
} from "@lib/data/mod.ts";
import { ConfigError, type FlagSpec, parseFlags, resolveUserPath, runCli } from "@lib/util/mod.ts";

const USAGE = `usage: deno task data:inspect <file-or-folder|synthetic> [options]
${DATA_FLAG_HELP}
  --calendar auto|24/7|us_equity   gaps calendar (default auto: us_equity when no weekend bars)
  --jitter-ms <ms>          time-stamp jitter tolerance (default 1000)
  --rel-tolerance <x>       OHLC rounding tolerance, relative (default 1e-12)
  --max-listed <n>          issues/gaps listed (default 10)
  --json                    one JSON line;  --pretty  indented JSON`;

const FLAGS = {
  ...DATA_FLAG_OPTIONS,
  calendar: {
    type: "string",
    choices: ["auto", "24/7", "us_equity"],
    description: "gaps calendar",
  },
  "jitter-ms": { type: "number", range: { min: 0 }, description: "time-stamp jitter tolerance" },
  "rel-tolerance": {
    type: "number",
    range: { min: 0, max: 1e-3, exclusiveMax: true },
    description: "OHLC rounding tolerance",
  },
  "max-listed": {
    type: "integer",
    default: 10,
    range: { min: 0 },
    description: "issues/gaps listed",
  },
  json: { type: "boolean", description: "one JSON line" },
  pretty: { type: "boolean", description: "indented JSON" },
  help: { type: "boolean", short: "h", description: "this help" },
} as const satisfies Record<string, FlagSpec>;

await runCli(async () => {
  const { values, positionals } = parseFlags(Deno.args, FLAGS, {
    usage: "usage: deno task data:inspect <file-or-folder|synthetic> [options] (--help)",
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const paths = [...positionals, ...(values.data ? [values.data] : [])].map((p) =>
    p === "synthetic" ? p : resolveUserPath(p)
  );
  if (paths.length !== 1) {
    throw new ConfigError(
      paths.length === 0 ? "expected a file or folder" : "expected exactly one file or folder",
      {},
      "run with --help for the flags",
    );
  }
  const maxListed = values["max-listed"];
  const jitterMs = values["jitter-ms"];
  const relTolerance = values["rel-tolerance"];
  const calendar = values.calendar;
  if (values.json && values.pretty) {
    throw new ConfigError("--json and --pretty: pick one (--pretty is indented JSON)", {});
  }
  const { options } = datasetFromFlags({ ...values, data: paths[0] });
  const report = await inspectPath(paths[0], {
    columns: options.columns,
    oi: values.oi === undefined ? undefined : resolveUserPath(values.oi),
    oiColumns: options.oiColumns,
    funding: values.funding === undefined ? undefined : resolveUserPath(values.funding),
    fundingColumns: options.fundingColumns,
    fundingScale: options.fundingScale,
    symbol: options.symbol,
    interval: options.interval,
    calendar: calendar as "auto" | InspectCalendar | undefined,
    jitterMs,
    relTolerance,
    maxListed,
  });
  if (values.json) console.log(JSON.stringify(report));
  else if (values.pretty) console.log(JSON.stringify(report, null, 2));
  else console.log(formatInspectReport(report));
});
