/**
 * Loaders on fixtures written in the exact Binance archive formats (klines with and without
 * header, metrics, fundingRate; .csv and .zip; single files and folders), the generic OHLCV
 * CSV, validation (gaps, duplicates, order, NaN, OHLC), gap filling, polars/Parquet
 * round trips and the data:inspect CLI.
 */
import assert from "node:assert/strict";
import {
  dataFrameToMarketData,
  fillGaps,
  inspectPath,
  loadFunding,
  loadKlines,
  loadMarketData,
  loadMarketDataWithReport,
  loadOhlcvCsv,
  loadOpenInterest,
  type MarketData,
  marketDataToDataFrame,
  parseTimeString,
  prepareMarketData,
  readMarketDataParquet,
  validateMarketData,
  writeMarketDataParquet,
} from "../lib/data/mod.ts";
import { DataError } from "../lib/util/mod.ts";
import {
  dayOf,
  fundingCsv,
  klineCsv,
  metricsCsv,
  smallMarket,
  writeTemp,
  zipCsv,
} from "./data_fixtures.ts";

const md = smallMarket(); // 3 days of 5-minute bars, 864 rows
const DAY = 288;

function assertSameBars(a: MarketData, b: MarketData, from = 0): void {
  assert.equal(a.intervalMs, b.intervalMs);
  for (let i = 0; i < a.time.length; i++) {
    const j = i + from;
    assert.equal(a.time[i], b.time[j], `time ${i}`);
    assert.equal(a.close[i], b.close[j], `close ${i}`);
    assert.equal(a.high[i], b.high[j], `high ${i}`);
    assert.equal(a.low[i], b.low[j], `low ${i}`);
    assert.equal(a.open[i], b.open[j], `open ${i}`);
    assert.equal(a.volume[i], b.volume[j], `volume ${i}`);
  }
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "data_loaders_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("klines: CSV with header and zip without header load identically", async () => {
  await withTemp(async (dir) => {
    const a = await writeTemp(dir, "BTCUSDT-5m-2024-01.csv", klineCsv(md));
    const b = await writeTemp(
      dir,
      "z/BTCUSDT-5m-2024-01.zip",
      zipCsv("BTCUSDT-5m-2024-01.csv", klineCsv(md, 0, md.time.length, false)),
    );
    const ma = await loadKlines(a);
    const mb = await loadKlines(b);
    assert.equal(ma.time.length, md.time.length);
    assert.equal(ma.symbol, "BTCUSDT");
    assert.equal(ma.interval, "5m");
    assertSameBars(ma, md);
    assertSameBars(mb, md);
  });
});

Deno.test("folder of daily zips plus an overlapping monthly zip: merged, identical rows dropped", async () => {
  await withTemp(async (dir) => {
    for (let d = 0; d < 3; d++) {
      const day = dayOf(md.time[d * DAY]);
      await writeTemp(
        dir,
        `daily/BTCUSDT-5m-${day}.zip`,
        zipCsv(`BTCUSDT-5m-${day}.csv`, klineCsv(md, d * DAY, (d + 1) * DAY, d !== 1)),
      );
    }
    // The monthly file repeats the first two days (as when mixing monthly and daily files).
    await writeTemp(
      dir,
      "monthly/BTCUSDT-5m-2024-01.zip",
      zipCsv("BTCUSDT-5m-2024-01.csv", klineCsv(md, 0, 2 * DAY)),
    );
    await writeTemp(dir, "daily/BTCUSDT-5m-2024-01-01.zip.CHECKSUM", "ignored  x\n");
    const r = await loadMarketDataWithReport(dir);
    assert.equal(r.market.time.length, 3 * DAY);
    assert.equal(r.droppedDuplicates, 2 * DAY);
    assert.equal(r.report.gaps.count, 0);
    assertSameBars(r.market, md);
  });
});

Deno.test("folder with klines, metrics and fundingRate: OI and funding aligned as-of", async () => {
  await withTemp(async (dir) => {
    await writeTemp(dir, "BTCUSDT-5m-2024-01.zip", zipCsv("BTCUSDT-5m-2024-01.csv", klineCsv(md)));
    for (let d = 0; d < 3; d++) {
      const day = dayOf(md.time[d * DAY]);
      // Each daily metrics file holds stamps 00:00 … 23:55 of its day (= bar closes
      // from the previous day's 23:55 bar on); here stamp = bar close, so shift by one bar.
      await writeTemp(
        dir,
        `BTCUSDT-metrics-${day}.zip`,
        zipCsv(`BTCUSDT-metrics-${day}.csv`, metricsCsv(md, d * DAY, (d + 1) * DAY)),
      );
    }
    await writeTemp(dir, "BTCUSDT-fundingRate-2024-01.csv", fundingCsv(md));
    const r = await loadMarketDataWithReport(dir);
    const m = r.market;
    assert.equal(m.time.length, md.time.length);
    for (let i = 0; i < md.time.length; i++) {
      // The snapshot stamped at a bar's close is visible on that bar (close ≥ T).
      assert.equal(m.openInterest![i], Number(md.openInterest![i].toFixed(8)), `oi ${i}`);
      assert.ok(Object.is(m.fundingRate![i], md.fundingRate![i]), `funding ${i}`);
    }
    assert.equal(r.alignment!.fundingDropped, 0);
    assert.equal(r.alignment!.fundingAttached, 9);
    // Standalone loaders.
    const oi = await loadOpenInterest(dir);
    assert.equal(oi.time.length, md.time.length);
    assert.equal(oi.time[0], md.time[0] + 300_000);
    const f = await loadFunding(dir);
    assert.equal(f.time.length, 9);
  });
});

