/**
 * Loading as ONE one-way pass: detect the layout → read → map columns → tidy → validate →
 * align. Bars come from `data`; open interest and funding from their own files (`oi`,
 * `funding`, each with its own column mapping) or, for compatibility, from files of those
 * kinds found next to the bars in a folder. The detected layouts, the mapping, the funding
 * units, the validation report and the alignment summary come out together in one
 * {@link LoadedDataset}.
 *
 * Each stage runs once per kind and in this order (recorded in `stages`):
 * 1. detect + read + map (`table.ts` with `layouts.ts`): every file's layout is detected and
 *    its columns mapped to canonical names while it is parsed;
 * 2. tidy (`tidyTable`): sort across files, collapse identical duplicates, per kind;
 * 3. funding units (`funding.ts`): interval detected, `fundingScale` applied, magnitudes
 *    checked;
 * 4. validate (`validateMarketData`): the bars, once; error-level issues throw;
 * 5. align (`alignAsOfWithSummary`): OI and funding as-of onto the bars;
 * 6. gaps: kept (default), rejected or filled (`fillGaps`).
 *
 * @module
 */
import { intervalToMs, msToInterval } from "../util/mod.ts";
import { DataError } from "../util/mod.ts";
import { alignAsOfWithSummary, type AlignOptions, type AlignSummary } from "./align.ts";
import {
  checkFundingScale,
  checkFundingUnits,
  type FundingUnits,
  scaleFunding,
} from "./funding.ts";
import type { ColumnMapping, DataKind, DetectedLayout } from "./layouts.ts";
import type { MarketData } from "./market_data.ts";
import { readMarketDataParquet } from "./polars_io.ts";
import {
  generateSyntheticMarket,
  parseSyntheticSource,
  type SyntheticOptions,
} from "./synthetic.ts";
import {
  readTables,
  type RowSource,
  type TidyOptions,
  tidyTable,
  type TimeTable,
} from "./table.ts";
import {
  assertValid,
  detectIntervalMs,
  fillGaps,
  validateMarketData,
  type ValidationReport,
} from "./validate.ts";

/** Where the data comes from: bars plus optional open interest and funding files. */
export interface DatasetSources {
  /** Bars: `"synthetic"` (or `"synthetic:<preset>"`, e.g. `synthetic:learning`), a `.parquet` cache, a `.csv`/`.zip` file, a list or a folder. */
  data: string | string[];
  /** Open-interest file(s) (any layout of `layouts.ts`), e.g. a `t,oi,oi_usd` CSV. */
  oi?: string | string[];
  /** Funding file(s), e.g. a `timestamp_ms,funding_rate` CSV. */
  funding?: string | string[];
}

/** Options of {@link loadDataset}. */
export interface DatasetOptions extends TidyOptions, AlignOptions {
  /** Symbol name; default from the file (Binance file name or `symbol` column) or `"UNKNOWN"`. */
  symbol?: string;
  /** Bar interval (e.g. `"5m"`); default from the Binance file name, else the common spacing. */
  interval?: string;
  /** Column mapping of the bars (`--columns`). */
  columns?: ColumnMapping;
  /** Column mapping of the open-interest file (`--oi-columns`). */
  oiColumns?: ColumnMapping;
  /** Column mapping of the funding file (`--funding-columns`). */
  fundingColumns?: ColumnMapping;
  /**
   * Multiply the funding file's rates by this (`--funding-scale`), e.g. 8 for a file that
   * stores the 8-hour rate divided by 8. Default 1.
   */
  fundingScale?: number;
  /** Gap policy: `"keep"` (default, reported), `"reject"` (throw) or `"fill"` (flat bars). */
  gaps?: "keep" | "reject" | "fill";
  /** Max bars filled per gap with `gaps: "fill"`. Default Infinity. */
  maxFill?: number;
  /** Options of the synthetic market when `data` is `"synthetic"`. */
  synthetic?: SyntheticOptions;
  /** Use OI / funding files found in the bars' folder (default true; ignored when given). */
  withOpenInterest?: boolean;
  withFunding?: boolean;
}

