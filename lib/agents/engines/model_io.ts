/**
 * Save and load actor-critic weights in the tfjs `model.json` + `weights.bin` format, shared
 * by both engines (they exchange {@link NamedTensor} lists named per `engine.ts`).
 *
 * Files written into one model folder:
 * - `model.json` + `weights.bin`: a real tfjs **LayersModel** (functional API): input `obs`
 *   `[null, obsDim]` → policy branch `pi_dense_<i>` (tanh) … `pi_head` (linear: logits or
 *   Gaussian means) and, with a critic, value branch `vf_dense_<i>` (tanh) … `vf_head`
 *   (linear, 1 unit). Outputs `[pi_head, vf_head]` (or `[pi_head]` without a critic). It is
 *   produced by tfjs itself (`model.save(tf.io.withSaveHandler(…))`), so plain
 *   `tf.loadLayersModel` loads it and `predict` returns the same logits/means and values as
 *   the engines. Weights in `weights.bin` are float32 (tfjs has no float64 dtype).
 * - `policy.json`: what the LayersModel cannot hold: the network config (head kind, action
 *   count / dimension, optimiser), the Gaussian `log_std` (float64, exact), the SHA-256 of
 *   `weights.bin` (to detect a mismatched pair) and, when `exact` is on, the name of
 *   `weights_f64.bin`, an exact float64 copy of every tensor (so a resumed fast-engine run
 *   continues bit-identically; tfjs ignores it).
 * - `normalizer.json` (optional): the observation normaliser statistics (frozen at evaluation).
 *
 * Each file is written atomically (temp + rename) and `policy.json` is written last; a loader
 * verifies the `weights.bin` hash, so a folder caught mid-save is reported as inconsistent
 * rather than loaded silently. Checkpoint folders are made atomic as a whole by `run.ts`
 * (written under a temporary name, then renamed).
 *
 * @module
 */
import { tf } from "../../signals/mod.ts";
import { writeFileAtomic } from "../../util/mod.ts";
import { sha256Hex } from "../../util/mod.ts";
import { ModelError } from "../../util/mod.ts";
import type { NamedTensor, NetworkConfig } from "./engine.ts";
import { tensorSpecs } from "./init.ts";
import { ensureBackendSync } from "./tfjs/backend.ts";

/** Format tag of `policy.json`. */
export const POLICY_FORMAT = "rlt-actor-critic";
/** Version of `policy.json`. */
export const POLICY_FORMAT_VERSION = 1;

/** Contents of `policy.json`. */
export interface PolicyFile {
  /** Always `rlt-actor-critic`. */
  format: typeof POLICY_FORMAT;
  /** Format version ({@link POLICY_FORMAT_VERSION}). */
  version: number;
  /** Network shape, head and optimiser. */
  network: NetworkConfig;
  /** Gaussian log standard deviations (float64), or null for a categorical head. */
  logStd: number[] | null;
  /** SHA-256 (hex) of `weights.bin`. */
  weightsSha256: string;
  /** Exact float64 copy of all tensors, or null. */
  float64: { path: string; sha256: string; tensors: { name: string; shape: number[] }[] } | null;
  /** Free-form metadata (engine, algorithm, step …). */
  metadata: Record<string, unknown>;
}

/** A model as loaded by {@link loadModel}. */
export interface LoadedModel {
  /** Network shape, head and optimiser. */
  network: NetworkConfig;
  /** Weights in the canonical engine order (float64 values). */
  weights: NamedTensor[];
  /** The `normalizer.json` contents, or null. */
  normalizer: unknown | null;
  /** `float64` when the exact copy was used, else `float32` (from `weights.bin`). */
  precision: "float64" | "float32";
  /** Metadata stored in `policy.json` (algorithm, engine, steps …). */
  metadata: Record<string, unknown>;
}

/** What {@link saveModel} writes. */
export interface ModelToSave {
  /** Network shape, head and optimiser. */
  network: NetworkConfig;
  /** Weights named per `engine.ts` (any order). */
  weights: NamedTensor[];
  /** JSON-serialisable normaliser state (e.g. `VecNormalizer.toJSON()`), or omitted. */
  normalizer?: unknown;
  /** Free-form metadata stored in `policy.json`. */
  metadata?: Record<string, unknown>;
}

