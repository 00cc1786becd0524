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
import { parseArgs } from "node:util";
import { parseCsv } from "@lib/data/mod.ts";
import { checkChain, levelAt, parseColumnMapping, parseOptionChain } from "@lib/options/mod.ts";
import { ConfigError, DataError, runCli } from "@lib/util/mod.ts";

const USAGE =
  "usage: deno task options:check <chain.csv> [--columns field=col,...] [--rate 0.037] [--dividend 0.01] [--vix 17.8 | --vix-file VIX.csv] [--snapshot ISO]";

function numberFlag(
  v: string | undefined,
  name: string,
  lo: number,
  hi: number,
): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!(Number.isFinite(x) && x >= lo && x <= hi)) {
    throw new ConfigError(`--${name} must be a number in [${lo}, ${hi}], got "${v}"`, {
      parameter: `--${name}`,
    }, "rates are fractions: 0.037 means 3.7 %");
  }
  return x;
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new DataError(`cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
}

await runCli(async () => {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      columns: { type: "string" },
      rate: { type: "string", default: "0.037" },
      dividend: { type: "string", default: "0.01" },
      vix: { type: "string" },
      "vix-file": { type: "string" },
      snapshot: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1) {
    throw new ConfigError("give exactly one chain CSV file", { parameter: "chain" }, USAGE);
  }
  const file = positionals[0];
  const rate = numberFlag(values.rate, "rate", -0.2, 1)!;
  const dividend = numberFlag(values.dividend, "dividend", -0.2, 1)!;
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
  let vix = numberFlag(values.vix, "vix", 1, 200);
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
