/**
 * The options env's market: an underlying on the US equity regular-hours calendar with its
 * volatility index, and the loaders of the real inputs — SPY (or any US equity) bars from an
 * OHLCV CSV, restricted to regular sessions, and a daily index CSV (CBOE VIX history format).
 *
 * @module
 */
import { DataError } from "../util/mod.ts";
import { type MarketSession, usEquitySessions } from "../util/mod.ts";
import { parseCsv } from "./csv.ts";
import { loadOhlcvCsv } from "./load.ts";
import type { MarketData } from "./market_data.ts";

/** A daily index series (VIX): New York dates with the session's open and close levels. */
export interface DailyIndex {
  /** Session dates `YYYY-MM-DD`, increasing. */
  date: string[];
  /** Level at 09:30 New York. */
  open: Float64Array;
  /** Level at the close. */
  close: Float64Array;
}

/** An underlying on the RTH calendar with its volatility index. */
export interface OptionsMarket {
  /** Underlying bars (RTH only), UTC ms of each bar's open. */
  market: MarketData;
  /**
   * VIX level (index points) at each bar's CLOSE; NaN where unknown (then the env falls back
   * to realised volatility).
   */
  vix: Float64Array;
  /** The sessions the bars belong to. */
  sessions: MarketSession[];
  /** Per bar: index into `sessions`. */
  session: Int32Array;
  /** Daily VIX (for IV rank): one entry per session. */
  vixDaily: DailyIndex;
}

/**
 * Read a daily index CSV with `date` (`YYYY-MM-DD`), `open` and `close` columns (the CBOE VIX
 * history format of `../shared/data/VIX-daily-1990-2026.csv`). Rows with a non-numeric level
 * are dropped; a missing column or unsorted dates throw {@link DataError} naming file, row and
 * column.
 */
export async function loadDailyIndexCsv(path: string): Promise<DailyIndex> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new DataError(`cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
  const t = parseCsv(text, { hasHeader: true, file: path });
  const h = (t.header ?? []).map((x) => x.toLowerCase());
  const [di, oi, ci] = ["date", "open", "close"].map((c) => {
    const j = h.indexOf(c);
    if (j < 0) throw new DataError(`column "${c}" is missing`, { file: path, column: c });
    return j;
  });
  const date: string[] = [];
  const o: number[] = [];
  const c: number[] = [];
  for (let r = 0; r < t.rows.length; r++) {
    const row = t.rows[r];
    const d = (row[di] ?? "").trim().slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) {
      throw new DataError(`"${row[di]}" is not a YYYY-MM-DD date`, {
        file: path,
        row: r + 1,
        column: "date",
      });
    }
    if (date.length > 0 && d <= date[date.length - 1]) {
      throw new DataError(`dates are not increasing at ${d}`, {
        file: path,
        row: r + 1,
        column: "date",
      });
    }
    const ov = Number(row[oi]);
    const cv = Number(row[ci]);
    if (!(cv > 0)) continue;
    date.push(d);
    o.push(ov > 0 ? ov : cv);
    c.push(cv);
  }
  return { date, open: Float64Array.from(o), close: Float64Array.from(c) };
}

/**
 * Keep only the bars of `market` that lie inside a regular US equity session (open ≤ bar
 * open and bar open + interval ≤ close), and give each its session: the real-data path of
 * the options env (SPY bars from a CSV, which may include extended hours). Returns the
 * filtered market, the sessions and the per-bar session index; `vix` is NaN until the caller
 * fills it (the env interpolates daily VIX with `levelAt` of `lib/options`).
 */
export function restrictToSessions(market: MarketData): Omit<OptionsMarket, "vixDaily" | "vix"> {
  const n = market.time.length;
  if (n === 0) throw new DataError("no bars", { parameter: "market" });
  const fmt = (ms: number) =>
    Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO("America/New_York")
      .toPlainDate().toString();
  const sessions = usEquitySessions(fmt(market.time[0]), fmt(market.time[n - 1]));
  const keep: number[] = [];
  const sessOf: number[] = [];
  const used: MarketSession[] = [];
  let k = 0;
  for (let i = 0; i < n; i++) {
    const t = market.time[i];
    while (k < sessions.length && sessions[k].closeMs <= t) k++;
    const s = sessions[k];
    if (s && t >= s.openMs && t + market.intervalMs <= s.closeMs) {
      if (used.length === 0 || used[used.length - 1] !== s) used.push(s);
      keep.push(i);
      sessOf.push(used.length - 1);
    }
  }
  const pick = (a: Float64Array) => Float64Array.from(keep, (j) => a[j]);
  return {
    market: {
      symbol: market.symbol,
      interval: market.interval,
      intervalMs: market.intervalMs,
      time: pick(market.time),
      open: pick(market.open),
      high: pick(market.high),
      low: pick(market.low),
      close: pick(market.close),
      volume: pick(market.volume),
    },
    sessions: used,
    session: Int32Array.from(sessOf),
  };
}

/**
 * Load real inputs for the options env: bars from an OHLCV CSV (`loadOhlcvCsv`: time as
 * ISO-8601 or epoch, any interval dividing the session), restricted to regular US equity
 * sessions, and — with `vixPath` — a daily VIX CSV. The per-bar `vix` is NaN (the env
 * interpolates `vixDaily` between each session's open and close, or falls back to realised
 * volatility without it).
 */
export async function loadOptionsMarketCsv(
  barsPath: string,
  options: { vixPath?: string } = {},
): Promise<OptionsMarket> {
  const raw = await loadOhlcvCsv(barsPath, { gaps: "keep" });
  const r = restrictToSessions(raw);
  if (r.market.time.length === 0) {
    throw new DataError("no bar lies inside a regular US equity session", {
      file: barsPath,
    }, "times are UTC; regular hours are 09:30–16:00 America/New_York");
  }
  const vixDaily = options.vixPath
    ? await loadDailyIndexCsv(options.vixPath)
    : { date: [], open: new Float64Array(0), close: new Float64Array(0) };
  return { ...r, vix: new Float64Array(r.market.time.length).fill(NaN), vixDaily };
}
