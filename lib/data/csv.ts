/**
 * Small, fast CSV and timestamp parsing for the data loaders (no dependency).
 *
 * Row numbers in errors are 1-based DATA rows (the header row excluded), as everywhere in the
 * toolkit's errors.
 *
 * @module
 */
import { DataError } from "../util/mod.ts";

/** A parsed CSV: the header (or `null` when the file has none) and the data rows. */
export interface CsvText {
  /** Column names from the first line, or `null` if the first line is data. */
  header: string[] | null;
  /** Data rows, each an array of raw field strings. */
  rows: string[][];
}

/**
 * Parse CSV text. `hasHeader: "auto"` (default) treats the first line as a header when its
 * first field is not a number and not a date/time. Quoted fields (with `""` escapes) are
 * supported; a trailing empty line is ignored; `\r\n` line ends are accepted.
 */
export function parseCsv(
  text: string,
  options: { hasHeader?: boolean | "auto"; file?: string; delimiter?: string } = {},
): CsvText {
  const delim = options.delimiter ?? ",";
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split("\n");
  const rows: string[][] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.length === 0) continue;
    rows.push(line.indexOf('"') < 0 ? line.split(delim) : splitQuoted(line, delim));
  }
  let header: string[] | null = null;
  const hh = options.hasHeader ?? "auto";
  if (rows.length > 0) {
    const first = rows[0][0].trim();
    const looksLikeData = isNumeric(first) || parseTimeString(first) !== null;
    if (hh === true || (hh === "auto" && !looksLikeData)) {
      header = rows.shift()!.map((h) => h.trim());
    }
  }
  return { header, rows };
}

function splitQuoted(line: string, delim: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inQ = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inQ) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQ = false;
      } else cur += ch;
    } else if (ch === '"') inQ = true;
    else if (ch === delim) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** True when `s` is a plain decimal/scientific number. */
export function isNumeric(s: string): boolean {
  return s.length > 0 && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s);
}

/**
 * Parse a numeric field: empty → NaN (a missing value), otherwise `Number(s)`; a field that
 * is not a number throws a {@link DataError} naming file, row and column.
 */
export function parseNumberField(
  s: string,
  where: { file?: string; row: number; column: string },
): number {
  if (s.length === 0) return NaN;
  const v = +s;
  if (v === v) return v; // not NaN
  const t = s.trim();
  if (t === "" || /^(nan|null|none|na)$/i.test(t)) return NaN;
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  const v2 = Number(t);
  if (Number.isNaN(v2)) {
    throw new DataError(`"${s}" is not a number`, where, "fix or remove the row");
  }
  return v2;
}

/** Epoch unit of a numeric timestamp column. */
export type EpochUnit = "s" | "ms" | "us" | "ns";

/**
 * Detect the unit of an epoch timestamp from its magnitude, assuming dates between 1973 and
 * 5138: < 1e11 seconds, < 1e14 milliseconds, < 1e17 microseconds, else nanoseconds.
 */
export function detectEpochUnit(value: number): EpochUnit {
  const a = Math.abs(value);
  if (a < 1e11) return "s";
  if (a < 1e14) return "ms";
  if (a < 1e17) return "us";
  return "ns";
}

/** Multiplier converting an epoch in `unit` to milliseconds. */
export function epochToMsFactor(unit: EpochUnit): number {
  return unit === "s" ? 1000 : unit === "ms" ? 1 : unit === "us" ? 1e-3 : 1e-6;
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parse an ISO-8601-like date/time string to UTC epoch ms: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`,
 * `YYYY-MM-DDTHH:MM:SS(.fff…)`, with an optional `Z`, `UTC` or `±HH[:MM]` offset. A string
 * WITHOUT an offset is taken as UTC (never the machine's local time). Returns `null` when
 * the string is not such a date.
 */
export function parseTimeString(s: string): number | null {
  const m = ISO_RE.exec(s.trim());
  if (!m) return null;
  const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  let ms = Date.UTC(+m[1], +m[2] - 1, +m[3], m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0) +
    frac;
  const off = m[8];
  if (off && off !== "Z" && off !== "z" && off !== "UTC") {
    const sign = off[0] === "-" ? -1 : 1;
    const digits = off.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    ms -= sign * (oh * 60 + om) * 60_000;
  }
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Parse a time column to UTC epoch ms. Numeric columns are epochs whose unit is detected
 * from the first value (s / ms / µs / ns) unless `unit` is given; other columns are parsed
 * with {@link parseTimeString}. Throws a {@link DataError} naming file, row and column for
 * an unparseable or empty time, or for an epoch whose unit differs from the first row's.
 */
export function parseTimeColumn(
  values: string[],
  where: { file?: string; column: string; firstRow?: number },
  unit?: EpochUnit,
): Float64Array {
  const out = new Float64Array(values.length);
  const first = where.firstRow ?? 1;
  if (values.length === 0) return out;
  const v0 = values[0].trim();
  if (isNumeric(v0)) {
    const u = unit ?? detectEpochUnit(Number(v0));
    const f = epochToMsFactor(u);
    for (let i = 0; i < values.length; i++) {
      const v = +values[i];
      if (!(v === v) || values[i].length === 0) {
        throw new DataError(`time "${values[i]}" is not an epoch number`, {
          file: where.file,
          row: first + i,
          column: where.column,
        }, "every row needs a time; the column mixes formats or has an empty value");
      }
      if (unit === undefined && detectEpochUnit(v) !== u) {
        throw new DataError(
          `time ${values[i]} looks like epoch ${
            detectEpochUnit(v)
          } but earlier rows are epoch ${u}`,
          { file: where.file, row: first + i, column: where.column },
          "files with mixed timestamp units must be converted first",
        );
      }
      out[i] = Math.round(v * f);
    }
    return out;
  }
  for (let i = 0; i < values.length; i++) {
    const t = parseTimeString(values[i]);
    if (t === null) {
      throw new DataError(`"${values[i]}" is not a date/time`, {
        file: where.file,
        row: first + i,
        column: where.column,
      }, "use ISO-8601 (2024-01-01T00:00:00Z, any offset) or epoch seconds/ms/µs");
    }
    out[i] = t;
  }
  return out;
}
