/**
 * The bring-your-own-data command-line flags, defined once for every task that loads data
 * (`train`, `evaluate`, `data:inspect`): `--data`, `--columns`, `--oi`, `--oi-columns`,
 * `--funding`, `--funding-columns`, `--funding-scale`, `--symbol`, `--interval`.
 *
 * @module
 */
import { intervalToMs } from "../util/calendar.ts";
import { ConfigError } from "../util/errors.ts";
import type { DatasetOptions, DatasetSources } from "./dataset.ts";
import { parseColumnMapping } from "./layouts.ts";

/** `node:util` `parseArgs` option specs of the data flags (spread into a task's own). */
export const DATA_FLAG_OPTIONS = {
  data: { type: "string" },
  columns: { type: "string" },
  oi: { type: "string" },
  "oi-columns": { type: "string" },
  funding: { type: "string" },
  "funding-columns": { type: "string" },
  "funding-scale": { type: "string" },
  symbol: { type: "string" },
  interval: { type: "string" },
} as const;

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
  values: Partial<Record<keyof typeof DATA_FLAG_OPTIONS, string | undefined>>,
  defaultData = "synthetic",
): { sources: DatasetSources; options: DatasetOptions } {
  let fundingScale: number | undefined;
  const fs = values["funding-scale"];
  if (fs !== undefined) {
    fundingScale = Number(fs);
    if (fs.trim() === "" || !(Number.isFinite(fundingScale) && fundingScale > 0)) {
      throw new ConfigError(`--funding-scale must be a finite number > 0 (got ${fs})`, {});
    }
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
