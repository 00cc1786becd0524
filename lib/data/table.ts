/**
 * Reading raw time-stamped tables from `.csv` / `.zip` files or folders of them. Which
 * layout a file has (Binance klines / metrics / fundingRate archives, OHLCV, open-interest
 * and funding CSVs), which column is which and what its time stamp means is decided in ONE
 * place, `layouts.ts`; this module reads bytes, parses CSV and builds the table.
 *
 * @module
 */
import { unzipSync } from "fflate";
import { DataError, intervalToMs } from "../util/mod.ts";
import {
  type CsvText,
  type EpochUnit,
  parseCsv,
  parseNumberField,
  parseTimeColumn,
} from "./csv.ts";
import { baseName } from "./_names.ts";
import {
  type ColumnMapping,
  type DataKind,
  type DetectedLayout,
  detectLayout,
  type LayoutMatch,
  type TableKind,
  timeFormatOf,
} from "./layouts.ts";

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
 * snapshot instant for open interest, the settlement instant for funding (after the
 * layout's `at` rule, see `layouts.ts`).
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
  /**
   * Numeric columns by canonical name (empty fields are NaN): `open…volume` for bars,
   * `open_interest` (and the archive's `sum_open_interest`) for OI, `funding_rate` for
   * funding, plus the other numeric columns under their lower-cased source names.
   */
  columns: Record<string, Float64Array>;
  /** Columns present in the source (original names, time column first). */
  sourceColumns: string[];
  source: RowSource;
  /** The detected layout of each file (in `source.files` order). */
  layouts: DetectedLayout[];
}

/** Column-name mapping for generic OHLCV CSVs (each entry: candidate names, case-insensitive). */
export type OhlcvColumns = Pick<
  ColumnMapping,
  "time" | "open" | "high" | "low" | "close" | "volume" | "at" | "unit"
>;

/** Options of {@link readTables}. */
export interface ReadTableOptions {
  /** Keep only tables of this kind (others in a folder are skipped). */
  kind?: TableKind;
  /** Read every file as this kind of data (a file passed with `--oi` / `--funding`). */
  dataKind?: DataKind;
  /** Column mapping (of `dataKind`, or of bars when no kind is forced). */
  columns?: ColumnMapping;
  /** CLI flag carrying `columns`, for messages. Default `--columns`. */
  flag?: string;
  /** Header handling: `"auto"` (default) detects it. */
  hasHeader?: boolean | "auto";
  /** Bar interval, used to turn end-stamped bars (`at=end`) into open times. */
  interval?: string;
  /** See `DetectOptions.skipOtherKinds` (set by `readTables` for folders and lists). */
  skipOtherKinds?: boolean;
}

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
  const skip = files.length > 1 || !/\.csv$/i.test(files[0]);
  for (const f of files) {
    for (const t of await readFileTables(f, { ...options, skipOtherKinds: skip })) {
      if (options.kind && t.kind !== options.kind) continue;
      if (options.dataKind && t.layouts[0].kind !== options.dataKind) continue;
      parts.push(t);
    }
  }
  if (parts.length > 0 && parts.every((p) => p.time.length === 0)) {
    throw new DataError(
      "the file has a header but no data rows",
      { file: parts.length === 1 ? parts[0].source.files[0] : String(path) },
      "check that the download or export finished",
    );
  }
  const byKind = new Map<TableKind, TimeTable[]>();
  for (const p of parts) {
    if (!byKind.has(p.kind)) byKind.set(p.kind, []);
    byKind.get(p.kind)!.push(p);
  }
  const out = new Map<TableKind, TimeTable>();
  for (const [k, list] of byKind) out.set(k, concatTables(list));
  if (options.dataKind && parts.length === 0) {
    const what = { bars: "price bars", oi: "open-interest", funding: "funding" }[options.dataKind];
    throw new DataError(`no ${what} data found`, { file: String(path) });
  }
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
  for (const k of ["klines", "ohlcv", "metrics", "oi", "funding"] as const) {
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
  return [parseTableText(decodeText(await Deno.readFile(file), file), { ...options, file })];
}

/**
 * Decode a CSV file's bytes as UTF-8. A binary file (NUL bytes or invalid UTF-8 in the first
 * 64 KiB, e.g. a Parquet or zip file with the wrong extension) throws a short
 * {@link DataError} that never echoes the bytes.
 */
export function decodeText(bytes: Uint8Array, file: string): string {
  const head = bytes.subarray(0, 65536);
  let binary = head.includes(0);
  if (!binary) {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(0, safeCut(head)));
    } catch {
      binary = true;
    }
  }
  if (binary) {
    const magic = bytes[0] === 0x50 && bytes[1] === 0x4b
      ? " (it looks like a zip archive: name it .zip)"
      : bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31
      ? " (it looks like a Parquet file: name it .parquet)"
      : "";
    throw new DataError(
      `not a text CSV file: binary content${magic}`,
      { file },
      "pass a .csv, .zip or .parquet file",
    );
  }
  return new TextDecoder().decode(bytes);
}

/** Length of `b` without a trailing incomplete UTF-8 sequence (so a cut never looks invalid). */
function safeCut(b: Uint8Array): number {
  let i = b.length;
  let k = 0;
  while (i > 0 && k < 4 && (b[i - 1] & 0xc0) === 0x80) {
    i--;
    k++;
  }
  if (i > 0 && b[i - 1] >= 0xc0) return i - 1;
  return b.length;
}

/**
 * Parse CSV text of any supported format into a {@link TimeTable}: detect the layout
 * (`layouts.ts`), map its columns to canonical names, parse the time column (epoch unit or
 * ISO, then the layout's `at` rule). `file` names the source in errors and gives the
 * symbol/interval hints of Binance file names.
 */
