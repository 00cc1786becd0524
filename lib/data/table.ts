/**
 * Reading raw time-stamped tables from `.csv` / `.zip` files or folders of them, with the
 * format (Binance klines, metrics, fundingRate, or a generic OHLCV CSV) detected from the
 * header and the column count.
 *
 * Binance USDT-M public-archive formats:
 * - klines: `open_time,open,high,low,close,volume,close_time,quote_volume,count,
 *   taker_buy_volume,taker_buy_quote_volume,ignore` (older files have no header row);
 *   `open_time` is epoch ms of the bar open (µs is accepted too).
 * - metrics: `create_time,symbol,sum_open_interest,sum_open_interest_value,
 *   count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,count_long_short_ratio,
 *   sum_taker_long_short_vol_ratio`; `create_time` is `YYYY-MM-DD HH:MM:SS` UTC.
 * - fundingRate: `calc_time,funding_interval_hours,last_funding_rate`; `calc_time` is epoch ms
 *   of the settlement.
 * A generic funding CSV (`funding_time_ms` / `fundingTime` / `funding_time` + `funding_rate` /
 * `fundingRate`) is read as funding too.
 *
 * @module
 */
import { unzipSync } from "fflate";
import { DataError } from "../util/mod.ts";
import { type CsvText, parseCsv, parseNumberField, parseTimeColumn } from "./csv.ts";

/** Kind of a raw table. */
export type TableKind = "klines" | "metrics" | "funding" | "ohlcv";

/** Where each row came from: `files[fileIndex[i]]`, data row `row[i]` (1-based). */
export interface RowSource {
  /** Source file names (a zip member is written `archive.zip:member.csv`). */
  files: string[];
  /** Index into `files` per row. */
  fileIndex: Int32Array;
  /** 1-based data row (header excluded) per row. */
  row: Int32Array;
}

/**
 * A raw time-stamped table. `time` is UTC epoch ms: the bar OPEN for klines/ohlcv, the
 * snapshot instant (`create_time`) for metrics, the settlement instant for funding.
 */
export interface TimeTable {
  kind: TableKind;
  /** Symbol when the file says it (metrics `symbol` column or a Binance file name). */
  symbol?: string;
  /** Bar interval from a Binance kline file name (e.g. `BTCUSDT-5m-2024-01.zip`). */
  interval?: string;
  /** Name of the time column in the source. */
  timeColumn: string;
  time: Float64Array;
  /** Numeric columns by canonical name (empty fields are NaN). */
  columns: Record<string, Float64Array>;
  /** Columns present in the source (original names, time column first). */
  sourceColumns: string[];
  source: RowSource;
}

/** Column-name mapping for generic OHLCV CSVs (each entry: candidate names, case-insensitive). */
export interface OhlcvColumns {
  time?: string | string[];
  open?: string | string[];
  high?: string | string[];
  low?: string | string[];
  close?: string | string[];
  volume?: string | string[];
}

/** Options of {@link readTables}. */
export interface ReadTableOptions {
  /** Keep only tables of this kind (others in a folder are skipped). */
  kind?: TableKind;
  /** Generic OHLCV column names (defaults cover common spellings). */
  columns?: OhlcvColumns;
  /** Header handling: `"auto"` (default) detects it. */
  hasHeader?: boolean | "auto";
}

/** Column names of the Binance kline archive CSV, in file order. */
export const KLINE_COLUMNS = [
  "open_time",
  "open",
  "high",
  "low",
  "close",
  "volume",
  "close_time",
  "quote_volume",
  "count",
  "taker_buy_volume",
  "taker_buy_quote_volume",
  "ignore",
];

const DEFAULT_OHLCV: Required<Record<keyof OhlcvColumns, string[]>> = {
  time: [
    "open_time",
    "timestamp",
    "time",
    "datetime",
    "date",
    "open time",
    "opentime",
    "ts",
    "start_time",
  ],
  open: ["open", "o"],
  high: ["high", "h"],
  low: ["low", "l"],
  close: ["close", "c", "adj_close_unused"],
  volume: ["volume", "vol", "v", "base_volume"],
};

