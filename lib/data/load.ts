/**
 * Loading market data from the synthetic generator, a Parquet cache, Binance archive files
 * (klines / metrics / fundingRate, `.zip` or `.csv`, one file or a folder of daily/monthly
 * files) or a generic OHLCV CSV — validated, de-duplicated and with open interest and
 * funding aligned as-of (see `align.ts`).
 *
 * @module
 */
import { intervalToMs, msToInterval } from "../util/calendar.ts";
import { DataError } from "../util/errors.ts";
import {
  alignAsOfWithSummary,
  type AlignOptions,
  type AlignSummary,
  type TimeSeries,
} from "./align.ts";
import type { MarketData } from "./market_data.ts";
import { readMarketDataParquet } from "./polars_io.ts";
import {
  generateSyntheticMarket,
  parseSyntheticSource,
  type SyntheticOptions,
} from "./synthetic.ts";
import {
  type OhlcvColumns,
  readTable,
  readTables,
  type RowSource,
  type TableKind,
  type TidyOptions,
  tidyTable,
  type TimeTable,
} from "./table.ts";
import { detectIntervalMs, prepareMarketData, type ValidationReport } from "./validate.ts";

/** Options of the loaders. */
export interface LoadOptions extends TidyOptions, AlignOptions {
  /** Symbol name; default from the file (Binance file name or `symbol` column) or `"UNKNOWN"`. */
  symbol?: string;
  /** Bar interval; default from the Binance file name, else the most common spacing. */
  interval?: string;
  /** Generic OHLCV CSV column names. */
  columns?: OhlcvColumns;
  /** Gap policy: `"keep"` (default, reported), `"reject"` (throw) or `"fill"` (flat bars). */
  gaps?: "keep" | "reject" | "fill";
  /** Max bars filled per gap with `gaps: "fill"`. Default Infinity. */
  maxFill?: number;
  /** Options of the synthetic market when the source is `"synthetic"`. */
  synthetic?: SyntheticOptions;
  /** Load open interest / funding found next to the bars (folders). Default true. */
  withOpenInterest?: boolean;
  withFunding?: boolean;
}

/** Result of {@link loadMarketDataWithReport}. */
export interface LoadResult {
  market: MarketData;
  /** Validation report of the bars (before gap filling). */
  report: ValidationReport;
  /** Alignment summary when OI or funding were joined. */
  alignment?: AlignSummary;
  /** Identical duplicate bars dropped (e.g. overlapping daily and monthly files). */
  droppedDuplicates: number;
  /** Row provenance of the bars (before gap filling). */
  source?: RowSource;
}

/**
 * Load market data from `"synthetic"` (the seeded default market; `options.synthetic`) or
 * `"synthetic:<preset>"` (a named synthetic market, e.g. `"synthetic:learning"`),
 * a `.parquet` cache, a `.csv`/`.zip` file, a list of files or a folder of them. Bars are validated (a
 * {@link DataError} names file, row and column of the first problem) and OI/funding found
 * in the same folder are aligned as-of.
 */
export async function loadMarketData(
  source: string | string[],
  options: LoadOptions = {},
): Promise<MarketData> {
  return (await loadMarketDataWithReport(source, options)).market;
}

/** {@link loadMarketData} plus the validation report and alignment summary. */
export async function loadMarketDataWithReport(
  source: string | string[],
  options: LoadOptions = {},
): Promise<LoadResult> {
  const syn = typeof source === "string" ? parseSyntheticSource(source) : null;
  if (syn) {
    const md = generateSyntheticMarket({ ...options.synthetic, preset: syn.preset });
    const { market, report } = prepareMarketData(md, { gaps: options.gaps, file: "synthetic" });
    return { market, report, droppedDuplicates: 0 };
  }
  if (typeof source === "string" && /\.parquet$/i.test(source)) {
    const md = readMarketDataParquet(source, {
      symbol: options.symbol,
      interval: options.interval,
    });
    const { market, report } = prepareMarketData(md, {
      gaps: options.gaps,
      maxFill: options.maxFill,
      file: source,
    });
    return { market, report, droppedDuplicates: 0 };
  }
  const tables = await readTables(source, { columns: options.columns });
  const bars = tables.get("klines") ?? tables.get("ohlcv");
  if (!bars) {
    throw new DataError(
      `no price bars (klines/OHLCV) found, only ${[...tables.keys()].join(", ")}`,
      { file: String(source) },
      "load open interest / funding with loadOpenInterest / loadFunding and align them onto bars",
    );
  }
  const r = barsFromTable(bars, options);
  const { market: aligned0, report } = prepareMarketData(r.market, {
    source: r.source,
    gaps: options.gaps === "fill" ? "keep" : options.gaps,
  });
  let market = aligned0;
  let alignment: AlignSummary | undefined;
  const oiT = options.withOpenInterest === false ? undefined : tables.get("metrics");
  const fT = options.withFunding === false ? undefined : tables.get("funding");
  if (oiT || fT) {
    const a = alignAsOfWithSummary(market, {
      openInterest: oiT ? openInterestFromTable(oiT, options) : undefined,
      funding: fT ? fundingFromTable(fT, options) : undefined,
    }, options);
    market = a.market;
    alignment = a.summary;
  }
  if (options.gaps === "fill") {
    market = prepareMarketData(market, { gaps: "fill", maxFill: options.maxFill, source: r.source })
      .market;
  }
  return { market, report, alignment, droppedDuplicates: r.dropped, source: r.source };
}

