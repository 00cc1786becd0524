/**
 * Local web dashboard over the run folders and the live loops' journals: a sortable runs
 * table, a run page whose curves grow while the run trains (Server-Sent Events as
 * `metrics.jsonl` grows), evaluation tables with equity and drawdown, a compare page, and a
 * Live page per journal (equity and drawdown today and since start, positions, open orders,
 * the last decisions with their reasons, the risk state, per-agent metrics, daily reports)
 * pushed over SSE as the journal grows, with a CSRF-protected kill switch that sets the same
 * state as `deno task paper:kill`. Loopback-only unless a token is given.
 *
 * @example
 * ```ts
 * import { startDashboard } from "@lib/dashboard/mod.ts";
 * const d = await startDashboard({ models: "models", port: 0 });
 * console.log(d.url); // http://127.0.0.1:<port>
 * await d.shutdown();
 * ```
 *
 * Live: each journal is read through ONE read-only `node:sqlite` connection (WAL: readers
 * never block the loop's writes), new rows are read by row-id cursor (`Journal.since`) in a
 * pass woken by the shared folder watcher on the journal's `-wal` file, and pushed to every
 * open stream of that journal (see `live.ts`).
 *
 * @module
 */
export {
  createDashboard,
  type Dashboard,
  type DashboardApp,
  type DashboardOptions,
  type KillFunction,
  startDashboard,
} from "./server.ts";
export {
  listRuns,
  type MetricsChunk,
  readMetricsChunk,
  readRunDetail,
  type RunDetail,
  type RunStatus,
  type RunSummary,
} from "./runs.ts";
export {
  type EvaluatedStrategy,
  type EvaluationData,
  type EvaluationSummary,
  normalizeEvaluation,
} from "./evaluation.ts";
export {
  type AgentLive,
  type HaltLive,
  type LiveJournalEntry,
  type LiveRows,
  type LiveSnapshot,
  type LiveState,
  type PositionLive,
} from "./live.ts";
export { checkBind, isLoopbackHost } from "./security.ts";
export { redact, REDACTED } from "./_redact.ts";
