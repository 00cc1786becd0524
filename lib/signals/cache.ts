/**
 * A cache of out-of-sample signals, so a second run on the same data skips the walk-forward
 * training (35–85 s on six months of 5-minute bars).
 *
 * Key: SHA-256 of `{cache version, signal-model version, data hash, feature config, a hash of
 * the feature matrix itself (values + validity), the signal options}`. The feature-matrix
 * hash makes a change in the feature code a cache miss even when the config is the same;
 * a change in the MLP or walk-forward code is NOT detected: bump
 * {@link SIGNAL_CACHE_VERSION} with it (or delete `data/cache/signals/`).
 *
 * Entry: one file `<key>.signals.bin` under `data/cache/signals/` (git-ignored), written
 * atomically (temp + rename): a little-endian u32 header length, a JSON header
 * (`version`, `key`, `rows`, `horizon`, first/last bar time, the resolved signal config and
 * the out-of-sample diagnostics), then the arrays `time` (f64), `confidence` (f64),
 * `target` (f64), `signal` (i8), `available` (u8). A torn, foreign or mismatching file is a
 * miss (retrained and overwritten), never an error.
 *
 * @module
 */
import type { MarketData } from "../data/mod.ts";
import type { FeatureMatrix } from "../features/mod.ts";
import { writeFileAtomic } from "../util/mod.ts";
import { hashArrays, sha256Hex } from "../util/mod.ts";
import { SIGNAL_MODEL_VERSION } from "./persist.ts";
import type { Signals } from "../env/mod.ts";
import {
  buildSignals,
  type SignalConfig,
  type SignalDiagnostics,
  type SignalOptions,
  type SignalRun,
} from "./walk_forward.ts";

/** Format/semantics version of cache entries; bump when signal training code changes. */
export const SIGNAL_CACHE_VERSION = 1;

/** Default cache folder: `<repo>/data/cache/signals`. */
export const DEFAULT_SIGNAL_CACHE_DIR: string =
  new URL("../../data/cache/signals", import.meta.url).pathname;

/** Options of {@link buildSignalsCached}. */
export interface CachedSignalOptions extends SignalOptions {
  /** Hash of the market data (the run manifest's data hash); computed from `md` if absent. */
  dataHash?: string;
  /** The feature configuration that produced `features` (e.g. `{ exclude: ["oi"] }`). */
  featureConfig?: unknown;
  /** Cache folder (default {@link DEFAULT_SIGNAL_CACHE_DIR}); `null` disables the cache. */
  cacheDir?: string | null;
  /**
   * The trainer (default `buildSignals`). Injectable so tests can count trainings and
   * callers can wrap it (progress, timing).
   */
  train?: (md: MarketData, features: FeatureMatrix, options: SignalOptions) => Promise<SignalRun>;
}

/** Result of {@link buildSignalsCached}. */
export interface CachedSignals {
  signals: Signals;
  /** True when read from the cache (no model was trained). */
  cached: boolean;
  /** The cache key (hex). */
  key: string;
  /** The cache file (null when the cache is disabled). */
  file: string | null;
  /** Resolved signal configuration of the run that produced the signals. */
  config: SignalConfig;
  /** Out-of-sample diagnostics of that run. */
  diagnostics: SignalDiagnostics;
  /** The full run (models, labels) when trained now; absent on a cache hit. */
  run?: SignalRun;
}

/** The cache key of a signal run (see the module documentation). */
export async function signalCacheKey(
  md: MarketData,
  features: FeatureMatrix,
  options: CachedSignalOptions = {},
): Promise<string> {
  const dataHash = options.dataHash ?? await marketHash(md);
  const featureHash = await hashArrays(
    [features.data, features.valid] as unknown as
      & ArrayLike<number>[]
      & ArrayBufferView[],
  );
  const sig: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (["dataHash", "featureConfig", "cacheDir", "train", "onProgress"].includes(k)) continue;
    if (typeof v === "function" || v === undefined) continue;
    sig[k] = v;
  }
  const text = stableJson({
    cache: SIGNAL_CACHE_VERSION,
    model: SIGNAL_MODEL_VERSION,
    data: dataHash,
    features: { config: options.featureConfig ?? null, names: features.names, featureHash },
    signals: sig,
  });
  return await sha256Hex(new TextEncoder().encode(text));
}