/** Options of {@link saveModel}. */
export interface SaveModelOptions {
  /** Also write the exact float64 copy `weights_f64.bin` (default true). */
  exact?: boolean;
}

/** tfjs layer name of an engine tensor name: `pi/dense_0/kernel` → `pi_dense_0/kernel`. */
export function tfjsWeightName(name: string): string {
  const parts = name.split("/");
  if (parts.length !== 3) throw new ModelError(`not a layer weight: ${name}`);
  return `${parts[0]}_${parts[1]}/${parts[2]}`;
}

/** Engine tensor name of a tfjs weight name: `pi_dense_0/kernel` → `pi/dense_0/kernel`. */
export function engineWeightName(name: string): string {
  const m = /^(pi|vf)_(dense_\d+|head)\/(kernel|bias)$/.exec(name);
  if (!m) throw new ModelError(`unexpected tfjs weight "${name}" in model.json`);
  return `${m[1]}/${m[2]}/${m[3]}`;
}

/**
 * Build the tfjs LayersModel of a network (see the module docs) with the given weights.
 * The caller owns (and must `dispose()`) the result.
 */
export function buildLayersModel(network: NetworkConfig, weights: NamedTensor[]): tf.LayersModel {
  ensureBackendSync();
  const byName = new Map(weights.map((w) => [w.name, w]));
  const input = tf.input({ shape: [network.obsDim], name: "obs" });
  const outDim = network.head.kind === "categorical" ? network.head.n : network.head.dim;
  const layers: tf.layers.Layer[] = [];
  const branch = (net: "pi" | "vf", hidden: number[], out: number): tf.SymbolicTensor => {
    let h: tf.SymbolicTensor = input;
    const names = hidden.map((_, i) => `dense_${i}`).concat("head");
    const units = hidden.concat(out);
    names.forEach((nm, i) => {
      const layer = tf.layers.dense({
        units: units[i],
        activation: nm === "head" ? "linear" : "tanh",
        name: `${net}_${nm}`,
        kernelInitializer: "zeros",
      });
      h = layer.apply(h) as tf.SymbolicTensor;
      layers.push(layer);
    });
    return h;
  };
  const outputs = [branch("pi", network.piHidden, outDim)];
  if (network.critic) outputs.push(branch("vf", network.vfHidden, 1));
  const model = tf.model({ inputs: input, outputs, name: "actor_critic" });
  for (const layer of layers) {
    const [net, ...rest] = layer.name.split("_");
    const base = `${net}/${rest.join("_")}`;
    const k = byName.get(`${base}/kernel`);
    const b = byName.get(`${base}/bias`);
    if (!k || !b) {
      model.dispose();
      throw new ModelError(`missing weights for layer ${base}`, { parameter: "weights" });
    }
    tf.tidy(() => {
      layer.setWeights([
        tf.tensor(Float32Array.from(k.data), k.shape),
        tf.tensor(Float32Array.from(b.data), b.shape),
      ]);
    });
  }
  return model;
}

/** The tfjs model artifacts (topology, weight specs, float32 weight bytes) of a network. */
export async function modelArtifacts(
  network: NetworkConfig,
  weights: NamedTensor[],
): Promise<tf.io.ModelArtifacts> {
  const model = buildLayersModel(network, weights);
  let artifacts: tf.io.ModelArtifacts | null = null;
  try {
    await model.save(tf.io.withSaveHandler((a) => {
      artifacts = a;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
      });
    }));
  } finally {
    model.dispose();
  }
  if (!artifacts) throw new ModelError("tfjs produced no model artifacts");
  return artifacts;
}

function joinWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  if (Array.isArray(data)) return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
  return new Uint8Array(data);
}

/** Encode named tensors as one float64 little-endian buffer plus its header. */
export function encodeFloat64(tensors: NamedTensor[]): {
  header: { name: string; shape: number[] }[];
  bytes: Uint8Array;
} {
  const total = tensors.reduce((a, t) => a + t.data.length, 0);
  const buf = new Float64Array(total);
  let off = 0;
  for (const t of tensors) {
    buf.set(t.data, off);
    off += t.data.length;
  }
  const bytes = new Uint8Array(buf.buffer);
  if (!littleEndian()) throw new ModelError("big-endian hosts are not supported");
  return { header: tensors.map((t) => ({ name: t.name, shape: [...t.shape] })), bytes };
}

