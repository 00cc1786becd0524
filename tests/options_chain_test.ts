/**
 * Option chains: parsing with skip reasons, column mapping, missing-column errors, the chain
 * check's numbers on a chain generated from the pricer, the `options:check` CLI, the fits
 * (recover planted coefficients), the volatility model, IV rank and the spread model. An
 * optional check runs the CLI on `../shared/data` and skips when absent.
 *
 * Cannot catch: a pricing convention shared by the fixture generator and the checker (both use
 * bsmPrice) — the textbook tests in options_pricer_test.ts pin the pricer itself.
 */
import assert from "node:assert/strict";
import { parseCsv } from "@lib/data/mod.ts";
import {
  bsmPrice,
  checkChain,
  expiryCloseMs,
  ivRankSeries,
  leastAbsoluteDeviations,
  leastSquares,
  levelAt,
  modelSpread,
  parseColumnMapping,
  parseOptionChain,
  realisedVol,
  SPY_VIX_SURFACE,
  surfaceVol,
  vixFromRealised,
} from "@lib/options/mod.ts";
import { Rng } from "@lib/util/prng.ts";

const HEADER =
  "contractSymbol,lastTradeDate,strike,lastPrice,bid,ask,change,percentChange,volume,openInterest,impliedVolatility,inTheMoney,contractSize,currency,optionType,expirationDate,days_to_expire,time_to_expire_years,underlyingPrice,moneyness";
const SNAP = "2026-02-11 16:19:32+00:00";
const SNAP_MS = Date.UTC(2026, 1, 11, 16, 19, 32);
const S = 692.3;

function row(
  o: { type: string; k: number; bid: string; ask: string; iv?: string; exp: string; last?: string },
): string {
  return `SPYX,${o.last ?? "2026-02-10 15:00:00+00:00"},${o.k},1,${o.bid},${o.ask},0,0,1,1,${
    o.iv ?? "0.2"
  },False,REGULAR,USD,${o.type},${o.exp},0,0,${S},1`;
}

/** A chain priced at 20 % vol with cent-rounded quotes ± 1 cent, plus one bad row per reason. */
function fixture(): string {
  const lines = [
    HEADER,
    row({ type: "call", k: 690, bid: "5", ask: "5.1", exp: "2026-02-20", last: SNAP }),
  ];
  for (const exp of ["2026-02-20", "2026-03-13"]) {
    const years = (expiryCloseMs(exp) - SNAP_MS) / (365 * 864e5);
    for (let k = 660; k <= 725; k += 5) {
      for (const type of ["call", "put"]) {
        const mid = bsmPrice({
          call: type === "call",
          spot: S,
          strike: k,
          years,
          rate: 0.037,
          dividend: 0.01,
          vol: 0.2,
        });
        const c = Math.round(mid * 100) / 100;
        lines.push(row({ type, k, bid: (c - 0.01).toFixed(2), ask: (c + 0.01).toFixed(2), exp }));
      }
    }
  }
  lines.push(row({ type: "call", k: 700, bid: "3", ask: "2", exp: "2026-02-20" })); // crossed
  lines.push(row({ type: "put", k: 500, bid: "0", ask: "0.01", exp: "2026-02-20" })); // zero bid
  lines.push(row({ type: "put", k: 690, bid: "1", ask: "1.1", exp: "2026-02-10" })); // expired
  lines.push(row({ type: "call", k: 690, bid: "", ask: "1.1", exp: "2026-02-20" })); // NaN bid
  lines.push(row({ type: "straddle", k: 690, bid: "1", ask: "1.1", exp: "2026-02-20" }));
  lines.push(row({ type: "call", k: 690, bid: "1", ask: "1.1", exp: "2026/02/20" })); // bad date
  // an ITM call quoted below its discounted intrinsic value: no IV can reproduce it
  lines.push(row({ type: "call", k: 670, bid: "20", ask: "20.2", exp: "2026-02-20" }));
  return lines.join("\n") + "\n";
}

Deno.test("parseOptionChain: skips and counts bad rows by reason; snapshot from lastTradeDate", () => {
  const ch = parseOptionChain(parseCsv(fixture(), { hasHeader: true }), { file: "f.csv" });
  assert.equal(ch.snapshotMs, Date.parse(SNAP));
  assert.deepEqual(ch.skipped, { bad_number: 2, bad_type: 1, expired: 1, zero_bid: 1, crossed: 1 });
  assert.equal(ch.rows, 2 + 2 * 14 * 2 + 6);
  assert.equal(ch.quotes.length, 1 + 56 + 1);
  // time to expiry from the 16:00 New York close, not from the file's days_to_expire
  const q = ch.quotes.find((x) => x.expiry === "2026-02-20")!;
  assert.ok(Math.abs(q.years * 365 - (9 + (21 * 60 - (16 * 60 + 19.5333)) / 1440)) < 1e-3);
});

