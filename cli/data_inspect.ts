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
import { parseArgs } from "node:util";
import {
  DATA_FLAG_HELP,
  DATA_FLAG_OPTIONS,
  datasetFromFlags,
  formatInspectReport,
  type InspectCalendar,
  inspectPath,
} from "@lib/data/mod.ts";
import { ConfigError, runCli } from "@lib/util/mod.ts";

const USAGE = `usage: deno task data:inspect <file-or-folder|synthetic> [options]
${DATA_FLAG_HELP}
  --calendar auto|24/7|us_equity   gaps calendar (default auto: us_equity when no weekend bars)
  --jitter-ms <ms>          time-stamp jitter tolerance (default 1000)
  --rel-tolerance <x>       OHLC rounding tolerance, relative (default 1e-12)
  --max-listed <n>          issues/gaps listed (default 10)
  --json                    one JSON line;  --pretty  indented JSON`;

await runCli(async () => {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(Deno.args),
      allowPositionals: true,
      options: {
        ...DATA_FLAG_OPTIONS,
        calendar: { type: "string" },
        "jitter-ms": { type: "string" },
        "rel-tolerance": { type: "string" },
        "max-listed": { type: "string", default: "10" },
        json: { type: "boolean" },
        pretty: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    // parseArgs' own messages ("Unknown option '--x'…") → one `error: --x …` line.
    const msg = (e as Error).message;
    const flag = /'(-{1,2}[^' ]+)/.exec(msg)?.[1] ?? "flag";
    const first = msg.split("\n")[0].replace(/\. To specify.*$/s, "").replace(/\.$/, "");
    throw new ConfigError(`${flag}: ${first}`, {}, "see --help");
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const paths = [...positionals, ...(values.data ? [values.data] : [])];
  if (paths.length !== 1) {
    throw new ConfigError(
      paths.length === 0 ? "expected a file or folder" : "expected exactly one file or folder",
      {},
      "run with --help for the flags",
    );
  }
  const maxListed = intFlag("--max-listed", values["max-listed"]!);
  const jitterMs = values["jitter-ms"] === undefined
    ? undefined
    : numFlag("--jitter-ms", values["jitter-ms"], (x) => x >= 0, "must be ≥ 0");
  const relTolerance = values["rel-tolerance"] === undefined
    ? undefined
    : numFlag("--rel-tolerance", values["rel-tolerance"], (x) =>
      x >= 0 && x < 1e-3, "must be in [0, 1e-3)");
  const calendar = values.calendar;
  if (calendar !== undefined && !["auto", "24/7", "us_equity"].includes(calendar)) {
    throw new ConfigError(`--calendar must be auto, 24/7 or us_equity (got ${calendar})`, {});
  }
  if (values.json && values.pretty) {
    throw new ConfigError("--json and --pretty: pick one (--pretty is indented JSON)", {});
  }
  const { options } = datasetFromFlags({ ...values, data: paths[0] });
  const report = await inspectPath(paths[0], {
    columns: options.columns,
    oi: values.oi,
    oiColumns: options.oiColumns,
    funding: values.funding,
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

/** `--flag -5` → `--flag=-5`, so a negative value reaches the range check, not parseArgs. */
function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (/^--[^=]+$/.test(a) && /^-(\d|\.\d)/.test(args[i + 1] ?? "")) {
      out.push(`${a}=${args[++i]}`);
    } else out.push(a);
  }
  return out;
}

function intFlag(flag: string, s: string): number {
  const v = Number(s);
  if (!/^\d+$/.test(s.trim()) || !Number.isSafeInteger(v)) {
    throw new ConfigError(`${flag} must be a non-negative integer (got ${s})`, {});
  }
  return v;
}

function numFlag(flag: string, s: string, ok: (x: number) => boolean, rule: string): number {
  const v = Number(s);
  if (s.trim() === "" || !Number.isFinite(v) || !ok(v)) {
    throw new ConfigError(`${flag} ${rule} (got ${s})`, {});
  }
  return v;
}
