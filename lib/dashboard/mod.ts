/**
 * Local web dashboard over the run folders (and, soon, the live loop's journal): a sortable
 * runs table, a run page whose curves grow while the run trains (Server-Sent Events as
 * `metrics.jsonl` grows), evaluation tables with equity and drawdown, a compare page, and a
 * CSRF-protected kill-switch endpoint. Loopback-only unless a token is given.
 *
 * @example
 * ```ts
 * import { startDashboard } from "@lib/dashboard/mod.ts";
 * const d = await startDashboard({ models: "models", port: 0 });
 * console.log(d.url); // http://127.0.0.1:<port>
 * await d.shutdown();
 * ```
 *
 * Live half (next, once the trading loop's journal lands): `/live` and `/api/live/state`
 * will read the SQLite journal through a read-only `node:sqlite` connection (WAL: readers
 * never block the loop's writes), push new journal rows over SSE by rowid cursor (`since`),
 * woken by the same shared folder watcher on the journal's `-wal` file, and `kill(reason)`
 * will call the live layer's kill switch instead of writing `<journal>.KILL`. The CSRF
 * mechanism, the POST-only route and its tests are already in place.
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
export { checkBind, isLoopbackHost } from "./security.ts";
export { redact, REDACTED } from "./_redact.ts";