/**
 * Read one `.csv`/`.zip` file, a list of files, or every `.csv`/`.zip` under a folder (recursively; other
 * files such as `.CHECKSUM` are ignored) and return one merged table per kind found. Files
 * of one kind are concatenated in order of their first timestamp; rows are NOT sorted or
 * de-duplicated here (see {@link tidyTable}). Throws a {@link DataError} for an unreadable
 * zip, an unknown format or a bad value (naming file, row and column).
 */
export async function readTables(
  path: string | string[],
  options: ReadTableOptions = {},
): Promise<Map<TableKind, TimeTable>> {
  const files = Array.isArray(path) ? path : await listDataFiles(path);
  if (files.length === 0) {
    throw new DataError(
      `no .csv or .zip files found`,
      { file: String(path) },
      "point at a data file or a folder containing Binance archive zips/CSVs",
    );
  }
  const parts: TimeTable[] = [];
  for (const f of files) {
    for (const t of await readFileTables(f, options)) {
      if (!options.kind || t.kind === options.kind) parts.push(t);
    }
  }
  const byKind = new Map<TableKind, TimeTable[]>();
  for (const p of parts) {
    if (!byKind.has(p.kind)) byKind.set(p.kind, []);
    byKind.get(p.kind)!.push(p);
  }
  const out = new Map<TableKind, TimeTable>();
  for (const [k, list] of byKind) out.set(k, concatTables(list));
  if (options.kind && !out.has(options.kind)) {
    throw new DataError(
      `no ${options.kind} data found`,
      { file: String(path) },
      `found: ${[...new Set(parts.map((p) => p.kind))].join(", ") || "nothing readable"}`,
    );
  }
  return out;
}

/** Read one table of the given kind (or the only/first kind found) from a file or folder. */
export async function readTable(
  path: string | string[],
  options: ReadTableOptions = {},
): Promise<TimeTable> {
  const m = await readTables(path, options);
  if (options.kind) return m.get(options.kind)!;
  for (const k of ["klines", "ohlcv", "metrics", "funding"] as const) {
    if (m.has(k)) return m.get(k)!;
  }
  throw new DataError("no data found", { file: String(path) });
}

/** Every `.csv`/`.zip` file at `path` (a file, or a folder walked recursively), sorted by name. */
export async function listDataFiles(path: string): Promise<string[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new DataError(
      "file or folder not found",
      { file: path },
      "check the path (relative paths are resolved from the current directory)",
    );
  }
  if (info.isFile) return [path];
  const out: string[] = [];
  const walk = async (dir: string) => {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (/\.(csv|zip)$/i.test(e.name) && !e.name.startsWith(".")) out.push(p);
    }
  };
  await walk(path.replace(/\/+$/, ""));
  return out;
}

/** Extract the CSV members of a zip archive; a truncated or corrupt zip throws a DataError. */
export function unzipCsv(bytes: Uint8Array, file: string): { name: string; text: string }[] {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new DataError(
      `cannot read zip archive (${(e as Error).message}); it is truncated or corrupt`,
      { file },
      "delete it and download it again",
    );
  }
  const names = Object.keys(entries).filter((n) => /\.csv$/i.test(n)).sort();
  if (names.length === 0) {
    throw new DataError(
      "zip archive holds no .csv file",
      { file },
      `members: ${Object.keys(entries).join(", ") || "none"}`,
    );
  }
  const dec = new TextDecoder();
  return names.map((n) => ({ name: n, text: dec.decode(entries[n]) }));
}

async function readFileTables(file: string, options: ReadTableOptions): Promise<TimeTable[]> {
  if (/\.zip$/i.test(file)) {
    const bytes = await Deno.readFile(file);
    return unzipCsv(bytes, file).map((m) =>
      parseTableText(m.text, { ...options, file: `${file}:${m.name}` })
    );
  }
  return [parseTableText(await Deno.readTextFile(file), { ...options, file })];
}

/**
 * Parse CSV text of any supported format into a {@link TimeTable}. `file` is used in error
 * messages and for the symbol/interval hints of Binance file names.
 */
