/**
 * `deno task data:synth [--seed 42] [--bars 52560] [--interval 5m] [--start 2024-01-01T00:00:00Z]
 *   [--symbol SYNTHBTCUSDT] [--out data/synthetic.parquet]`
 *
 * Writes the seeded synthetic market (see lib/data/synthetic.ts) to a Parquet file and prints
 * one JSON line: rows, first/last bar, the SHA-256 of the arrays (same seed → same hash).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { generateSyntheticMarket, writeMarketDataParquet } from "@lib/data/mod.ts";
import { ConfigError, hashArrays, runCli } from "@lib/util/mod.ts";

await runCli(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seed: { type: "string", default: "42" },
      bars: { type: "string" },
      interval: { type: "string", default: "5m" },
      start: { type: "string", default: "2024-01-01T00:00:00Z" },
      symbol: { type: "string", default: "SYNTHBTCUSDT" },
      out: { type: "string", default: "data/synthetic.parquet" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task data:synth [--seed 42] [--bars N] [--interval 5m] [--start ISO] [--symbol S] [--out data/synthetic.parquet]",
    );
    return;
  }
  const seed = Number(values.seed);
  if (!Number.isFinite(seed)) {
    throw new ConfigError(`--seed must be a number, got "${values.seed}"`, { parameter: "--seed" });
  }
  const bars = values.bars === undefined ? undefined : Number(values.bars);
  if (bars !== undefined && (!Number.isInteger(bars) || bars < 1)) {
    throw new ConfigError(`--bars must be a positive integer, got "${values.bars}"`, {
      parameter: "--bars",
    });
  }
  const md = generateSyntheticMarket({
    seed,
    bars,
    interval: values.interval,
    startTime: values.start,
    symbol: values.symbol,
  });
  const out = values.out;
  if (out.includes("/")) await Deno.mkdir(out.slice(0, out.lastIndexOf("/")), { recursive: true });
  await writeMarketDataParquet(md, out);
  const hash = await hashArrays([
    md.time,
    md.open,
    md.high,
    md.low,
    md.close,
    md.volume,
    md.openInterest!,
    md.fundingRate!,
  ]);
  console.log(JSON.stringify({
    out,
    seed,
    symbol: md.symbol,
    interval: md.interval,
    rows: md.time.length,
    first: new Date(md.time[0]).toISOString(),
    last: new Date(md.time[md.time.length - 1]).toISOString(),
    sha256: hash,
  }));
});
