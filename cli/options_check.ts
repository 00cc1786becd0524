/**
 * `deno task options:check <chain.csv> [--columns field=col,…] [--rate 0.037]
 *   [--dividend 0.01] [--vix 17.8 | --vix-file VIX.csv] [--snapshot ISO]`
 *
 * Checks the Black-Scholes-Merton pricer and the env's volatility model against a real option
 * chain (see `lib/options/chain_check.ts`) and prints ONE JSON line: quotes used (±5 % of the
 * money, 2–60 days), the median and 90th-percentile absolute price error (USD per share) at
 * the quote's own (source) IV and at the volatility model's IV, the share of quotes whose IV
 * the solver could not recover from the mid, and rows skipped by reason. The VIX level for
 * the model comes from `--vix`, or from a daily VIX CSV (`date,open,…,close`) interpolated to
 * the snapshot with `--vix-file`.
 *
 * @module
 */
import { parseCsv } from "@lib/data/mod.ts";
import { checkChain, levelAt, parseColumnMapping, parseOptionChain } from "@lib/options/mod.ts";
import { ConfigError, DataError, type FlagSpec, parseFlags, runCli } from "@lib/util/mod.ts";

const USAGE =
  "usage: deno task options:check <chain.csv> [--columns field=col,...] [--rate 0.037] [--dividend 0.01] [--vix 17.8 | --vix-file VIX.csv] [--snapshot ISO]";

/**
 * Flags. Rates are annual fractions (0.037 = 3.7 %): a value above 1 is almost surely a
 * percentage typed by mistake; below −0.2 no market has priced. VIX levels outside [1, 200]
 * have never printed.
 */
const FLAGS = {
  columns: { type: "string", description: "column mapping field=col,…" },
  rate: {
    type: "number",
    default: 0.037,
    range: { min: -0.2, max: 1 },
    description: "risk-free rate, annual fraction (0.037 = 3.7 %)",
  },
  dividend: {
    type: "number",
    default: 0.01,
    range: { min: -0.2, max: 1 },
    description: "dividend yield, annual fraction",
  },
  vix: { type: "number", range: { min: 1, max: 200 }, description: "VIX level (points)" },
  "vix-file": { type: "string", description: "daily VIX CSV" },
  snapshot: { type: "string", description: "snapshot time (ISO)" },
  help: { type: "boolean", short: "h", description: "show this help" },
} as const satisfies Record<string, FlagSpec>;

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new DataError(`cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
}

await runCli(async () => {
  const { values, positionals } = parseFlags(Deno.args, FLAGS, {
    usage: USAGE + " (rates are fractions: 0.037 means 3.7 %)",
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1) {
    throw new ConfigError("give exactly one chain CSV file", { parameter: "chain" }, USAGE);
  }
  const file = positionals[0];
  const { rate, dividend } = values;
  let snapshotMs: number | undefined;
  if (values.snapshot !== undefined) {
    snapshotMs = Date.parse(values.snapshot);
    if (!Number.isFinite(snapshotMs)) {
      throw new ConfigError(`--snapshot is not an ISO time: "${values.snapshot}"`, {
        parameter: "--snapshot",
      }, "e.g. 2026-02-11T16:19:00Z");
    }
  }
  const chain = parseOptionChain(parseCsv(await readText(file), { hasHeader: true, file }), {
    file,
    columns: values.columns ? parseColumnMapping(values.columns) : undefined,
    snapshotMs,
  });
  let vix = values.vix;
  if (vix === undefined && values["vix-file"] !== undefined) {
    const vf = values["vix-file"];
    const t = parseCsv(await readText(vf), { hasHeader: true, file: vf });
    const h = t.header ?? [];
    for (const c of ["date", "open", "close"]) {
      if (!h.includes(c)) {
        throw new DataError(`VIX column "${c}" is missing`, { file: vf, column: c });
      }
    }
    const [di, oi, ci] = ["date", "open", "close"].map((c) => h.indexOf(c));
    vix = levelAt({
      date: t.rows.map((r) => r[di]),
      open: Float64Array.from(t.rows, (r) => Number(r[oi])),
      close: Float64Array.from(t.rows, (r) => Number(r[ci])),
    }, chain.snapshotMs);
    if (!Number.isFinite(vix)) {
      throw new DataError(
        `no VIX level at the snapshot ${new Date(chain.snapshotMs).toISOString()}`,
        {
          file: vf,
        },
      );
    }
  }
  const r = checkChain(chain, { rate, dividend, vix });
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  const s = (e: { n: number; median: number; p90: number } | null) =>
    e && { n: e.n, median: r4(e.median), p90: r4(e.p90) };
  console.log(JSON.stringify({
    check: "options",
    file: r.file,
    snapshot: r.snapshot,
    underlying: r4(r.underlying),
    rate: r.rate,
    dividend: r.dividend,
    vix: r.vix === null ? null : r4(r.vix),
    rows: r.rows,
    skipped: r.skipped,
    quotes_valid: r.quotesValid,
    quotes_used: r.quotesUsed,
    own_iv_abs_err: s(r.sourceIv),
    vol_model_abs_err: s(r.volModel),
    iv_unrecovered_share: r4(r.ivUnrecoveredShare),
    iv_vs_source_pts: s(r.ivVsSource),
    units: "abs errors in USD per share vs the bid/ask mid; iv_vs_source in vol points",
    ...(r.volModel === null ? { note: "vol_model needs --vix or --vix-file" } : {}),
  }));
});