Deno.test("parseOptionChain: a missing column names the column and the file; --columns maps it", () => {
  const text = fixture().replace("strike,", "K,");
  assert.throws(
    () => parseOptionChain(parseCsv(text, { hasHeader: true }), { file: "x.csv" }),
    /option chain column "strike" is missing \(file x\.csv, column strike\)/,
  );
  const ch = parseOptionChain(parseCsv(text, { hasHeader: true }), {
    file: "x.csv",
    columns: parseColumnMapping("strike=K"),
  });
  assert.equal(ch.quotes.length, 58);
  assert.throws(() => parseColumnMapping("price=K"), /bad column mapping/);
  const noTime = fixture().replace("lastTradeDate", "ltd");
  assert.throws(
    () => parseOptionChain(parseCsv(noTime, { hasHeader: true }), { file: "y.csv" }),
    /lastTradeDate/,
  );
  assert.equal(
    parseOptionChain(parseCsv(noTime, { hasHeader: true }), { snapshotMs: SNAP_MS }).quotes.length,
    58,
  );
});

Deno.test("checkChain: errors at the true IV are cent rounding; the below-intrinsic quote is unrecovered", () => {
  const ch = parseOptionChain(parseCsv(fixture(), { hasHeader: true }), { file: "f.csv" });
  const r = checkChain(ch, { vix: 20 / SPY_VIX_SURFACE.level });
  // ±5 % of 692.3 = 657.7…726.9, days 9.2 and 30.2: all 56 generated + 2 extra quotes
  assert.equal(r.quotesUsed, 58);
  assert.ok(r.sourceIv!.median <= 0.005, `median ${r.sourceIv!.median}`);
  assert.equal(r.ivUnrecoveredShare, 1 / 58);
  // the model prices at a smile around 20 %: errors of cents to a few dollars, never zero
  assert.ok(r.volModel!.median > 0 && r.volModel!.median < 2);
  assert.equal(checkChain(ch).volModel, null);
});