/** Decode {@link encodeFloat64} output. */
export function decodeFloat64(
  header: { name: string; shape: number[] }[],
  bytes: Uint8Array,
  file = "float64 tensors",
): NamedTensor[] {
  const total = header.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  if (bytes.byteLength !== total * 8) {
    throw new ModelError(
      `expected ${total * 8} bytes, found ${bytes.byteLength}`,
      { file },
      "the file is truncated or belongs to another model",
    );
  }
  const all = new Float64Array(bytes.slice().buffer);
  let off = 0;
  return header.map((h) => {
    const n = h.shape.reduce((x, y) => x * y, 1);
    const t = { name: h.name, shape: [...h.shape], data: all.slice(off, off + n) };
    off += n;
    return t;
  });
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * Save a model into folder `dir` (created if needed): `model.json`, `weights.bin`,
 * `weights_f64.bin` (unless `exact: false`), `normalizer.json` (if given), `policy.json` last.
 */
export async function saveModel(
  dir: string,
  model: ModelToSave,
  options: SaveModelOptions = {},
): Promise<void> {
  const { network, weights } = model;
  const specs = tensorSpecs(network);
  const byName = new Map(weights.map((w) => [w.name, w]));
  const ordered: NamedTensor[] = specs.map((s) => {
    const w = byName.get(s.name);
    if (!w) {
      throw new ModelError(`cannot save: missing tensor "${s.name}"`, { parameter: "weights" });
    }
    if (w.shape.join(",") !== s.shape.join(",")) {
      throw new ModelError(
        `cannot save: "${s.name}" has shape [${w.shape}], expected [${s.shape}]`,
      );
    }
    return w;
  });
  const artifacts = await modelArtifacts(network, ordered);
  const weightBytes = joinWeightData(artifacts.weightData);
  await Deno.mkdir(dir, { recursive: true });
  const modelJson = {
    format: artifacts.format ?? "layers-model",
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
  };
  await writeFileAtomic(`${dir}/weights.bin`, weightBytes);
  await writeFileAtomic(`${dir}/model.json`, JSON.stringify(modelJson));
  let float64: PolicyFile["float64"] = null;
  if (options.exact ?? true) {
    const { header, bytes } = encodeFloat64(ordered);
    await writeFileAtomic(`${dir}/weights_f64.bin`, bytes);
    float64 = { path: "weights_f64.bin", sha256: await sha256Hex(bytes), tensors: header };
  }
  if (model.normalizer !== undefined && model.normalizer !== null) {
    await writeFileAtomic(`${dir}/normalizer.json`, JSON.stringify(model.normalizer));
  } else {
    await Deno.remove(`${dir}/normalizer.json`).catch(() => {});
  }
  const logStd = byName.get("pi/log_std");
  const policy: PolicyFile = {
    format: POLICY_FORMAT,
    version: POLICY_FORMAT_VERSION,
    network,
    logStd: logStd ? [...logStd.data] : null,
    weightsSha256: await sha256Hex(weightBytes),
    float64,
    metadata: model.metadata ?? {},
  };
  await writeFileAtomic(`${dir}/policy.json`, JSON.stringify(policy, null, 2));
}

async function readJson<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ModelError(
      `cannot read ${path.split("/").pop()}: ${(e as Error).message}`,
      { file: path },
      "is this a model folder written by saveModel / deno task train?",
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ModelError(`malformed JSON: ${(e as Error).message}`, { file: path });
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw new ModelError(`cannot read weights: ${(e as Error).message}`, { file: path });
  }
}

/** Load `model.json` + `weights.bin` as tfjs artifacts (for `tf.io.fromMemory`). */
export async function loadArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const mj = await readJson<{
    modelTopology: tf.io.ModelArtifacts["modelTopology"];
    format?: string;
    generatedBy?: string;
    convertedBy?: string | null;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  }>(`${dir}/model.json`);
  if (!mj.weightsManifest || !mj.modelTopology) {
    throw new ModelError("model.json lacks modelTopology or weightsManifest", {
      file: `${dir}/model.json`,
    });
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of mj.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) parts.push(await readBytes(`${dir}/${p}`));
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const data = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    data.set(p, off);
    off += p.length;
  }
  return {
    modelTopology: mj.modelTopology,
    format: mj.format,
    generatedBy: mj.generatedBy,
    convertedBy: mj.convertedBy ?? undefined,
    weightSpecs: specs,
    weightData: data.buffer,
  };
}