export function parseTableText(
  text: string,
  options: ReadTableOptions & { file?: string } = {},
): TimeTable {
  const file = options.file ?? "<text>";
  const csv = parseCsv(text, { hasHeader: options.hasHeader ?? "auto", file });
  if (csv.rows.length === 0 && !csv.header) {
    throw new DataError(
      "the file is empty",
      { file },
      "check that the download or export finished",
    );
  }
  const base = baseName(file);
  const nameHint = /^([A-Z0-9]+)-(\d+[smhdwM])-\d{4}-\d{2}/.exec(base);
  const m = detectLayout(
    { header: csv.header, ncols: csv.rows[0]?.length ?? csv.header!.length, file },
    {
      kind: options.dataKind,
      columns: options.columns,
      flag: options.flag,
      skipOtherKinds: options.skipOtherKinds,
    },
  );
  const interval = options.interval ?? (m.spec.tableKind === "klines" ? nameHint?.[2] : undefined);
  const t = buildTable(csv, m, file, interval, options.columns?.unit);
  if (nameHint) {
    t.symbol ??= nameHint[1];
    if (m.spec.tableKind === "klines") t.interval = nameHint[2];
  } else {
    const sym = /^([A-Z0-9]+)-(metrics|fundingRate)-/.exec(base);
    if (sym) t.symbol ??= sym[1];
  }
  return t;
}

function buildTable(
  csv: CsvText,
  m: LayoutMatch,
  file: string,
  interval: string | undefined,
  unit: EpochUnit | undefined,
): TimeTable {
  const rows = csv.rows;
  const n = rows.length;
  const { header, timeIdx, spec } = m;
  const timeRaw = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (r.length < header.length && !(spec.tableKind === "klines" && r.length >= 11)) {
      throw new DataError(`row has ${r.length} fields, header has ${header.length}`, {
        file,
        row: i + 1,
      }, "the file is truncated or malformed");
    }
    timeRaw[i] = r[timeIdx];
  }
  const time = parseTimeColumn(timeRaw, { file, column: header[timeIdx] }, unit);
  shiftStamps(time, m, interval, file);
  const columns: Record<string, Float64Array> = {};
  const parsed = new Map<number, Float64Array>();
  const mapped: Record<string, string> = {};
  for (const [name, j] of m.columns) {
    const required = name in spec.values || Object.values(spec.aliases ?? {}).includes(name);
    if (!required && !isNumericColumn(rows, j)) continue;
    let a = parsed.get(j);
    if (!a) {
      a = new Float64Array(n);
      const col = header[j];
      for (let i = 0; i < n; i++) {
        const s = rows[i][j] ?? "";
        const v = +s;
        a[i] = v === v && s.length > 0 ? v : parseNumberField(s, { file, row: i + 1, column: col });
      }
      parsed.set(j, a);
    }
    columns[name] = a;
    if (name in spec.values) mapped[name] = header[j];
  }
  let symbol: string | undefined;
  const symIdx = header.findIndex((h) => h.trim().toLowerCase() === "symbol");
  if (symIdx >= 0 && n > 0) symbol = rows[0][symIdx];
  const source: RowSource = {
    files: [file],
    fileIndex: new Int32Array(n),
    row: Int32Array.from({ length: n }, (_, i) => i + 1),
  };
  const layout: DetectedLayout = {
    file,
    layout: spec.id,
    label: spec.label,
    kind: spec.kind,
    tableKind: spec.tableKind,
    header: csv.header !== null,
    timeColumn: header[timeIdx],
    timeFormat: timeFormatOf(timeRaw[0], unit),
    at: m.at,
    columns: mapped,
    userMapping: m.userMapping,
  };
  const seen = new Set<number>();
  const srcCols = [header[timeIdx]];
  for (const [name, j] of m.columns) {
    if (columns[name] && !seen.has(j)) {
      seen.add(j);
      srcCols.push(header[j]);
    }
  }
  return {
    kind: spec.tableKind,
    symbol,
    timeColumn: header[timeIdx],
    time,
    columns,
    sourceColumns: srcCols,
    source,
    layouts: [layout],
  };
}

/** Apply the layout's `at` rule in place (see `layouts.ts`). */
function shiftStamps(
  time: Float64Array,
  m: LayoutMatch,
  interval: string | undefined,
  file: string,
): void {
  const n = time.length;
  if (m.spec.kind === "bars") {
    if (m.at !== "end") return;
    const step = interval ? intervalToMs(interval) : typicalStep(time);
    if (!(step > 0)) {
      throw new DataError("cannot turn bar END stamps into open times: interval unknown", {
        file,
      }, "pass --interval (e.g. 5m)");
    }
    // Binance-style close_time = open + interval − 1 ms.
    const inclusive = n > 0 && ((time[0] + 1) % step === 0) && time[0] % step !== 0;
    for (let i = 0; i < n; i++) time[i] = time[i] + (inclusive ? 1 : 0) - step;
    return;
  }
  if (m.at !== "open") return;
  const step = typicalStep(time);
  if (!(step > 0)) {
    throw new DataError("cannot shift period-start stamps: fewer than two rows", { file });
  }
  for (let i = 0; i < n; i++) time[i] += step;
}

/** Median positive spacing of a (mostly sorted) time column, ms; 0 when unknown. */
function typicalStep(t: ArrayLike<number>): number {
  const d: number[] = [];
  const step = Math.max(1, Math.floor(t.length / 2000));
  for (let i = step; i < t.length; i += step) {
    const x = t[i] - t[i - 1];
    if (x > 0) d.push(x);
  }
  if (d.length === 0) return 0;
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)];
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
    layouts: order.flatMap((t) => t.layouts),
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
