/**
 * The options env on real-data inputs (bars from a CSV restricted to regular sessions, VIX
 * daily from a CSV, or no VIX at all), causality (perturbing future bars leaves past
 * observations unchanged), and the vectorised env.
 *
 * Cannot catch: quirks of a particular vendor's CSV beyond the OHLCV loader's formats.
 */
import assert from "node:assert/strict";
import { generateSyntheticOptionsMarket, loadOptionsMarketCsv } from "@lib/data/mod.ts";
import { checkEnv, OptionsTradingEnv, SyncVecEnv } from "@lib/env/mod.ts";
import { VIX_OVER_REALISED } from "@lib/options/mod.ts";
import { Rng } from "@lib/util/prng.ts";

/** 5-minute bars 08:00–18:00 New York (EDT) on 1–3 July 2024 as an ISO-time OHLCV CSV. */
function barsCsv(): string {
  const lines = ["timestamp,open,high,low,close,volume"];
  let p = 500;
  const rng = new Rng(3);
  for (const day of [1, 2, 3]) {
    for (let m = 8 * 60; m < 18 * 60; m += 5) {
      const t = Date.UTC(2024, 6, day, 4 + Math.floor(m / 60), m % 60); // EDT = UTC−4
      const c = p * Math.exp(0.001 * rng.normal());
      lines.push(
        `${new Date(t).toISOString()},${p.toFixed(2)},${Math.max(p, c).toFixed(2)},${
          Math.min(p, c).toFixed(2)
        },${c.toFixed(2)},1000`,
      );
      p = c;
    }
  }
  return lines.join("\n") + "\n";
}

/** 40 days of VIX 15 history, then 1–3 July at open 20 / close 30. */
function vixCsv(): string {
  const lines = ["date,open,high,low,close,volume"];
  for (let d = 0; d < 40; d++) {
    const date = new Date(Date.UTC(2024, 4, 1) + d * 864e5).toISOString().slice(0, 10);
    lines.push(`${date},15,15,15,${15 + 0.01 * (d % 3)},0`);
  }
  for (const day of ["2024-07-01", "2024-07-02", "2024-07-03"]) lines.push(`${day},20,31,19,30,0`);
  return lines.join("\n") + "\n";
}

Deno.test("real-data path: CSV bars restricted to RTH, daily VIX interpolated, IV rank from its history", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/spy.csv`, barsCsv());
  await Deno.writeTextFile(`${dir}/vix.csv`, vixCsv());
  const data = await loadOptionsMarketCsv(`${dir}/spy.csv`, { vixPath: `${dir}/vix.csv` });
  // 1 and 2 July full sessions, 3 July closes at 13:00
  assert.equal(data.market.time.length, 78 + 78 + 42);
  assert.equal(new Date(data.market.time[0]).toISOString(), "2024-07-01T13:30:00.000Z");
  const env = new OptionsTradingEnv({ data });
  assert.deepEqual(checkEnv(env, { steps: 300 }).warnings, []);
  const r = env.reset();
  // bar 1 closes 09:40: VIX = 20 + (10/405) × (30 − 20); IV rank vs 40 days at ~15 → 100
  assert.ok(Math.abs(r.info.vix - (20 + (10 / 405) * 10)) < 1e-9, `${r.info.vix}`);
  assert.equal(r.info.ivRank, 100);
  assert.ok(Math.abs(r.observation[5] - (r.info.vix / 15 - 1)) < 1e-9); // vs the last history close (day 39: 15)
  // the lockout then blocks entries on real inputs too
  const locked = new OptionsTradingEnv({ data, risk: {} });
  locked.reset();
  assert.equal(locked.step(Float64Array.of(1)).info.riskRule, "iv_rank");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("without any VIX the env prices off realised volatility (VIX_OVER_REALISED × σ_rv)", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/spy.csv`, barsCsv());
  const data = await loadOptionsMarketCsv(`${dir}/spy.csv`);
  const env = new OptionsTradingEnv({ data });
  env.reset({ options: { start: 100 } });
  const c = data.market.close;
  let s2 = 0;
  for (let j = 1; j <= 100; j++) s2 += Math.log(c[j] / c[j - 1]) ** 2;
  const expected = 100 * VIX_OVER_REALISED * Math.sqrt((s2 / 100) * 252 * 78);
  assert.ok(Math.abs(env.info.vix - expected) < 1e-9, `${env.info.vix} vs ${expected}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("causality: changing bars after t leaves every observation and reward up to t unchanged", () => {
  const a = generateSyntheticOptionsMarket({ seed: 4, sessions: 30 });
  const b = generateSyntheticOptionsMarket({ seed: 4, sessions: 30 });
  const cut = 1000;
  for (let i = cut + 1; i < b.market.close.length; i++) {
    b.market.close[i] *= 1.05;
    b.vix[i] *= 1.5;
  }
  const ea = new OptionsTradingEnv({ data: a });
  const eb = new OptionsTradingEnv({ data: b });
  ea.reset({ options: { start: 900 } });
  eb.reset({ options: { start: 900 } });
  const rng = new Rng(1);
  const act = new Float64Array(1);
  for (let t = 900; t < cut; t++) {
    act[0] = rng.uniform(-1, 1);
    const ra = ea.step(act);
    const rb = eb.step(act);
    assert.deepEqual(ra.observation, rb.observation, `bar ${t + 1}`);
    assert.equal(ra.reward, rb.reward);
  }
  act[0] = 0;
  assert.notDeepEqual(ea.step(act).observation, eb.step(act).observation); // the change is seen at cut + 1
});

Deno.test("SyncVecEnv steps four options envs with Box actions", () => {
  const data = generateSyntheticOptionsMarket({ seed: 2, sessions: 20 });
  const envs = [0, 1, 2, 3].map((s) =>
    new OptionsTradingEnv({ data, episodeLength: 100, seed: s })
  );
  const v = new SyncVecEnv(envs);
  v.reset({ seed: 1 });
  const acts = new Float64Array(4);
  const rng = new Rng(2);
  let ends = 0;
  for (let k = 0; k < 250; k++) {
    for (let i = 0; i < 4; i++) acts[i] = rng.uniform(-1, 1);
    v.step(acts);
    for (let i = 0; i < 4; i++) ends += v.truncated[i];
  }
  assert.equal(ends, 8); // two episodes of 100 steps each per env
  assert.equal(v.observations.length, 4 * envs[0].observationSpace.size);
});
