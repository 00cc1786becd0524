/**
 * `deno task data:synth [--preset realistic|learning] [--seed 42] [--bars N] [--interval 5m]
 *   [--start 2024-01-01T00:00:00Z] [--symbol SYNTHBTCUSDT] [--out data/synthetic.parquet]`
 *
 * `--preset realistic` (default): the 24-month calibrated market (210,240 bars);
 * `--preset learning`: the 6-month strong-edge market for learning proofs (52,560 bars).
 *
 * Writes the seeded synthetic market (see lib/data/synthetic.ts) to a Parquet file and prints
 * one JSON line: rows, first/last bar, the SHA-256 of the arrays (same seed → same hash).
 *
 * @module
 */
import { dirname } from "node:path";
import {
  generateSyntheticMarket,
  parseSyntheticSource,
  writeMarketDataParquet,
} from "@lib/data/mod.ts";
import {
  type FlagSpec,
  formatFlagHelp,
  hashArrays,
  parseFlags,
  resolveUserPath,
  runCli,
} from "@lib/util/mod.ts";

const USAGE =
  "usage: deno task data:synth [--preset realistic|learning] [--seed 42] [--bars N] [--interval 5m] [--start ISO] [--symbol S] [--out data/synthetic.parquet]";
const FLAGS = {
  preset: {
    type: "string",
    default: "realistic",
    choices: ["realistic", "learning"],
    description: "synthetic market: realistic (default, 24 months) or learning (strong edge)",
  },
  seed: { type: "integer", default: 42, range: { min: 0 }, description: "PRNG seed" },
  bars: { type: "integer", range: { min: 1 }, description: "number of bars (default: preset)" },
  interval: { type: "string", default: "5m", description: "bar interval" },
  start: { type: "string", default: "2024-01-01T00:00:00Z", description: "first bar (ISO)" },
  symbol: { type: "string", default: "SYNTHBTCUSDT", description: "symbol written" },
  out: { type: "string", default: "data/synthetic.parquet", description: "Parquet output" },
  help: { type: "boolean", short: "h", description: "this help" },
} as const satisfies Record<string, FlagSpec>;

await runCli(async () => {
  const { values } = parseFlags(Deno.args, FLAGS, { usage: USAGE });
  if (values.help) {
    console.log(`${USAGE}\n\n${formatFlagHelp(FLAGS)}`);
    return;
  }
  const seed = values.seed;
  const bars = values.bars;
  const preset = parseSyntheticSource(`synthetic:${values.preset}`)!.preset;
  const md = generateSyntheticMarket({
    preset,
    seed,
    bars,
    interval: values.interval,
    startTime: values.start,
    symbol: values.symbol,
  });
  const out = resolveUserPath(values.out);
  await Deno.mkdir(dirname(out), { recursive: true });
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
    preset,
    seed,
    symbol: md.symbol,
    interval: md.interval,
    rows: md.time.length,
    first: new Date(md.time[0]).toISOString(),
    last: new Date(md.time[md.time.length - 1]).toISOString(),
    sha256: hash,
  }));
});
