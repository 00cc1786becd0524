/**
 * Run directories (`models/<run-id>/`), checkpoints, the best model, resume and loading a
 * trained run back as a deterministic {@link Policy}.
 *
 * Layout:
 * ```
 * models/<run-id>/
 *   config.json            the full training configuration (CLI flags + config file)
 *   manifest.json          seed, data hash, git commit, backend, engine, versions, timings, status
 *   metrics.jsonl          one JSON object per logged update / evaluation (append-only)
 *   events.out.tfevents.*  TensorBoard scalars
 *   model.json weights.bin weights_f64.bin policy.json normalizer.json optimizer.json optimizer.bin state.json
 *                          the final model (written at the end of training)
 *   checkpoints/<step>/    same model files, every N steps
 *   best/                  the best model by the chosen evaluation metric
 * ```
 *
 * Crash safety: JSON files are written with `writeFileAtomic` (temp + rename). A checkpoint or
 * the `best/` model is first written completely into a hidden temporary folder and then
 * renamed into place (rename of a folder is atomic on POSIX file systems), so a process killed
 * at any moment leaves the previous checkpoint complete and loadable; at worst an orphan
 * `.tmp-*` folder remains (ignored and cleaned up on the next start). `best/` is replaced by
 * renaming the old one aside first; if the process dies in that instant the loader falls back
 * to the aside copy. The final model at the run root is written file by file atomically and
 * its `policy.json` (written last) carries the hash of `weights.bin`, so a torn final save is
 * detected (and `checkpoints/` still hold the previous state). `metrics.jsonl` and the
 * TensorBoard file are append-only logs: each record is one `write`; a torn last line is
 * skipped by {@link readMetrics} (TensorBoard skips a torn last record).
 *
 * @module
 */
import { ConfigError, ModelError, writeFileAtomic } from "../util/mod.ts";
import {
  type ActorCriticEngine,
  buildEngine,
  decodeFloat64,
  encodeFloat64,
  type EngineKind,
  type FastPrecision,
  loadModel,
  type NamedTensor,
  NormalizedPolicy,
  type Policy,
  saveModel,
  tfjsVersion,
  VecNormalizer,
  type VecNormalizerJSON,
} from "../agents/mod.ts";
import { TensorBoardWriter, truncateEventFiles } from "./tensorboard.ts";

/**
 * The best-model record (`state.json`, `manifest.json`): the metric, its value and the global
 * step of the best evaluation, and whether that candidate passed the minimum-activity guard.
 */
export interface BestRecord {
  /** Metric name (`sharpe`, `sortino`, `total_return`, `mean_return`). */
  metric: string;
  /** Its value (−∞ stored as null in JSON). */
  value: number;
  /** Global environment step of the evaluation. */
  timesteps: number;
  /**
   * Whether the candidate passed the minimum-activity guard (false: no evaluation passed it
   * yet, so the best non-qualifying one is kept provisionally). Absent in older runs.
   */
  qualified?: boolean;
  /** Closed trades of the candidate on validation, or null when the env does not report them. */
  trades?: number | null;
  /** Exposure of the candidate on validation (fraction of bars in a position), or null. */
  exposure?: number | null;
}

/** Training state stored with every checkpoint (`state.json`). */
export interface CheckpointState {
  /** Environment steps taken when the checkpoint was written (global, across resumes). */
  timesteps: number;
  /** Updates done. */
  updates: number;
  /** Algorithm. */
  algorithm: string;
  /** Engine that wrote it. */
  engine: EngineKind;
  /** Best evaluation so far (for resuming the best-model logic), or null. */
  best: BestRecord | null;
  /** Anything else (e.g. evaluations without improvement). */
  extra?: Record<string, unknown>;
}