Deno.test("truncated zip → DataError naming the file", async () => {
  await withTemp(async (dir) => {
    const z = zipCsv("BTCUSDT-5m-2024-01.csv", klineCsv(md));
    const p = await writeTemp(dir, "BTCUSDT-5m-2024-01.zip", z.slice(0, Math.floor(z.length / 2)));
    await assert.rejects(
      () => loadKlines(p),
      (e: unknown) =>
        e instanceof DataError && /truncated or corrupt/.test(e.message) &&
        e.where.file === p,
    );
  });
});

Deno.test("non-monotonic rows → DataError with file, row and column", async () => {
  await withTemp(async (dir) => {
    const lines = klineCsv(md, 0, 20).trim().split("\n");
    [lines[10], lines[11]] = [lines[11], lines[10]]; // data rows 10 and 11 swapped
    const p = await writeTemp(dir, "BTCUSDT-5m-2024-01.csv", lines.join("\n"));
    await assert.rejects(
      () => loadKlines(p),
      (e: unknown) =>
        e instanceof DataError && e.where.file === p && e.where.row === 11 &&
        e.where.column === "open_time" && /backwards/.test(e.message),
    );
    // Sorting on request.
    const m = await loadKlines(p, { unsorted: "sort" });
    assertSameBars(m, md);
  });
});

Deno.test("NaN / empty price and bad numbers → DataError naming row and column", async () => {
  await withTemp(async (dir) => {
    const lines = klineCsv(md, 0, 20).trim().split("\n");
    const f = lines[5].split(",");
    f[4] = ""; // close of data row 5 empty
    lines[5] = f.join(",");
    const p = await writeTemp(dir, "BTCUSDT-5m-2024-01.csv", lines.join("\n"));
    await assert.rejects(
      () => loadKlines(p),
      (e: unknown) =>
        e instanceof DataError && e.where.row === 5 && e.where.column === "close" &&
        /NaN/.test(e.message),
    );
    f[4] = "12x.5";
    lines[5] = f.join(",");
    await Deno.writeTextFile(p, lines.join("\n"));
    await assert.rejects(
      () => loadKlines(p),
      (e: unknown) =>
        e instanceof DataError && e.where.row === 5 && e.where.column === "close" &&
        /not a number/.test(e.message),
    );
  });
});

Deno.test("duplicated bar: identical rows collapse, conflicting rows are an error", async () => {
  await withTemp(async (dir) => {
    const lines = klineCsv(md, 0, 20).trim().split("\n");
    const dup = [...lines.slice(0, 8), lines[7], ...lines.slice(8)];
    const p = await writeTemp(dir, "BTCUSDT-5m-2024-01.csv", dup.join("\n"));
    const r = await loadMarketDataWithReport(p);
    assert.equal(r.market.time.length, 20);
    assert.equal(r.droppedDuplicates, 1);
    const g = lines[7].split(",");
    g[4] = String(Number(g[4]) + 1);
    const conflict = [...lines.slice(0, 8), g.join(","), ...lines.slice(8)];
    await Deno.writeTextFile(p, conflict.join("\n"));
    await assert.rejects(
      () => loadKlines(p),
      (e: unknown) =>
        e instanceof DataError && /duplicated bar/.test(e.message) && e.where.row === 8 &&
        e.where.column === "close",
    );
    const kept = await loadKlines(p, { duplicates: "keep-last" });
    assert.equal(kept.close[6], Number(g[4]));
  });
});

