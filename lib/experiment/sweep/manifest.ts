/**
 * The sweep folder's `manifest.json`: every cell with its status, attempts, errors and timings.
 * One writer (the process that runs or collects the sweep) rewrites it atomically after every
 * change, so a killed sweep leaves the last consistent state and a resumed sweep reads it.
 *
 * Sweep folder layout:
 * ```
 * <sweep>/sweep.json      the grid (the spec as given, keys normalised)
 * <sweep>/manifest.json   this file
 * <sweep>/results.json    the results table (cells, groups, comparisons, walk-forward view)
 * <sweep>/results.csv     one row per cell
 * <sweep>/report.html     self-contained HTML report
 * <sweep>/logs/<cell>.log the last attempt's train/evaluate output
 * <sweep>/runs/<cell>/    the cells' run folders (unless --models puts them elsewhere)
 * ```
 *
 * @module
 */
import { writeFileAtomic } from "../../util/mod.ts";
import { ConfigError } from "../../util/mod.ts";
import type { Cell, CellConfig } from "./grid.ts";

/** A cell's state in the sweep. */
export type CellStatus = "pending" | "queued" | "running" | "completed" | "failed" | "interrupted";

/** One failed attempt. */
export interface CellAttemptError {
  /** Attempt number (1-based, counted over the sweep's whole life). */
  attempt: number;
  /** ISO-8601 UTC time of the failure. */
  at: string;
  /** The error (the train CLI's `error:` line when it printed one). */
  message: string;
  /** Host/process that ran the attempt, when known. */
  worker?: string | null;
}

/** One cell's record in the manifest. */
export interface CellRecord {
  /** Deterministic cell id (also the run folder's name and the queue's job id). */
  id: string;
  /** Label from the grid-axis values. */
  label: string;
  /** Full cell configuration (pass-through keys included). */
  config: CellConfig;
  /** Current state. */
  status: CellStatus;
  /** Attempts started, over the sweep's life (a skipped complete cell adds none). */
  attempts: number;
  /** Failed attempts, oldest first. */
  errors: CellAttemptError[];
  /** ISO-8601 UTC start of the latest attempt. */
  startedAt: string | null;
  /** ISO-8601 UTC end of the latest attempt. */
  finishedAt: string | null;
  /** Wall-clock seconds of the successful attempt (train + evaluate). */
  seconds: number | null;
  /** The complete run folder, once completed. */
  runDir: string | null;
  /** Who ran the successful attempt (`local` or the worker's host:pid). */
  worker: string | null;
  /** Whether an evaluate step ran for this cell. */
  evaluated: boolean;
}

/** The sweep manifest. */
export interface SweepManifest {
  /** Format version (1). */
  version: 1;
  /** Sweep name (from sweep.json, else the folder name). */
  name: string;
  /** ISO-8601 UTC creation time. */
  createdAt: string;
  /** ISO-8601 UTC time of the last write. */
  updatedAt: string;
  /** How the cells ran last: local pool or queue. */
  mode: "local" | "queue";
  /** Queue URL (without password) when mode is `queue`. */
  queue: string | null;
  /** Overall state. */
  status: "running" | "completed" | "completed_with_failures" | "interrupted";
  /** Cells in grid order. */
  cells: CellRecord[];
}

/** Cell counts by status. */
export function countCells(m: SweepManifest): Record<CellStatus, number> {
  const c: Record<CellStatus, number> = {
    pending: 0,
    queued: 0,
    running: 0,
    completed: 0,
    failed: 0,
    interrupted: 0,
  };
  for (const r of m.cells) c[r.status]++;
  return c;
}

/** Read a sweep manifest, or null when the folder has none. */
export async function readSweepManifest(sweepDir: string): Promise<SweepManifest | null> {
  const path = `${sweepDir}/manifest.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  let m: SweepManifest;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`sweep manifest is not valid JSON: ${(e as Error).message}`, {
      file: path,
    });
  }
  if (m?.version !== 1 || !Array.isArray(m.cells)) {
    throw new ConfigError("not a sweep manifest (version 1 with cells)", { file: path });
  }
  return m;
}

/**
 * The manifest in memory plus a serialised atomic writer: every change is written (temp +
 * rename) in order; {@link ManifestStore.flush} waits for the last write.
 */
export class ManifestStore {
  /** The manifest (mutate through {@link ManifestStore.update}). */
  readonly manifest: SweepManifest;
  readonly #path: string;
  #chain: Promise<void> = Promise.resolve();
  #byId: Map<string, CellRecord>;

  constructor(sweepDir: string, manifest: SweepManifest) {
    this.#path = `${sweepDir}/manifest.json`;
    this.manifest = manifest;
    this.#byId = new Map(manifest.cells.map((c) => [c.id, c]));
  }

  /**
   * Open the sweep folder's manifest for these cells: records of cells already there keep
   * their history (attempts, errors); new cells start `pending`; `running`/`queued` records
   * left by a killed sweep become `interrupted`. Cells no longer in the grid are dropped.
   */
  static async open(
    sweepDir: string,
    cells: readonly Cell[],
    options: { name: string; mode: "local" | "queue"; queue?: string | null },
  ): Promise<ManifestStore> {
    const old = await readSweepManifest(sweepDir);
    const now = new Date().toISOString();
    const byId = new Map((old?.cells ?? []).map((c) => [c.id, c]));
    const records = cells.map((cell): CellRecord => {
      const prev = byId.get(cell.id);
      if (prev) {
        const status = prev.status === "running" || prev.status === "queued"
          ? "interrupted"
          : prev.status;
        return { ...prev, label: cell.label, config: cell.config, status };
      }
      return {
        id: cell.id,
        label: cell.label,
        config: cell.config,
        status: "pending",
        attempts: 0,
        errors: [],
        startedAt: null,
        finishedAt: null,
        seconds: null,
        runDir: null,
        worker: null,
        evaluated: false,
      };
    });
    const manifest: SweepManifest = {
      version: 1,
      name: options.name,
      createdAt: old?.createdAt ?? now,
      updatedAt: now,
      mode: options.mode,
      queue: options.queue ?? null,
      status: "running",
      cells: records,
    };
    const store = new ManifestStore(sweepDir, manifest);
    await store.write();
    return store;
  }

  /** The record of a cell. */
  get(id: string): CellRecord {
    const r = this.#byId.get(id);
    if (!r) throw new Error(`no cell ${id} in the sweep manifest`);
    return r;
  }

  /** Patch a cell's record and queue a write. */
  update(id: string, patch: Partial<CellRecord>): Promise<void> {
    Object.assign(this.get(id), patch);
    return this.write();
  }

  /** Queue an atomic write of the whole manifest (writes happen in call order). */
  write(): Promise<void> {
    const next = this.#chain.then(async () => {
      this.manifest.updatedAt = new Date().toISOString();
      await writeFileAtomic(this.#path, JSON.stringify(this.manifest, null, 2));
    });
    this.#chain = next.catch(() => {});
    return next;
  }

  /** Wait until every queued write is on disk. */
  async flush(): Promise<void> {
    await this.#chain;
  }

  /** Set the overall status from the cells (or `interrupted`) and write. */
  finish(interrupted: boolean): Promise<void> {
    const c = countCells(this.manifest);
    this.manifest.status = interrupted || c.pending + c.queued + c.running + c.interrupted > 0
      ? "interrupted"
      : c.failed > 0
      ? "completed_with_failures"
      : "completed";
    return this.write();
  }
}