/** Load a model folder as a plain tfjs `LayersModel` (outputs `[policy, value]`). */
export async function loadTfjsLayersModel(dir: string): Promise<tf.LayersModel> {
  ensureBackendSync();
  return await tf.loadLayersModel(tf.io.fromMemory(await loadArtifacts(dir)));
}

/**
 * Load a model folder written by {@link saveModel}: network config, weights (exact float64
 * copy when present and consistent, else float32 from `weights.bin`) and normaliser state.
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const policy = await readJson<PolicyFile>(`${dir}/policy.json`);
  if (policy.format !== POLICY_FORMAT || !policy.network) {
    throw new ModelError(`policy.json is not a ${POLICY_FORMAT} file`, {
      file: `${dir}/policy.json`,
    });
  }
  const mjPath = `${dir}/model.json`;
  const mj = await readJson<
    { weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] }
  >(
    mjPath,
  );
  const group = mj.weightsManifest?.[0];
  if (!group || mj.weightsManifest.length !== 1 || group.paths.length !== 1) {
    throw new ModelError("model.json must have one weights group with one file", { file: mjPath });
  }
  const binPath = `${dir}/${group.paths[0]}`;
  const bin = await readBytes(binPath);
  if ((await sha256Hex(bin)) !== policy.weightsSha256) {
    throw new ModelError(
      "weights.bin does not match policy.json (hash differs)",
      { file: binPath },
      "the folder was caught mid-save or edited; load the previous checkpoint",
    );
  }
  const f32: NamedTensor[] = [];
  let off = 0;
  for (const spec of group.weights) {
    if (spec.dtype !== undefined && spec.dtype !== "float32") {
      throw new ModelError(`unsupported weight dtype ${spec.dtype}`, { file: mjPath });
    }
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if ((off + n) * 4 > bin.byteLength) {
      throw new ModelError("weights.bin is shorter than model.json says", { file: binPath });
    }
    const vals = new Float32Array(bin.slice(off * 4, (off + n) * 4).buffer);
    f32.push({
      name: engineWeightName(spec.name),
      shape: [...spec.shape],
      data: Float64Array.from(vals),
    });
    off += n;
  }
  if (policy.logStd) {
    f32.push({
      name: "pi/log_std",
      shape: [policy.logStd.length],
      data: Float64Array.from(policy.logStd),
    });
  }
  let weights = f32;
  let precision: LoadedModel["precision"] = "float32";
  if (policy.float64) {
    const path = `${dir}/${policy.float64.path}`;
    const bytes = await readBytes(path);
    if ((await sha256Hex(bytes)) === policy.float64.sha256) {
      const exact = decodeFloat64(policy.float64.tensors, bytes, path);
      const byName = new Map(f32.map((t) => [t.name, t]));
      const consistent = exact.every((t) => {
        const r = byName.get(t.name);
        if (!r || r.data.length !== t.data.length) return false;
        const logStd = t.name === "pi/log_std";
        for (let i = 0; i < t.data.length; i++) {
          if ((logStd ? t.data[i] : Math.fround(t.data[i])) !== r.data[i]) return false;
        }
        return true;
      });
      if (!consistent) {
        throw new ModelError(
          "weights_f64.bin disagrees with weights.bin",
          { file: path },
          "the folder is inconsistent; load the previous checkpoint",
        );
      }
      weights = exact;
      precision = "float64";
    }
  }
  const order = tensorSpecs(policy.network).map((s) => s.name);
  const byName = new Map(weights.map((w) => [w.name, w]));
  const sorted = order.map((n) => {
    const w = byName.get(n);
    if (!w) throw new ModelError(`saved model lacks tensor "${n}"`, { file: mjPath });
    return w;
  });
  let normalizer: unknown | null = null;
  try {
    await Deno.stat(`${dir}/normalizer.json`);
    normalizer = await readJson<unknown>(`${dir}/normalizer.json`);
  } catch (e) {
    if (e instanceof ModelError) throw e;
  }
  return {
    network: policy.network,
    weights: sorted,
    normalizer,
    precision,
    metadata: policy.metadata ?? {},
  };
}