/**
 * `buildSignals` with a cache: on a hit the signals are read back (no model trained); on a
 * miss they are trained with `options.train` and written atomically.
 */
export async function buildSignalsCached(
  md: MarketData,
  features: FeatureMatrix,
  options: CachedSignalOptions = {},
): Promise<CachedSignals> {
  const key = await signalCacheKey(md, features, options);
  const dir = options.cacheDir === undefined ? DEFAULT_SIGNAL_CACHE_DIR : options.cacheDir;
  const file = dir === null ? null : `${dir}/${key}.signals.bin`;
  if (file) {
    const hit = await readEntry(file, key, md);
    if (hit) return { ...hit, cached: true, key, file };
  }
  const train = options.train ?? buildSignals;
  const run = await train(md, features, options);
  if (file && dir) {
    await Deno.mkdir(dir, { recursive: true });
    await writeFileAtomic(file, encodeEntry(key, run));
  }
  return {
    signals: run.signals,
    cached: false,
    key,
    file,
    config: run.model.config,
    diagnostics: run.diagnostics,
    run,
  };
}

async function marketHash(md: MarketData): Promise<string> {
  const cols: Float64Array[] = [md.time, md.open, md.high, md.low, md.close, md.volume];
  if (md.openInterest) cols.push(md.openInterest);
  if (md.fundingRate) cols.push(md.fundingRate);
  return await hashArrays(cols as unknown as ArrayLike<number>[] & ArrayBufferView[]);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) =>
        `${JSON.stringify(k)}:${stableJson(o[k])}`
      ).join(",")
    }}`;
  }
  return JSON.stringify(v) ?? "null";
}

interface EntryHeader {
  version: number;
  key: string;
  rows: number;
  horizon: number;
  firstTime: number;
  lastTime: number;
  config: SignalConfig;
  diagnostics: SignalDiagnostics;
}

function encodeEntry(key: string, run: SignalRun): Uint8Array {
  const s = run.signals;
  const n = s.time.length;
  const header: EntryHeader = {
    version: SIGNAL_CACHE_VERSION,
    key,
    rows: n,
    horizon: s.horizon,
    firstTime: n ? s.time[0] : NaN,
    lastTime: n ? s.time[n - 1] : NaN,
    config: run.model.config,
    diagnostics: run.diagnostics,
  };
  const h = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - ((4 + h.length) % 8)) % 8;
  const off = 4 + h.length + pad;
  const out = new Uint8Array(off + n * 8 * 3 + n * 2);
  new DataView(out.buffer).setUint32(0, h.length + pad, true);
  out.set(h, 4);
  out.fill(0x20, 4 + h.length, off); // spaces: still valid JSON when trimmed
  let o = off;
  for (const a of [s.time, s.confidence, s.target]) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o += a.byteLength;
  }
  out.set(new Uint8Array(s.signal.buffer, s.signal.byteOffset, n), o);
  o += n;
  out.set(s.available, o);
  return out;
}

async function readEntry(
  file: string,
  key: string,
  md: MarketData,
): Promise<{ signals: Signals; config: SignalConfig; diagnostics: SignalDiagnostics } | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch {
    return null;
  }
  try {
    const hl = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + hl))) as EntryHeader;
    const n = header.rows;
    const off = 4 + hl;
    if (
      header.version !== SIGNAL_CACHE_VERSION || header.key !== key ||
      n !== md.time.length || bytes.length !== off + n * 26 ||
      (n > 0 && (header.firstTime !== md.time[0] || header.lastTime !== md.time[n - 1]))
    ) return null;
    const copy = bytes.slice(off); // aligned copy
    const f64 = (k: number) => new Float64Array(copy.buffer, k * n * 8, n);
    return {
      signals: {
        time: f64(0),
        confidence: f64(1),
        target: f64(2),
        signal: new Int8Array(copy.buffer, 3 * n * 8, n),
        available: new Uint8Array(copy.buffer, 3 * n * 8 + n, n),
        horizon: header.horizon,
      },
      config: header.config,
      diagnostics: header.diagnostics,
    };
  } catch {
    return null;
  }
}
