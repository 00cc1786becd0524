/**
 * Running one cell: the train CLI as a subprocess (then the optional evaluate step), in an
 * attempt folder that is renamed into place only when the run is complete.
 *
 * Layout under a runs folder:
 * ```
 * runs/<cell-id>/                         complete run folders only (a normal train run folder)
 * runs/.attempts/<cell-id>.<tag>/cell.json    the cell's train config (the CLI's --config file)
 * runs/.attempts/<cell-id>.<tag>/<cell-id>/   the run being trained (--out)
 * ```
 * Because a directory rename is atomic, `runs/<cell-id>` either does not exist or holds a
 * finished run: a killed worker, Ctrl-C or a crash never leaves a half-written run folder where
 * a resumed sweep would trust it. The run folder's own name equals the cell id (its
 * `manifest.json` `runId` is right); its `config.json` `out` field records the attempt path it
 * was trained in. When two attempts of the same cell finish (a stalled job retried elsewhere
 * while the first machine still ran it), the first rename wins and the second is discarded.
 *
 * @module
 */
import { ToolkitError } from "../../util/mod.ts";
import { writeFileAtomic } from "../../util/mod.ts";
import type { Cell } from "./grid.ts";
import { isRunComplete, readRunSummary, type RunSummary } from "./run_folder.ts";

/** A cell failed: the train (or evaluate) command exited non-zero or left no complete run. */
export class CellError extends ToolkitError {}

/** The cell was stopped by an abort signal (Ctrl-C, SIGTERM, shutdown). */
export class CellInterrupted extends ToolkitError {}

/** Options of {@link runCell}. */
export interface RunCellOptions {
  /** argv prefix of the train command, e.g. `[deno, "run", "-A", "<root>/cli/train.ts"]`. */
  trainCommand: string[];
  /** argv template of the evaluate step (`{run}` = the run folder), or null to skip it. */
  evaluateCommand?: string[] | null;
  /** Working directory of the commands (the project root). */
  cwd?: string;
  /** Aborting kills the subprocess (SIGTERM, then SIGKILL after 3 s) and removes the attempt. */
  signal?: AbortSignal;
  /** Where to write the commands' combined stdout/stderr (atomically, at the end). */
  logFile?: string;
  /** Extra environment variables for the commands. */
  env?: Record<string, string>;
  /** Called with the subprocess id when a command starts (tests kill it). */
  onSpawn?: (pid: number) => void;
}

/** What a finished cell produced. */
export interface CellOutcome {
  /** The complete run folder (`<runsDir>/<cell-id>`). */
  runDir: string;
  /** True when the run folder was already complete and nothing ran. */
  skipped: boolean;
  /** True when an evaluate step ran. */
  evaluated: boolean;
  /** True when another attempt completed the same cell first (this attempt was discarded). */
  duplicate: boolean;
  /** Wall-clock seconds of this attempt (0 when skipped). */
  seconds: number;
  /** The run's summary. */
  summary: RunSummary;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

// deno-lint-ignore no-control-regex -- strips terminal colour codes from a child's output
const ANSI = /\x1b\[[0-9;]*m/g;

/** The last `error: …` line of a command's output, else its last non-empty lines. */
export function errorFromOutput(output: string, maxLines = 6): string {
  const lines = output.split("\n").map((l) => l.replace(ANSI, "").trimEnd()).filter(
    (l) => l.trim() !== "",
  );
  const err = lines.findLast((l) => /^error:/i.test(l.trim()));
  if (err) return err.trim();
  return lines.slice(-maxLines).join("\n") || "(no output)";
}

async function runCommand(
  argv: string[],
  options: RunCellOptions,
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: options.cwd,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  options.onSpawn?.(child.pid);
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    killTimer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 3000);
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    if (killTimer !== undefined) clearTimeout(killTimer);
  }
}

/**
 * Run one cell into `<runsDir>/<cell.id>` (see the module doc for the layout). A complete run
 * folder already there is reused without running anything. Throws {@link CellError} with the
 * command's `error:` line when training or evaluation fails, {@link CellInterrupted} when
 * aborted; in both cases the attempt folder is removed.
 */
export async function runCell(
  cell: Cell,
  runsDir: string,
  options: RunCellOptions,
): Promise<CellOutcome> {
  const runDir = `${runsDir}/${cell.id}`;
  if (await exists(runDir)) {
    if (await isRunComplete(runDir)) {
      return {
        runDir,
        skipped: true,
        evaluated: false,
        duplicate: false,
        seconds: 0,
        summary: await readRunSummary(runDir),
      };
    }
    throw new CellError(
      `${runDir} exists but is not a complete run (manifest status is not completed)`,
      { file: runDir },
      "remove that folder to let the sweep run the cell again",
    );
  }
  const tag = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const attemptDir = `${runsDir}/.attempts/${cell.id}.${tag}`;
  const attemptRun = `${attemptDir}/${cell.id}`;
  await Deno.mkdir(attemptDir, { recursive: true });
  const t0 = performance.now();
  const log: string[] = [];
  try {
    await writeFileAtomic(`${attemptDir}/cell.json`, JSON.stringify(cell.trainConfig, null, 2));
    const train = [
      ...options.trainCommand,
      "--config",
      `${attemptDir}/cell.json`,
      "--out",
      attemptRun,
      "--no-progress",
    ];
    const r = await runCommand(train, options);
    log.push(`$ ${train.join(" ")}\n${r.output}`);
    if (options.signal?.aborted) throw new CellInterrupted(`cell ${cell.id} interrupted`);
    if (r.code !== 0) {
      throw new CellError(`train exited with code ${r.code}: ${errorFromOutput(r.output)}`);
    }
    if (!(await isRunComplete(attemptRun))) {
      throw new CellError("train exited 0 but the run folder's manifest is not completed", {
        file: `${attemptRun}/manifest.json`,
      });
    }
    let evaluated = false;
    if (options.evaluateCommand) {
      const ev = options.evaluateCommand.map((a) => a.replaceAll("{run}", attemptRun));
      const e = await runCommand(ev, options);
      log.push(`$ ${ev.join(" ")}\n${e.output}`);
      if (options.signal?.aborted) throw new CellInterrupted(`cell ${cell.id} interrupted`);
      if (e.code !== 0) {
        throw new CellError(`evaluate exited with code ${e.code}: ${errorFromOutput(e.output)}`);
      }
      evaluated = true;
    }
    let duplicate = false;
    try {
      await Deno.rename(attemptRun, runDir);
    } catch (e) {
      // another attempt of the same cell got there first: keep its (identical-config) run
      if (await isRunComplete(runDir)) duplicate = true;
      else throw e;
    }
    return {
      runDir,
      skipped: false,
      evaluated,
      duplicate,
      seconds: (performance.now() - t0) / 1000,
      summary: await readRunSummary(runDir),
    };
  } finally {
    if (options.logFile && log.length > 0) {
      await writeFileAtomic(options.logFile, log.join("\n")).catch(() => {});
    }
    await Deno.remove(attemptDir, { recursive: true }).catch(() => {});
  }
}

/** Remove leftover attempt folders (from a killed process) under a runs folder. */
export async function cleanAttempts(runsDir: string): Promise<number> {
  let n = 0;
  try {
    for await (const e of Deno.readDir(`${runsDir}/.attempts`)) {
      await Deno.remove(`${runsDir}/.attempts/${e.name}`, { recursive: true }).catch(() => {});
      n++;
    }
    await Deno.remove(`${runsDir}/.attempts`).catch(() => {}); // only when empty
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return n;
}
