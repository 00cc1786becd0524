/**
 * Distributed sweeps on BullMQ (Redis): the submitter enqueues one job per cell, workers on
 * any number of machines take jobs, train (and evaluate) and return the run's summary. The
 * queue is the only coordination.
 *
 * - **Job id = cell id.** Enqueueing is idempotent: submitting the same grid again (a resumed
 *   submitter) adds nothing for cells already queued, running or completed; failed jobs are
 *   retried.
 * - **Stalled jobs.** A worker renews its job's lock every `lockDuration / 2`; when a worker
 *   dies (SIGKILL, machine lost), its lock expires and a live worker's stalled-job check
 *   (every `stalledInterval`) moves the job back to wait, so another worker runs it. Jobs can
 *   be recovered from a stall `maxStalledCount` times (default 3 here, BullMQ's is 1).
 * - **Results once.** BullMQ completes a job only for the worker holding its lock, so a job
 *   completes once even if a stalled attempt later finishes. The submitter writes
 *   `results/<cell-id>.json` atomically, only if absent, and appends one line to
 *   `result_writes.jsonl` per write (the audit trail tests count).
 * - **Artifacts.** With a shared folder (`--models` on the workers, the same path on every
 *   machine) the run folder is renamed into `<models>/<cell-id>` and only its path travels.
 *   Without one, the worker zips the run folder (fflate, deflate level 6) into the job's
 *   return value as base64 (a tiny test run: ≈0.6 MB zipped; a 64×64 PPO run with checkpoints
 *   grows with their number — use `--keep-checkpoints` or a shared folder for big runs), and
 *   the submitter unpacks it into the sweep's `runs/<cell-id>`.
 *
 * @module
 */
import type { ConnectionOptions, Job } from "bullmq";
import type { Redis } from "./_ioredis_types.d.ts";
import { unzipSync, zipSync } from "fflate";
import { ConfigError } from "../../util/mod.ts";
import { writeFileAtomic } from "../../util/mod.ts";
import type { Cell, CellConfig } from "./grid.ts";
import { CellInterrupted, runCell } from "./cell.ts";
import { countCells, ManifestStore, type SweepManifest } from "./manifest.ts";
import { isRunComplete, type RunSummary } from "./run_folder.ts";
import type { SweepProgress } from "./pool.ts";

/** Default BullMQ queue name shared by submitters and workers. */
export const DEFAULT_QUEUE_NAME = "sweep-cells";

/** What a job carries (JSON). */
export interface CellJobData {
  /** Cell id (= job id). */
  cellId: string;
  /** Cell label. */
  label: string;
  /** The configuration for the train CLI. */
  trainConfig: CellConfig;
  /** Full configuration (for the record). */
  config: CellConfig;
  /** Evaluate step: `auto`, `off` or an argv template (`{run}` = the run folder). */
  evaluate: "auto" | "off" | string[];
  /** Sweep name (for logs). */
  sweep: string;
}

/** What a worker returns for a job (JSON). */
export interface CellJobResult {
  /** Cell id. */
  cellId: string;
  /** `host:pid` of the worker. */
  worker: string;
  /** Seconds the worker spent on the cell (0 when the run was already there). */
  seconds: number;
  /** Whether the evaluate step ran. */
  evaluated: boolean;
  /** The run's summary (status, metrics). `runDir` is the worker-side path. */
  summary: RunSummary;
  /** The run folder in the shared folder, when the worker has one. */
  sharedRunDir: string | null;
  /** The run folder zipped (base64), when the worker has no shared folder. */
  artifacts: { format: "zip+base64"; bytes: number; files: number; data: string } | null;
}

/** A queue URL parsed for ioredis. */
export function parseRedisUrl(
  url: string,
): { host: string; port: number; password?: string; db?: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(
      `--queue: not a URL: ${url}`,
      { parameter: "queue" },
      "e.g. redis://127.0.0.1:6379",
    );
  }
  if (u.protocol !== "redis:") {
    throw new ConfigError(`--queue: expected redis://host:port, got ${url}`, {
      parameter: "queue",
    });
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
  };
}

