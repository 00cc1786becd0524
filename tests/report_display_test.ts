/**
 * Unit tests of lib/report display helpers and market-data figure builders (no kernel).
 */
import assert from "node:assert/strict";
import {
  downsampleOhlcv,
  gapRows,
  JUPYTER_DISPLAY,
  openInterestFundingFigure,
  plotlyJsSource,
  priceVolumeFigure,
  regimeRows,
  resetPlotlyEmbedding,
  scriptSafeJson,
  showPlot,
  showTable,
  splitTimelineFigure,
  validationRows,
} from "@lib/report/mod.ts";
import type { MarketData } from "@lib/data/market_data.ts";
import { validateMarketData } from "@lib/data/mod.ts";

function market(n: number): MarketData {
  const time = new Float64Array(n), open = new Float64Array(n), high = new Float64Array(n);
  const low = new Float64Array(n), close = new Float64Array(n), volume = new Float64Array(n);
  const oi = new Float64Array(n), fr = new Float64Array(n).fill(NaN);
  for (let i = 0; i < n; i++) {
    time[i] = Date.UTC(2024, 0, 1) + i * 300_000;
    open[i] = 100 + i;
    close[i] = 100 + i + 0.5;
    high[i] = 100 + i + 2;
    low[i] = 100 + i - 1;
    volume[i] = 1;
    oi[i] = 1000 + i;
    if (i % 96 === 95) fr[i] = 0.0001;
  }
  return {
    symbol: "T",
    interval: "5m",
    intervalMs: 300_000,
    time,
    open,
    high,
    low,
    close,
    volume,
    openInterest: oi,
    fundingRate: fr,
  };
}

Deno.test("downsampleOhlcv aggregates exact OHLCV buckets", () => {
  const md = market(10);
  md.high[4] = 500; // inside bucket 1 (bars 3..5)
  md.volume[7] = NaN;
  const d = downsampleOhlcv(md, 4); // factor ceil(10/4) = 3 → 4 buckets
  assert.equal(d.factor, 3);
  assert.equal(d.time.length, 4);
  assert.deepEqual(Array.from(d.open), [100, 103, 106, 109]);
  assert.deepEqual(Array.from(d.close), [102.5, 105.5, 108.5, 109.5]);
  assert.deepEqual(Array.from(d.high), [104, 500, 110, 111]);
  assert.deepEqual(Array.from(d.low), [99, 102, 105, 108]);
  assert.deepEqual(Array.from(d.volume), [3, 3, 2, 1]);
  assert.deepEqual(Array.from(d.openInterest!), [1002, 1005, 1008, 1009]);
  assert.equal(d.time[1], md.time[3]);
  assert.equal(downsampleOhlcv(md, 100).factor, 1);
  assert.throws(() => downsampleOhlcv(md, 0), /maxPoints/);
});

Deno.test("figure builders: traces, units and aggregation note", () => {
  const md = market(5000);
  const pv = priceVolumeFigure(md, { maxPoints: 1000 });
  assert.equal(pv.data.length, 2);
  assert.equal((pv.data[0].close as Float64Array).length, 1000);
  assert.match(JSON.stringify(pv.layout!.title), /aggregated ×5/);
  const of = openInterestFundingFigure(md);
  const funding = of.data.find((t) => t.type === "bar")!;
  assert.equal((funding.y as number[]).length, 52); // one settlement per 96 bars
  assert.ok(Math.abs((funding.y as number[])[0] - 0.01) < 1e-12, "percent per settlement");
  const noExtras = openInterestFundingFigure({
    ...md,
    openInterest: undefined,
    fundingRate: undefined,
  });
  assert.equal(noExtras.data.length, 0);
  assert.match(JSON.stringify(noExtras.layout!.title), /no open interest, no funding/);
});

Deno.test("splitTimelineFigure shades each range at its bar times", () => {
  const md = market(1000);
  const fig = splitTimelineFigure(md, [
    { name: "train", start: 0, end: 700 },
    { name: "validation", start: 710, end: 850 },
    { name: "test", start: 860, end: 1000 },
  ]);
  const shapes = fig.layout!.shapes as { x0: number; x1: number }[];
  assert.equal(shapes.length, 3);
  assert.equal(shapes[1].x0, md.time[710]);
  assert.equal(shapes[1].x1, md.time[849] + 300_000);
  assert.equal(fig.data.length, 4);
  assert.throws(() => splitTimelineFigure(md, [{ name: "x", start: 0, end: 1001 }]), /outside/);
});