/** Everything one load produced. */
export interface LoadedDataset {
  /** What `data` was (path(s) joined, or `"synthetic"`). */
  source: string;
  /** Validated bars with OI and funding aligned (gaps handled per `gaps`). */
  market: MarketData;
  /** Detected layout of every file read, per kind. */
  layouts: Record<DataKind, DetectedLayout[]>;
  /** Validation report of the bars (before gap filling). */
  report: ValidationReport;
  /** Alignment summary when OI or funding were joined. */
  alignment?: AlignSummary;
  /** Funding interval and units check, when funding was loaded. */
  funding?: FundingUnits;
  /** Identical (or, with `duplicates: "keep-last"`, conflicting) duplicate bars dropped. */
  droppedDuplicates: number;
  /** Row provenance of the bars (before gap filling). */
  rowSource?: RowSource;
  /** Warnings a CLI should print (funding units, …), each naming its file. */
  warnings: string[];
  /** The stages run, in order (for tests and the loading-walk report). */
  stages: string[];
}

/**
 * Load bars, open interest and funding in one pass (see the module documentation).
 * Throws a {@link DataError} naming file, row and column on bad input, and a ConfigError on
 * a bad option (e.g. `fundingScale ≤ 0`).
 */
export async function loadDataset(
  sources: DatasetSources | string,
  options: DatasetOptions = {},
): Promise<LoadedDataset> {
  const src: DatasetSources = typeof sources === "string" ? { data: sources } : sources;
  if (options.fundingScale !== undefined) checkFundingScale(options.fundingScale);
  const stages: string[] = [];
  const warnings: string[] = [];
  const layouts: Record<DataKind, DetectedLayout[]> = { bars: [], oi: [], funding: [] };
  const sourceName = Array.isArray(src.data) ? src.data.join(",") : src.data;

  // 1. detect + read + map.
  let bars: MarketData;
  let rowSource: RowSource | undefined;
  let droppedDuplicates = 0;
  let folderOi: TimeTable | undefined;
  let folderFunding: TimeTable | undefined;
  const syn = typeof src.data === "string" ? parseSyntheticSource(src.data) : null;
  if (syn) {
    bars = generateSyntheticMarket({ ...options.synthetic, preset: syn.preset });
    stages.push(`generate:synthetic:${syn.preset}`);
  } else if (typeof src.data === "string" && /\.parquet$/i.test(src.data)) {
    bars = readMarketDataParquet(src.data, { symbol: options.symbol, interval: options.interval });
    stages.push("read:parquet");
  } else {
    const tables = await readTables(src.data, {
      columns: options.columns,
      interval: options.interval,
    });
    stages.push("detect+read+map:bars");
    const t = tables.get("klines") ?? tables.get("ohlcv");
    if (!t) {
      const found = [...tables.values()].flatMap((x) => x.layouts.map((l) => l.label));
      throw new DataError(
        `no price bars (klines/OHLCV) found, only: ${[...new Set(found)].join(", ")}`,
        { file: sourceName },
        "pass the bars with --data and open interest / funding with --oi / --funding " +
          "(or name the bar columns with --columns open=…,close=…)",
      );
    }
    layouts.bars.push(...t.layouts);
    folderOi = tables.get("metrics") ?? tables.get("oi");
    folderFunding = tables.get("funding");
    // 2. tidy (bars).
    const tidy = tidyTable(t, options);
    stages.push("tidy:bars");
    droppedDuplicates = tidy.droppedIdentical + tidy.droppedConflicting;
    bars = barsFromTidyTable(tidy.table, options);
    rowSource = tidy.table.source;
  }
  const oiTable = src.oi
    ? await readKind(src.oi, "oi", options.oiColumns, "--oi-columns")
    : options.withOpenInterest === false
    ? undefined
    : folderOi;
  const fTable = src.funding
    ? await readKind(src.funding, "funding", options.fundingColumns, "--funding-columns")
    : options.withFunding === false
    ? undefined
    : folderFunding;
  if (src.oi) stages.push("detect+read+map:oi");
  if (src.funding) stages.push("detect+read+map:funding");
  if (oiTable) layouts.oi.push(...oiTable.layouts);
  if (fTable) layouts.funding.push(...fTable.layouts);

  // 2. tidy (OI, funding).
  const oiSeries = oiTable
    ? seriesOf(tidyTable(oiTable, options).table, "open_interest")
    : undefined;
  if (oiTable) stages.push("tidy:oi");
  let fundingSeries = fTable
    ? seriesOf(tidyTable(fTable, options).table, "funding_rate")
    : undefined;
  if (fTable) stages.push("tidy:funding");

  // 3. funding units.
  let funding: FundingUnits | undefined;
  if (fundingSeries && fTable) {
    const scale = options.fundingScale ?? 1;
    fundingSeries = scaleFunding(fundingSeries, scale);
    funding = checkFundingUnits(fundingSeries, { file: fTable.source.files.join(", "), scale });
    if (funding.warning) warnings.push(funding.warning);
    stages.push("funding-units");
  }

  // 4. validate (bars, once).
  const report = validateMarketData(bars, {
    source: rowSource,
    file: rowSource ? undefined : sourceName,
  });
  assertValid(report);
  stages.push("validate:bars");
  if (options.gaps === "reject" && report.gaps.count > 0) {
    const g = report.gaps.where[0];
    throw new DataError(
      `${report.gaps.count} gap(s), ${report.gaps.missingBars} missing bar(s); first: ${g.missingBars} bar(s) missing between ${g.after} and ${g.before}`,
      rowSource
        ? {
          file: rowSource.files[rowSource.fileIndex[g.index]],
          row: rowSource.row[g.index],
          column: "time",
        }
        : { row: g.index + 1, column: "time" },
      'fill them (gaps: "fill") or use data without gaps',
    );
  }

  // 5. align.
  let market = bars;
  let alignment: AlignSummary | undefined;
  if (oiSeries || fundingSeries) {
    const a = alignAsOfWithSummary(
      market,
      { openInterest: oiSeries, funding: fundingSeries },
      options,
    );
    market = a.market;
    alignment = a.summary;
    if (funding && funding.intervalMs > 0) market.fundingIntervalMs = funding.intervalMs;
    stages.push("align");
  }

  // 6. gaps.
  if (options.gaps === "fill" && report.gaps.count > 0) {
    const fi = market.fundingIntervalMs;
    market = fillGaps(market, { maxFill: options.maxFill });
    if (fi !== undefined) market.fundingIntervalMs = fi;
    stages.push("fill-gaps");
  }
  if (options.symbol) market.symbol = options.symbol;
  return {
    source: sourceName,
    market,
    layouts,
    report,
    alignment,
    funding,
    droppedDuplicates,
    rowSource,
    warnings,
    stages,
  };
}