/** The run manifest (`manifest.json`). */
export interface RunManifest {
  /** Folder name of the run. */
  runId: string;
  /** ISO-8601 UTC time the run folder was created. */
  createdAt: string;
  /** ISO-8601 UTC time of the last manifest write. */
  updatedAt: string;
  /**
   * Run state: `running` while training (and after a crash), `interrupted` after SIGINT or
   * SIGTERM (a checkpoint and the final model at the stop were saved; `--resume` continues).
   */
  status: "running" | "completed" | "stopped_early" | "interrupted" | "failed";
  /** `ppo`, `a2c` or `grpo`. */
  algorithm: string;
  /** Engine that trained. */
  engine: EngineKind;
  /**
   * Arithmetic path of the fast engine (`float32` WebAssembly SIMD, the default where the
   * kernels load, or the `float64` reference), null for the tfjs engine.
   */
  fastPrecision?: FastPrecision | null;
  /** tfjs backend active in the process (used by the tfjs engine and model export). */
  backend: string;
  /** Training seed. */
  seed: number;
  /**
   * Where the training data came from (`synthetic` or a path), its content hash, symbol and
   * interval; runs since issue 19 add the files, detected layouts, loader warnings, funding
   * units, split/fold, coverage per split with the policy's decisions, excluded feature
   * families and the signals cache key (`signals.cached`: no signal model was trained).
   */
  data: {
    source: string;
    sha256: string | null;
    bars?: number;
    interval?: string;
    symbol?: string;
    [key: string]: unknown;
  };
  /** `git rev-parse HEAD` of the working directory, or null. */
  gitCommit: string | null;
  /** Runtime versions. */
  versions: { deno: string; v8: string; typescript: string; tfjs: string };
  /** Step budget (global environment steps). */
  totalTimesteps: number;
  /**
   * Guardrails the run trained and validated under (`lib/risk`): each `"off"`, `"spec"` or a
   * partial config, as in the run config. Absent in runs made before they existed (= off).
   */
  guards?: { risk: unknown; exits: unknown };
  /** Steps actually trained (global). */
  timesteps: number;
  /** Wall-clock accounting, seconds. */
  timings: {
    /** Wall-clock seconds of the training call (including evaluations and checkpoints). */
    trainSeconds?: number;
    /** Seconds collecting rollouts (env + inference). */
    rolloutSeconds?: number;
    /** Seconds evaluating on the validation split. */
    evalSeconds?: number;
    /** Environment steps per second over the training call (evaluations included). */
    stepsPerSecond?: number;
  };
  /** Checkpoint the run was resumed from, if any. */
  resumedFrom: string | null;
  /** Best validation result so far (metric, value, global step, guard); −∞ is stored as null. */
  best: BestRecord | null;
  /** Free-form details (hyperparameters summary, evaluation results, notes). */
  extra?: Record<string, unknown>;
}

/** Current git commit of the working directory, or null (no git / not a repository). */
export async function gitCommit(cwd = "."): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", {
      args: ["rev-parse", "HEAD"],
      cwd,
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return null;
    const s = new TextDecoder().decode(out.stdout).trim();
    return /^[0-9a-f]{40}$/.test(s) ? s : null;
  } catch {
    return null;
  }
}

/** Deno, V8, TypeScript and tfjs versions. */
export function runtimeVersions(): RunManifest["versions"] {
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    tfjs: tfjsVersion(),
  };
}

