/**
 * The commands a cell runs: the project's train CLI (`cli/train.ts`) and, when the project
 * defines it, `deno task evaluate`. Cells run as subprocesses so that a sweep does not depend
 * on the training code's module layout, and each cell is one single-threaded process
 * (V8 `--single-threaded`: no concurrent GC/compiler threads), so N workers use N cores.
 *
 * @module
 */

/** The project root (the folder holding deno.json), from this module's location. */
export function projectRoot(): string {
  return new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");
}

/** argv prefix of the train command: `deno run -A --v8-flags=--single-threaded cli/train.ts`. */
export function defaultTrainCommand(root: string = projectRoot()): string[] {
  return [Deno.execPath(), "run", "-A", "--v8-flags=--single-threaded", `${root}/cli/train.ts`];
}

/** Whether the project's deno.json defines a task (e.g. `evaluate`). */
export function hasDenoTask(task: string, root: string = projectRoot()): boolean {
  try {
    const json = JSON.parse(Deno.readTextFileSync(`${root}/deno.json`));
    return typeof json?.tasks?.[task] === "string" ||
      (json?.tasks?.[task] !== undefined && typeof json.tasks[task] === "object");
  } catch {
    return false;
  }
}

/**
 * The evaluate step's argv template (`{run}` = the run folder) for a sweep's `evaluate`
 * setting: `"off"` → null; `"auto"` → `deno task evaluate {run}` when the project defines the
 * `evaluate` task, else null (skipped); a list → that list.
 */
export function evaluateCommand(
  evaluate: "auto" | "off" | string[] | undefined,
  root: string = projectRoot(),
): string[] | null {
  if (evaluate === "off") return null;
  if (Array.isArray(evaluate)) return evaluate;
  if (!hasDenoTask("evaluate", root)) return null;
  return [Deno.execPath(), "task", "--config", `${root}/deno.json`, "evaluate", "{run}"];
}

/**
 * The option names the train CLI accepts, read from its `--help` (so a sweep refuses an
 * unknown key before running anything, and knows whether `--fold` exists yet).
 */
export async function trainOptionNames(
  trainCommand: string[] = defaultTrainCommand(),
): Promise<Set<string>> {
  const out = await new Deno.Command(trainCommand[0], {
    args: [...trainCommand.slice(1), "--help"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const names = new Set<string>();
  for (const m of text.matchAll(/^\s+--([a-z][a-z0-9-]*)/gm)) names.add(m[1]);
  return names;
}