Deno.test("OHLC inconsistency and non-positive prices are errors with row and column", () => {
  const bad: MarketData = { ...md, high: md.high.slice(), low: md.low.slice() };
  bad.high[3] = Math.min(bad.open[3], bad.close[3]) - 10;
  bad.low[9] = -1;
  const rep = validateMarketData(bad, { file: "x.csv" });
  assert.equal(rep.ok, false);
  assert.equal(
    rep.ohlcInconsistent,
    1 + (bad.low[9] > Math.min(bad.open[9], bad.close[9]) ? 1 : 0),
  );
  assert.equal(rep.nonPositivePrices, 1);
  const hi = rep.issues.find((i) => i.kind === "ohlc_inconsistent")!;
  assert.deepEqual([hi.file, hi.row, hi.column], ["x.csv", 4, "high"]);
  const np = rep.issues.find((i) => i.kind === "non_positive_price")!;
  assert.deepEqual([np.row, np.column], [10, "low"]);
  assert.throws(
    () => prepareMarketData(bad, { file: "x.csv" }),
    /OHLC inconsistent.*row 4, column high/,
  );
});

Deno.test("gaps: reported (count, missing bars, largest, where), rejected or filled with flagged flat bars", () => {
  const keep = Array.from({ length: 100 }, (_, i) => i).filter((i) =>
    ![10, 50, 51, 52].includes(i)
  );
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  const g: MarketData = {
    ...md,
    time: pick(md.time),
    open: pick(md.open),
    high: pick(md.high),
    low: pick(md.low),
    close: pick(md.close),
    volume: pick(md.volume),
    openInterest: pick(md.openInterest!),
    fundingRate: pick(md.fundingRate!),
  };
  const rep = validateMarketData(g);
  assert.equal(rep.ok, true);
  assert.equal(rep.gaps.count, 2);
  assert.equal(rep.gaps.missingBars, 4);
  assert.equal(rep.gaps.largest, 3);
  assert.equal(rep.gaps.largestAt!.after, new Date(md.time[49]).toISOString());
  assert.equal(rep.gaps.where[0].index, 10);
  assert.throws(() => prepareMarketData(g, { gaps: "reject" }), /2 gap\(s\), 4 missing bar/);
  const f = fillGaps(g);
  assert.equal(f.time.length, 100);
  assert.deepEqual(Array.from(f.time), Array.from(md.time.subarray(0, 100)));
  for (const i of [10, 50, 51, 52]) {
    assert.equal(f.filled![i], 1);
    assert.equal(f.volume[i], 0);
    assert.equal(f.open[i], f.close[i - 1]);
    assert.equal(f.high[i], f.close[i - 1]);
    assert.ok(Number.isNaN(f.fundingRate![i]));
  }
  assert.equal(f.filled![11], 0);
  assert.equal(f.close[11], md.close[11]);
  const rep2 = validateMarketData(f);
  assert.equal(rep2.gaps.count, 0);
  assert.equal(rep2.filledBars, 4);
});

Deno.test("generic OHLCV CSV: ISO with offsets, epoch s / ms / µs, custom column names", async () => {
  await withTemp(async (dir) => {
    const n = 30;
    const rows = (fmt: (t: number) => string, header: string) => {
      const out = [header];
      for (let i = 0; i < n; i++) {
        out.push(
          `${fmt(md.time[i])},${md.open[i]},${md.high[i]},${md.low[i]},${md.close[i]},${
            md.volume[i]
          }`,
        );
      }
      return out.join("\r\n") + "\r\n";
    };
    const plus2 = (t: number) =>
      new Date(t + 2 * 3_600_000).toISOString().slice(0, 19).replace("T", " ") + "+02:00";
    const cases: [string, string][] = [
      ["iso.csv", rows(plus2, "timestamp,open,high,low,close,volume")],
      ["isoz.csv", rows((t) => new Date(t).toISOString(), "Date,Open,High,Low,Close,Volume")],
      ["s.csv", rows((t) => String(t / 1000), "time,open,high,low,close,volume")],
      ["ms.csv", rows((t) => String(t), "time,open,high,low,close,volume")],
      ["us.csv", rows((t) => String(t * 1000), "time,open,high,low,close,volume")],
    ];
    for (const [name, text] of cases) {
      const p = await writeTemp(dir, name, text);
      const m = await loadOhlcvCsv(p, { symbol: "X" });
      assert.equal(m.time.length, n, name);
      assert.equal(m.interval, "5m", name);
      assertSameBars(m, md);
    }
    const custom = await writeTemp(
      dir,
      "custom.csv",
      rows((t) => String(t), "ts,o_px,h_px,l_px,c_px,qty"),
    );
    await assert.rejects(() => loadOhlcvCsv(custom), /no "open" column/);
    const m = await loadOhlcvCsv(custom, {
      columns: {
        time: "ts",
        open: "o_px",
        high: "h_px",
        low: "l_px",
        close: "c_px",
        volume: "qty",
      },
    });
    assertSameBars(m, md);
  });
});

