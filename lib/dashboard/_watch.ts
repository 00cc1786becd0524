/**
 * Change notification for run folders and journals, shared by every open stream of the same
 * folder: ONE `Deno.watchFs` (inotify on Linux) per watched folder and file set however many
 * browser tabs follow it, plus a stat-based check every `pollMs` as a fallback for file
 * systems without events (network mounts) or a watcher that failed. Listeners are called after
 * any change of the watched names (a run: `metrics.jsonl`, `manifest.json`,
 * `evaluation.json`; a journal: the SQLite file, its `-wal` and its `.KILL` file); they read
 * what changed themselves. The folder's watcher closes when its last listener leaves.
 *
 * @module
 */

/** The files of a run folder whose changes wake its streams. */
export const RUN_FILES: readonly string[] = ["metrics.jsonl", "manifest.json", "evaluation.json"];

interface Entry {
  dir: string;
  names: readonly string[];
  listeners: Set<() => void>;
  watcher: Deno.FsWatcher | null;
  timer: ReturnType<typeof setInterval>;
  signature: string;
}

/** Shared watchers of run folders. */
export class RunWatchers {
  readonly #entries = new Map<string, Entry>();
  readonly #pollMs: number;

  /** @param options `pollMs`: fallback stat interval, ms (default 1000) */
  constructor(options: { pollMs?: number } = {}) {
    this.#pollMs = options.pollMs ?? 1000;
  }

  /** Number of folders currently watched (for tests: no leaked watchers). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Call `listener` on changes of the files `names` in `dir` (a checked real path); returns
   * the unsubscribe.
   */
  subscribe(dir: string, listener: () => void, names: readonly string[] = RUN_FILES): () => void {
    const key = `${dir}\0${names.join("\0")}`;
    let e = this.#entries.get(key);
    if (!e) {
      const entry: Entry = {
        dir,
        names,
        listeners: new Set(),
        watcher: null,
        timer: undefined as unknown as ReturnType<typeof setInterval>,
        signature: "",
      };
      e = entry;
      this.#entries.set(key, entry);
      const fire = () => {
        for (const l of entry.listeners) l();
      };
      try {
        entry.watcher = Deno.watchFs(dir, { recursive: false });
        (async () => {
          try {
            for await (const ev of entry.watcher!) {
              if (ev.paths.some((p) => names.some((w) => p.endsWith(`/${w}`)))) fire();
            }
          } catch { /* watcher closed or failed: the stat fallback carries on */ }
        })();
      } catch {
        entry.watcher = null;
      }
      entry.signature = signature(dir, names);
      entry.timer = setInterval(() => {
        const s = signature(dir, names);
        if (s !== entry.signature) {
          entry.signature = s;
          fire();
        }
      }, this.#pollMs);
    }
    e.listeners.add(listener);
    const entry = e;
    return () => {
      entry.listeners.delete(listener);
      if (entry.listeners.size === 0 && this.#entries.get(key) === entry) {
        this.#close(key, entry);
      }
    };
  }

  #close(key: string, e: Entry): void {
    clearInterval(e.timer);
    try {
      e.watcher?.close();
    } catch { /* already closed */ }
    this.#entries.delete(key);
  }

  /** Close every watcher (server shutdown). */
  closeAll(): void {
    for (const [key, e] of [...this.#entries]) this.#close(key, e);
  }
}

/** Sizes and modification times of the watched files (the fallback's change detector). */
function signature(dir: string, names: readonly string[]): string {
  return names.map((f) => {
    try {
      const s = Deno.statSync(`${dir}/${f}`);
      return `${s.size}:${s.mtime?.getTime() ?? 0}`;
    } catch {
      return "-";
    }
  }).join("|");
}
