/**
 * Fit the options env's volatility surface, spread model and realised-volatility ratio on the
 * real data in `../shared/data` (development data, absent from a user's clone), and print the
 * constants with their fit quality as ONE JSON line. The printed constants are copied, with
 * this provenance, into `lib/options/vol_model.ts` (SPY_VIX_SURFACE, VIX_OVER_REALISED) and
 * `lib/options/spread.ts` (SPY_SPREAD_MODEL).
 *
 * Usage: `deno run -A tools/fit_options_models.ts [--data ../shared/data] [--rate 0.037]
 * [--dividend 0.01]`
 *
 * @module
 */
import { parseCsv } from "@lib/data/csv.ts";
import {
  bsmPrice,
  type DailyLevels,
  impliedVol,
  leastAbsoluteDeviations,
  leastSquares,
  levelAt,
  type OptionChain,
  parseOptionChain,
  quantile,
  realisedVol,
  surfaceVol,
  type VolSurfaceParams,
} from "@lib/options/mod.ts";
import { runCli } from "@lib/util/errors.ts";
import { parseFlags, resolveUserPath } from "@lib/util/flags.ts";

const CHAINS = ["SPY-options-chain-2026-02-11.csv", "SPY-options-chain-2026-02-12.csv"];

function readDaily(path: string): DailyLevels {
  const t = parseCsv(Deno.readTextFileSync(path), { hasHeader: true, file: path });
  const h = t.header!;
  const di = h.indexOf("date");
  const oi = h.indexOf("open");
  const ci = h.indexOf("close");
  return {
    date: t.rows.map((r) => r[di]),
    open: Float64Array.from(t.rows, (r) => Number(r[oi])),
    close: Float64Array.from(t.rows, (r) => Number(r[ci])),
  };
}

