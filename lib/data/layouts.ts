/**
 * The ONE place that knows file layouts: which header (or column count) means which kind of
 * data, which source column feeds which canonical column, and what the time stamp means.
 * Supporting a new layout means adding one entry to {@link LAYOUTS}.
 *
 * Kinds and canonical columns:
 * - `bars` (klines / OHLCV): `open, high, low, close, volume`; time = bar OPEN after mapping.
 * - `oi` (open interest): `open_interest` (contracts / base units); time = the snapshot
 *   instant, i.e. the END of the period the row describes.
 * - `funding`: `funding_rate` (fraction per settlement); time = the settlement instant.
 *
 * Time stamps (rule, also in {@link describeLayout}): a numeric time column is an epoch whose
 * unit is taken from the magnitude of its first value (`< 1e11` seconds, `< 1e14`
 * milliseconds, `< 1e17` microseconds, else nanoseconds: unambiguous for dates between 1973
 * and 5138) and every row must agree; anything else is ISO-8601 (`YYYY-MM-DD[ T]HH:MM[:SS]`
 * with an optional `Z`/`UTC`/`±HH[:MM]` offset; no offset means UTC). `at` says what the
 * stamp marks: for bars `open` (default) or `end` (the bar's close; Binance-style
 * `close_time = open + interval − 1 ms` is accepted); for OI and funding `end` (default: the
 * snapshot / settlement instant) or `open` (start of the period: shifted by one typical
 * spacing to the instant the value became true).
 *
 * @module
 */
import { ConfigError, DataError } from "../util/mod.ts";
import { baseName } from "./_names.ts";
import { detectEpochUnit, type EpochUnit, isNumeric } from "./csv.ts";

/** What a file holds. */
export type DataKind = "bars" | "oi" | "funding";

/** Legacy table kinds (`readTables` map keys). `oi` is a generic open-interest CSV. */
export type TableKind = "klines" | "metrics" | "funding" | "ohlcv" | "oi";

/** What a time stamp marks: the start (`open`) or the end (`end`) of the row's period. */
export type TimeAt = "open" | "end";

/**
 * A user's column mapping for one kind (the CLI's `--columns`, `--oi-columns`,
 * `--funding-columns`; e.g. `time=t,oi=oi,at=end`). Each column entry is a source column
 * name or a list of candidates (case-insensitive).
 */
export interface ColumnMapping {
  /** Time column. */
  time?: string | string[];
  /** What the time stamp marks (see the module documentation). */
  at?: TimeAt;
  /** Epoch unit of a numeric time column (default: detected from the magnitude). */
  unit?: EpochUnit;
  /** Bars: price and volume columns. */
  open?: string | string[];
  high?: string | string[];
  low?: string | string[];
  close?: string | string[];
  volume?: string | string[];
  /** Open interest value column (contracts / base units). */
  oi?: string | string[];
  /** Funding rate column (fraction per settlement). */
  rate?: string | string[];
}

/** The keys a {@link ColumnMapping} accepts per kind (for CLI flag validation). */
export const MAPPING_KEYS: Readonly<Record<DataKind, readonly string[]>> = {
  bars: ["time", "at", "unit", "open", "high", "low", "close", "volume"],
  oi: ["time", "at", "unit", "oi"],
  funding: ["time", "at", "unit", "rate"],
};

/** One known layout. */
export interface LayoutSpec {
  /** Stable id, e.g. `"binance-klines"`. */
  id: string;
  /** Human name, e.g. `"Binance kline archive CSV"`. */
  label: string;
  kind: DataKind;
  tableKind: TableKind;
  /** Does a (lower-cased) header belong to this layout? */
  matchHeader(h: string[]): boolean;
  /** Column names for a file WITHOUT a header (null: the layout always has one). */
  headerless?(ncols: number, base: string): string[] | null;
  /** Time column candidates. */
  time: string[];
  /** Canonical value column → candidates (all required). */
  values: Record<string, string[]>;
  /** Default stamp meaning. */
  at: TimeAt;
  /** Keep the other numeric columns under their lower-cased names. */
  keepOthers: boolean;
  /** Extra canonical aliases kept for compatibility (canonical → legacy name). */
  aliases?: Record<string, string>;
}

