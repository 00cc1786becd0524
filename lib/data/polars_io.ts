/**
 * polars at the edges: {@link MarketData} ⇄ DataFrame conversions and the Parquet cache
 * (nodejs-polars 0.25.2, which loads and reads/writes Parquet under Deno).
 *
 * Cache layout (one row per bar): `time` (f64, UTC epoch ms of the bar open), `open`, `high`,
 * `low`, `close`, `volume` (f64), optional `open_interest`, `funding_rate` (f64, NaN =
 * unknown / no settlement), optional `filled` (u8), and `symbol`, `interval` (string,
 * constant). Written zstd-compressed via a temp file + rename.
 *
 * @module
 */
import pl from "nodejs-polars";
import { DataError, intervalToMs, msToInterval, writeFileAtomic } from "../util/mod.ts";
import type { MarketData } from "./market_data.ts";
import { detectIntervalMs } from "./validate.ts";

/** A nodejs-polars DataFrame. */
export type DataFrame = pl.DataFrame;

/** Options of {@link marketDataToDataFrame}. */
export interface ToDataFrameOptions {
  /** Add a `datetime` column (polars Datetime, ms, UTC) for display. Default false. */
  datetime?: boolean;
  /** Add constant `symbol` and `interval` string columns. Default false. */
  meta?: boolean;
}

/**
 * Convert to a polars DataFrame with snake_case columns `time, open, high, low, close,
 * volume[, open_interest][, funding_rate][, filled]` (values copied).
 */
export function marketDataToDataFrame(md: MarketData, options: ToDataFrameOptions = {}): DataFrame {
  const cols: pl.Series[] = [];
  if (options.datetime) {
    cols.push(pl.Series("datetime", Array.from(md.time, (t) => new Date(t))));
  }
  cols.push(
    pl.Series("time", md.time),
    pl.Series("open", md.open),
    pl.Series("high", md.high),
    pl.Series("low", md.low),
    pl.Series("close", md.close),
    pl.Series("volume", md.volume),
  );
  if (md.openInterest) cols.push(pl.Series("open_interest", md.openInterest));
  if (md.fundingRate) cols.push(pl.Series("funding_rate", md.fundingRate));
  if (md.filled) cols.push(pl.Series("filled", md.filled));
  if (options.meta) {
    const n = md.time.length;
    cols.push(pl.Series("symbol", new Array<string>(n).fill(md.symbol)));
    cols.push(pl.Series("interval", new Array<string>(n).fill(md.interval)));
  }
  return pl.DataFrame(cols);
}

const ALIASES: Record<string, string[]> = {
  time: ["time", "open_time", "timestamp"],
  open: ["open"],
  high: ["high"],
  low: ["low"],
  close: ["close"],
  volume: ["volume"],
  openInterest: ["open_interest", "openInterest", "sum_open_interest"],
  fundingRate: ["funding_rate", "fundingRate"],
  filled: ["filled"],
};

/**
 * Convert a DataFrame (columns as written by {@link marketDataToDataFrame}; camelCase names
 * are accepted too) back to {@link MarketData}. `symbol`/`interval` come from the options,
 * else from constant string columns, else `"UNKNOWN"` / the detected spacing. A `time`
 * column of polars Datetime type is accepted.
 */
export function dataFrameToMarketData(
  df: DataFrame,
  options: { symbol?: string; interval?: string; file?: string } = {},
): MarketData {
  const names = df.columns;
  const pick = (key: string, required: boolean): pl.Series | undefined => {
    const name = ALIASES[key].find((a) => names.includes(a));
    if (!name) {
      if (required) {
        throw new DataError(`DataFrame has no "${ALIASES[key][0]}" column`, {
          file: options.file,
          column: ALIASES[key][0],
        }, `columns: ${names.join(", ")}`);
      }
      return undefined;
    }
    return df.getColumn(name);
  };
  const f64 = (s: pl.Series | undefined): Float64Array | undefined => {
    if (!s) return undefined;
    const dt = String(s.dtype);
    let x = s;
    if (dt.includes("Datetime")) x = s.cast(pl.Int64).cast(pl.Float64);
    else if (!dt.includes("Float64")) x = s.cast(pl.Float64);
    if (x.nullCount() > 0) {
      return Float64Array.from(x.toArray() as (number | null)[], (v) => (v === null ? NaN : v));
    }
    const a = x.toTypedArray();
    return a instanceof Float64Array ? a : Float64Array.from(a as ArrayLike<number>);
  };
  const time = f64(pick("time", true))!;
  const filledS = pick("filled", false);
  const str = (col: string): string | undefined =>
    names.includes(col) && df.height > 0 ? String(df.getColumn(col).get(0)) : undefined;
  const intervalMs = options.interval
    ? intervalToMs(options.interval)
    : str("interval")
    ? intervalToMs(str("interval")!)
    : detectIntervalMs(time);
  return {
    symbol: options.symbol ?? str("symbol") ?? "UNKNOWN",
    interval: options.interval ?? str("interval") ??
      (intervalMs > 0 ? msToInterval(intervalMs) : "unknown"),
    intervalMs,
    time,
    open: f64(pick("open", true))!,
    high: f64(pick("high", true))!,
    low: f64(pick("low", true))!,
    close: f64(pick("close", true))!,
    volume: f64(pick("volume", true))!,
    openInterest: f64(pick("openInterest", false)),
    fundingRate: f64(pick("fundingRate", false)),
    filled: filledS
      ? Uint8Array.from(filledS.cast(pl.UInt8).toTypedArray() as ArrayLike<number>)
      : undefined,
  };
}

/** Write market data to a Parquet cache file (zstd, atomic). */
export async function writeMarketDataParquet(md: MarketData, path: string): Promise<void> {
  const df = marketDataToDataFrame(md, { meta: true });
  const buf = df.writeParquet({ compression: "zstd" });
  await writeFileAtomic(path, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
}

/** Read a Parquet cache written by {@link writeMarketDataParquet} (or any compatible file). */
export function readMarketDataParquet(
  path: string,
  options: { symbol?: string; interval?: string } = {},
): MarketData {
  let df: DataFrame;
  try {
    df = pl.readParquet(path);
  } catch (e) {
    throw new DataError(
      `cannot read Parquet file (${(e as Error).message})`,
      { file: path },
      "the cache may be truncated: delete it and rebuild it",
    );
  }
  return dataFrameToMarketData(df, { ...options, file: path });
}