await runCli(() => {
  const { values } = parseFlags(Deno.args, {
    data: { type: "string", default: "../shared/data", description: "folder of the data" },
    rate: {
      type: "number",
      default: 0.037,
      range: { min: -0.2, max: 1 },
      description: "risk-free rate, annual fraction",
    },
    dividend: {
      type: "number",
      default: 0.01,
      range: { min: -0.2, max: 1 },
      description: "dividend yield, annual fraction",
    },
  }, {
    usage: "usage: deno run -A tools/fit_options_models.ts [--data DIR] [--rate R] [--dividend Q]",
  });
  const dir = resolveUserPath(values.data);
  const { rate, dividend } = values;
  const vix = readDaily(`${dir}/VIX-daily-1990-2026.csv`);
  const spy = readDaily(`${dir}/SPY-daily-1993-2026.csv`);
  const chains: { chain: OptionChain; vix: number }[] = CHAINS.map((f) => {
    const chain = parseOptionChain(
      parseCsv(Deno.readTextFileSync(`${dir}/${f}`), { hasHeader: true, file: f }),
      { file: f },
    );
    return { chain, vix: levelAt(vix, chain.snapshotMs) };
  });

  // ---- volatility surface: OTM quotes, 2–60 days, |ln K/S| ≤ 10 %
  const T30 = 30 / 365;
  const xs: number[] = [];
  const ys: number[] = [];
  const pts: {
    s: number;
    k: number;
    t: number;
    call: boolean;
    mid: number;
    vix: number;
    iv: number;
  }[] = [];
  for (const { chain, vix: v } of chains) {
    for (const q of chain.quotes) {
      const days = q.years * 365;
      const lm = Math.log(q.strike / q.underlying);
      if (days < 2 || days > 60 || Math.abs(lm) > 0.1) continue;
      if (q.call !== (q.strike >= q.underlying)) continue; // out of the money only
      const o = {
        call: q.call,
        spot: q.underlying,
        strike: q.strike,
        years: q.years,
        rate,
        dividend,
        vol: 0,
      };
      const iv = impliedVol(q.mid, o);
      if (iv === null) continue;
      const x = (lm - (rate - dividend) * q.years) / Math.sqrt(q.years);
      xs.push(1, Math.log(q.years / T30), x, x * x);
      ys.push(iv / (v / 100));
      pts.push({ s: q.underlying, k: q.strike, t: q.years, call: q.call, mid: q.mid, vix: v, iv });
    }
  }
  const b = leastSquares(xs, ys, { cols: 4 });
  const surface: VolSurfaceParams = {
    level: b[0],
    termSlope: b[1],
    skew: b[2],
    curvature: b[3],
    minVol: 0.03,
    maxVol: 3,
  };
  const volErr: number[] = [];
  const priceErr: number[] = [];
  for (const p of pts) {
    const sv = surfaceVol(
      { vix: p.vix, spot: p.s, strike: p.k, years: p.t, rate, dividend },
      surface,
    );
    volErr.push(100 * Math.abs(sv - p.iv));
    priceErr.push(Math.abs(
      bsmPrice({ call: p.call, spot: p.s, strike: p.k, years: p.t, rate, dividend, vol: sv }) -
        p.mid,
    ));
  }

  // ---- spread: all valid quotes, 2–60 days, |ln K/S| ≤ 10 %; LAD on [1, time value, intrinsic]
  const sx: number[] = [];
  const sy: number[] = [];
  for (const { chain } of chains) {
    for (const q of chain.quotes) {
      const days = q.years * 365;
      if (days < 2 || days > 60 || Math.abs(Math.log(q.strike / q.underlying)) > 0.1) continue;
      const intr = Math.max(q.call ? q.underlying - q.strike : q.strike - q.underlying, 0);
      sx.push(1, Math.max(q.mid - intr, 0), intr);
      sy.push(q.ask - q.bid);
    }
  }
  const sb = leastAbsoluteDeviations(sx, sy, { cols: 3 });
  const spreadErr: number[] = [];
  const spreadRel: number[] = [];
  for (let i = 0; i < sy.length; i++) {
    const f = Math.max(0.01, sb[0] + sb[1] * sx[3 * i + 1] + sb[2] * sx[3 * i + 2]);
    spreadErr.push(Math.abs(f - sy[i]));
    spreadRel.push(Math.abs(f - sy[i]) / sy[i]);
  }

  // ---- realised-volatility ratio: VIX close / SPY trailing 21-day realised vol
  const vixByDate = new Map(vix.date.map((d, i) => [d, vix.close[i]]));
  const ratios: number[] = [];
  const ratios10: number[] = [];
  for (let i = 21; i < spy.date.length; i++) {
    const v = vixByDate.get(spy.date[i]);
    const rv = realisedVol(spy.close, i, { window: 21 });
    if (v === undefined || !(rv > 0)) continue;
    ratios.push(v / 100 / rv);
    if (spy.date[i] >= "2016-01-01") ratios10.push(v / 100 / rv);
  }

  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  console.log(JSON.stringify({
    snapshots: chains.map((c) => ({
      file: c.chain.file,
      snapshot: new Date(c.chain.snapshotMs).toISOString(),
      vix: r4(c.vix),
    })),
    surface: { level: r4(b[0]), termSlope: r4(b[1]), skew: r4(b[2]), curvature: r4(b[3]) },
    surfaceFit: {
      quotes: pts.length,
      volErrMedianPts: r4(quantile(volErr, 0.5)),
      volErrP90Pts: r4(quantile(volErr, 0.9)),
      priceErrMedian: r4(quantile(priceErr, 0.5)),
      priceErrP90: r4(quantile(priceErr, 0.9)),
    },
    spread: { base: r4(sb[0]), perTimeValue: r4(sb[1]), perIntrinsic: r4(sb[2]) },
    spreadFit: {
      quotes: sy.length,
      absErrMedian: r4(quantile(spreadErr, 0.5)),
      absErrP90: r4(quantile(spreadErr, 0.9)),
      relErrMedian: r4(quantile(spreadRel, 0.5)),
    },
    vixOverRealised: {
      median: r4(quantile(ratios, 0.5)),
      days: ratios.length,
      median2016on: r4(quantile(ratios10, 0.5)),
      p10: r4(quantile(ratios, 0.1)),
      p90: r4(quantile(ratios, 0.9)),
    },
  }));
});
