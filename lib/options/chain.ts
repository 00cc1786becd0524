/**
 * Option chains from a quote table (Yahoo-style CSV, as in `../shared/data`'s SPY chains):
 * column mapping, row validation with skip reasons, time to expiry from the snapshot time.
 *
 * This module sits in the options layer, which imports only `lib/util`: it takes an already
 * split table (`{ header, rows }`, the shape `parseCsv` of `lib/data` returns) and the CLI
 * reads the file.
 *
 * ## Columns (defaults = the Yahoo chain files; map others with `columns`)
 * `optionType` (`call`/`put`, also `c`/`p`), `strike`, `bid`, `ask` (per share),
 * `expirationDate` (`YYYY-MM-DD`; the option expires at 16:00 America/New_York that day),
 * `underlyingPrice`; optional `impliedVolatility` (fraction; Yahoo's, NaN when absent) and
 * `lastTradeDate` (ISO time). `days_to_expire` / `time_to_expire_years` of the Yahoo files are
 * NOT used (off by one day); time to expiry is recomputed from the snapshot.
 *
 * ## Snapshot time
 * The files carry no snapshot time. Pass `snapshotMs`; otherwise the latest `lastTradeDate`
 * in the file is used (a quote cannot have traded after the snapshot, and on a liquid
 * underlying the latest trade is seconds before it: 16:19:32 UTC and 17:59:03 UTC for the
 * two SPY files, whose README gives ~16:19 and ~18:00).
 *
 * ## Skipped rows (counted by reason, never a crash)
 * Checked in this order: `bad_number` (strike, bid, ask or underlying empty, NaN or not a
 * number; or an unparseable expiry date), `bad_type` (not call/put), `expired` (expiry close
 * at or before the snapshot), `zero_bid` (bid ≤ 0: no two-sided market), `crossed` (ask <
 * bid). A missing required column is an error naming the column and the file.
 *
 * @module
 */
import { ConfigError, DataError } from "../util/mod.ts";
import { expiryCloseMs, MS_PER_YEAR } from "./time.ts";

/** The fields read from a chain table. */
export const CHAIN_FIELDS = [
  "optionType",
  "strike",
  "bid",
  "ask",
  "expirationDate",
  "underlyingPrice",
  "impliedVolatility",
  "lastTradeDate",
] as const;

/** A field of {@link CHAIN_FIELDS}. */
export type ChainField = typeof CHAIN_FIELDS[number];

/** Fields that must be present (lastTradeDate too when no snapshot time is given). */
const REQUIRED: readonly ChainField[] = [
  "optionType",
  "strike",
  "bid",
  "ask",
  "expirationDate",
  "underlyingPrice",
];

/** Why a row was skipped. */
export const SKIP_REASONS = ["bad_number", "bad_type", "expired", "zero_bid", "crossed"] as const;

/** A name from {@link SKIP_REASONS}. */
export type SkipReason = typeof SKIP_REASONS[number];

/** One usable quote. Prices per share. */
export interface OptionQuote {
  /** 1-based data row of the source table. */
  row: number;
  /** true = call. */
  call: boolean;
  strike: number;
  bid: number;
  ask: number;
  /** (bid + ask) / 2. */
  mid: number;
  /** Underlying price at the snapshot. */
  underlying: number;
  /** Expiration date, `YYYY-MM-DD`. */
  expiry: string;
  /** Years (365 days) from the snapshot to the 16:00 New York close of the expiry date. */
  years: number;
  /** The source's implied volatility (fraction), NaN when absent. */
  sourceIv: number;
}

/** A parsed chain. */
export interface OptionChain {
  /** Where the table came from (for messages). */
  file: string;
  /** Snapshot time, UTC ms. */
  snapshotMs: number;
  /** Data rows read. */
  rows: number;
  /** The usable quotes. */
  quotes: OptionQuote[];
  /** Skipped rows by reason. */
  skipped: Record<SkipReason, number>;
  /** The first skipped rows (up to 20) with their reason, for messages. */
  skippedExamples: { row: number; reason: SkipReason }[];
}

/** Options of {@link parseOptionChain}. */
export interface ParseChainOptions {
  /** File name for messages. Default `"<chain>"`. */
  file?: string;
  /** Source column name per field, e.g. `{ strike: "K", bid: "bid_px" }`. */
  columns?: Partial<Record<ChainField, string>>;
  /** Snapshot time, UTC ms (default: the latest `lastTradeDate`). */
  snapshotMs?: number;
}

function parseTime(s: string): number {
  const t = s.trim();
  if (t === "") return NaN;
  const iso = t.includes("T") ? t : t.replace(" ", "T");
  const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(iso) ? iso : `${iso}Z`);
  return Number.isFinite(ms) ? ms : NaN;
}

function num(s: string | undefined): number {
  if (s === undefined) return NaN;
  const t = s.trim();
  return t === "" ? NaN : Number(t);
}

