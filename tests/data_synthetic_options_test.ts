/**
 * The synthetic SPY/VIX market: determinism, the RTH calendar (holidays, early closes, DST),
 * the VIX–realised-volatility link, spikes, the planted momentum edge (and its absence when
 * switched off), and the real-data helpers (session filter, daily index CSV).
 *
 * Cannot catch: whether the model's dynamics resemble SPY beyond the stated facts.
 */
import assert from "node:assert/strict";
import {
  generateSyntheticOptionsMarket,
  loadDailyIndexCsv,
  restrictToSessions,
} from "@lib/data/mod.ts";

function corr(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((x, y) => x + y) / n;
  const mb = b.reduce((x, y) => x + y) / n;
  let c = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    c += (a[i] - ma) * (b[i] - mb);
    va += (a[i] - ma) ** 2;
    vb += (b[i] - mb) ** 2;
  }
  return c / Math.sqrt(va * vb);
}

function momentumCorr(close: Float64Array): number {
  const f: number[] = [];
  const g: number[] = [];
  for (let i = 12; i + 12 < close.length; i += 12) {
    f.push(Math.log(close[i] / close[i - 12]));
    g.push(Math.log(close[i + 12] / close[i]));
  }
  return corr(f, g);
}

const M = generateSyntheticOptionsMarket({ seed: 42, sessions: 252 });

Deno.test("synthetic options market: same seed → identical arrays; another seed differs", () => {
  const a = generateSyntheticOptionsMarket({ seed: 5, sessions: 20 });
  const b = generateSyntheticOptionsMarket({ seed: 5, sessions: 20 });
  const c = generateSyntheticOptionsMarket({ seed: 6, sessions: 20 });
  assert.deepEqual(a.market.close, b.market.close);
  assert.deepEqual(a.vix, b.vix);
  assert.notDeepEqual(a.market.close, c.market.close);
});

Deno.test("bars follow the RTH calendar: 09:30–16:00 NY, holidays skipped, 13:00 early close, DST", () => {
  const { market, sessions, session } = M;
  const dates = sessions.map((s) => s.date);
  assert.ok(!dates.includes("2024-01-15")); // MLK day
  assert.ok(!dates.includes("2024-07-04"));
  assert.ok(dates.includes("2024-07-03"));
  const count = (d: string) => session.filter((k) => sessions[k].date === d).length;
  assert.equal(count("2024-07-03"), 42); // early close 13:00
  assert.equal(count("2024-07-02"), 78);
  // 09:30 New York = 14:30 UTC in January, 13:30 UTC in July
  const first = (d: string) => market.time[session.findIndex((k) => sessions[k].date === d)];
  assert.equal(new Date(first("2024-01-02")).toISOString(), "2024-01-02T14:30:00.000Z");
  assert.equal(new Date(first("2024-07-02")).toISOString(), "2024-07-02T13:30:00.000Z");
  for (let i = 0; i < market.time.length; i++) {
    const s = sessions[session[i]];
    assert.ok(market.time[i] >= s.openMs && market.time[i] + market.intervalMs <= s.closeMs);
    assert.ok(market.low[i] <= Math.min(market.open[i], market.close[i]));
    assert.ok(market.high[i] >= Math.max(market.open[i], market.close[i]));
  }
});

Deno.test("VIX: tracks realised volatility, mean-reverts, spikes", () => {
  const { market, sessions, session, vixDaily } = M;
  const rv: number[] = [];
  const vx: number[] = [];
  for (let d = 0; d < sessions.length; d++) {
    let s2 = 0;
    let k = 0;
    for (let i = 1; i < market.close.length; i++) {
      if (session[i] === d && session[i - 1] === d) {
        s2 += Math.log(market.close[i] / market.close[i - 1]) ** 2;
        k++;
      }
    }
    rv.push(Math.sqrt((s2 / k) * 19656));
    vx.push(vixDaily.close[d]);
  }
  assert.ok(corr(rv, vx) > 0.5, `corr ${corr(rv, vx)}`);
  const mean = vx.reduce((a, b) => a + b) / vx.length;
  assert.ok(mean > 12 && mean < 26, `mean VIX ${mean}`);
  // at least one day-over-day jump of 20 % (a spike) in a year at the default spike rate
  let jumps = 0;
  for (let d = 1; d < vx.length; d++) if (vx[d] / vx[d - 1] > 1.2) jumps++;
  assert.ok(jumps >= 1);
});

Deno.test("the planted reversal edge is there, and absent with reversalStrength 0", () => {
  const on = momentumCorr(M.market.close);
  const off = momentumCorr(
    generateSyntheticOptionsMarket({ seed: 42, sessions: 252, params: { reversalStrength: 0 } })
      .market.close,
  );
  assert.ok(on < -0.12, `hourly return autocorrelation ${on}`);
  assert.ok(Math.abs(off) < 0.06, `without edge ${off}`);
});

Deno.test("restrictToSessions drops extended-hours bars; loadDailyIndexCsv reads and rejects", async () => {
  const step = 300_000;
  const t0 = Date.UTC(2024, 6, 2, 12, 0); // 08:00 NY
  const n = 24 * 12;
  const arr = () => new Float64Array(n).fill(100);
  const md = {
    symbol: "SPY",
    interval: "5m",
    intervalMs: step,
    time: Float64Array.from({ length: n }, (_, i) => t0 + i * step),
    open: arr(),
    high: arr(),
    low: arr(),
    close: arr(),
    volume: arr(),
  };
  const r = restrictToSessions(md);
  assert.equal(r.market.time.length, 78);
  assert.equal(new Date(r.market.time[0]).toISOString(), "2024-07-02T13:30:00.000Z");
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/v.csv`,
    "date,open,high,low,close,volume\n2024-01-02,13,14,12,13.5,0\n2024-01-03,,14,12,14.5,0\n",
  );
  const v = await loadDailyIndexCsv(`${dir}/v.csv`);
  assert.deepEqual(v.date, ["2024-01-02", "2024-01-03"]);
  assert.equal(v.open[1], 14.5); // missing open → the close
  await Deno.writeTextFile(`${dir}/bad.csv`, "day,open,close\n2024-01-02,1,1\n");
  await assert.rejects(() => loadDailyIndexCsv(`${dir}/bad.csv`), /column "date" is missing/);
  await Deno.remove(dir, { recursive: true });
});
