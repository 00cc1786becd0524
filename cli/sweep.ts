/**
 * `deno task sweep <sweep.json> | --grid key=v1,v2 …`: run a grid of training runs (seeds ×
 * agents × presets × any train option × walk-forward folds) on a local pool of subprocesses
 * (default: one per core) or, with `--queue redis://host:port`, on BullMQ workers started with
 * `deno task worker` on any number of machines; then aggregate the results into the sweep
 * folder (results.json, results.csv, report.html). Run the same command again to resume.
 *
 * @module
 */
import { ConfigError, runCli } from "@lib/util/mod.ts";
import { formatFlagHelp, parseFlags, resolveUserPath } from "@lib/util/mod.ts";
import { plotlyJsSource } from "../lib/report/mod.ts";
import {
  canonicalJson,
  type Cell,
  checkSweepKeys,
  countCells,
  defaultTrainCommand,
  evaluateCommand,
  expandGrid,
  parseGridArg,
  parseSweepSpec,
  projectRoot,
  readSweepManifest,
  runLocalPool,
  runQueuedSweep,
  type SweepManifest,
  type SweepProgress,
  type SweepSpec,
  trainOptionNames,
  writeSweepResults,
  writeSweepSpec,
} from "@lib/experiment/mod.ts";
import { sha256Hex } from "@lib/util/mod.ts";
import { checkTrainOptions } from "./train.ts";

const FLAGS = {
  out: { type: "string", description: "sweep folder (default models/sweeps/<name>-<grid hash>)" },
  models: {
    type: "string",
    description: "folder of the cells' run folders (default <sweep folder>/runs)",
  },
  workers: {
    type: "integer",
    range: { min: 1 },
    description: "local pool: parallel train subprocesses (default: number of cores)",
  },
  retries: {
    type: "integer",
    range: { min: 0 },
    description: "retries per failed cell (default: sweep.json retries, else 1)",
  },
  queue: {
    type: "string",
    description: "redis://host:port: enqueue the cells on BullMQ for `deno task worker`s",
  },
  "queue-name": { type: "string", default: "sweep-cells", description: "BullMQ queue name" },
  detach: { type: "boolean", description: "with --queue: submit and exit (run again to collect)" },
  evaluate: {
    type: "string",
    choices: ["auto", "off"],
    description: "evaluate step: auto = `deno task evaluate <run>` when that task exists",
  },
  name: { type: "string", description: "sweep name (default: sweep.json name, else 'sweep')" },
  force: { type: "boolean", description: "replace a different grid already in the sweep folder" },
  "report-only": {
    type: "boolean",
    description: "only re-aggregate the sweep folder given by --out",
  },
  help: { type: "boolean", short: "h", description: "show this help" },
} as const;

const USAGE = [
  "usage: deno task sweep <sweep.json> [flags]",
  "       deno task sweep --grid seed=0,1,2 --grid agent=ppo,a2c [--set timesteps=20000] [flags]",
].join("\n");

function helpText(): string {
  return [
    "Run a grid of training runs and aggregate them (resumable: run the same command again).",
    "",
    USAGE,
    "",
    "grid:",
    "  --grid key=v1,v2,…            one axis (repeatable); keys are train options (seed, agent,",
    "                                preset, timesteps, ent-coef, …) or `fold`; JSON lists allowed:",
    "                                --grid 'hidden=[[64,64],[32,32]]'",
    "  --set key=value               a value shared by every cell (repeatable)",
    "",
    "flags:",
    formatFlagHelp(FLAGS),
    "",
    "sweep.json: {",
    '  "name": "ppo-vs-a2c", "base": {"timesteps": 200000},',
    '  "grid": {"agent": ["ppo", "a2c"], "seed": [0, 1, 2]},',
    '  "cells": [{...}],            explicit cells (merged over base), optional',
    '  "retries": 1, "evaluate": "auto" | "off" | ["cmd", "{run}"],',
    '  "groupBy": ["agent"], "passThrough": ["fold"],',
    '  "compare": [{"rl": "evaluation.test.rl.sharpe", "baseline": "evaluation.test.baseline.sharpe"}],',
    '  "bootstrapSeed": 0 }',
    "",
    "Exit code: 0 every cell completed, 1 some cells failed (the others completed), 2 bad input,",
    "130 interrupted (run the same command again to resume).",
    "",
    "Each cell is a normal run folder <models>/<cell-id> (cell id = readable prefix + hash of its",
    "config). The sweep folder holds sweep.json, manifest.json (cells: status, attempts, errors,",
    "timings), results.json, results.csv, report.html and logs/.",
    "",
    "distributed (see docs/scaling_out.md):",
    "  deno task worker --queue redis://host:6379 [--models /shared/runs]   on every machine",
    "  deno task sweep sweep.json --queue redis://host:6379                  submit and collect",
  ].join("\n");
}