export function parseTableText(
  text: string,
  options: ReadTableOptions & { file?: string } = {},
): TimeTable {
  const file = options.file;
  const csv = parseCsv(text, { hasHeader: options.hasHeader ?? "auto", file });
  const base = baseName(file ?? "");
  const nameHint = /^([A-Z0-9]+)-(\d+[smhdwM])-\d{4}-\d{2}/.exec(base);
  const kind = detectKind(csv, base, options);
  const t = buildTable(csv, kind, file, options);
  if (nameHint) {
    t.symbol ??= nameHint[1];
    if (kind === "klines") t.interval = nameHint[2];
  } else {
    const sym = /^([A-Z0-9]+)-(metrics|fundingRate)-/.exec(base);
    if (sym) t.symbol ??= sym[1];
  }
  return t;
}

function detectKind(csv: CsvText, base: string, options: ReadTableOptions): TableKind {
  const h = csv.header?.map((x) => x.toLowerCase());
  if (h) {
    if (h.includes("create_time") && h.includes("sum_open_interest")) return "metrics";
    if (h.includes("calc_time") && h.includes("last_funding_rate")) return "funding";
    if (
      (h.includes("funding_rate") || h.includes("fundingrate")) &&
      !h.includes("open") && !h.includes("close")
    ) return "funding";
    if (h[0] === "open_time" && h.length >= 6 && h.includes("close_time")) return "klines";
    return "ohlcv";
  }
  const ncol = csv.rows[0]?.length ?? 0;
  if (ncol === 12 || (ncol >= 11 && /-\d+[smhdw]-\d{4}-\d{2}/.test(base))) return "klines";
  if (ncol >= 6 && !options.columns) return "ohlcv";
  return "ohlcv";
}

function buildTable(
  csv: CsvText,
  kind: TableKind,
  file: string | undefined,
  options: ReadTableOptions,
): TimeTable {
  const rows = csv.rows;
  const n = rows.length;
  let header = csv.header;
  if (!header) {
    if (kind === "klines") header = KLINE_COLUMNS.slice(0, rows[0]?.length ?? 12);
    else if ((rows[0]?.length ?? 0) >= 6) {
      header = ["time", "open", "high", "low", "close", "volume"];
      for (let j = 6; j < rows[0].length; j++) header.push(`col${j}`);
    } else {
      throw new DataError(
        `a CSV without a header needs ≥ 6 columns (time,open,high,low,close,volume), found ${
          rows[0]?.length ?? 0
        }`,
        { file, row: 1 },
        "add a header row naming the columns",
      );
    }
  }
  const lower = header.map((x) => x.toLowerCase());
  const find = (cands: string | string[] | undefined, fallback: string[]): number => {
    const list = cands === undefined ? fallback : Array.isArray(cands) ? cands : [cands];
    for (const c of list) {
      const j = lower.indexOf(c.toLowerCase());
      if (j >= 0) return j;
    }
    return -1;
  };
  let timeIdx: number;
  const colMap: [string, number][] = [];
  if (kind === "metrics") {
    timeIdx = lower.indexOf("create_time");
    for (let j = 0; j < header.length; j++) {
      if (j !== timeIdx && lower[j] !== "symbol") colMap.push([lower[j], j]);
    }
  } else if (kind === "funding") {
    timeIdx = find(undefined, [
      "calc_time",
      "funding_time_ms",
      "fundingtime",
      "funding_time",
      "time",
    ]);
    const rateIdx = find(undefined, ["last_funding_rate", "funding_rate", "fundingrate"]);
    if (rateIdx < 0) {
      throw new DataError(
        "funding file has no rate column",
        { file, column: "funding_rate" },
        `expected last_funding_rate or funding_rate; header: ${header.join(",")}`,
      );
    }
    colMap.push(["funding_rate", rateIdx]);
    for (let j = 0; j < header.length; j++) {
      if (j !== timeIdx && j !== rateIdx && isNumericColumn(rows, j)) colMap.push([lower[j], j]);
    }
  } else if (kind === "klines") {
    timeIdx = lower.indexOf("open_time");
    for (let j = 0; j < header.length; j++) {
      if (j !== timeIdx && lower[j] !== "ignore") colMap.push([lower[j], j]);
    }
  } else {
    const c = options.columns ?? {};
    timeIdx = find(c.time, DEFAULT_OHLCV.time);
    for (const k of ["open", "high", "low", "close", "volume"] as const) {
      const j = find(c[k], DEFAULT_OHLCV[k]);
      if (j < 0) {
        throw new DataError(
          `no "${k}" column`,
          { file, column: k },
          `header: ${header.join(",")}; pass column names (e.g. --columns ${k}=MyName)`,
        );
      }
      colMap.push([k, j]);
    }
    for (let j = 0; j < header.length; j++) {
      if (j !== timeIdx && !colMap.some(([, i]) => i === j) && isNumericColumn(rows, j)) {
        colMap.push([lower[j], j]);
      }
    }
  }
  if (timeIdx < 0) {
    throw new DataError(
      "no time column",
      { file },
      `header: ${header.join(",")}; name it open_time/timestamp/time/date or pass columns.time`,
    );
  }
  const timeRaw = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (r.length < header.length && !(kind === "klines" && r.length >= 11)) {
      throw new DataError(`row has ${r.length} fields, header has ${header.length}`, {
        file,
        row: i + 1,
      }, "the file is truncated or malformed");
    }
    timeRaw[i] = r[timeIdx];
  }
  const time = parseTimeColumn(timeRaw, { file, column: header[timeIdx] });
  const columns: Record<string, Float64Array> = {};
  for (const [name, j] of colMap) {
    const a = new Float64Array(n);
    const col = header[j];
    for (let i = 0; i < n; i++) {
      const s = rows[i][j] ?? "";
      const v = +s;
      a[i] = v === v && s.length > 0 ? v : parseNumberField(s, { file, row: i + 1, column: col });
    }
    columns[name] = a;
  }
  let symbol: string | undefined;
  const symIdx = lower.indexOf("symbol");
  if (symIdx >= 0 && n > 0) symbol = rows[0][symIdx];
  const source: RowSource = {
    files: [file ?? "<text>"],
    fileIndex: new Int32Array(n),
    row: Int32Array.from({ length: n }, (_, i) => i + 1),
  };
  return {
    kind,
    symbol,
    timeColumn: header[timeIdx],
    time,
    columns,
    sourceColumns: [header[timeIdx], ...colMap.map(([, j]) => header![j])],
    source,
  };
}