Deno.test("showPlot embeds plotly.js once, unique ids, script-safe JSON, text fallback", () => {
  resetPlotlyEmbedding();
  const fig = { data: [{ type: "scatter", y: new Float64Array([1, NaN, Infinity]) }] };
  const a = showPlot({ ...fig, layout: { title: "</script><b>" } })[JUPYTER_DISPLAY]();
  const b = showPlot(fig)[JUPYTER_DISPLAY]();
  assert.ok(a["text/html"].includes(plotlyJsSource()));
  assert.ok(!b["text/html"].includes("data-rlt-plotly-lib"));
  assert.match(a["text/html"], /id="rlt-plot-1"/);
  assert.match(b["text/html"], /id="rlt-plot-2"/);
  assert.ok(b["text/html"].includes('"y":[1,null,null]'));
  // The title cannot close the script tag; the string shorthand becomes { text }.
  assert.ok(!a["text/html"].split(plotlyJsSource()).join("").includes("</script><b>"));
  assert.ok(a["text/html"].includes('"title":{"text":"\\u003c/script\\u003e\\u003cb\\u003e"}'));
  assert.equal(a["text/plain"], '<plotly figure "</script><b>": scatter[3]>');
  assert.equal(scriptSafeJson({ s: "\u2028" }), '{"s":"\\u2028"}');
  resetPlotlyEmbedding();
  const c = showPlot(fig, { includeLibrary: false })[JUPYTER_DISPLAY]();
  assert.ok(!c["text/html"].includes("data-rlt-plotly-lib"));
});

Deno.test("showTable renders escaped HTML and an aligned text table", () => {
  const t = showTable([{ a: 1, b: 0.123456789 }, { a: "<x>", b: NaN }], { caption: "cap" });
  const bundle = t.bundle;
  assert.ok(bundle["text/html"].includes("&lt;x&gt;"));
  assert.equal(bundle["text/plain"], "cap\na           b\n1    0.123457\n<x>       NaN");
});

Deno.test("regimeRows counts bars and RMS log returns per regime", () => {
  const close = [100, 110, 99, 99, 108.9];
  const rows = regimeRows([0, 1, 1, 0, 2], close, { names: ["a", "b", "c"] });
  assert.deepEqual(rows.map((r) => r.bars), [2, 2, 1]);
  assert.deepEqual(rows.map((r) => r.share_pct), [40, 40, 20]);
  const l1 = Math.log(1.1), l2 = Math.log(0.9);
  assert.ok(Math.abs(rows[1].vol_per_bar_pct - Math.sqrt((l1 * l1 + l2 * l2) / 2) * 100) < 1e-9);
  assert.equal(rows[0].vol_per_bar_pct, 0); // only the flat bar 3 has a return
  assert.ok(Math.abs(rows[2].vol_per_bar_pct - Math.log(1.1) * 100) < 1e-9);
});

Deno.test("validationRows / gapRows summarise a validation report", () => {
  const md = market(50);
  const cut = (a: Float64Array) => Float64Array.from([...a.subarray(0, 10), ...a.subarray(13)]);
  const gapped: MarketData = {
    ...md,
    time: cut(md.time),
    open: cut(md.open),
    high: cut(md.high),
    low: cut(md.low),
    close: cut(md.close),
    volume: cut(md.volume),
    openInterest: cut(md.openInterest!),
    fundingRate: cut(md.fundingRate!),
  };
  gapped.high[20] = gapped.low[20] - 1; // OHLC inconsistent
  const report = validateMarketData(gapped);
  const rows = Object.fromEntries(validationRows(report).map((r) => [r.check, r]));
  assert.equal(rows["rows"].value, 47);
  assert.equal(rows["gaps"].value, 1);
  assert.equal(rows["gaps"].status, "warning");
  assert.equal(rows["missing bars"].value, 3);
  assert.equal(rows["OHLC inconsistent bars"].status, "ERROR");
  assert.equal(rows["valid"].value, "no");
  assert.match(String(rows["NaN per column"].value), /fundingRate: 47/);
  assert.equal(rows["NaN per column"].status, "ok (expected)");
  assert.deepEqual(gapRows(report), [{
    after: new Date(md.time[9]).toISOString(),
    before: new Date(md.time[13]).toISOString(),
    missing_bars: 3,
    index: 10,
  }]);
});
