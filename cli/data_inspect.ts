/**
 * `deno task data:inspect <file-or-folder> [--columns time=ts,close=Close]`
 *
 * Prints ONE JSON object describing a data file or folder (Binance klines / metrics /
 * fundingRate zips or CSVs, a generic OHLCV CSV, a Parquet cache, or `synthetic`): rows,
 * first/last bar (ISO UTC), interval, gaps {count, missingBars, largest, where}, duplicates,
 * columns present and NaN counts.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { inspectPath, type OhlcvColumns } from "@lib/data/mod.ts";
import { ConfigError, runCli } from "@lib/util/mod.ts";

const USAGE =
  "usage: deno task data:inspect <file-or-folder|synthetic> [--columns time=ts,close=Close] [--max-listed 10]";

await runCli(async () => {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      columns: { type: "string" },
      "max-listed": { type: "string", default: "10" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1) {
    throw new ConfigError("expected exactly one file or folder", { parameter: "path" }, USAGE);
  }
  const maxListed = Number(values["max-listed"]);
  if (!Number.isInteger(maxListed) || maxListed < 0) {
    throw new ConfigError(`--max-listed must be a non-negative integer`, {
      parameter: "--max-listed",
    });
  }
  const report = await inspectPath(positionals[0], {
    columns: parseColumns(values.columns),
    maxListed,
  });
  console.log(JSON.stringify(report));
});

function parseColumns(s: string | undefined): OhlcvColumns | undefined {
  if (!s) return undefined;
  const out: Record<string, string> = {};
  for (const part of s.split(",")) {
    const [k, v] = part.split("=");
    if (!["time", "open", "high", "low", "close", "volume"].includes(k) || !v) {
      throw new ConfigError(
        `bad --columns entry "${part}"`,
        { parameter: "--columns" },
        "use key=ColumnName with key one of time, open, high, low, close, volume",
      );
    }
    out[k] = v;
  }
  return out;
}