function isNumericColumn(rows: string[][], j: number): boolean {
  for (let i = 0; i < Math.min(rows.length, 20); i++) {
    const s = rows[i][j];
    if (s === undefined || s === "") continue;
    if (Number.isNaN(+s)) return false;
  }
  return true;
}

/** Concatenate tables of one kind, ordered by their first timestamp (stable for ties). */
export function concatTables(list: TimeTable[]): TimeTable {
  if (list.length === 1) return list[0];
  const order = list.map((t, i) => ({ t, i })).sort((a, b) =>
    (a.t.time[0] ?? Infinity) - (b.t.time[0] ?? Infinity) || a.i - b.i
  ).map((x) => x.t);
  const n = order.reduce((s, t) => s + t.time.length, 0);
  const names = [...new Set(order.flatMap((t) => Object.keys(t.columns)))];
  const time = new Float64Array(n);
  const columns: Record<string, Float64Array> = {};
  for (const c of names) columns[c] = new Float64Array(n).fill(NaN);
  const files: string[] = [];
  const fileIndex = new Int32Array(n);
  const row = new Int32Array(n);
  let o = 0;
  for (const t of order) {
    const m = t.time.length;
    time.set(t.time, o);
    for (const c of names) if (t.columns[c]) columns[c].set(t.columns[c], o);
    for (let i = 0; i < m; i++) {
      fileIndex[o + i] = files.length + t.source.fileIndex[i];
      row[o + i] = t.source.row[i];
    }
    files.push(...t.source.files);
    o += m;
  }
  const first = order[0];
  return {
    kind: first.kind,
    symbol: order.find((t) => t.symbol)?.symbol,
    interval: order.find((t) => t.interval)?.interval,
    timeColumn: first.timeColumn,
    time,
    columns,
    sourceColumns: [...new Set(order.flatMap((t) => t.sourceColumns))],
    source: { files, fileIndex, row },
  };
}

