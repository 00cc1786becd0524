/**
 * The bring-your-own-data command-line flags, defined once for every task that loads data
 * (`train`, `evaluate`, `data:inspect`): `--data`, `--columns`, `--oi`, `--oi-columns`,
 * `--funding`, `--funding-columns`, `--funding-scale`, `--symbol`, `--interval`.
 *
 * @module
 */
import { intervalToMs } from "../util/mod.ts";
import { ConfigError } from "../util/mod.ts";
import type { FlagSpec } from "../util/mod.ts";
import type { DatasetOptions, DatasetSources } from "./dataset.ts";
import { parseColumnMapping } from "./layouts.ts";

/** Declarations of the data flags for `parseFlags` (spread into a task's own). */
export const DATA_FLAG_OPTIONS = {
  data: { type: "string", description: "bars file or folder (default: synthetic)" },
  columns: { type: "string", description: "bars column mapping" },
  oi: { type: "string", description: "open-interest file" },
  "oi-columns": { type: "string", description: "open-interest column mapping" },
  funding: { type: "string", description: "funding file" },
  "funding-columns": { type: "string", description: "funding column mapping" },
  "funding-scale": {
    type: "number",
    range: { min: 0, exclusiveMin: true },
    description: "multiply funding rates by x",
  },
  symbol: { type: "string", description: "symbol" },
  interval: { type: "string", description: "bar interval" },
} as const satisfies Record<string, FlagSpec>;

/** Parsed values of {@link DATA_FLAG_OPTIONS}. */
export interface DataFlagValues {
  data?: string;
  columns?: string;
  oi?: string;
  "oi-columns"?: string;
  funding?: string;
  "funding-columns"?: string;
  "funding-scale"?: number;
  symbol?: string;
  interval?: string;
}

/** Help lines of the data flags, for a task's `--help`. */
export const DATA_FLAG_HELP: string = [
  "  --data <path>             bars: Binance klines / OHLCV CSV / .zip / folder / .parquet / synthetic",
  "  --columns k=v,…           bars mapping: time, at=open|end, unit=s|ms|us|ns, open, high, low, close, volume",
  "  --oi <file>               open interest;  --oi-columns time=t,oi=oi,at=end (default at=end)",
  "  --funding <file>          funding;  --funding-columns time=timestamp_ms,rate=funding_rate",
  "  --funding-scale <x>       multiply funding rates by x (8 for a file holding the 8-hour rate ÷ 8)",
  "  --symbol <name>           symbol (default from the file name or a symbol column)",
  "  --interval <5m|1h|…>      bar interval (default from the file name or the spacing)",
].join("\n");

/**
 * Turn parsed data flags into {@link loadDataset} arguments. `defaultData` is used when
 * `--data` is absent (e.g. `"synthetic"`). Bad values throw a ConfigError starting with the
 * flag (`--funding-scale must be …`).
 */
export function datasetFromFlags(
  values: DataFlagValues,
  defaultData = "synthetic",
): { sources: DatasetSources; options: DatasetOptions } {
  const fundingScale = values["funding-scale"];
  if (fundingScale !== undefined && !(Number.isFinite(fundingScale) && fundingScale > 0)) {
    throw new ConfigError(`--funding-scale must be > 0 (got ${fundingScale})`, {});
  }
  if (values.interval !== undefined) {
    try {
      intervalToMs(values.interval);
    } catch {
      throw new ConfigError(`--interval must look like 5m, 1h or 1d (got ${values.interval})`, {});
    }
  }
  const columns = parseColumnMapping(values.columns, "bars", { flag: "--columns" });
  const oiColumns = parseColumnMapping(values["oi-columns"], "oi", { flag: "--oi-columns" });
  const fundingColumns = parseColumnMapping(values["funding-columns"], "funding", {
    flag: "--funding-columns",
  });
  for (const [flag, dep] of [["oi-columns", "oi"], ["funding-columns", "funding"]] as const) {
    if (values[flag] !== undefined && values[dep] === undefined) {
      throw new ConfigError(`--${flag} needs --${dep} <file>`, {});
    }
  }
  return {
    sources: { data: values.data ?? defaultData, oi: values.oi, funding: values.funding },
    options: {
      columns,
      oiColumns,
      fundingColumns,
      fundingScale,
      symbol: values.symbol,
      interval: values.interval,
    },
  };
}