/** The URL without its password (for manifests and logs). */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}

/** A new ioredis connection (`maxRetriesPerRequest: null`, as BullMQ workers require). */
export async function redisConnection(url: string): Promise<Redis> {
  const { Redis } = await loadRedis();
  return new Redis({ ...parseRedisUrl(url), maxRetriesPerRequest: null, lazyConnect: false });
}

let redisModule: Promise<typeof import("./_redis.ts")> | undefined;

/** BullMQ + ioredis, loaded on first use (a local sweep never loads them). */
function loadRedis(): Promise<typeof import("./_redis.ts")> {
  return redisModule ??= import("./_redis.ts");
}

// ---- packing a run folder ---------------------------------------------------------------------

async function collectFiles(dir: string, prefix = ""): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) Object.assign(out, await collectFiles(`${dir}/${e.name}`, rel));
    else if (e.isFile) out[rel] = await Deno.readFile(`${dir}/${e.name}`);
  }
  return out;
}

/** Zip a run folder into base64 (for a job's return value). */
export async function packRunFolder(
  dir: string,
): Promise<{ format: "zip+base64"; bytes: number; files: number; data: string }> {
  const files = await collectFiles(dir);
  const zip = zipSync(files, { level: 6 });
  let bin = "";
  for (let i = 0; i < zip.length; i += 0x8000) {
    bin += String.fromCharCode(...zip.subarray(i, i + 0x8000));
  }
  return {
    format: "zip+base64",
    bytes: zip.length,
    files: Object.keys(files).length,
    data: btoa(bin),
  };
}

/**
 * Unpack a packed run folder into `<runsDir>/<cellId>` through an attempt folder and an atomic
 * rename; returns false when a complete run was already there (nothing written).
 */
