/**
 * Headless notebook execution and offline HTML export from TypeScript: a thin wrapper over
 * `tools/nb_run.py` (Jupyter client + nbconvert, run with /usr/bin/python3), which does the
 * work and documents the details (grace period for late kernel outputs, offline template).
 *
 * @module
 */

/** Options of {@link executeNotebook}. */
export interface ExecuteNotebookOptions {
  /** Output folder for `<name>.ipynb` and `<name>.html`. Default `<repo>/reports`. */
  outDir?: string;
  /** Set `RLT_QUICK=1` in the kernel (notebooks use fewer bars/steps). Default false. */
  quick?: boolean;
  /** Per-cell timeout, seconds. Default 900. */
  timeoutS?: number;
  /** Quiet period kept after each cell to catch late outputs, seconds. Default 0.3. */
  graceS?: number;
  /** Skip the HTML export. Default false. */
  noHtml?: boolean;
  /** Python interpreter with jupyter_client/nbformat/nbconvert. Default `/usr/bin/python3`. */
  python?: string;
  /** Extra environment variables for the runner and the kernel. */
  env?: Record<string, string>;
}

/** Result of {@link executeNotebook}. */
export interface ExecuteNotebookResult {
  /** Runner exit code: 0 ok, 1 cell error, 2 cell timeout, 3 kernel failure, 4 usage. */
  code: number;
  /** The runner's log (per-cell status and timings, failures). */
  log: string;
  /** Path of the executed notebook (written even on failure). */
  notebookPath: string;
  /** Path of the HTML export (written even on failure unless `noHtml`). */
  htmlPath: string;
}

/** Absolute path of the repository root (the folder holding deno.json). */
export function repoRoot(): string {
  return new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
}

/**
 * Executes one notebook headless on the project's Deno kernel and exports it to HTML.
 * Does not throw on a failing cell: inspect `code` (partial outputs are still written).
 */
export async function executeNotebook(
  path: string,
  options: ExecuteNotebookOptions = {},
): Promise<ExecuteNotebookResult> {
  const root = repoRoot();
  const outDir = options.outDir ?? `${root}/reports`;
  const args = [`${root}/tools/nb_run.py`, "--out-dir", outDir];
  if (options.quick) args.push("--quick");
  if (options.timeoutS !== undefined) args.push("--timeout", String(options.timeoutS));
  if (options.graceS !== undefined) args.push("--grace", String(options.graceS));
  if (options.noHtml) args.push("--no-html");
  args.push(path);
  const out = await new Deno.Command(options.python ?? "/usr/bin/python3", {
    args,
    stdout: "piped",
    stderr: "piped",
    env: options.env,
  }).output();
  const dec = new TextDecoder();
  const name = path.split("/").pop()!.replace(/\.ipynb$/, "");
  return {
    code: out.code,
    log: dec.decode(out.stdout) + dec.decode(out.stderr),
    notebookPath: `${outDir}/${name}.ipynb`,
    htmlPath: `${outDir}/${name}.html`,
  };
}

/**
 * Downloaded Parquet caches under a data folder, searched two levels deep, sorted by path.
 * Files whose name starts with `synthetic` (written by `deno task data:synth`) are skipped:
 * notebooks use this to find a REAL dataset. Default folder: `$RLT_DATA_DIR` when set, else
 * `<repo>/data`. Returns absolute paths; an absent folder gives `[]`.
 */
export function listDataCaches(dir?: string): string[] {
  const root = dir ?? Deno.env.get("RLT_DATA_DIR") ?? `${repoRoot()}/data`;
  const found: string[] = [];
  const walk = (d: string, depth: number): void => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    for (const e of entries) {
      const p = `${d}/${e.name}`;
      const name = e.name.toLowerCase();
      if (e.isFile && name.endsWith(".parquet") && !name.startsWith("synthetic")) found.push(p);
      else if (e.isDirectory && depth < 2) walk(p, depth + 1);
    }
  };
  walk(root, 1);
  return found.sort();
}