Deno.test("options:check CLI prints one JSON line; a missing column exits 2 naming it", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/chain.csv`, fixture());
  await Deno.writeTextFile(`${dir}/bad.csv`, fixture().replace(",bid,", ",bid_px,"));
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), { args: ["run", "-A", "cli/options_check.ts", ...args] })
      .output();
  const ok = await run([`${dir}/chain.csv`, "--vix", "23", "--rate", "0.037"]);
  assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
  const lines = new TextDecoder().decode(ok.stdout).trim().split("\n");
  assert.equal(lines.length, 1);
  const j = JSON.parse(lines[0]);
  assert.equal(j.quotes_used, 58);
  assert.equal(j.skipped.crossed, 1);
  assert.ok(j.own_iv_abs_err.median <= 0.005);
  const bad = await run([`${dir}/bad.csv`]);
  assert.equal(bad.code, 2);
  assert.match(new TextDecoder().decode(bad.stderr), /column "bid" is missing.*bad\.csv/);
  const badRate = await run([`${dir}/chain.csv`, "--rate", "3.7"]);
  assert.equal(badRate.code, 2);
  assert.match(new TextDecoder().decode(badRate.stderr), /--rate/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("optional: options:check on the real SPY chains (skips when ../shared/data is absent)", async (t) => {
  const f = "../shared/data/SPY-options-chain-2026-02-12.csv";
  try {
    await Deno.stat(f);
  } catch {
    await t.step({ name: "skipped: no ../shared/data", ignore: true, fn: () => {} });
    return;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/options_check.ts", f, "--vix", "19.18"],
  }).output();
  assert.equal(out.code, 0);
  const j = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.ok(j.quotes_used > 1000);
  // the fitted model prices near-the-money SPY options within about a dollar (median)
  assert.ok(j.vol_model_abs_err.median < 1, JSON.stringify(j.vol_model_abs_err));
  assert.ok(j.iv_unrecovered_share < 0.05);
});

Deno.test("leastSquares and leastAbsoluteDeviations recover planted coefficients", () => {
  const rng = new Rng(1);
  const n = 2000;
  const x = new Float64Array(n * 3);
  const y = new Float64Array(n);
  const yOut = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[3 * i] = 1;
    x[3 * i + 1] = rng.uniform(-1, 1);
    x[3 * i + 2] = rng.uniform(0, 5);
    y[i] = 0.5 - 2 * x[3 * i + 1] + 0.25 * x[3 * i + 2] + 0.01 * rng.normal();
    // 20 % gross outliers: LAD must ignore them, least squares cannot
    yOut[i] = y[i] + (i % 5 === 0 ? 10 : 0);
  }
  const b = leastSquares(x, y, { cols: 3 });
  assert.ok(
    Math.abs(b[0] - 0.5) < 0.01 && Math.abs(b[1] + 2) < 0.01 && Math.abs(b[2] - 0.25) < 0.01,
  );
  const lad = leastAbsoluteDeviations(x, yOut, { cols: 3 });
  assert.ok(Math.abs(lad[0] - 0.5) < 0.02 && Math.abs(lad[1] + 2) < 0.02, `${lad}`);
  const ls = leastSquares(x, yOut, { cols: 3 });
  assert.ok(Math.abs(ls[0] - 0.5) > 1);
  assert.throws(() => leastSquares([1, 2, 2, 4], [1, 2], { cols: 2 }), /singular/);
});

Deno.test("surfaceVol: ATM 30-day vol = level × VIX/100; put skew; clipped", () => {
  const q = { vix: 20, spot: 100, strike: 100, years: 30 / 365, rate: 0, dividend: 0 };
  assert.ok(Math.abs(surfaceVol(q) - 0.2 * SPY_VIX_SURFACE.level) < 1e-12);
  assert.ok(surfaceVol({ ...q, strike: 95 }) > surfaceVol(q)); // downside skew
  assert.equal(surfaceVol({ ...q, vix: 0.01 }), SPY_VIX_SURFACE.minVol);
});

Deno.test("realisedVol, vixFromRealised, ivRankSeries, levelAt", () => {
  // alternating ±1 % log returns: sample sd ≈ 1 % × √(n/(n−1)), annualised × √252
  const closes = [100];
  for (let i = 1; i <= 22; i++) closes.push(closes[i - 1] * Math.exp(i % 2 ? 0.01 : -0.01));
  const rv = realisedVol(closes, 22, { window: 21 });
  assert.ok(
    Math.abs(rv - 0.01 * Math.sqrt(252) * Math.sqrt(21 / 20) * Math.sqrt(1 - 1 / 441)) < 1e-3,
  );
  assert.equal(vixFromRealised(0.1, 1.5), 15);
  const s = Float64Array.from({ length: 300 }, (_, i) => i % 100);
  const rank = ivRankSeries(s, { window: 50, minHistory: 20 });
  assert.ok(Number.isNaN(rank[18]));
  assert.equal(rank[19], 100); // the running maximum
  assert.equal(rank[100], 0); // the value fell back to the window minimum
  assert.equal(rank[150], 100);
  const daily = {
    date: ["2026-02-10", "2026-02-11"],
    open: Float64Array.of(17, 18),
    close: Float64Array.of(17.5, 19),
  };
  assert.equal(levelAt(daily, Date.UTC(2026, 1, 11, 14, 0)), 17.5); // 09:00 NY: previous close
  assert.equal(levelAt(daily, Date.UTC(2026, 1, 11, 14, 30)), 18); // 09:30 open
  assert.equal(levelAt(daily, Date.UTC(2026, 1, 11, 21, 15)), 19); // 16:15 close
  assert.ok(Math.abs(levelAt(daily, Date.UTC(2026, 1, 11, 17, 52, 30)) - 18.5) < 1e-9); // halfway
  assert.equal(levelAt(daily, Date.UTC(2026, 1, 12, 15, 0)), 19); // missing day: last close
  assert.ok(Number.isNaN(levelAt(daily, Date.UTC(2026, 1, 1))));
});

Deno.test("modelSpread: ITM wider than OTM at the same premium; never below the tick", () => {
  assert.ok(modelSpread(10, 8) > 2 * modelSpread(10, 0));
  assert.equal(
    modelSpread(0.02, 0, { base: -0.05, perTimeValue: 0.01, perIntrinsic: 0, tick: 0.01 }),
    0.01,
  );
  assert.ok(modelSpread(0.02, 0) >= 0.01);
});
