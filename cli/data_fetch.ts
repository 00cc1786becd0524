/**
 * `deno task data:fetch --symbol BTCUSDT --interval 5m --from 2024-01 --to 2024-06
 *   [--with oi,funding] [--base-url https://data.binance.vision] [--dir data/binance]
 *   [--out data/BTCUSDT-5m-2024-01_2024-06.parquet] [--attempts 4] [--gaps keep|fill|reject]`
 *
 * Downloads Binance USDT-M archive zips (monthly klines for YYYY-MM ranges, daily for
 * YYYY-MM-DD; metrics daily; fundingRate monthly), verifies each against its `.CHECKSUM`,
 * skips files already verified, then loads, validates, aligns OI/funding as-of and writes a
 * Parquet cache. Prints one JSON summary line on stdout; progress goes to stderr.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  archiveFiles,
  downloadArchive,
  loadMarketDataWithReport,
  writeMarketDataParquet,
} from "@lib/data/mod.ts";
import { ConfigError, runCli } from "@lib/util/mod.ts";

const USAGE =
  "usage: deno task data:fetch --symbol BTCUSDT --interval 5m --from 2024-01 --to 2024-06 [--with oi,funding] [--base-url URL] [--dir data/binance] [--out FILE.parquet] [--attempts 4] [--gaps keep|fill|reject] [--no-progress]";

await runCli(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      symbol: { type: "string", default: "BTCUSDT" },
      interval: { type: "string", default: "5m" },
      from: { type: "string" },
      to: { type: "string" },
      with: { type: "string", default: "" },
      "base-url": { type: "string", default: "https://data.binance.vision" },
      dir: { type: "string", default: "data/binance" },
      out: { type: "string" },
      attempts: { type: "string", default: "4" },
      gaps: { type: "string", default: "keep" },
      "no-progress": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.from || !values.to) {
    throw new ConfigError("--from and --to are required", { parameter: "--from" }, USAGE);
  }
  const extra = values.with.split(",").map((s) => s.trim()).filter(Boolean);
  for (const w of extra) {
    if (w !== "oi" && w !== "funding") {
      throw new ConfigError(`--with accepts oi and/or funding, got "${w}"`, {
        parameter: "--with",
      });
    }
  }
  const gaps = values.gaps;
  if (gaps !== "keep" && gaps !== "fill" && gaps !== "reject") {
    throw new ConfigError(`--gaps must be keep, fill or reject, got "${gaps}"`, {
      parameter: "--gaps",
    });
  }
  const attempts = Number(values.attempts);
  const symbol = values.symbol.toUpperCase();
  const files = archiveFiles({
    symbol,
    interval: values.interval,
    from: values.from,
    to: values.to,
    with: extra as ("oi" | "funding")[],
  });
  const t0 = performance.now();
  const results = await downloadArchive(files, {
    baseUrl: values["base-url"],
    dir: values.dir,
    attempts,
    progress: !values["no-progress"],
  });
  const out = values.out ?? `data/${symbol}-${values.interval}-${values.from}_${values.to}.parquet`;
  const loaded = await loadMarketDataWithReport(results.map((r) => r.localPath), {
    symbol,
    interval: values.interval,
    gaps,
  });
  await Deno.mkdir(out.includes("/") ? out.slice(0, out.lastIndexOf("/")) : ".", {
    recursive: true,
  });
  await writeMarketDataParquet(loaded.market, out);
  const md = loaded.market;
  console.log(JSON.stringify({
    out,
    symbol,
    interval: values.interval,
    files: results.length,
    downloaded: results.filter((r) => r.status === "downloaded").length,
    skipped: results.filter((r) => r.status === "skipped").length,
    bytes: results.reduce((s, r) => s + r.bytes, 0),
    rows: md.time.length,
    first: md.time.length ? new Date(md.time[0]).toISOString() : null,
    last: md.time.length ? new Date(md.time[md.time.length - 1]).toISOString() : null,
    gaps: { count: loaded.report.gaps.count, missingBars: loaded.report.gaps.missingBars },
    duplicatesDropped: loaded.droppedDuplicates,
    alignment: loaded.alignment ?? null,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
  }));
});