/** A run id like `ppo-20261125-211530-s42` (UTC). */
export function makeRunId(algorithm: string, seed: number, date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const d = `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}`;
  const t = `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
  return `${algorithm}-${d}-${t}-s${seed}`;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function randomTag(): string {
  return crypto.randomUUID().slice(0, 8);
}

/**
 * Keep the `metrics.jsonl` rows with `timesteps ≤ maxStep` (rows without a step are kept; a
 * torn final line is dropped); rewrites the file atomically when anything is dropped.
 */
async function truncateMetrics(path: string, maxStep: number): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return 0;
  }
  const lines = text.split("\n").filter((l) => l.length > 0);
  const kept = lines.filter((l) => {
    try {
      const t = (JSON.parse(l) as { timesteps?: unknown }).timesteps;
      return typeof t !== "number" || t <= maxStep;
    } catch {
      return false;
    }
  });
  if (kept.length === lines.length && (text.length === 0 || text.endsWith("\n"))) return 0;
  await writeFileAtomic(path, kept.map((l) => l + "\n").join(""));
  return lines.length - kept.length;
}

/** Everything a checkpoint holds. */
export interface ModelSnapshot {
  /** The model (weights and optimiser state are saved). */
  engine: ActorCriticEngine;
  /** Observation normaliser, or null. */
  normalizer: VecNormalizer | null;
  /** Training state stored as `state.json`. */
  state: CheckpointState;
  /** Extra metadata stored in `policy.json`. */
  metadata?: Record<string, unknown>;
}

/**
 * Write a complete model folder (weights, optimiser, normaliser, state) at `dir`.
 * Not atomic as a folder: use {@link writeModelFolderAtomic} for checkpoints.
 */
export async function writeModelFolder(dir: string, snap: ModelSnapshot): Promise<void> {
  await saveModel(dir, {
    network: snap.engine.config,
    weights: snap.engine.getWeights(),
    normalizer: snap.normalizer ? snap.normalizer.toJSON() : undefined,
    metadata: {
      algorithm: snap.state.algorithm,
      engine: snap.state.engine,
      timesteps: snap.state.timesteps,
      ...snap.metadata,
    },
  });
  const opt = snap.engine.getOptimizerState();
  const { header, bytes } = encodeFloat64(opt.tensors);
  await writeFileAtomic(`${dir}/optimizer.bin`, bytes);
  await writeFileAtomic(
    `${dir}/optimizer.json`,
    JSON.stringify({ step: opt.step, kind: snap.engine.config.optimizer.kind, tensors: header }),
  );
  await writeFileAtomic(`${dir}/state.json`, JSON.stringify(snap.state, null, 2));
}

/**
 * Write a model folder at `dir` atomically: into `<parent>/.tmp-<name>-<tag>/`, then rename.
 * An existing `dir` is replaced (moved aside to `<parent>/.old-<name>-<tag>/` first, removed
 * after the swap).
 */
export async function writeModelFolderAtomic(dir: string, snap: ModelSnapshot): Promise<void> {
  const slash = dir.lastIndexOf("/");
  const parent = slash >= 0 ? dir.slice(0, slash) : ".";
  const name = dir.slice(slash + 1);
  await Deno.mkdir(parent, { recursive: true });
  const tmp = `${parent}/.tmp-${name}-${randomTag()}`;
  try {
    await writeModelFolder(tmp, snap);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  if (exists(dir)) {
    const old = `${parent}/.old-${name}-${randomTag()}`;
    await Deno.rename(dir, old);
    await Deno.rename(tmp, dir);
    await Deno.remove(old, { recursive: true }).catch(() => {});
  } else {
    await Deno.rename(tmp, dir);
  }
}

/** A model folder read back by {@link readModelFolder}. */
export interface LoadedSnapshot {
  /** Network shape, head and optimiser. */
  network: ActorCriticEngine["config"];
  /** Weights in canonical order. */
  weights: NamedTensor[];
  /** Normaliser JSON, or null. */
  normalizer: VecNormalizerJSON | null;
  /** Optimiser state (moments, step), or null. */
  optimizer: { step: number; tensors: NamedTensor[] } | null;
  /** `state.json`, or null (e.g. a bare model folder). */
  state: CheckpointState | null;
  /** Whether the exact float64 copy was read. */
  precision: "float64" | "float32";
  /** `policy.json` metadata. */
  metadata: Record<string, unknown>;
}

/** Read a model folder (final model, checkpoint or best). */
export async function readModelFolder(dir: string): Promise<LoadedSnapshot> {
  const m = await loadModel(dir);
  let optimizer: LoadedSnapshot["optimizer"] = null;
  if (exists(`${dir}/optimizer.json`)) {
    const hdr = JSON.parse(await Deno.readTextFile(`${dir}/optimizer.json`));
    const bytes = await Deno.readFile(`${dir}/optimizer.bin`);
    optimizer = {
      step: hdr.step,
      tensors: decodeFloat64(hdr.tensors, bytes, `${dir}/optimizer.bin`),
    };
  }
  let state: CheckpointState | null = null;
  if (exists(`${dir}/state.json`)) state = JSON.parse(await Deno.readTextFile(`${dir}/state.json`));
  return {
    network: m.network,
    weights: m.weights,
    normalizer: m.normalizer as VecNormalizerJSON | null,
    optimizer,
    state,
    precision: m.precision,
    metadata: m.metadata,
  };
}

/** Options of {@link RunDir.create}. */
export interface RunDirOptions {
  /** The configuration to store in `config.json`. */
  config: Record<string, unknown>;
  /** Initial manifest fields. */
  manifest:
    & Omit<
      RunManifest,
      | "createdAt"
      | "updatedAt"
      | "status"
      | "timings"
      | "timesteps"
      | "best"
      | "resumedFrom"
      | "runId"
    >
    & { resumedFrom?: string | null };
  /** Allow writing into an existing run folder (resume). Default false. */
  resume?: boolean;
  /** Write TensorBoard event files (default true). */
  tensorboard?: boolean;
  /** Keep only the newest N checkpoints (default: keep all). */
  keepCheckpoints?: number;
  /**
   * Resume at this global step (the checkpoint's): `metrics.jsonl` rows and TensorBoard events
   * with a larger step, written by the process that was stopped after its last checkpoint,
   * are dropped first, so the resumed run continues one series without duplicated steps.
   */
  truncateAt?: number;
}

/** An open run directory: logs, checkpoints, best and final model, manifest. */
export class RunDir {
  /** Folder path. */
  readonly dir: string;
  /** The manifest (write with {@link RunDir.writeManifest}). */
  readonly manifest: RunManifest;
  /** TensorBoard writer, or null when disabled. */
  readonly tensorboard: TensorBoardWriter | null;
  readonly #keep: number;
  #metrics: Deno.FsFile | null;

  private constructor(
    dir: string,
    manifest: RunManifest,
    tb: TensorBoardWriter | null,
    metrics: Deno.FsFile,
    keep: number,
  ) {
    this.dir = dir;
    this.manifest = manifest;
    this.tensorboard = tb;
    this.#metrics = metrics;
    this.#keep = keep;
  }

  /** Create (or reopen for resume) a run folder and write `config.json` and `manifest.json`. */
  static async create(dir: string, options: RunDirOptions): Promise<RunDir> {
    if (exists(dir) && !options.resume) {
      const entries = [...Deno.readDirSync(dir)];
      if (entries.length > 0) {
        throw new ConfigError(
          `run folder ${dir} already exists and is not empty`,
          { parameter: "out" },
          "choose another --out, delete it, or pass --resume to continue it",
        );
      }
    }
    await Deno.mkdir(`${dir}/checkpoints`, { recursive: true });
    // clean orphans of a killed process
    // (a folder moved aside by a replacement that was killed before the swap completed is
    // moved back; half-written temporary folders are deleted)
    for (const sub of [dir, `${dir}/checkpoints`]) {
      for (const e of [...Deno.readDirSync(sub)]) {
        if (!e.isDirectory) continue;
        const old = /^\.old-(.+)-[0-9a-f]{8}$/.exec(e.name);
        if (old && !exists(`${sub}/${old[1]}`)) {
          await Deno.rename(`${sub}/${e.name}`, `${sub}/${old[1]}`);
        } else if (old || e.name.startsWith(".tmp-")) {
          await Deno.remove(`${sub}/${e.name}`, { recursive: true }).catch(() => {});
        }
      }
    }
    const now = new Date().toISOString();
    let previous: Partial<RunManifest> = {};
    if (options.resume && exists(`${dir}/manifest.json`)) {
      previous = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
    }
    const runId = dir.split("/").filter(Boolean).pop() ?? "run";
    const manifest: RunManifest = {
      best: null,
      timesteps: 0,
      timings: {},
      ...previous,
      ...options.manifest,
      resumedFrom: options.manifest.resumedFrom ?? null,
      runId,
      createdAt: previous.createdAt ?? now,
      updatedAt: now,
      status: "running",
    };
    await writeFileAtomic(`${dir}/config.json`, JSON.stringify(options.config, null, 2));
    await writeFileAtomic(`${dir}/manifest.json`, JSON.stringify(manifest, null, 2));
    if (options.resume && options.truncateAt !== undefined) {
      await truncateMetrics(`${dir}/metrics.jsonl`, options.truncateAt);
      await truncateEventFiles(dir, options.truncateAt);
    }
    const tb = (options.tensorboard ?? true) ? TensorBoardWriter.create(dir) : null;
    const metrics = await Deno.open(`${dir}/metrics.jsonl`, { create: true, append: true });
    return new RunDir(dir, manifest, tb, metrics, options.keepCheckpoints ?? Infinity);
  }

  /** Append one record to `metrics.jsonl` (one write per line). */
  logMetrics(record: Record<string, unknown>): void {
    if (!this.#metrics) throw new ModelError("run is closed", { file: this.dir });
    const bytes = new TextEncoder().encode(JSON.stringify(record) + "\n");
    let off = 0;
    while (off < bytes.length) off += this.#metrics.writeSync(bytes.subarray(off));
  }

  /** Update and atomically rewrite `manifest.json`. */
  async writeManifest(patch: Partial<RunManifest> = {}): Promise<void> {
    Object.assign(this.manifest, patch, { updatedAt: new Date().toISOString() });
    await writeFileAtomic(`${this.dir}/manifest.json`, JSON.stringify(this.manifest, null, 2));
  }

  /** Write `checkpoints/<timesteps>/` atomically (and prune old ones). Returns its path. */
  async saveCheckpoint(snap: ModelSnapshot): Promise<string> {
    const path = `${this.dir}/checkpoints/${snap.state.timesteps}`;
    await writeModelFolderAtomic(path, snap);
    if (Number.isFinite(this.#keep)) {
      const steps = listCheckpoints(this.dir);
      for (const s of steps.slice(0, Math.max(0, steps.length - this.#keep))) {
        await Deno.remove(`${this.dir}/checkpoints/${s}`, { recursive: true }).catch(() => {});
      }
    }
    return path;
  }

  /** Replace `best/` atomically. */
  async saveBest(snap: ModelSnapshot): Promise<string> {
    const path = `${this.dir}/best`;
    await writeModelFolderAtomic(path, snap);
    return path;
  }

  /** Write the final model at the run root. */
  async saveFinal(snap: ModelSnapshot): Promise<void> {
    await writeModelFolder(this.dir, snap);
  }

  /** Close the log files (idempotent). */
  close(): void {
    this.tensorboard?.close();
    if (this.#metrics) {
      this.#metrics.close();
      this.#metrics = null;
    }
  }
}

/** Checkpoint steps in `<runDir>/checkpoints/`, ascending. */
export function listCheckpoints(runDir: string): number[] {
  const dir = `${runDir}/checkpoints`;
  if (!exists(dir)) return [];
  const steps: number[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isDirectory && /^\d+$/.test(e.name)) steps.push(Number(e.name));
  }
  return steps.sort((a, b) => a - b);
}

/** Which model of a run to load. */
export type RunModelChoice = "final" | "best" | "latest" | number;

/** Folder of a model within a run (`final` = the root; `latest` = newest checkpoint). */
export function modelFolder(runDir: string, which: RunModelChoice): string {
  if (which === "final") return runDir;
  if (which === "best") {
    if (exists(`${runDir}/best/policy.json`)) return `${runDir}/best`;
    for (const e of exists(runDir) ? Deno.readDirSync(runDir) : []) {
      if (e.isDirectory && e.name.startsWith(".old-best")) return `${runDir}/${e.name}`;
    }
    throw new ModelError("run has no best model", { file: `${runDir}/best` }, "was evaluation on?");
  }
  const steps = listCheckpoints(runDir);
  if (which === "latest") {
    if (steps.length === 0) {
      throw new ModelError("run has no checkpoints", { file: `${runDir}/checkpoints` });
    }
    return `${runDir}/checkpoints/${steps[steps.length - 1]}`;
  }
  if (!steps.includes(which)) {
    throw new ModelError(
      `no checkpoint at step ${which}`,
      { file: `${runDir}/checkpoints` },
      `available: ${steps.join(", ") || "none"}`,
    );
  }
  return `${runDir}/checkpoints/${which}`;
}

/** Options of {@link loadRun}. */
export interface LoadRunOptions {
  /** Which model (default `"final"`, falling back to `best` then `latest` when absent). */
  which?: RunModelChoice;
  /** Engine to rebuild the model in (default: fast). */
  engine?: EngineKind;
  /** Restore the optimiser state too (for resuming). Default false. */
  withOptimizer?: boolean;
}

/** A run loaded back. */
export interface LoadedRun {
  /** Folder the model came from. */
  folder: string;
  /** The rebuilt model. */
  engine: ActorCriticEngine;
  /** The frozen observation normaliser, or null. */
  normalizer: VecNormalizer | null;
  /** Deterministic policy: normalises observations (frozen) and takes the mode. */
  policy: Policy;
  /** `state.json` of the folder, or null. */
  state: CheckpointState | null;
  /** The run's `config.json`, or null. */
  config: Record<string, unknown> | null;
  /** The run's `manifest.json`, or null. */
  manifest: RunManifest | null;
  /** Whether the exact float64 weights were read. */
  precision: "float64" | "float32";
}

/** Load a trained run (or checkpoint) as an engine + frozen normaliser + deterministic policy. */
export async function loadRun(runDir: string, options: LoadRunOptions = {}): Promise<LoadedRun> {
  let which = options.which ?? "final";
  if (which === "final" && !exists(`${runDir}/policy.json`)) {
    which = exists(`${runDir}/best/policy.json`) ? "best" : "latest";
  }
  const folder = modelFolder(runDir, which);
  const snap = await readModelFolder(folder);
  const readJson = async <T>(p: string): Promise<T | null> =>
    exists(p) ? JSON.parse(await Deno.readTextFile(p)) as T : null;
  const manifest = await readJson<RunManifest>(`${runDir}/manifest.json`);
  const config = await readJson<Record<string, unknown>>(`${runDir}/config.json`);
  const algorithm = String(snap.metadata.algorithm ?? manifest?.algorithm ?? "policy");
  const engine = buildEngine(options.engine ?? "fast", snap.network, {
    weights: snap.weights,
    name: algorithm,
  });
  if (options.withOptimizer && snap.optimizer) engine.setOptimizerState(snap.optimizer);
  const normalizer = snap.normalizer ? VecNormalizer.fromJSON(snap.normalizer, 1) : null;
  if (normalizer) normalizer.training = false;
  return {
    folder,
    engine,
    normalizer,
    policy: new NormalizedPolicy(engine, normalizer, { name: algorithm }),
    state: snap.state,
    config,
    manifest,
    precision: snap.precision,
  };
}

/** Read `metrics.jsonl`, skipping a torn (incomplete) last line. */
export async function readMetrics(runDir: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(`${runDir}/metrics.jsonl`);
  const out: Record<string, unknown>[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l) continue;
    try {
      out.push(JSON.parse(l));
    } catch (e) {
      if (i === lines.length - 1) break; // torn last line of a killed process
      throw new ModelError(`malformed metrics line: ${(e as Error).message}`, {
        file: `${runDir}/metrics.jsonl`,
        row: i + 1,
      });
    }
  }
  return out;
}