async function readKind(
  path: string | string[],
  kind: DataKind,
  columns: ColumnMapping | undefined,
  flag: string,
): Promise<TimeTable> {
  const m = await readTables(path, { dataKind: kind, columns, flag });
  const t = [...m.values()];
  return t.length === 1 ? t[0] : t.reduce((a, b) => (a.time.length >= b.time.length ? a : b));
}

function seriesOf(t: TimeTable, column: string): { time: Float64Array; value: Float64Array } {
  const v = t.columns[column];
  if (!v) {
    throw new DataError(`no ${column} column`, { file: t.source.files[0], column });
  }
  return { time: t.time, value: v };
}

/** Bars of a TIDY klines/OHLCV table as {@link MarketData} (not yet validated). */
export function barsFromTidyTable(
  t: TimeTable,
  options: { symbol?: string; interval?: string } = {},
): MarketData {
  const interval = options.interval ?? t.interval;
  const intervalMs = interval ? intervalToMs(interval) : detectIntervalMs(t.time);
  if (!(intervalMs > 0)) {
    throw new DataError("cannot determine the bar interval (fewer than two bars?)", {
      file: t.source.files[0],
    }, "pass interval, e.g. --interval 5m");
  }
  const c = t.columns;
  for (const k of ["open", "high", "low", "close", "volume"]) {
    if (!c[k]) throw new DataError(`no ${k} column`, { file: t.source.files[0], column: k });
  }
  return {
    symbol: options.symbol ?? t.symbol ?? "UNKNOWN",
    interval: interval ?? msToInterval(intervalMs),
    intervalMs,
    time: t.time,
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: c.volume,
  };
}
