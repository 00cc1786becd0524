/**
 * The `deno task train` data pipeline (`buildTradingSetup`: market → features → walk-forward
 * ML signals → default split → envs) with the signals cached on disk, keyed by the data
 * hash and the signal seed, so the calibration and stability tools can rerun without
 * retraining the signal models (35 s – 5 min per build). Same arrays as `buildTradingSetup`
 * (the signals are deterministic in data and seed); only for tools under `tools/`.
 *
 * @module
 */
import { loadMarketData } from "../lib/data/mod.ts";
import { splitByFraction } from "../lib/data/split.ts";
import { computeFeatures } from "../lib/features/mod.ts";
import { buildSignals } from "../lib/signals/walk_forward.ts";
import type { Signals } from "../lib/signals/signals.ts";
import { hashArrays } from "../lib/util/hash.ts";
import { FuturesTradingEnv } from "../lib/env/futures_env.ts";
import { type TradingSetup, withEnvConfig } from "../lib/agents/trading_setup.ts";
import type { RewardOverrides } from "../lib/env/reward.ts";

/** Options of {@link cachedTradingSetup}. */
export interface CachedSetupOptions {
  /** Data source (default `"synthetic"`; `"synthetic:learning"` or a path work too). */
  data?: string;
  /** Synthetic seed (default 42). */
  dataSeed?: number;
  /** Synthetic bar count (default the preset's). */
  bars?: number;
  /** Signal seed (default 0, as `deno task train`). */
  signalSeed?: number;
  /** Folder of the signal cache (default `data/cache`). */
  cacheDir?: string;
  /** Split fractions (default the project's, 0.6 / 0.15 / 0.25). */
  split?: { train: number; validation: number; test: number };
  /** Reward overrides of the envs. */
  reward?: RewardOverrides;
  /** Steps per training episode (default 2048). */
  episodeLength?: number;
  /** Progress messages. */
  log?: (msg: string) => void;
}

/** `buildTradingSetup` with the ML signals read from / written to a disk cache. */
export async function cachedTradingSetup(options: CachedSetupOptions = {}): Promise<TradingSetup> {
  const log = options.log ?? ((m: string) => console.error(m));
  const source = options.data ?? "synthetic";
  const market = await loadMarketData(source, {
    synthetic: { seed: options.dataSeed ?? 42, ...(options.bars ? { bars: options.bars } : {}) },
  });
  const features = computeFeatures(market);
  const split = splitByFraction(market.time.length, options.split ?? {});
  const cols: Float64Array[] = [
    market.time,
    market.open,
    market.high,
    market.low,
    market.close,
    market.volume,
  ];
  if (market.openInterest) cols.push(market.openInterest);
  if (market.fundingRate) cols.push(market.fundingRate);
  const dataHash = await hashArrays(cols as unknown as ArrayLike<number>[] & ArrayBufferView[]);
  const signalSeed = options.signalSeed ?? 0;
  const dir = options.cacheDir ?? "data/cache";
  const file = `${dir}/signals-${dataHash.slice(0, 16)}-s${signalSeed}.json`;
  let signals: Signals;
  try {
    const j = JSON.parse(await Deno.readTextFile(file));
    signals = {
      time: Float64Array.from(j.time),
      signal: Int8Array.from(j.signal),
      confidence: Float64Array.from(j.confidence, (x: number | null) => x ?? NaN),
      target: Float64Array.from(j.target, (x: number | null) => x ?? NaN),
      available: Uint8Array.from(j.available),
      horizon: j.horizon,
    };
    log(`signals: cached ${file}`);
  } catch {
    const t0 = performance.now();
    log(`signals: training walk-forward ML models for ${market.time.length} bars…`);
    signals = (await buildSignals(market, features, { seed: signalSeed })).signals;
    log(`signals: done in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${file}`);
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        time: Array.from(signals.time),
        signal: Array.from(signals.signal),
        confidence: Array.from(signals.confidence, (x) => Number.isFinite(x) ? x : null),
        target: Array.from(signals.target, (x) => Number.isFinite(x) ? x : null),
        available: Array.from(signals.available),
        horizon: signals.horizon,
      }),
    );
  }
  const probe = new FuturesTradingEnv({ market, features, signals, range: split.validation });
  return withEnvConfig({
    source,
    market,
    features,
    signals,
    split,
    dataHash,
    periodsPerYear: probe.periodsPerYear,
    episodeLength: options.episodeLength ?? 2048,
  }, { reward: options.reward, episodeLength: options.episodeLength ?? 2048 });
}
