/**
 * The local worker pool: runs a sweep's cells as train subprocesses, `workers` at a time, on
 * this machine (no services). Each subprocess is one single-threaded training run; cells are
 * independent, so N cores run N cells at once.
 *
 * Resumable: a cell whose run folder is complete is not run again (its record is marked
 * completed from the folder). A failed cell is retried up to `retries` times in this
 * invocation, then reported `failed` with every attempt's error; the other cells go on.
 * Aborting (Ctrl-C) stops taking cells, kills the running subprocesses, marks their cells
 * `interrupted` (re-run on resume) and writes the manifest; their attempt folders are removed,
 * so nothing half-written remains.
 *
 * @module
 */
import type { Cell } from "./grid.ts";
import { CellError, CellInterrupted, cleanAttempts, runCell } from "./cell.ts";
import { countCells, ManifestStore, type SweepManifest } from "./manifest.ts";
import { isRunComplete, readRunSummary } from "./run_folder.ts";

/** Progress of a running sweep. */
export interface SweepProgress {
  /** Cells in the sweep. */
  total: number;
  /** Completed cells (including those found complete on resume). */
  done: number;
  /** Cells running now. */
  running: number;
  /** Cells that failed all their attempts. */
  failed: number;
  /** Cells not started yet (including ones waiting for a retry). */
  pending: number;
  /** Estimated seconds to finish (null until a cell has finished in this invocation). */
  etaSeconds: number | null;
}

/** Options of {@link runLocalPool}. */
export interface LocalPoolOptions {
  /** Parallel subprocesses (default: `navigator.hardwareConcurrency`). */
  workers?: number;
  /** Retries per failed cell in this invocation (default 1). */
  retries?: number;
  /** Folder of the cells' run folders (default `<sweepDir>/runs`). */
  runsDir?: string;
  /** argv prefix of the train command. */
  trainCommand: string[];
  /** argv template of the evaluate step, or null to skip it. */
  evaluateCommand?: string[] | null;
  /** Working directory of the commands. */
  cwd?: string;
  /** Abort = stop (Ctrl-C). */
  signal?: AbortSignal;
  /** Called after every state change. */
  onProgress?: (p: SweepProgress) => void;
  /** Called when a cell finishes, fails an attempt, or is skipped (for logs). */
  onEvent?: (
    e: {
      cell: Cell;
      kind: "skipped" | "completed" | "error" | "failed" | "interrupted";
      message?: string;
    },
  ) => void;
  /** Sweep name recorded in the manifest (default: the folder name). */
  name?: string;
}

/**
 * Run (or resume) a sweep's cells with a local pool of subprocesses and return the final
 * manifest (also written to `<sweepDir>/manifest.json`).
 */
export async function runLocalPool(
  cells: readonly Cell[],
  sweepDir: string,
  options: LocalPoolOptions,
): Promise<SweepManifest> {
  const runsDir = options.runsDir ?? `${sweepDir}/runs`;
  const workers = Math.max(1, options.workers ?? navigator.hardwareConcurrency ?? 1);
  const retries = options.retries ?? 1;
  await Deno.mkdir(`${sweepDir}/logs`, { recursive: true });
  await Deno.mkdir(runsDir, { recursive: true });
  await cleanAttempts(runsDir); // leftovers of a killed sweep (we own this runs folder)
  const store = await ManifestStore.open(sweepDir, cells, {
    name: options.name ?? sweepDir.split("/").filter(Boolean).pop() ?? "sweep",
    mode: "local",
  });
  const queue: Cell[] = [];
  const tries = new Map<string, number>();
  for (const cell of cells) {
    const runDir = `${runsDir}/${cell.id}`;
    if (await isRunComplete(runDir)) {
      const rec = store.get(cell.id);
      const summary = await readRunSummary(runDir);
      await store.update(cell.id, {
        status: "completed",
        runDir,
        evaluated: rec.evaluated || summary.evaluated,
      });
      options.onEvent?.({ cell, kind: "skipped" });
    } else {
      queue.push(cell);
      const st = store.get(cell.id).status;
      if (st !== "pending") await store.update(cell.id, { status: "pending" }); // failed/interrupted before
    }
  }
  let running = 0;
  let finishedThisRun = 0;
  let secondsThisRun = 0;
  const progress = () => {
    if (!options.onProgress) return;
    const c = countCells(store.manifest);
    const remaining = queue.length + running;
    options.onProgress({
      total: cells.length,
      done: c.completed,
      running,
      failed: c.failed,
      pending: queue.length,
      etaSeconds: finishedThisRun > 0
        ? (secondsThisRun / finishedThisRun) * Math.ceil(remaining / workers)
        : null,
    });
  };
  progress();
  const worker = async () => {
    while (queue.length > 0 && !options.signal?.aborted) {
      const cell = queue.shift()!;
      const rec = store.get(cell.id);
      const n = (tries.get(cell.id) ?? 0) + 1;
      tries.set(cell.id, n);
      running++;
      await store.update(cell.id, {
        status: "running",
        attempts: rec.attempts + 1,
        startedAt: new Date().toISOString(),
        finishedAt: null,
      });
      progress();
      try {
        const out = await runCell(cell, runsDir, {
          trainCommand: options.trainCommand,
          evaluateCommand: options.evaluateCommand,
          cwd: options.cwd,
          signal: options.signal,
          logFile: `${sweepDir}/logs/${cell.id}.log`,
        });
        finishedThisRun++;
        secondsThisRun += out.seconds;
        await store.update(cell.id, {
          status: "completed",
          finishedAt: new Date().toISOString(),
          seconds: out.seconds,
          runDir: out.runDir,
          worker: "local",
          evaluated: out.evaluated,
        });
        options.onEvent?.({ cell, kind: "completed" });
      } catch (e) {
        const now = new Date().toISOString();
        if (e instanceof CellInterrupted || options.signal?.aborted) {
          await store.update(cell.id, { status: "interrupted", finishedAt: now });
          options.onEvent?.({ cell, kind: "interrupted" });
        } else {
          const message = e instanceof CellError ? e.message : String((e as Error)?.stack ?? e);
          const r = store.get(cell.id);
          const errors = [...r.errors, { attempt: r.attempts, at: now, message, worker: "local" }];
          const retry = n <= retries;
          await store.update(cell.id, {
            status: retry ? "pending" : "failed",
            finishedAt: now,
            errors,
          });
          options.onEvent?.({ cell, kind: retry ? "error" : "failed", message });
          if (retry) queue.push(cell);
        }
      } finally {
        running--;
        progress();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, Math.max(queue.length, 1)) }, worker));
  await cleanAttempts(runsDir); // only an empty .attempts folder can be left here
  await store.finish(options.signal?.aborted ?? false);
  await store.flush();
  return store.manifest;
}