/** Column names of the Binance kline archive CSV, in file order. */
export const KLINE_COLUMNS: readonly string[] = [
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

const OHLCV_TIME = [
  "open_time",
  "timestamp",
  "time",
  "datetime",
  "date",
  "open time",
  "opentime",
  "ts",
  "t",
  "start_time",
  "timestamp_ms",
];
const OI_NAMES = [
  "oi",
  "open_interest",
  "openinterest",
  "sum_open_interest",
  "sumopeninterest",
  "oi_contracts",
];
const RATE_NAMES = ["funding_rate", "fundingrate", "last_funding_rate", "rate", "funding"];
const EVENT_TIME = [
  "timestamp_ms",
  "timestamp",
  "time",
  "t",
  "ts",
  "datetime",
  "date",
  "create_time",
  "calc_time",
  "funding_time_ms",
  "fundingtime",
  "funding_time",
];
const has = (h: string[], names: string[]) => names.some((n) => h.includes(n));
const isBarsHeader = (h: string[]) => h.includes("open") && h.includes("close");

/**
 * Known layouts, most specific first. Detection takes the first whose header matches
 * (restricted to one kind when the kind is known, e.g. a file passed with `--oi`).
 */
export const LAYOUTS: readonly LayoutSpec[] = [
  {
    id: "binance-klines",
    label: "Binance kline archive CSV",
    kind: "bars",
    tableKind: "klines",
    matchHeader: (h) => h[0] === "open_time" && h.length >= 6 && h.includes("close_time"),
    headerless: (ncols, base) =>
      ncols === 12 || (ncols >= 11 && /-\d+[smhdw]-\d{4}-\d{2}/.test(base))
        ? KLINE_COLUMNS.slice(0, ncols)
        : null,
    time: ["open_time"],
    values: {
      open: ["open"],
      high: ["high"],
      low: ["low"],
      close: ["close"],
      volume: ["volume"],
    },
    at: "open",
    keepOthers: true,
  },
  {
    id: "binance-metrics",
    label: "Binance metrics archive CSV (open interest)",
    kind: "oi",
    tableKind: "metrics",
    matchHeader: (h) => h.includes("create_time") && h.includes("sum_open_interest"),
    time: ["create_time"],
    values: { open_interest: ["sum_open_interest"] },
    at: "end",
    keepOthers: true,
    aliases: { open_interest: "sum_open_interest" },
  },
  {
    id: "binance-funding",
    label: "Binance fundingRate archive CSV",
    kind: "funding",
    tableKind: "funding",
    matchHeader: (h) => h.includes("calc_time") && h.includes("last_funding_rate"),
    time: ["calc_time"],
    values: { funding_rate: ["last_funding_rate"] },
    at: "end",
    keepOthers: true,
  },
  {
    id: "funding-csv",
    label: "funding CSV (time, rate)",
    kind: "funding",
    tableKind: "funding",
    matchHeader: (h) => has(h, RATE_NAMES) && !isBarsHeader(h),
    time: ["funding_time_ms", "fundingtime", "funding_time", ...EVENT_TIME],
    values: { funding_rate: RATE_NAMES },
    at: "end",
    keepOthers: true,
  },
  {
    id: "oi-csv",
    label: "open-interest CSV (time, oi)",
    kind: "oi",
    tableKind: "oi",
    matchHeader: (h) => has(h, OI_NAMES) && !isBarsHeader(h),
    time: EVENT_TIME,
    values: { open_interest: OI_NAMES },
    at: "end",
    keepOthers: true,
  },
  {
    id: "ohlcv-csv",
    label: "OHLCV CSV",
    kind: "bars",
    tableKind: "ohlcv",
    matchHeader: () => true,
    headerless: (ncols) => {
      if (ncols < 6) return null;
      const h = ["time", "open", "high", "low", "close", "volume"];
      for (let j = 6; j < ncols; j++) h.push(`col${j}`);
      return h;
    },
    time: OHLCV_TIME,
    values: {
      open: ["open", "o"],
      high: ["high", "h"],
      low: ["low", "l"],
      close: ["close", "c"],
      volume: ["volume", "vol", "v", "base_volume"],
    },
    at: "open",
    keepOthers: true,
  },
];

/** The layout found for one file, with the resolved column mapping. */
export interface DetectedLayout {
  /** The file (a zip member is `archive.zip:member.csv`). */
  file: string;
  /** Layout id, e.g. `"oi-csv"`. */
  layout: string;
  /** Human name of the layout. */
  label: string;
  kind: DataKind;
  tableKind: TableKind;
  /** Whether the file has a header row. */
  header: boolean;
  /** Source time column. */
  timeColumn: string;
  /** `"epoch s" | "epoch ms" | "epoch us" | "epoch ns" | "iso"`, from the first row. */
  timeFormat: string;
  /** What the stamp marks. */
  at: TimeAt;
  /** Canonical column → source column. */
  columns: Record<string, string>;
  /** True when the user's mapping chose at least one column or `at`. */
  userMapping: boolean;
}

/** One line describing a detected layout, e.g. for `data:inspect` and train logs. */
export function describeLayout(d: DetectedLayout): string {
  const stamp = d.kind === "bars"
    ? (d.at === "open" ? "bar open" : "bar end")
    : d.at === "end"
    ? (d.kind === "oi" ? "snapshot instant = period end" : "settlement instant")
    : "period start (shifted by one spacing)";
  const cols = Object.entries(d.columns).map(([k, v]) => (k === v ? k : `${k}←${v}`)).join(
    ", ",
  );
  return `${d.label}${
    d.header ? "" : " without header"
  }: time ${d.timeColumn} = ${d.timeFormat}, ${stamp}; ${cols}${
    d.userMapping ? " (--columns)" : ""
  }`;
}

/** What {@link detectLayout} needs to know about a parsed CSV. */
export interface LayoutProbe {
  /** Header row (original spelling), or null. */
  header: string[] | null;
  /** Number of fields of the first data row. */
  ncols: number;
  /** First data row's time field is read later; this is the file name for messages. */
  file: string;
}

/** Options of {@link detectLayout}. */
export interface DetectOptions {
  /** Restrict to one kind (the file was passed as `--oi`, `--funding` or `--data`). */
  kind?: DataKind;
  /** The user's mapping for that kind. */
  columns?: ColumnMapping;
  /** Name of the CLI flag carrying the mapping, for messages. Default `--columns`. */
  flag?: string;
  /**
   * With `kind`: a header that clearly belongs to a layout of ANOTHER kind returns that
   * layout (the caller skips the file) instead of forcing `kind` on it. Used for folders
   * holding klines, metrics and funding side by side.
   */
  skipOtherKinds?: boolean;
}

/** Result of {@link detectLayout}: the spec, the (possibly synthesised) header and indices. */
export interface LayoutMatch {
  spec: LayoutSpec;
  /** Header used (the file's, or the layout's names for a headerless file). */
  header: string[];
  /** Index of the time column. */
  timeIdx: number;
  /** Canonical name → column index (required values and, with keepOthers, the rest). */
  columns: [string, number][];
  at: TimeAt;
  userMapping: boolean;
}

/**
 * Detect the layout of a parsed CSV and resolve its columns. Throws a {@link DataError}
 * naming the file, the header and the flag to pass when a required column is missing.
 */
export function detectLayout(probe: LayoutProbe, options: DetectOptions = {}): LayoutMatch {
  const { file } = probe;
  const base = baseName(file);
  const map = options.columns ?? {};
  const flag = options.flag ?? "--columns";
  checkMapping(map, options.kind, flag);
  let candidates = LAYOUTS.filter((l) => !options.kind || l.kind === options.kind);
  let spec: LayoutSpec | undefined;
  let header = probe.header;
  if (options.kind) {
    const lower = header?.map((x) => x.trim().toLowerCase());
    const any = lower
      ? LAYOUTS.find((l) => l.matchHeader(lower))
      : LAYOUTS.find((l) => l.headerless?.(probe.ncols, base));
    const clearly = any && any.kind !== options.kind &&
      (any.id !== "ohlcv-csv" || (lower !== undefined && isBarsHeader(lower)));
    if (clearly && options.skipOtherKinds) candidates = [any];
    else if (clearly && !hasMappingFor(map, options.kind)) {
      const names = { bars: "price bars", oi: "open interest", funding: "funding" };
      const flags = { bars: "--data", oi: "--oi", funding: "--funding" };
      throw new DataError(
        `this looks like a ${any.label} (${names[any.kind]}), not ${names[options.kind]}`,
        { file },
        `pass it with ${flags[any.kind]}, or name the columns with ${flag}`,
      );
    }
  }
  if (header) {
    const lower = header.map((x) => x.trim().toLowerCase());
    spec = candidates.find((l) => l.matchHeader(lower));
    // Header of another kind passed as this kind: fall back to the generic layout of the kind,
    // which the user's mapping can then complete.
    spec ??= candidates[candidates.length - 1];
  } else {
    for (const l of candidates) {
      const h = l.headerless?.(probe.ncols, base);
      if (h) {
        spec = l;
        header = h;
        break;
      }
    }
    if (!spec || !header) {
      const what = options.kind === "oi"
        ? "time,oi"
        : options.kind === "funding"
        ? "time,funding_rate"
        : "time,open,high,low,close,volume (≥ 6 columns)";
      throw new DataError(
        `a CSV without a header row is only understood as Binance klines or ${what}; found ${probe.ncols} column(s)`,
        { file, row: 1 },
        "add a header row naming the columns",
      );
    }
  }
  const lower = header.map((x) => x.trim().toLowerCase());
  const find = (cands: string | string[] | undefined, fallback: string[]): number => {
    const list = cands === undefined ? fallback : Array.isArray(cands) ? cands : [cands];
    for (const c of list) {
      const j = lower.indexOf(c.toLowerCase());
      if (j >= 0) return j;
    }
    return -1;
  };
  const timeIdx = find(map.time, spec.time);
  if (timeIdx < 0) {
    throw new DataError(
      map.time ? `time column "${String(map.time)}" not found` : "no time column",
      { file },
      `header: ${header.join(",")}; pass ${flag} time=<name>`,
    );
  }
  const userKey: Record<string, keyof ColumnMapping> = {
    open_interest: "oi",
    funding_rate: "rate",
    open: "open",
    high: "high",
    low: "low",
    close: "close",
    volume: "volume",
  };
  const cols: [string, number][] = [];
  const used = new Set<number>([timeIdx]);
  for (const [canon, cands] of Object.entries(spec.values)) {
    const key = userKey[canon];
    const j = find(map[key] as string | string[] | undefined, cands);
    if (j < 0 || j === timeIdx) {
      const example = canon === "open_interest" ? "oi" : canon === "funding_rate" ? "rate" : canon;
      const given = map[key];
      throw new DataError(
        given
          ? `column "${String(given)}" (for ${example}) not found`
          : canon === "open_interest"
          ? "no open-interest column"
          : canon === "funding_rate"
          ? "no funding-rate column"
          : `no "${canon}" column`,
        { file, column: canon },
        `header: ${header.join(",")}; pass column names (e.g. ${flag} ${example}=MyName)`,
      );
    }
    cols.push([canon, j]);
    used.add(j);
    const alias = spec.aliases?.[canon];
    if (alias && alias !== canon) cols.push([alias, j]);
  }
  if (spec.keepOthers) {
    for (let j = 0; j < header.length; j++) {
      if (!used.has(j) && lower[j] !== "ignore" && lower[j] !== "symbol") {
        cols.push([lower[j], j]);
      }
    }
  }
  const userMapping = Object.keys(map).some((k) => k !== "unit" && map[k as keyof ColumnMapping]);
  return { spec, header, timeIdx, columns: cols, at: map.at ?? spec.at, userMapping };
}

function hasMappingFor(map: ColumnMapping, kind: DataKind): boolean {
  return kind === "oi" ? map.oi !== undefined : kind === "funding" ? map.rate !== undefined : (
    map.open !== undefined || map.close !== undefined
  );
}

/** Validate a mapping's keys and `at`/`unit` values (typed ConfigError naming the flag). */
function checkMapping(map: ColumnMapping, kind: DataKind | undefined, flag: string): void {
  const allowed = kind ? MAPPING_KEYS[kind] : [...new Set(Object.values(MAPPING_KEYS).flat())];
  for (const k of Object.keys(map)) {
    if ((map as Record<string, unknown>)[k] === undefined) continue;
    if (!allowed.includes(k)) {
      throw new ConfigError(
        `${flag}: unknown key "${k}"`,
        { parameter: flag },
        `use key=ColumnName with key one of ${allowed.join(", ")}`,
      );
    }
  }
  if (map.at !== undefined && map.at !== "open" && map.at !== "end") {
    throw new ConfigError(`${flag}: at must be open or end (got ${map.at})`, {
      parameter: flag,
    });
  }
  if (map.unit !== undefined && !["s", "ms", "us", "ns"].includes(map.unit)) {
    throw new ConfigError(`${flag}: unit must be s, ms, us or ns (got ${map.unit})`, {
      parameter: flag,
    });
  }
}

/**
 * Parse a `--columns` flag value (`time=t,oi=oi,at=end`) for one kind. Wrong keys or
 * values throw a {@link ConfigError} whose message starts with the flag name.
 */
export function parseColumnMapping(
  text: string | undefined,
  kind: DataKind,
  options: { flag?: string } = {},
): ColumnMapping | undefined {
  const flag = options.flag ?? "--columns";
  if (text === undefined || text.trim() === "") return undefined;
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (eq <= 0 || !v) {
      throw new ConfigError(
        `${flag}: bad entry "${part}"`,
        { parameter: flag },
        `use key=ColumnName with key one of ${MAPPING_KEYS[kind].join(", ")}`,
      );
    }
    out[k] = v;
  }
  const map = out as ColumnMapping;
  checkMapping(map, kind, flag);
  return map;
}

/** Describe a time column's format from its first value. */
export function timeFormatOf(first: string | undefined, unit?: EpochUnit): string {
  const v = (first ?? "").trim();
  if (isNumeric(v)) return `epoch ${unit ?? detectEpochUnit(Number(v))}`;
  return "iso";
}
