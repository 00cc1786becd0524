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
import {
  archiveFiles,
  downloadArchive,
  loadMarketDataWithReport,
  writeMarketDataParquet,
} from "@lib/data/mod.ts";
import {
  ConfigError,
  type FlagSpec,
  formatFlagHelp,
  parseFlags,
  resolveUserPath,
  runCli,
} from "@lib/util/mod.ts";

const USAGE =
  "usage: deno task data:fetch --symbol BTCUSDT --interval 5m --from 2024-01 --to 2024-06 [--with oi,funding] [--base-url URL] [--dir data/binance] [--out FILE.parquet] [--attempts 4] [--gaps keep|fill|reject] [--no-progress]";

const FLAGS = {
  symbol: { type: "string", default: "BTCUSDT", description: "USDT-M symbol" },
  interval: { type: "string", default: "5m", description: "kline interval" },
  from: { type: "string", description: "first month (YYYY-MM) or day (YYYY-MM-DD)" },
  to: { type: "string", description: "last month or day, inclusive" },
  with: { type: "string", default: "", description: "extra archives: oi, funding" },
  "base-url": {
    type: "string",
    default: "https://data.binance.vision",
    description: "archive mirror",
  },
  dir: { type: "string", default: "data/binance", description: "download folder" },
  out: { type: "string", description: "Parquet output (default data/SYMBOL-…parquet)" },
  attempts: {
    type: "integer",
    default: 4,
    range: { min: 1, max: 20 },
    description: "download attempts per file",
  },
  gaps: {
    type: "string",
    default: "keep",
    choices: ["keep", "fill", "reject"],
    description: "missing bars",
  },
  "no-progress": { type: "boolean", description: "no progress on stderr" },
  help: { type: "boolean", short: "h", description: "this help" },
} as const satisfies Record<string, FlagSpec>;

await runCli(async () => {
  const { values } = parseFlags(Deno.args, FLAGS, { usage: USAGE });
  if (values.help) {
    console.log(`${USAGE}\n\n${formatFlagHelp(FLAGS)}`);
    return;
  }
  if (!values.from || !values.to) {
    throw new ConfigError(
      "data:fetch needs a date range: --from and --to",
      { parameter: values.from ? "--to" : "--from" },
      "e.g. deno task data:fetch --symbol BTCUSDT --interval 5m --from 2024-01 --to 2024-06 --with oi,funding",
    );
  }
  const extra = values.with.split(",").map((s) => s.trim()).filter(Boolean);
  for (const w of extra) {
    if (w !== "oi" && w !== "funding") {
      throw new ConfigError(`--with accepts oi and/or funding (got "${w}")`, {
        parameter: "--with",
      });
    }
  }
  const gaps = values.gaps as "keep" | "fill" | "reject";
  const attempts = values.attempts;
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
    dir: resolveUserPath(values.dir),
    attempts,
    progress: !values["no-progress"],
  });
  const out = resolveUserPath(
    values.out ?? `data/${symbol}-${values.interval}-${values.from}_${values.to}.parquet`,
  );
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