/**
 * Build an {@link OptionChain} from a split table (`header` + string `rows`). Throws
 * {@link DataError} for a missing header or a missing required column; bad rows are skipped
 * and counted (see the module docs).
 */
export function parseOptionChain(
  table: { header: string[] | null; rows: string[][] },
  options: ParseChainOptions = {},
): OptionChain {
  const file = options.file ?? "<chain>";
  if (!table.header) {
    throw new DataError(
      "the option chain has no header row",
      { file },
      "the first line must name the columns",
    );
  }
  const header = table.header.map((h) => h.trim());
  const idx = {} as Record<ChainField, number>;
  for (const f of CHAIN_FIELDS) {
    const name = options.columns?.[f] ?? f;
    idx[f] = header.indexOf(name);
  }
  const needTime = options.snapshotMs === undefined;
  for (const f of needTime ? [...REQUIRED, "lastTradeDate" as const] : REQUIRED) {
    if (idx[f] < 0) {
      const name = options.columns?.[f] ?? f;
      throw new DataError(
        `option chain column "${name}" is missing`,
        { file, column: name },
        f === "lastTradeDate"
          ? "give the snapshot time (--snapshot) or a lastTradeDate column"
          : `map it with --columns ${f}=<your column>; the file has ${header.join(", ")}`,
      );
    }
  }
  let snapshotMs = options.snapshotMs ?? -Infinity;
  if (needTime) {
    for (const r of table.rows) {
      const t = parseTime(r[idx.lastTradeDate] ?? "");
      if (t > snapshotMs) snapshotMs = t;
    }
    if (!Number.isFinite(snapshotMs)) {
      throw new DataError("no parseable lastTradeDate to infer the snapshot time from", {
        file,
        column: options.columns?.lastTradeDate ?? "lastTradeDate",
      }, "give the snapshot time explicitly");
    }
  }
  const skipped = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;
  const examples: { row: number; reason: SkipReason }[] = [];
  const quotes: OptionQuote[] = [];
  const expiryCache = new Map<string, number>();
  const skip = (row: number, reason: SkipReason): void => {
    skipped[reason]++;
    if (examples.length < 20) examples.push({ row, reason });
  };
  for (let i = 0; i < table.rows.length; i++) {
    const r = table.rows[i];
    const row = i + 1;
    const strike = num(r[idx.strike]);
    const bid = num(r[idx.bid]);
    const ask = num(r[idx.ask]);
    const und = num(r[idx.underlyingPrice]);
    const expiry = (r[idx.expirationDate] ?? "").trim();
    let exMs = expiryCache.get(expiry);
    if (exMs === undefined) {
      try {
        exMs = expiryCloseMs(expiry);
      } catch {
        exMs = NaN;
      }
      expiryCache.set(expiry, exMs);
    }
    if (
      !(Number.isFinite(strike) && strike > 0) || !Number.isFinite(bid) || !Number.isFinite(ask) ||
      !(Number.isFinite(und) && und > 0) || !Number.isFinite(exMs)
    ) {
      skip(row, "bad_number");
      continue;
    }
    const type = (r[idx.optionType] ?? "").trim().toLowerCase();
    const call = type === "call" || type === "c";
    if (!call && type !== "put" && type !== "p") {
      skip(row, "bad_type");
      continue;
    }
    if (exMs <= snapshotMs) {
      skip(row, "expired");
      continue;
    }
    if (!(bid > 0)) {
      skip(row, "zero_bid");
      continue;
    }
    if (ask < bid) {
      skip(row, "crossed");
      continue;
    }
    const iv = idx.impliedVolatility >= 0 ? num(r[idx.impliedVolatility]) : NaN;
    quotes.push({
      row,
      call,
      strike,
      bid,
      ask,
      mid: 0.5 * (bid + ask),
      underlying: und,
      expiry,
      years: (exMs - snapshotMs) / MS_PER_YEAR,
      sourceIv: iv,
    });
  }
  return { file, snapshotMs, rows: table.rows.length, quotes, skipped, skippedExamples: examples };
}

/**
 * Parse a `--columns` mapping `"field=column,field=column"` (fields from {@link CHAIN_FIELDS})
 * into {@link ParseChainOptions} `columns`; a malformed entry or unknown field throws a
 * {@link ConfigError} naming it.
 */
export function parseColumnMapping(spec: string): Partial<Record<ChainField, string>> {
  const out: Partial<Record<ChainField, string>> = {};
  for (const part of spec.split(",")) {
    const p = part.trim();
    if (p === "") continue;
    const eq = p.indexOf("=");
    const field = p.slice(0, eq).trim() as ChainField;
    const col = p.slice(eq + 1).trim();
    if (eq < 0 || !(CHAIN_FIELDS as readonly string[]).includes(field) || col === "") {
      throw new ConfigError(
        `bad column mapping "${p}"`,
        { parameter: "columns" },
        `use field=column with a field of ${CHAIN_FIELDS.join(", ")}`,
      );
    }
    out[field] = col;
  }
  return out;
}
