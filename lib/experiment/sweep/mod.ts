/**
 * Sweeps: grids over seeds, agents, presets, any run-config key and walk-forward folds, run
 * by a local pool of single-threaded train subprocesses or, beyond one machine, by workers
 * taking cells from a BullMQ queue on Redis; every cell is a normal run folder; results are
 * aggregated per cell and per group (mean, std, bootstrap interval), with paired
 * RL-minus-baseline comparisons and a walk-forward view, into JSON, CSV and an HTML report.
 *
 * @example
 * ```ts
 * import { expandGrid, parseSweepSpec, runLocalPool, writeSweepResults, defaultTrainCommand }
 *   from "@lib/experiment/sweep/mod.ts";
 * const spec = parseSweepSpec({ base: { timesteps: 4096 }, grid: { seed: [0, 1, 2] } });
 * const cells = await expandGrid(spec);
 * const manifest = await runLocalPool(cells, "models/sweeps/demo", {
 *   workers: 2,
 *   trainCommand: defaultTrainCommand(),
 * });
 * await writeSweepResults("models/sweeps/demo", manifest, { spec });
 * ```
 *
 * @module
 */
export {
  canonicalJson,
  type Cell,
  type CellConfig,
  cellId,
  type CompareSpec,
  type ConfigValue,
  expandGrid,
  optionKey,
  parseGridArg,
  parseSweepSpec,
  passThroughKeys,
  type SweepSpec,
} from "./grid.ts";
export { isRunComplete, type MetricValues, readRunSummary, type RunSummary } from "./run_folder.ts";
export {
  CellError,
  CellInterrupted,
  type CellOutcome,
  runCell,
  type RunCellOptions,
} from "./cell.ts";
export {
  type CellAttemptError,
  type CellRecord,
  type CellStatus,
  countCells,
  readSweepManifest,
  type SweepManifest,
} from "./manifest.ts";
export { type LocalPoolOptions, runLocalPool, type SweepProgress } from "./pool.ts";
export {
  checkSweepKeys,
  type LocalSweepOptions,
  type LocalSweepResult,
  runLocalSweep,
} from "./local.ts";
export {
  type AggregateOptions,
  aggregateResults,
  type CellResultRow,
  type ComparisonRow,
  DEFAULT_COMPARE,
  defaultComparisons,
  type GroupResultRow,
  type Interval,
  type MetricStats,
  metricStats,
  type SweepResults,
  VALIDATION_COMPARE,
  type WalkForwardRow,
} from "./aggregate.ts";
export { headlineMetrics, sweepReportHtml, type SweepReportOptions } from "./report.ts";
export { type WriteResultsOptions, writeSweepResults, writeSweepSpec } from "./outputs.ts";
export {
  defaultTrainCommand,
  evaluateCommand,
  hasDenoTask,
  projectRoot,
  trainOptionNames,
} from "./commands.ts";
export {
  type CellJobData,
  type CellJobResult,
  type CellWorkerHandle,
  type CellWorkerOptions,
  DEFAULT_QUEUE_NAME,
  type QueuedSweepOptions,
  runQueuedSweep,
  startCellWorker,
} from "./queue.ts";