Deno.test("parseTimeString: offsets and no-offset-means-UTC", () => {
  assert.equal(parseTimeString("2024-01-01"), Date.UTC(2024, 0, 1));
  assert.equal(parseTimeString("2024-01-01 00:05:00"), Date.UTC(2024, 0, 1, 0, 5));
  assert.equal(parseTimeString("2024-01-01T02:05:00+02:00"), Date.UTC(2024, 0, 1, 0, 5));
  assert.equal(parseTimeString("2023-12-31T19:05:00-0500"), Date.UTC(2024, 0, 1, 0, 5));
  assert.equal(parseTimeString("2024-01-01T00:00:00.250Z"), Date.UTC(2024, 0, 1) + 250);
  assert.equal(parseTimeString("01/02/2024"), null);
});

Deno.test("polars: DataFrame and Parquet round trips keep every value (NaN, filled flags)", async () => {
  await withTemp(async (dir) => {
    const f = fillGaps({ ...md, time: md.time.slice(), volume: md.volume.slice() });
    const df = marketDataToDataFrame(f, { datetime: true });
    assert.equal(df.height, md.time.length);
    assert.ok(df.columns.includes("datetime") && df.columns.includes("funding_rate"));
    const back = dataFrameToMarketData(df, { symbol: md.symbol, interval: md.interval });
    assertSameBars(back, md);
    for (let i = 0; i < md.time.length; i++) {
      assert.ok(Object.is(back.fundingRate![i], md.fundingRate![i]));
    }
    const p = `${dir}/cache.parquet`;
    await writeMarketDataParquet(f, p);
    const r = readMarketDataParquet(p);
    assert.equal(r.symbol, "BTCUSDT");
    assert.equal(r.interval, "5m");
    assertSameBars(r, md);
    assert.deepEqual(Array.from(r.openInterest!), Array.from(md.openInterest!));
    assert.equal(r.filled!.length, md.time.length);
    const viaLoader = await loadMarketData(p);
    assert.equal(viaLoader.time.length, md.time.length);
    // A truncated cache is a clear DataError.
    const bytes = await Deno.readFile(p);
    await Deno.writeFile(`${dir}/bad.parquet`, bytes.slice(0, 100));
    assert.throws(() => readMarketDataParquet(`${dir}/bad.parquet`), /cannot read Parquet/);
  });
});

Deno.test("loadMarketData('synthetic') is the default market", async () => {
  const m = await loadMarketData("synthetic", { synthetic: { bars: 500, seed: 7 } });
  assert.equal(m.time.length, 500);
  assertSameBars(m, smallMarket(500, 7));
});

Deno.test("unknown/missing inputs are clear errors", async () => {
  await withTemp(async (dir) => {
    await assert.rejects(() => loadMarketData(`${dir}/nope.csv`), /not found/);
    await assert.rejects(() => loadMarketData(dir), /no \.csv or \.zip files/);
    const p = await writeTemp(dir, "BTCUSDT-metrics-2024-01-01.csv", metricsCsv(md, 0, 10));
    await assert.rejects(() => loadMarketData(p), /no price bars/);
  });
});

Deno.test("inspectPath and the data:inspect CLI report gaps of a metrics file", async () => {
  await withTemp(async (dir) => {
    const text = metricsCsv(md, 0, 300).trim().split("\n");
    // Remove 1 + 2 rows: 2 gaps, 3 missing bars (like the real 2022 file's 7 in 6 gaps).
    const cut = text.filter((_, k) => ![20, 100, 101].includes(k));
    const p = await writeTemp(dir, "ETHUSDT-metrics-2024-01-01.csv", cut.join("\n") + "\n");
    const rep = await inspectPath(p);
    assert.equal(rep.format, "metrics");
    assert.equal(rep.rows, 297);
    assert.equal(rep.interval, "5m");
    assert.deepEqual([rep.gaps.count, rep.gaps.missingBars, rep.gaps.largest], [2, 3, 2]);
    assert.equal(rep.nanCounts["count_toptrader_long_short_ratio"], 99);
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("../cli/data_inspect.ts", import.meta.url).pathname,
        p,
        "--json",
      ],
      stdout: "piped",
      stderr: "piped",
    });
    const out = await cmd.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    assert.equal(lines.length, 1, "exactly one JSON line");
    const j = JSON.parse(lines[0]);
    assert.equal(j.gaps.missingBars, 3);
    assert.equal(j.first, "2024-01-01T00:05:00.000Z");
    assert.deepEqual(j.columns.slice(0, 2), ["create_time", "sum_open_interest"]);
    // A bad path: clean error message and exit code 2, no stack trace.
    const bad = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("../cli/data_inspect.ts", import.meta.url).pathname,
        `${dir}/missing.csv`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(bad.code, 2);
    const err = new TextDecoder().decode(bad.stderr);
    assert.match(err, /error: file or folder not found/);
    assert.doesNotMatch(err, /at .*\.ts:\d+/);
  });
});