/** Options of {@link tidyTable}. */
export interface TidyOptions {
  /**
   * Rows out of time order INSIDE one file: `"error"` (default) throws naming file and row;
   * `"sort"` sorts them. Overlaps BETWEEN files (e.g. daily and monthly archives of the same
   * days) are always merged by sorting.
   */
  unsorted?: "error" | "sort";
  /**
   * Rows with the same time: identical rows are always collapsed into one; rows that differ
   * throw (`"error"`, default) or the later file/row wins (`"keep-last"`).
   */
  duplicates?: "error" | "keep-last";
}

/** Result of {@link tidyTable}: the table plus what was changed. */
export interface TidyResult {
  table: TimeTable;
  /** Identical duplicate rows removed. */
  droppedIdentical: number;
  /** Conflicting duplicate rows removed by `"keep-last"`. */
  droppedConflicting: number;
  /** Whether rows had to be reordered. */
  sorted: boolean;
}

/** Sort (across files) and de-duplicate a table so its times strictly increase. */
export function tidyTable(table: TimeTable, options: TidyOptions = {}): TidyResult {
  const { time, source } = table;
  const n = time.length;
  let needSort = false;
  for (let i = 1; i < n; i++) {
    if (time[i] < time[i - 1]) {
      needSort = true;
      if (source.fileIndex[i] === source.fileIndex[i - 1] && options.unsorted !== "sort") {
        throw new DataError(
          `time goes backwards: ${formatUtc(time[i])} after ${formatUtc(time[i - 1])} (row ${
            source.row[i - 1]
          })`,
          { file: source.files[source.fileIndex[i]], row: source.row[i], column: table.timeColumn },
          'sort the file by time, or load with unsorted: "sort"',
        );
      }
    }
  }
  let idx = Int32Array.from({ length: n }, (_, i) => i);
  if (needSort) idx.sort((a, b) => time[a] - time[b] || a - b);
  const names = Object.keys(table.columns);
  const keep: number[] = [];
  let droppedIdentical = 0;
  let droppedConflicting = 0;
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    const last = keep.length ? keep[keep.length - 1] : -1;
    if (last >= 0 && time[last] === time[i]) {
      const same = names.every((c) => Object.is(table.columns[c][last], table.columns[c][i]));
      if (same) {
        droppedIdentical++;
        continue;
      }
      if (options.duplicates === "keep-last") {
        keep[keep.length - 1] = i;
        droppedConflicting++;
        continue;
      }
      const diff = names.find((c) => !Object.is(table.columns[c][last], table.columns[c][i]))!;
      throw new DataError(
        `duplicated bar ${formatUtc(time[i])} with different values (also at ${
          source.files[source.fileIndex[last]]
        } row ${source.row[last]})`,
        { file: source.files[source.fileIndex[i]], row: source.row[i], column: diff },
        'remove one of the rows, or load with duplicates: "keep-last"',
      );
    }
    keep.push(i);
  }
  if (!needSort && keep.length === n) {
    return { table, droppedIdentical: 0, droppedConflicting: 0, sorted: false };
  }
  idx = Int32Array.from(keep);
  const take = (a: Float64Array) => {
    const o = new Float64Array(idx.length);
    for (let k = 0; k < idx.length; k++) o[k] = a[idx[k]];
    return o;
  };
  const columns: Record<string, Float64Array> = {};
  for (const c of names) columns[c] = take(table.columns[c]);
  const fi = new Int32Array(idx.length);
  const rw = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    fi[k] = source.fileIndex[idx[k]];
    rw[k] = source.row[idx[k]];
  }
  return {
    table: {
      ...table,
      time: take(time),
      columns,
      source: { files: source.files, fileIndex: fi, row: rw },
    },
    droppedIdentical,
    droppedConflicting,
    sorted: needSort,
  };
}

/** Format epoch ms as ISO-8601 UTC (or `"invalid"`). */
export function formatUtc(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : "invalid";
}

function baseName(p: string): string {
  const s = p.split(":").pop() ?? p;
  return s.split("/").pop() ?? s;
}