/** Load Binance kline bars (or a generic OHLCV CSV) from a file or folder, validated. */
export async function loadKlines(path: string, options: LoadOptions = {}): Promise<MarketData> {
  const t = await readTableAny(path, ["klines", "ohlcv"], options);
  const r = barsFromTable(t, options);
  return prepareMarketData(r.market, {
    source: r.source,
    gaps: options.gaps,
    maxFill: options.maxFill,
  }).market;
}

/** Load a generic OHLCV CSV (time as ISO-8601 with any offset or epoch s/ms/µs). */
export async function loadOhlcvCsv(path: string, options: LoadOptions = {}): Promise<MarketData> {
  return await loadKlines(path, options);
}

/**
 * Load open interest (`sum_open_interest`, contracts/base units) from Binance `metrics`
 * files; `time` is the snapshot instant `create_time`.
 */
export async function loadOpenInterest(
  path: string,
  options: TidyOptions = {},
): Promise<TimeSeries> {
  return openInterestFromTable(await readTable(path, { kind: "metrics" }), options);
}

/**
 * Load funding settlements (`time` = settlement instant, `value` = rate as a fraction per
 * settlement) from Binance `fundingRate` files or a generic funding CSV.
 */
export async function loadFunding(path: string, options: TidyOptions = {}): Promise<TimeSeries> {
  return fundingFromTable(await readTable(path, { kind: "funding" }), options);
}

async function readTableAny(
  path: string,
  kinds: TableKind[],
  options: LoadOptions,
): Promise<TimeTable> {
  const m = await readTables(path, { columns: options.columns });
  for (const k of kinds) if (m.has(k)) return m.get(k)!;
  throw new DataError(
    `no ${kinds.join(" or ")} data found`,
    { file: path },
    `found: ${[...m.keys()].join(", ")}`,
  );
}

/** Turn a klines/OHLCV table into {@link MarketData} (sorted, de-duplicated; not yet validated). */
export function barsFromTable(
  table: TimeTable,
  options: LoadOptions = {},
): { market: MarketData; source: RowSource; dropped: number } {
  const tidy = tidyTable(table, options);
  const t = tidy.table;
  const interval = options.interval ?? t.interval;
  const intervalMs = interval ? intervalToMs(interval) : detectIntervalMs(t.time);
  if (!(intervalMs > 0)) {
    throw new DataError("cannot determine the bar interval (fewer than two bars?)", {
      file: t.source.files[0],
    }, "pass interval, e.g. 5m");
  }
  const c = t.columns;
  for (const k of ["open", "high", "low", "close", "volume"]) {
    if (!c[k]) {
      throw new DataError(`no ${k} column`, { file: t.source.files[0], column: k });
    }
  }
  return {
    market: {
      symbol: options.symbol ?? t.symbol ?? "UNKNOWN",
      interval: interval ?? msToInterval(intervalMs),
      intervalMs,
      time: t.time,
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
      volume: c.volume,
    },
    source: t.source,
    dropped: tidy.droppedIdentical + tidy.droppedConflicting,
  };
}

function openInterestFromTable(t: TimeTable, options: TidyOptions): TimeSeries {
  const tidy = tidyTable(t, options).table;
  const v = tidy.columns["sum_open_interest"];
  if (!v) {
    throw new DataError("metrics file has no sum_open_interest column", {
      file: tidy.source.files[0],
      column: "sum_open_interest",
    });
  }
  return { time: tidy.time, value: v };
}

function fundingFromTable(t: TimeTable, options: TidyOptions): TimeSeries {
  const tidy = tidyTable(t, options).table;
  return { time: tidy.time, value: tidy.columns["funding_rate"] };
}