/** Pull the repeatable `--grid` / `--set` arguments out of argv. */
function takeRepeated(args: string[], flag: string): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === `--${flag}`) {
      if (i + 1 >= args.length) throw new ConfigError(`--${flag} needs a value`, {}, USAGE);
      values.push(args[++i]);
    } else if (a.startsWith(`--${flag}=`)) values.push(a.slice(flag.length + 3));
    else rest.push(a);
  }
  return { values, rest };
}

function fmtSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return "?";
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, "0")}m`;
}

function progressLine(p: SweepProgress): string {
  return `[sweep] ${p.done}/${p.total} done, ${p.running} running, ${p.failed} failed, ${p.pending} pending, ETA ${
    fmtSeconds(p.etaSeconds)
  }`;
}

async function main(): Promise<void> {
  const g = takeRepeated(Deno.args, "grid");
  const s = takeRepeated(g.rest, "set");
  const { values: v, positionals } = parseFlags(s.rest, FLAGS, {
    usage: USAGE,
    allowPositionals: true,
  });
  if (v.help) {
    console.log(helpText());
    return;
  }
  if (positionals.length > 1) {
    throw new ConfigError(
      `expected at most one sweep file, got ${positionals.join(" ")}`,
      {},
      USAGE,
    );
  }
  const root = projectRoot();

  if (v["report-only"]) {
    if (!v.out) {
      throw new ConfigError("--report-only needs --out <sweep folder>", { parameter: "out" });
    }
    const dir = resolveUserPath(v.out);
    const manifest = await readSweepManifest(dir);
    if (!manifest) throw new ConfigError("no manifest.json in the sweep folder", { file: dir });
    const spec = await readSpec(`${dir}/sweep.json`);
    await report(dir, manifest, spec);
    return;
  }

  // ---- the grid ---------------------------------------------------------------------------------
  let raw: Record<string, unknown> = {};
  let file: string | undefined;
  if (positionals.length === 1) {
    file = resolveUserPath(positionals[0]);
    try {
      raw = JSON.parse(await Deno.readTextFile(file));
    } catch (e) {
      throw new ConfigError(`cannot read the sweep file: ${(e as Error).message}`, { file });
    }
  }
  if (g.values.length > 0) {
    const grid = { ...(raw.grid as Record<string, unknown> ?? {}) };
    for (const arg of g.values) {
      const [k, vals] = parseGridArg(arg);
      grid[k] = vals;
    }
    raw = { ...raw, grid };
  }
  if (s.values.length > 0) {
    const base = { ...(raw.base as Record<string, unknown> ?? {}) };
    for (const arg of s.values) {
      const [k, [val]] = parseGridArg(arg, { single: true });
      base[k] = val;
    }
    raw = { ...raw, base };
  }
  if (v.name) raw = { ...raw, name: v.name };
  if (!file && g.values.length === 0) {
    throw new ConfigError("no grid: give a sweep.json or --grid key=v1,v2", {}, USAGE);
  }
  const spec = parseSweepSpec(raw, { file });

  // ---- check the keys against the train CLI ------------------------------------------------------
  const trainCommand = defaultTrainCommand(root);
  const known = await trainOptionNames(trainCommand);
  const checked = checkSweepKeys(spec, await expandGrid(spec), known, { file });
  const effective: SweepSpec = checked.spec;
  const cells = await expandGrid(effective);
  // every cell's values and their combination, checked as train would, before any work starts
  // (skipped, like the key check, when the train CLI's --help could not be read)
  if (known.size > 0) {
    for (const c of cells) {
      try {
        checkTrainOptions(c.trainConfig);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        throw new ConfigError(`cell ${c.label}: ${e.message}`, { file }, "no cell was run");
      }
    }
  }
  if (checked.foldIsLabel) {
    console.error(
      "note: the train CLI has no --fold option: the fold axis is passed through as a label " +
        "(grouping, walk-forward view) and every fold trains on the same split.",
    );
  }

  // ---- the sweep folder -------------------------------------------------------------------------
  const name = spec.name ??
    (v.out ? resolveUserPath(v.out).split("/").filter(Boolean).pop()! : "sweep");
  const hash = (await sha256Hex(new TextEncoder().encode(canonicalJson(spec)))).slice(0, 8);
  const dir = v.out
    ? resolveUserPath(v.out)
    : `${root}/models/sweeps/${name.replace(/[^A-Za-z0-9_.-]/g, "_")}-${hash}`;
  await writeSweepSpec(dir, spec, { force: v.force });
  const runsDir = v.models ? resolveUserPath(v.models) : `${dir}/runs`;
  const retries = v.retries ?? spec.retries ?? 1;
  const evaluate = (v.evaluate as "auto" | "off" | undefined) ?? spec.evaluate ?? "auto";
  const evalCmd = evaluateCommand(evaluate, root);
  console.error(
    `[sweep] ${cells.length} cells → ${dir}${v.queue ? ` via ${v.queue}` : ""}; evaluate step: ${
      evalCmd ? evalCmd.join(" ") : evaluate === "off" ? "off" : "skipped (no `evaluate` task yet)"
    }`,
  );

  // ---- run ---------------------------------------------------------------------------------------
  const ctrl = new AbortController();
  const onSignal = () => {
    if (!ctrl.signal.aborted) {
      console.error("\n[sweep] stopping: killing running cells, writing the manifest …");
      ctrl.abort();
    }
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const tty = Deno.stderr.isTerminal();
  let lastLine = "";
  const onProgress = (p: SweepProgress) => {
    const line = progressLine(p);
    if (line === lastLine) return;
    lastLine = line;
    if (tty) Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K${line}`));
    else console.error(line);
  };
  const onEvent = (e: { cell: Cell; kind: string; message?: string }) => {
    if (e.kind === "error" || e.kind === "failed") {
      if (tty) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
      console.error(
        `[sweep] ${
          e.kind === "failed" ? "FAILED" : "error (will retry)"
        } ${e.cell.id} (${e.cell.label}): ${e.message}`,
      );
    }
  };
  let manifest: SweepManifest;
  try {
    manifest = v.queue
      ? await runQueuedSweep(cells, dir, {
        url: v.queue,
        queueName: v["queue-name"],
        retries,
        runsDir,
        evaluate,
        name,
        detach: v.detach,
        signal: ctrl.signal,
        onProgress,
        onEvent,
      })
      : await runLocalPool(cells, dir, {
        workers: v.workers,
        retries,
        runsDir,
        trainCommand,
        evaluateCommand: evalCmd,
        cwd: root,
        signal: ctrl.signal,
        onProgress,
        onEvent,
        name,
      });
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
  if (tty) console.error("");
  if (v.detach) {
    console.error(
      `[sweep] submitted; run the same command without --detach to collect the results`,
    );
    return;
  }
  const results = await report(dir, manifest, spec);
  const c = countCells(manifest);
  console.log(
    `sweep ${manifest.status}: ${c.completed} completed, ${c.failed} failed, ${
      c.interrupted + c.pending + c.queued + c.running
    } not finished`,
  );
  for (const r of manifest.cells.filter((x) => x.status === "failed")) {
    console.log(
      `  failed ${r.id} (${r.label}) after ${r.attempts} attempt(s): ${r.errors.at(-1)?.message}`,
    );
  }
  const head = results.comparisons[0]?.rl ?? "validation.final.sharpe";
  for (const gr of results.groups) {
    const st = gr.metrics[head];
    if (!st) continue;
    const f = (x: number | null | undefined) => x == null ? "n/a" : x.toFixed(2);
    console.log(
      `  ${gr.group.padEnd(30)} ${head} ${f(st.mean)} ± ${f(st.std)}${
        st.ci ? ` [${f(st.ci.low)}, ${f(st.ci.high)}]` : ""
      } (n=${st.n})`,
    );
  }
  for (const cmp of results.comparisons.filter((x) => x.fold === "all")) {
    const f = (x: number | null | undefined) => x == null ? "n/a" : x.toFixed(2);
    console.log(
      `  ${cmp.group.padEnd(30)} ${cmp.rl} − ${cmp.baseline}: ${f(cmp.diff.mean)}` +
        `${cmp.diff.ci ? ` [${f(cmp.diff.ci.low)}, ${f(cmp.diff.ci.high)}]` : ""}, ` +
        `${cmp.wins}/${cmp.diffs.length} cells better`,
    );
  }
  console.log(`results: ${dir}/results.json, results.csv, report.html`);
  if (manifest.status === "interrupted") Deno.exit(130);
  if (manifest.status === "completed_with_failures") Deno.exit(1);
}

async function readSpec(path: string): Promise<SweepSpec> {
  try {
    return parseSweepSpec(JSON.parse(await Deno.readTextFile(path)), { file: path });
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
}

async function report(dir: string, manifest: SweepManifest, spec: SweepSpec) {
  let plotlyJs: string | undefined;
  try {
    plotlyJs = plotlyJsSource();
  } catch { /* no local plotly: tables only */ }
  return await writeSweepResults(dir, manifest, { spec, plotlyJs });
}

if (import.meta.main) await runCli(main);
