/**
 * Optional check on real exchange data (../shared/data, present only on the development
 * machine): skipped cleanly when the file is absent. Tests never depend on it.
 */
import assert from "node:assert/strict";
import { loadOhlcvCsv } from "@lib/data/mod.ts";
import { computeFeatures, FEATURE_WARMUP, featureColumn } from "@lib/features/mod.ts";

const FILE = new URL("../../shared/data/bybit-linear-BTCUSDT-5m-2025-04-to-07.csv", import.meta.url)
  .pathname;
let present = false;
try {
  present = Deno.statSync(FILE).isFile;
} catch { /* absent: skip */ }

Deno.test({
  name: "real Bybit BTCUSDT 5m bars: finite features after warm-up, causal, no OI/funding",
  ignore: !present,
  fn: async () => {
    const md = await loadOhlcvCsv(FILE);
    const fm = computeFeatures(md);
    assert.equal(fm.firstValidRow, FEATURE_WARMUP);
    assert.deepEqual(fm.available, { openInterest: false, funding: false });
    for (let i = fm.firstValidRow; i < fm.rows; i++) {
      assert.equal(fm.valid[i], 1, `row ${i}`);
    }
    assert.ok(fm.data.subarray(fm.firstValidRow * fm.cols).every(Number.isFinite));
    const natr = featureColumn(fm, "natr");
    assert.ok(natr[fm.rows - 1] > 0 && natr[fm.rows - 1] < 0.05, "natr is a fraction");
    // Causality on real data: truncating the series leaves every earlier row bit-identical.
    const cut = Math.floor(fm.rows / 2);
    const short = computeFeatures({
      ...md,
      time: md.time.subarray(0, cut),
      open: md.open.subarray(0, cut),
      high: md.high.subarray(0, cut),
      low: md.low.subarray(0, cut),
      close: md.close.subarray(0, cut),
      volume: md.volume.subarray(0, cut),
      openInterest: undefined,
      fundingRate: undefined,
      filled: md.filled?.subarray(0, cut),
    });
    for (let k = 0; k < cut * fm.cols; k++) assert.ok(Object.is(short.data[k], fm.data[k]));
  },
});
