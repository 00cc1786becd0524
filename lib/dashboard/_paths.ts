/**
 * URL-supplied names → paths that never leave the models folder.
 *
 * Rules (each one a test in `tests/dashboard_security_test.ts`):
 * 1. A run id is ONE path segment matching {@link RUN_ID_PATTERN}: letters, digits, `_`, `.`,
 *    `-`, not starting with `.` (hidden `.tmp-*` / `.old-*` folders of a crashed write are never
 *    served) and never containing `..`. The router decodes a segment exactly once, so `%2e%2e`
 *    becomes `..` (rejected) and `%252e%252e` becomes `%2e%2e` (rejected: `%` is not allowed);
 *    `/` and `\` (encoded or not) and absolute paths cannot pass.
 * 2. The real path (symlinks resolved) of the run folder must lie strictly inside the real
 *    path of the models folder, so a symlink `models/evil -> /etc` is not a run.
 * 3. Files inside a run are only the fixed names the dashboard knows (`config.json`, …), and
 *    their real path must also lie inside the models folder (a `metrics.jsonl` symlinked to a
 *    file outside is treated as missing).
 * Nothing is read before these checks pass; a failed check is a 404 for the caller.
 *
 * @module
 */

/** What a run id may look like (one path segment, no leading dot, ≤ 200 characters). */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;

/** True when `id` is a syntactically acceptable run id (rule 1). */
export function isValidRunId(id: string): boolean {
  return RUN_ID_PATTERN.test(id) && !id.includes("..");
}

/** Real path of `p`, or null when it does not exist / cannot be resolved. */
async function realPathOrNull(p: string): Promise<string | null> {
  try {
    return await Deno.realPath(p);
  } catch {
    return null;
  }
}

/** True when `child` is strictly inside `root` (both real, absolute paths). */
function inside(root: string, child: string): boolean {
  const base = root.endsWith("/") ? root : root + "/";
  return child.startsWith(base) && child.length > base.length;
}

/**
 * Resolve a run id to the real path of its folder inside `realRoot`, or null (rules 1–2).
 * @param realRoot the models folder, already passed through `Deno.realPath`
 * @param id the run id as decoded from the URL
 */
export async function resolveRunDir(realRoot: string, id: string): Promise<string | null> {
  if (!isValidRunId(id)) return null;
  const real = await realPathOrNull(`${realRoot}/${id}`);
  if (real === null || !inside(realRoot, real)) return null;
  try {
    return (await Deno.stat(real)).isDirectory ? real : null;
  } catch {
    return null;
  }
}

/** A run folder that passed {@link resolveRunDir}. */
export interface RunLocation {
  /** The models folder's real path. */
  realRoot: string;
  /** The run folder's real path (inside `realRoot`). */
  dir: string;
  /** The run id (folder name). */
  id: string;
}

/**
 * Real path of the file `name` inside a resolved run folder, or null when absent or when it
 * resolves outside the models folder (rule 3). `name` is a constant of the dashboard, never
 * user input.
 */
export async function runFile(
  run: Pick<RunLocation, "realRoot" | "dir">,
  name: string,
): Promise<string | null> {
  const real = await realPathOrNull(`${run.dir}/${name}`);
  if (real === null || !inside(run.realRoot, real)) return null;
  return real;
}
