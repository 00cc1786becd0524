/**
 * Optional checks on the real exchange samples in `../shared/data/` (beside the project
 * root). Skipped cleanly when that folder is absent (a fresh clone has no `../shared`).
 */
import assert from "node:assert/strict";
import { inspectPath, loadFunding, loadMarketData, loadOpenInterest } from "../lib/data/mod.ts";

const SHARED = new URL("../../shared/data/", import.meta.url);
const present = (() => {
  try {
    return Deno.statSync(SHARED).isDirectory;
  } catch {
    return false;
  }
})();
const file = (name: string) => new URL(name, SHARED).pathname;

Deno.test({
  name: "real: ETHUSDT metrics 2022 — 114,041 rows, 7 missing 5-minute bars in 6 gaps",
  ignore: !present,
  fn: async () => {
    const rep = await inspectPath(file("binance-um-ETHUSDT-metrics-5m-2022.csv"));
    assert.equal(rep.format, "metrics");
    assert.equal(rep.rows, 114_041);
    assert.equal(rep.interval, "5m");
    assert.equal(rep.gaps.missingBars, 7);
    assert.equal(rep.gaps.count, 6);
    assert.equal(rep.gaps.largest, 2);
    assert.equal(rep.duplicates, 0);
    assert.equal(rep.first, "2021-12-01T00:00:00.000Z");
    assert.equal(rep.last, "2022-12-31T23:55:00.000Z");
    // The stamping convention documented in align.ts: every stamp on a 5-minute boundary.
    const oi = await loadOpenInterest(file("binance-um-ETHUSDT-metrics-5m-2022.csv"));
    for (const t of oi.time) assert.equal(t % 300_000, 0);
  },
});

Deno.test({
  name: "real: Bybit BTCUSDT 5m (ISO +00:00 times) loads with no gaps",
  ignore: !present,
  fn: async () => {
    const md = await loadMarketData(file("bybit-linear-BTCUSDT-5m-2025-04-to-07.csv"));
    assert.equal(md.time.length, 25_920);
    assert.equal(md.interval, "5m");
    assert.equal(md.time[0], Date.UTC(2025, 3, 3, 17, 5));
  },
});

Deno.test({
  name: "real: BTCUSDT funding settles at 00/08/16 UTC (to the second)",
  ignore: !present,
  fn: async () => {
    const f = await loadFunding(file("binance-um-BTCUSDT-funding-8h-2020-2023.csv"));
    assert.equal(f.time.length, 4_383);
    for (const t of f.time) assert.ok(Math.round(t / 1000) * 1000 % (8 * 3_600_000) === 0);
  },
});
