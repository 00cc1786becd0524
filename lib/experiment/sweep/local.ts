/**
 * A sweep run locally from a program or notebook in one call: the same steps as
 * `deno task sweep` without the queue — check the keys against the train CLI's `--help`,
 * expand the grid, run the cells with the local pool (resuming completed ones), aggregate and
 * write results.json / results.csv / report.html.
 *
 * Walk-forward: since issue 19 the train CLI has `--fold` / `--folds` (and `--purge`,
 * `--embargo`): a `fold` axis is no longer a label only — each cell trains, validates and
 * tests on that fold (`resolveSplitRanges` in `lib/experiment/setup.ts`), and the results'
 * walk-forward view groups by it.
 *
 * @example
 * ```ts
 * const { results } = await runLocalSweep({
 *   base: { preset: "synthetic-ppo", timesteps: 100_000, folds: 4 },
 *   grid: { fold: [0, 1, 2, 3], seed: [0, 1, 2] },
 * }, { out: "models/sweeps/walk-forward", workers: 2 });
 * results.walkForward; // group × fold rows
 * ```
 *
 * @module
 */
import { ConfigError } from "../../util/mod.ts";
import { type Cell, expandGrid, parseSweepSpec, passThroughKeys, type SweepSpec } from "./grid.ts";
import { defaultTrainCommand, evaluateCommand, projectRoot, trainOptionNames } from "./commands.ts";
import { runLocalPool, type SweepProgress } from "./pool.ts";
import type { SweepManifest } from "./manifest.ts";
import type { SweepResults } from "./aggregate.ts";
import { writeSweepResults, writeSweepSpec } from "./outputs.ts";

/**
 * The spec with its effective pass-through keys, checked against the option names the train
 * CLI accepts (`known`, from {@link trainOptionNames}): a default pass-through key (`fold`)
 * that the train CLI declares is passed to it; any other key the train CLI does not declare
 * throws a ConfigError naming it. `foldIsLabel` says whether a `fold` axis only labels cells.
 */
export function checkSweepKeys(
  spec: SweepSpec,
  cells: readonly Cell[],
  known: ReadonlySet<string>,
  options: { file?: string } = {},
): { spec: SweepSpec; foldIsLabel: boolean } {
  const effective: SweepSpec = {
    ...spec,
    passThrough: spec.passThrough ?? passThroughKeys({}).filter((k) => !known.has(k)),
  };
  const pass = new Set(effective.passThrough);
  const unknown = new Set<string>();
  for (const c of cells) {
    for (const k of Object.keys(c.config)) if (!known.has(k) && !pass.has(k)) unknown.add(k);
  }
  if (known.size > 0 && unknown.size > 0) {
    throw new ConfigError(
      `the train CLI has no option ${[...unknown].map((k) => `--${k}`).join(", ")}`,
      { file: options.file, parameter: [...unknown][0] },
      'see deno task train --help (or list the key in "passThrough" to record it without passing it)',
    );
  }
  const foldIsLabel = cells.some((c) => c.config.fold !== undefined) && pass.has("fold");
  return { spec: effective, foldIsLabel };
}

/** Options of {@link runLocalSweep}. */
export interface LocalSweepOptions {
  /** Sweep folder (sweep.json, manifest.json, results.*, runs/). */
  out: string;
  /** Parallel train subprocesses (default `navigator.hardwareConcurrency`). */
  workers?: number;
  /** Retries per failed cell (default: the spec's, else 1). */
  retries?: number;
  /** Replace a different grid already in `out` (completed cells are kept). */
  force?: boolean;
  /** Progress callback. */
  onProgress?: (p: SweepProgress) => void;
  /** Abort = stop the running cells (resumable). */
  signal?: AbortSignal;
}

/** What {@link runLocalSweep} returns. */
export interface LocalSweepResult {
  /** The sweep folder. */
  dir: string;
  /** The effective spec (pass-through keys resolved). */
  spec: SweepSpec;
  /** The cells, in grid order. */
  cells: Cell[];
  /** Final manifest (statuses, attempts, run folders). */
  manifest: SweepManifest;
  /** Aggregated results (also written as results.json / .csv / report.html). */
  results: SweepResults;
}

/**
 * Run a sweep (a `sweep.json` object) locally and aggregate it; see the module docs. Cells
 * already complete in `options.out` are reused, so calling it again resumes.
 */
export async function runLocalSweep(
  raw: unknown,
  options: LocalSweepOptions,
): Promise<LocalSweepResult> {
  const parsed = parseSweepSpec(raw);
  const root = projectRoot();
  const trainCommand = defaultTrainCommand(root);
  const known = await trainOptionNames(trainCommand);
  const { spec } = checkSweepKeys(parsed, await expandGrid(parsed), known);
  const cells = await expandGrid(spec);
  await writeSweepSpec(options.out, spec, { force: options.force });
  const manifest = await runLocalPool(cells, options.out, {
    workers: options.workers,
    retries: options.retries ?? spec.retries ?? 1,
    trainCommand,
    evaluateCommand: evaluateCommand(spec.evaluate ?? "auto", root),
    cwd: root,
    signal: options.signal,
    onProgress: options.onProgress,
    name: spec.name,
  });
  const results = await writeSweepResults(options.out, manifest, { spec });
  return { dir: options.out, spec, cells, manifest, results };
}
