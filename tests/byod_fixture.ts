/**
 * "Bring your own data" fixture (issue 19): three files in common third-party layouts built
 * from the seeded synthetic market — klines in the Binance archive layout (no symbol in the
 * file name), open interest as `t,oi,oi_usd` with `t` = bar END covering only the last
 * `oiShare` of the period, and funding as `timestamp_ms,funding_rate` holding the 8-hour
 * rate DIVIDED BY 8 with a few ms of jitter. Not a test file itself.
 */
import type { MarketData } from "../lib/data/mod.ts";
import { klineCsv, smallMarket } from "./data_fixtures.ts";

/** Paths and the market they were built from. */
export interface ByodFiles {
  md: MarketData;
  klines: string;
  oi: string;
  funding: string;
  /** First bar index with OI. */
  oiFrom: number;
}

/** Write the three files into `dir` (12 days of 5-minute bars by default). */
export async function writeByodFiles(
  dir: string,
  options: { bars?: number; oiShare?: number } = {},
): Promise<ByodFiles> {
  const md = smallMarket(options.bars ?? 288 * 12, 7);
  const n = md.time.length;
  const oiFrom = Math.floor(n * (1 - (options.oiShare ?? 0.4)));
  const klines = `${dir}/btc_5m_klines.csv`;
  await Deno.writeTextFile(klines, klineCsv(md));
  const oiLines = ["t,oi,oi_usd"];
  for (let i = oiFrom; i < n; i++) {
    const end = md.time[i] + md.intervalMs; // bar END
    const oi = md.openInterest![i];
    oiLines.push(`${end},${oi.toFixed(4)},${(oi * md.close[i]).toFixed(2)}`);
  }
  const oi = `${dir}/oi_export.csv`;
  await Deno.writeTextFile(oi, oiLines.join("\n") + "\n");
  const fLines = ["timestamp_ms,funding_rate"];
  for (let i = 0; i < n; i++) {
    const r = md.fundingRate![i];
    if (!Number.isFinite(r)) continue;
    const settle = md.time[i] + md.intervalMs + (i % 3) - 1; // −1, 0 or +1 ms jitter
    fLines.push(`${settle},${r / 8}`);
  }
  const funding = `${dir}/funding_export.csv`;
  await Deno.writeTextFile(funding, fLines.join("\n") + "\n");
  return { md, klines, oi, funding, oiFrom };
}
