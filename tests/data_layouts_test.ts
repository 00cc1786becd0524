/**
 * Layout detection and per-kind column mappings (`layouts.ts`), and the funding units check
 * (`funding.ts`). Each case writes a file in a real-world layout and checks the canonical
 * values that come out, so a misdetected layout or a wrong time convention fails here.
 * Cannot catch: layouts nobody has written a case for.
 */
import assert from "node:assert/strict";
import {
  checkFundingUnits,
  detectFundingIntervalMs,
  loadDataset,
  loadFunding,
  loadOpenInterest,
  parseColumnMapping,
  readTables,
} from "../lib/data/mod.ts";
import { ConfigError, DataError } from "../lib/util/mod.ts";
import { klineCsv, smallMarket } from "./data_fixtures.ts";

const md = smallMarket(288 * 2, 7);
const n = md.time.length;
const H = 3_600_000;

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "layouts_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function ohlcvRows(header: string, time: (i: number) => string): string {
  const out = [header];
  for (let i = 0; i < n; i++) {
    out.push(
      [time(i), md.open[i], md.high[i], md.low[i], md.close[i], md.volume[i]].join(","),
    );
  }
  return out.join("\n") + "\n";
}

Deno.test("bars: Binance archive with and without header, epoch s/ms/µs and ISO offsets", async () => {
  await withTemp(async (dir) => {
    const cases: [string, string, string, string][] = [
      ["a.csv", klineCsv(md), "binance-klines", "epoch ms"],
      ["BTCUSDT-5m-2024-01.csv", klineCsv(md, 0, n, false), "binance-klines", "epoch ms"],
      [
        "s.csv",
        ohlcvRows("time,open,high,low,close,volume", (i) => String(md.time[i] / 1000)),
        "ohlcv-csv",
        "epoch s",
      ],
      [
        "us.csv",
        ohlcvRows("timestamp,open,high,low,close,volume", (i) => String(md.time[i] * 1000)),
        "ohlcv-csv",
        "epoch us",
      ],
      [
        "iso.csv",
        ohlcvRows(
          "Date,Open,High,Low,Close,Volume",
          (i) => new Date(md.time[i] + 2 * H).toISOString().replace("Z", "+02:00"),
        ),
        "ohlcv-csv",
        "iso",
      ],
    ];
    for (const [name, text, layout, fmt] of cases) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
      const ds = await loadDataset(`${dir}/${name}`);
      assert.equal(ds.layouts.bars[0].layout, layout, name);
      assert.equal(ds.layouts.bars[0].timeFormat, fmt, name);
      assert.equal(ds.market.time[0], md.time[0], name);
      assert.equal(ds.market.time[n - 1], md.time[n - 1], name);
      assert.equal(ds.market.interval, "5m", name);
    }
  });
});

Deno.test("bars stamped at the bar END (at=end): open = end − interval, also for close_time − 1 ms", async () => {
  await withTemp(async (dir) => {
    const p = `${dir}/end.csv`;
    await Deno.writeTextFile(
      p,
      ohlcvRows("close_time,open,high,low,close,volume", (i) => String(md.time[i] + 300_000 - 1)),
    );
    const ds = await loadDataset(p, { columns: { time: "close_time", at: "end" } });
    assert.equal(ds.market.time[0], md.time[0]);
    assert.equal(ds.layouts.bars[0].at, "end");
    assert.equal(ds.layouts.bars[0].userMapping, true);
  });
});

Deno.test("OI: t,oi,oi_usd (t = bar end) and at=open; Binance metrics; API funding layout", async () => {
  await withTemp(async (dir) => {
    const lines = ["t,oi,oi_usd"];
    for (let i = 0; i < 50; i++) lines.push(`${md.time[i] + 300_000},${1000 + i},${2e7 + i}`);
    const p = `${dir}/oi.csv`;
    await Deno.writeTextFile(p, lines.join("\n") + "\n");
    // Without a kind hint it is OI, not OHLCV (issue 19: it was misread as OHLCV).
    assert.deepEqual([...(await readTables(p)).keys()], ["oi"]);
    const end = await loadOpenInterest(p);
    assert.equal(end.time[0], md.time[0] + 300_000); // the snapshot instant = the stamp
    assert.equal(end.value[3], 1003);
    // The same file read as period STARTS: every value becomes true one spacing later.
    const open = await loadOpenInterest(p, { columns: { at: "open" } });
    assert.equal(open.time[0], md.time[0] + 600_000);
    // Renamed columns need the mapping; without it the error names header and flag.
    const q = `${dir}/oi2.csv`;
    await Deno.writeTextFile(
      q,
      lines.join("\n").replace("t,oi,oi_usd", "when,contracts,usd") + "\n",
    );
    await assert.rejects(
      () => loadDataset({ data: "synthetic", oi: q }, { synthetic: { bars: 300 } }),
      (e: Error) =>
        e instanceof DataError && /no time column/.test(e.message) &&
        /header: when,contracts,usd; pass --oi-columns time=<name>/.test(e.message),
    );
    const mapped = await loadDataset({ data: "synthetic", oi: q }, {
      synthetic: { bars: 300, seed: 7 },
      oiColumns: { time: "when", oi: "contracts" },
    });
    assert.equal(mapped.layouts.oi[0].columns.open_interest, "contracts");
    assert.equal(mapped.market.openInterest![3], 1003);
    // Binance API funding export: symbol,fundingTime,fundingRate,markPrice.
    const f = `${dir}/api_funding.csv`;
    const fl = ["symbol,fundingTime,fundingRate,markPrice"];
    for (let k = 0; k < 6; k++) fl.push(`BTCUSDT,${md.time[0] + (k + 1) * 8 * H + 3},0.0001,42000`);
    await Deno.writeTextFile(f, fl.join("\n") + "\n");
    const fs = await loadFunding(f);
    assert.equal(fs.time.length, 6);
    assert.equal(fs.value[0], 0.0001);
    const t = await readTables(f, { dataKind: "funding" });
    assert.equal(t.get("funding")!.layouts[0].layout, "funding-csv");
    assert.equal(t.get("funding")!.symbol, "BTCUSDT");
  });
});

