/**
 * Fixture writers for the data tests: Binance USDT-M archive CSVs (klines with/without header,
 * metrics, fundingRate) built from the synthetic market, zipped like the archive, with
 * `.CHECKSUM` files. Not a test file itself.
 */
import { zipSync } from "fflate";
import { generateSyntheticMarket, type MarketData } from "../lib/data/mod.ts";
import { sha256Hex } from "../lib/util/mod.ts";

export const KLINE_HEADER =
  "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";
export const METRICS_HEADER =
  "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio";
export const FUNDING_HEADER = "calc_time,funding_interval_hours,last_funding_rate";

/** A small synthetic market (5-minute bars from 2024-01-01). */
export function smallMarket(bars = 288 * 3, seed = 7): MarketData {
  return generateSyntheticMarket({ seed, bars, symbol: "BTCUSDT" });
}

/** Kline CSV rows `[from, to)` in the archive format. */
export function klineCsv(md: MarketData, from = 0, to = md.time.length, header = true): string {
  const lines: string[] = header ? [KLINE_HEADER] : [];
  for (let i = from; i < to; i++) {
    const t = md.time[i];
    const v = md.volume[i];
    lines.push(
      [
        t,
        md.open[i].toFixed(1),
        md.high[i].toFixed(1),
        md.low[i].toFixed(1),
        md.close[i].toFixed(1),
        v.toFixed(3),
        t + md.intervalMs - 1,
        (v * md.close[i]).toFixed(5),
        100 + (i % 50),
        (v / 2).toFixed(3),
        ((v / 2) * md.close[i]).toFixed(5),
        0,
      ].join(","),
    );
  }
  return lines.join("\n") + "\n";
}

/** `YYYY-MM-DD HH:MM:SS` UTC. */
export function metricsTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/**
 * Metrics CSV: one row per bar, stamped at the bar's CLOSE (the snapshot at the 5-minute
 * boundary), value = the synthetic OI at that close. Some ratio fields empty, as in 2022 files.
 */
export function metricsCsv(md: MarketData, from = 0, to = md.time.length): string {
  const lines = [METRICS_HEADER];
  for (let i = from; i < to; i++) {
    const stamp = md.time[i] + md.intervalMs;
    const oi = md.openInterest![i];
    lines.push(
      [
        metricsTime(stamp),
        md.symbol,
        oi.toFixed(8),
        (oi * md.close[i]).toFixed(8),
        i % 3 === 0 ? "" : "1.5",
        i % 3 === 0 ? "" : "1.1",
        "1.6",
        "0.98",
      ].join(","),
    );
  }
  return lines.join("\n") + "\n";
}

/** FundingRate CSV from the synthetic settlements (calc_time with a few ms of jitter). */
export function fundingCsv(md: MarketData): string {
  const lines = [FUNDING_HEADER];
  for (let i = 0; i < md.time.length; i++) {
    const r = md.fundingRate![i];
    if (Number.isNaN(r)) continue;
    const settle = md.time[i] + md.intervalMs;
    lines.push(`${settle + (i % 7)},8,${r}`);
  }
  return lines.join("\n") + "\n";
}

/** Zip one CSV member, like an archive file. */
export function zipCsv(memberName: string, text: string): Uint8Array {
  return zipSync({ [memberName]: new TextEncoder().encode(text) });
}

/** The `.CHECKSUM` text for bytes (`"<sha256>  name"`). */
export async function checksumText(bytes: Uint8Array, name: string): Promise<string> {
  return `${await sha256Hex(bytes)}  ${name}\n`;
}

/** Write text to a temp dir file and return the path. */
export async function writeTemp(
  dir: string,
  name: string,
  data: string | Uint8Array,
): Promise<string> {
  const p = `${dir}/${name}`;
  await Deno.mkdir(p.slice(0, p.lastIndexOf("/")), { recursive: true });
  if (typeof data === "string") await Deno.writeTextFile(p, data);
  else await Deno.writeFile(p, data);
  return p;
}

/** UTC date string of a bar. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
