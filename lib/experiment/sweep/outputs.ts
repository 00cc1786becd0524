/**
 * Writing the sweep folder's grid and results: `sweep.json` before the cells run;
 * `results.json`, `results.csv` and `report.html` after (each written atomically).
 *
 * @module
 */
import { writeFileAtomic } from "../../util/mod.ts";
import { ConfigError } from "../../util/mod.ts";
import { aggregateResults, resultsCsv, type SweepResults } from "./aggregate.ts";
import { canonicalJson, type SweepSpec } from "./grid.ts";
import type { SweepManifest } from "./manifest.ts";
import { type MetricValues, readRunSummary } from "./run_folder.ts";
import { sweepReportHtml } from "./report.ts";

/**
 * Write `<sweepDir>/sweep.json`. A sweep folder holds one grid: when a different grid is
 * already there, this throws a {@link ConfigError} (use another folder, or `force` to replace
 * it — completed cells whose ids are still in the new grid are reused).
 */
export async function writeSweepSpec(
  sweepDir: string,
  spec: SweepSpec,
  options: { force?: boolean } = {},
): Promise<void> {
  await Deno.mkdir(sweepDir, { recursive: true });
  const path = `${sweepDir}/sweep.json`;
  let old: string | null = null;
  try {
    old = await Deno.readTextFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (old !== null && !options.force) {
    let same = false;
    try {
      same = canonicalJson(JSON.parse(old)) === canonicalJson(spec);
    } catch { /* unreadable: treat as different */ }
    if (!same) {
      throw new ConfigError(
        "this sweep folder already holds a different grid",
        { file: path },
        "choose another sweep folder, or pass --force to replace the grid (completed cells still in it are kept)",
      );
    }
  }
  await writeFileAtomic(path, JSON.stringify(spec, null, 2) + "\n");
}

/** Options of {@link writeSweepResults}. */
export interface WriteResultsOptions {
  /** The sweep spec (its groupBy, compare and bootstrapSeed are used). */
  spec?: SweepSpec;
  /** plotly.js source to inline in report.html (omit: tables only). */
  plotlyJs?: string;
}

/**
 * Read the completed cells' run folders, aggregate, and write `results.json`, `results.csv`
 * and `report.html` into the sweep folder. Returns the results.
 */
export async function writeSweepResults(
  sweepDir: string,
  manifest: SweepManifest,
  options: WriteResultsOptions = {},
): Promise<SweepResults> {
  const metrics = new Map<string, MetricValues>();
  for (const r of manifest.cells) {
    if (r.status !== "completed" || !r.runDir) continue;
    metrics.set(r.id, (await readRunSummary(r.runDir)).metrics);
  }
  const results = aggregateResults(manifest.cells, metrics, {
    name: manifest.name,
    groupBy: options.spec?.groupBy,
    compare: options.spec?.compare,
    seed: options.spec?.bootstrapSeed,
  });
  await writeFileAtomic(`${sweepDir}/results.json`, JSON.stringify(results, null, 2));
  await writeFileAtomic(`${sweepDir}/results.csv`, resultsCsv(results));
  await writeFileAtomic(
    `${sweepDir}/report.html`,
    sweepReportHtml(results, manifest, { plotlyJs: options.plotlyJs }),
  );
  return results;
}