Deno.test("a klines file passed as --oi is named as price bars, not misread as OI", async () => {
  await withTemp(async (dir) => {
    const p = `${dir}/k.csv`;
    await Deno.writeTextFile(p, klineCsv(md, 0, 20));
    await assert.rejects(
      () => loadDataset({ data: p, oi: p }),
      /looks like a Binance kline archive CSV \(price bars\), not open interest.*pass it with --data/,
    );
  });
});

Deno.test("--columns parsing: per-kind keys, at and unit checked, messages start with the flag", () => {
  assert.deepEqual(parseColumnMapping("time=t,oi=oi,at=end", "oi", { flag: "--oi-columns" }), {
    time: "t",
    oi: "oi",
    at: "end",
  });
  assert.equal(parseColumnMapping(undefined, "bars"), undefined);
  const bad: [string, "bars" | "oi" | "funding", RegExp][] = [
    ["oi=x", "bars", /^--columns: unknown key "oi"/],
    ["close", "bars", /^--columns: bad entry "close"/],
    ["at=middle", "oi", /^--columns: at must be open or end/],
    ["unit=days", "funding", /^--columns: unit must be s, ms, us or ns/],
  ];
  for (const [text, kind, re] of bad) {
    assert.throws(
      () => parseColumnMapping(text, kind),
      (e: Error) => e instanceof ConfigError && re.test(e.message),
      text,
    );
  }
});

function fundingSeries(hours: number, rate: number, count = 60, jitter = 0) {
  const time = new Float64Array(count);
  const value = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    time[k] = Date.UTC(2024, 0, 1) + k * hours * H + (k % 2 ? jitter : -jitter);
    // Baseline with some spread, like real funding.
    value[k] = rate * (k % 5 === 0 ? 3 : k % 7 === 0 ? -0.5 : 1);
  }
  return { time, value };
}

Deno.test("funding interval: median spacing rounded to whole hours (jitter and missing rows)", () => {
  assert.equal(detectFundingIntervalMs(fundingSeries(8, 1e-4, 30, 3).time), 8 * H);
  assert.equal(detectFundingIntervalMs(fundingSeries(4, 1e-4, 30).time), 4 * H);
  assert.equal(detectFundingIntervalMs(fundingSeries(1, 1e-4, 30, 2).time), H);
  assert.equal(detectFundingIntervalMs(new Float64Array([0])), 0);
});

Deno.test("funding units: ÷ 8 and percent files are flagged, correct files and scaled ones are not", () => {
  // Correct 8-hourly per-settlement rates (median 1e-4): no warning.
  const ok = checkFundingUnits(fundingSeries(8, 1e-4), { file: "f.csv" });
  assert.equal(ok.looksLike, "per-settlement");
  assert.equal(ok.warning, undefined);
  assert.ok(Math.abs(ok.ratio - 1) < 1e-9);
  // The 8-hour rate divided by 8 (ratio 0.125 < 1/√8 = 0.354): per hour → scale 8.
  const div8 = checkFundingUnits(fundingSeries(8, 1e-4 / 8), { file: "thirdparty.csv" });
  assert.equal(div8.looksLike, "per-hour");
  assert.equal(div8.suggestedScale, 8);
  assert.match(div8.warning!, /^thirdparty\.csv: median \|funding rate\| 1\.25e-5 per 8 h/);
  // Threshold: just above 1/√8 × 1e-4 (3.6e-5) is accepted, just below (3.4e-5) is not.
  assert.equal(checkFundingUnits(fundingSeries(8, 3.6e-5)).suggestedScale, null);
  assert.equal(checkFundingUnits(fundingSeries(8, 3.4e-5)).suggestedScale, 8);
  // Vice versa: 8-hour rates on an hourly symbol (ratio 8 > √8) → scale 1/8.
  const hourly = checkFundingUnits(fundingSeries(1, 1e-4), { file: "h.csv" });
  assert.equal(hourly.looksLike, "per-8h-on-shorter-interval");
  assert.equal(hourly.suggestedScale, 0.125);
  assert.match(hourly.warning!, /overstated 8×/);
  // A correct hourly file (1.25e-5 per 1 h settlement) is fine.
  assert.equal(checkFundingUnits(fundingSeries(1, 1.25e-5)).warning, undefined);
  // Percent (0.01 meaning 0.01 %): scale 0.01.
  assert.equal(checkFundingUnits(fundingSeries(8, 0.01)).suggestedScale, 0.01);
  // A high-funding regime on 8 h (median 5e-4, ratio 5) is not flagged.
  assert.equal(checkFundingUnits(fundingSeries(8, 5e-4)).warning, undefined);
  // Already scaled: judged after the scale; the suggestion is the total scale.
  const s = fundingSeries(8, 1e-4 / 8);
  const scaled = { time: s.time, value: s.value.map((v) => v * 8) };
  assert.equal(checkFundingUnits(scaled, { scale: 8 }).warning, undefined);
  // Too few settlements: not judged.
  assert.equal(checkFundingUnits(fundingSeries(8, 1e-6, 5)).looksLike, "unknown");
});

Deno.test("loadDataset: fundingScale must be > 0", async () => {
  await assert.rejects(
    () => loadDataset("synthetic", { fundingScale: 0, synthetic: { bars: 300 } }),
    /--funding-scale must be a finite number > 0 \(got 0\)/,
  );
});
