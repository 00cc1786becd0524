/**
 * Data benchmark: load + validate + align one year of 5-minute bars (105,120 rows).
 *
 * The parent process writes the fixtures into a temp dir from the seeded synthetic market
 * (1 year from 2024-01-01): a Parquet cache (as `data:fetch` writes it: bars with OI and
 * funding already aligned), and the Binance archive layout as CSVs — 12 monthly kline files,
 * 365 daily metrics files, 12 monthly fundingRate files — and the same as zips. A fresh child
 * process then times, each once and in this order:
 * - `parquet_load_s`: `loadMarketData(cache.parquet)` = read + validate;
 * - `csv_load_s`: `loadMarketData(csvFolder)` = parse 389 CSVs, tidy, validate, align OI and
 *   funding as-of;
 * - `zip_load_s`: the same from zips (unzip included);
 * - `align_s`: `alignAsOf` alone (105,120 bars, 105,120 OI stamps, 1,095 settlements).
 * `peak_rss_mb` is the child's peak resident set (VmHWM), i.e. of loading only.
 *
 * Prints ONE JSON line:
 * `{"bench":"data","rows":105120,"parquet_load_s":…,"csv_load_s":…,"zip_load_s":…,
 *   "align_s":…,"peak_rss_mb":…}`. Run: `deno task bench:data`.
 */
import {
  alignAsOf,
  generateSyntheticMarket,
  loadMarketData,
  type MarketData,
  writeMarketDataParquet,
} from "../lib/data/mod.ts";
import { zipSync } from "fflate";

const ROWS = 105_120;

if (Deno.args[0] === "--child") {
  await child(Deno.args[1]);
} else {
  await parent();
}

async function parent(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rlt-bench-data-" });
  try {
    const md = generateSyntheticMarket({ bars: ROWS, seed: 42, symbol: "BTCUSDT" });
    await writeMarketDataParquet(md, `${dir}/cache.parquet`);
    await writeArchive(md, `${dir}/csv`, false);
    await writeArchive(md, `${dir}/zip`, true);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", new URL(import.meta.url).pathname, "--child", dir],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (out.code !== 0) throw new Error(`bench child failed (exit ${out.code})`);
    console.log(new TextDecoder().decode(out.stdout).trim());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function child(dir: string): Promise<void> {
  const time = async (fn: () => Promise<MarketData>) => {
    const t0 = performance.now();
    const m = await fn();
    return { s: (performance.now() - t0) / 1000, m };
  };
  const pq = await time(() => loadMarketData(`${dir}/cache.parquet`));
  const csv = await time(() => loadMarketData(`${dir}/csv`));
  const zip = await time(() => loadMarketData(`${dir}/zip`));
  for (const r of [pq, csv, zip]) {
    if (r.m.time.length !== ROWS) throw new Error(`loaded ${r.m.time.length} rows, want ${ROWS}`);
    if (!r.m.openInterest || !r.m.fundingRate) throw new Error("OI/funding missing");
  }
  // Alignment alone, on in-memory series.
  const m = csv.m;
  const oiT = Float64Array.from(m.time, (t) => t + m.intervalMs);
  const fIdx: number[] = [];
  for (let i = 0; i < ROWS; i++) if (!Number.isNaN(m.fundingRate![i])) fIdx.push(i);
  const t0 = performance.now();
  alignAsOf(m, {
    openInterest: { time: oiT, value: m.openInterest! },
    funding: {
      time: Float64Array.from(fIdx, (i) => m.time[i] + m.intervalMs),
      value: Float64Array.from(fIdx, (i) => m.fundingRate![i]),
    },
  });
  const alignS = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({
    bench: "data",
    rows: ROWS,
    parquet_load_s: round(pq.s),
    csv_load_s: round(csv.s),
    zip_load_s: round(zip.s),
    align_s: round(alignS),
    peak_rss_mb: peakRssMb(),
  }));
}

function round(x: number): number {
  return Number(x.toFixed(3));
}

function peakRssMb(): number {
  try {
    const s = Deno.readTextFileSync("/proc/self/status");
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(s);
    if (m) return Math.round(Number(m[1]) / 1024);
  } catch { /* not Linux */ }
  return Math.round(Deno.memoryUsage().rss / 1048576);
}

/** Binance archive layout: monthly klines, daily metrics, monthly fundingRate. */
async function writeArchive(md: MarketData, dir: string, zip: boolean): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const enc = new TextEncoder();
  const put = async (name: string, text: string) => {
    if (zip) {
      await Deno.writeFile(`${dir}/${name}.zip`, zipSync({ [`${name}.csv`]: enc.encode(text) }));
    } else await Deno.writeTextFile(`${dir}/${name}.csv`, text);
  };
  const byMonth = new Map<string, string[]>();
  const byDay = new Map<string, string[]>();
  const funding = new Map<string, string[]>();
  for (let i = 0; i < md.time.length; i++) {
    const t = md.time[i];
    const iso = new Date(t).toISOString();
    const month = iso.slice(0, 7);
    if (!byMonth.has(month)) byMonth.set(month, []);
    const v = md.volume[i];
    byMonth.get(month)!.push(
      `${t},${md.open[i]},${md.high[i]},${md.low[i]},${md.close[i]},${v},${t + md.intervalMs - 1},${
        (v * md.close[i]).toFixed(4)
      },${100 + (i % 97)},${(v / 2).toFixed(3)},${((v / 2) * md.close[i]).toFixed(4)},0`,
    );
    const stamp = t + md.intervalMs;
    const sIso = new Date(stamp).toISOString();
    const day = sIso.slice(0, 10);
    if (!byDay.has(day)) byDay.set(day, []);
    const oi = md.openInterest![i];
    byDay.get(day)!.push(
      `${sIso.slice(0, 19).replace("T", " ")},BTCUSDT,${oi.toFixed(8)},${
        (oi * md.close[i]).toFixed(8)
      },1.5,1.1,1.6,0.98`,
    );
    if (!Number.isNaN(md.fundingRate![i])) {
      if (!funding.has(month)) funding.set(month, []);
      funding.get(month)!.push(`${stamp},8,${md.fundingRate![i]}`);
    }
  }
  const kh =
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";
  for (const [m, rows] of byMonth) await put(`BTCUSDT-5m-${m}`, `${kh}\n${rows.join("\n")}\n`);
  const mh =
    "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio";
  for (const [d, rows] of byDay) await put(`BTCUSDT-metrics-${d}`, `${mh}\n${rows.join("\n")}\n`);
  for (const [m, rows] of funding) {
    await put(
      `BTCUSDT-fundingRate-${m}`,
      `calc_time,funding_interval_hours,last_funding_rate\n${rows.join("\n")}\n`,
    );
  }
}