export async function unpackRunFolder(
  packed: { data: string },
  runsDir: string,
  cellId: string,
): Promise<boolean> {
  const target = `${runsDir}/${cellId}`;
  if (await isRunComplete(target)) return false;
  const bin = atob(packed.data);
  const zip = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) zip[i] = bin.charCodeAt(i);
  const files = unzipSync(zip);
  const tmp = `${runsDir}/.attempts/${cellId}.unpack-${crypto.randomUUID().slice(0, 8)}`;
  try {
    for (const [rel, bytes] of Object.entries(files)) {
      if (rel.split("/").some((p) => p === ".." || p === "") || rel.startsWith("/")) {
        throw new ConfigError(`packed run holds a bad path: ${rel}`, { parameter: cellId });
      }
      const path = `${tmp}/${cellId}/${rel}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeFile(path, bytes);
    }
    await Deno.mkdir(`${tmp}/${cellId}/checkpoints`, { recursive: true });
    try {
      await Deno.rename(`${tmp}/${cellId}`, target);
    } catch (e) {
      if (await isRunComplete(target)) return false;
      throw e;
    }
    return true;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

// ---- worker -------------------------------------------------------------------------------------

/** Options of {@link startCellWorker}. */
export interface CellWorkerOptions {
  /** Redis URL. */
  url: string;
  /** Queue name (default {@link DEFAULT_QUEUE_NAME}). */
  queueName?: string;
  /** Cells run at once by this worker (default: number of cores). */
  concurrency?: number;
  /** Shared folder of run folders (same path on every machine), or null: pack artifacts. */
  models?: string | null;
  /** Local scratch folder for runs when there is no shared folder (default: a temp folder). */
  scratch?: string;
  /** argv prefix of the train command. */
  trainCommand: string[];
  /** Resolves a job's `evaluate` field to an argv template or null (skip). */
  evaluateCommand: (evaluate: CellJobData["evaluate"]) => string[] | null;
  /** Working directory of the commands. */
  cwd?: string;
  /** Lock duration in ms (default 30 000): a dead worker's job is freed after about this. */
  lockDuration?: number;
  /** Stalled-job check interval in ms (default 30 000). */
  stalledInterval?: number;
  /** Stall recoveries before a job fails (default 3). */
  maxStalledCount?: number;
  /** Log lines (start, completed, failed). */
  log?: (line: string) => void;
}

/** A running cell worker. */
export interface CellWorkerHandle {
  /** Resolves once the worker is connected to Redis and taking jobs. */
  ready(): Promise<void>;
  /**
   * Stop: running cells are killed and their jobs moved back to wait (no attempt consumed),
   * then the worker and its connection close.
   */
  close(): Promise<void>;
}

/** Start a worker that takes cells from the queue until closed. */
export async function startCellWorker(options: CellWorkerOptions): Promise<CellWorkerHandle> {
  const { Worker, WaitingError } = await loadRedis();
  const log = options.log ?? ((l: string) => console.log(l));
  const me = `${Deno.hostname()}:${Deno.pid}`;
  const stop = new AbortController();
  const scratch = options.scratch ??
    Deno.makeTempDirSync({ prefix: "sweep-worker-" });
  const connection = await redisConnection(options.url);
  const processor = async (
    job: Job<CellJobData, CellJobResult>,
    token?: string,
  ): Promise<CellJobResult> => {
    const d = job.data;
    const cell: Cell = {
      id: d.cellId,
      label: d.label,
      config: d.config,
      trainConfig: d.trainConfig,
    };
    const runsDir = options.models ?? scratch;
    log(`start ${d.cellId} (${d.label}) attempt ${job.attemptsMade + 1}`);
    try {
      const out = await runCell(cell, runsDir, {
        trainCommand: options.trainCommand,
        evaluateCommand: options.evaluateCommand(d.evaluate),
        cwd: options.cwd,
        signal: stop.signal,
      });
      let artifacts: CellJobResult["artifacts"] = null;
      if (!options.models) {
        artifacts = await packRunFolder(out.runDir);
        await Deno.remove(out.runDir, { recursive: true }).catch(() => {});
      }
      return {
        cellId: d.cellId,
        worker: me,
        seconds: out.seconds,
        evaluated: out.evaluated,
        summary: out.summary,
        sharedRunDir: options.models ? out.runDir : null,
        artifacts,
      };
    } catch (e) {
      if (e instanceof CellInterrupted || stop.signal.aborted) {
        // shutting down: give the job back without consuming an attempt
        await job.moveToWait(token);
        throw new WaitingError();
      }
      throw e;
    }
  };
  const worker = new Worker<CellJobData, CellJobResult>(
    options.queueName ?? DEFAULT_QUEUE_NAME,
    processor,
    {
      connection: connection as unknown as ConnectionOptions,
      concurrency: Math.max(1, options.concurrency ?? navigator.hardwareConcurrency ?? 1),
      lockDuration: options.lockDuration ?? 30_000,
      stalledInterval: options.stalledInterval ?? 30_000,
      maxStalledCount: options.maxStalledCount ?? 3,
      autorun: true,
    },
  );
  worker.on("completed", (job) => {
    const r = job.returnvalue;
    log(
      `completed ${job.id} in ${r.seconds.toFixed(1)} s${
        r.artifacts ? ` (packed ${r.artifacts.files} files, ${r.artifacts.bytes} bytes zipped)` : ""
      }`,
    );
  });
  worker.on("failed", (job, err) => {
    if (err instanceof WaitingError) return;
    log(`failed ${job?.id} attempt ${job?.attemptsMade}: ${err.message}`);
  });
  worker.on("error", (err) => log(`worker error: ${err.message}`));
  return {
    ready: async () => {
      await worker.waitUntilReady();
    },
    close: async () => {
      stop.abort();
      await worker.close();
      await connection.quit().catch(() => {});
      if (!options.scratch) await Deno.remove(scratch, { recursive: true }).catch(() => {});
    },
  };
}

// ---- submitter / collector ----------------------------------------------------------------------

/** Options of {@link runQueuedSweep}. */
export interface QueuedSweepOptions {
  /** Redis URL. */
  url: string;
  /** Queue name (default {@link DEFAULT_QUEUE_NAME}). */
  queueName?: string;
  /** Retries per failed cell (BullMQ attempts = retries + 1; default 1). */
  retries?: number;
  /** Where packed runs are unpacked (default `<sweepDir>/runs`). */
  runsDir?: string;
  /** Evaluate field put into the jobs. */
  evaluate?: CellJobData["evaluate"];
  /** Sweep name. */
  name?: string;
  /** Submit and return without waiting for results. */
  detach?: boolean;
  /** Poll interval in ms (default 1000). */
  pollMs?: number;
  /** Abort = stop waiting (jobs stay queued; run again to re-attach). */
  signal?: AbortSignal;
  /** Progress callback. */
  onProgress?: (p: SweepProgress) => void;
  /** Event callback (a cell completed or failed). */
  onEvent?: (e: { cell: Cell; kind: "skipped" | "completed" | "failed"; message?: string }) => void;
}

/**
 * Enqueue a sweep's cells (job id = cell id) and, unless `detach`, collect their results into
 * the sweep folder until every cell has completed or failed. Returns the manifest.
 */
export async function runQueuedSweep(
  cells: readonly Cell[],
  sweepDir: string,
  options: QueuedSweepOptions,
): Promise<SweepManifest> {
  const runsDir = options.runsDir ?? `${sweepDir}/runs`;
  await Deno.mkdir(runsDir, { recursive: true });
  await Deno.mkdir(`${sweepDir}/results`, { recursive: true });
  const store = await ManifestStore.open(sweepDir, cells, {
    name: options.name ?? sweepDir.split("/").filter(Boolean).pop() ?? "sweep",
    mode: "queue",
    queue: redactUrl(options.url),
  });
  const { Queue } = await loadRedis();
  const connection = await redisConnection(options.url);
  const queue = new Queue<CellJobData, CellJobResult>(options.queueName ?? DEFAULT_QUEUE_NAME, {
    connection: connection as unknown as ConnectionOptions,
  });
  const attempts = (options.retries ?? 1) + 1;
  const pending = new Map<string, Cell>();
  const enqueue = (cell: Cell) =>
    queue.add("cell", {
      cellId: cell.id,
      label: cell.label,
      trainConfig: cell.trainConfig,
      config: cell.config,
      evaluate: options.evaluate ?? "auto",
      sweep: store.manifest.name,
    }, { jobId: cell.id, attempts, removeOnComplete: false, removeOnFail: false });
  const t0 = performance.now();
  try {
    for (const cell of cells) {
      const resultPath = `${sweepDir}/results/${cell.id}.json`;
      const rec = store.get(cell.id);
      const runDir = rec.runDir ?? `${runsDir}/${cell.id}`;
      if (await exists(resultPath) && await isRunComplete(runDir)) {
        await store.update(cell.id, { status: "completed", runDir });
        options.onEvent?.({ cell, kind: "skipped" });
        continue;
      }
      const existing = await queue.getJob(cell.id);
      const state = existing ? await existing.getState() : null;
      if (existing && state === "failed") await existing.retry("failed");
      else if (!existing || state === "unknown") {
        await enqueue(cell);
      }
      pending.set(cell.id, cell);
      await store.update(cell.id, { status: "queued" });
    }
    if (options.detach) return store.manifest;
    let finished = 0;
    const progress = (running: number) => {
      const c = countCells(store.manifest);
      const elapsed = (performance.now() - t0) / 1000;
      options.onProgress?.({
        total: cells.length,
        done: c.completed,
        running,
        failed: c.failed,
        pending: pending.size - running,
        etaSeconds: finished > 0 ? (elapsed / finished) * pending.size : null,
      });
    };
    while (pending.size > 0 && !options.signal?.aborted) {
      let running = 0;
      for (const [id, cell] of [...pending]) {
        const job = await queue.getJob(id);
        if (!job) {
          await enqueue(cell); // removed from Redis meanwhile (e.g. cleaned): queue it again
          continue;
        }
        const state = await job.getState();
        if (state === "waiting" && store.get(id).status === "running") {
          await store.update(id, { status: "queued" }); // back in the queue after a stall
        }
        if (state === "active") {
          running++;
          if (store.get(id).status !== "running") {
            await store.update(id, {
              status: "running",
              startedAt: new Date(job.processedOn ?? Date.now()).toISOString(),
            });
          }
        } else if (state === "completed") {
          await recordResult(store, sweepDir, runsDir, cell, job);
          pending.delete(id);
          finished++;
          options.onEvent?.({ cell, kind: "completed" });
        } else if (state === "failed") {
          const rec = store.get(id);
          const message = job.failedReason ?? "failed";
          await store.update(id, {
            status: "failed",
            attempts: Math.max(rec.attempts, job.attemptsMade),
            finishedAt: new Date(job.finishedOn ?? Date.now()).toISOString(),
            errors: [...rec.errors, {
              attempt: job.attemptsMade,
              at: new Date().toISOString(),
              message,
            }],
          });
          pending.delete(id);
          finished++;
          options.onEvent?.({ cell, kind: "failed", message });
        }
      }
      progress(running);
      if (pending.size > 0) await sleep(options.pollMs ?? 1000, options.signal);
    }
  } finally {
    await Deno.remove(`${runsDir}/.attempts`).catch(() => {}); // only when empty
    // detached: the cells stay queued and the sweep `running` until a collector finishes it
    if (options.detach) await store.write();
    else await store.finish(options.signal?.aborted ?? false);
    await store.flush();
    await queue.close();
    await connection.quit().catch(() => {});
  }
  return store.manifest;
}

async function recordResult(
  store: ManifestStore,
  sweepDir: string,
  runsDir: string,
  cell: Cell,
  job: Job<CellJobData, CellJobResult>,
): Promise<void> {
  const r = job.returnvalue;
  const resultPath = `${sweepDir}/results/${cell.id}.json`;
  let runDir = r.sharedRunDir;
  if (r.artifacts) {
    await unpackRunFolder(r.artifacts, runsDir, cell.id);
    runDir = `${runsDir}/${cell.id}`;
  }
  if (!(await exists(resultPath))) {
    const { artifacts, ...rest } = r;
    await writeFileAtomic(
      resultPath,
      JSON.stringify(
        {
          ...rest,
          runDir,
          artifacts: artifacts
            ? { format: artifacts.format, bytes: artifacts.bytes, files: artifacts.files }
            : null,
          jobId: job.id,
          attemptsMade: job.attemptsMade,
          stalledCounter: job.stalledCounter ?? null,
        },
        null,
        2,
      ),
    );
    const line =
      JSON.stringify({ cellId: cell.id, at: new Date().toISOString(), worker: r.worker }) + "\n";
    await Deno.writeTextFile(`${sweepDir}/result_writes.jsonl`, line, { append: true });
  }
  const rec = store.get(cell.id);
  await store.update(cell.id, {
    status: "completed",
    attempts: Math.max(rec.attempts, job.attemptsMade),
    finishedAt: new Date(job.finishedOn ?? Date.now()).toISOString(),
    seconds: r.seconds,
    runDir,
    worker: r.worker,
    evaluated: r.evaluated,
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Completed run summaries of a queue-mode sweep, read back from the result files. */
export async function readResultFile(
  sweepDir: string,
  cellId: string,
): Promise<CellJobResult | null> {
  try {
    return JSON.parse(await Deno.readTextFile(`${sweepDir}/results/${cellId}.json`));
  } catch {
    return null;
  }
}
