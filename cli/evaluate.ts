/**
 * `deno task evaluate <run> [--split test|validation|train] [--which best,final] [--data …]`
 *
 * Evaluates a run folder written by `deno task train` on a held-out split: its best and final
 * models against the fixed-rule baseline, buy & hold 1×, always-flat and random, through the
 * one episode loop and the same accounting, with the bootstrap significance test and the
 * specification's targets table (trade ratios `n/a` below 30 trades, no 6-month figure on a
 * shorter window). Writes `evaluation.json` and the self-contained `evaluation.html` into the
 * run folder and prints the table. Flag parsing only: the work is `evaluateRun`
 * (lib/experiment) and `evaluationText` / `writeEvaluationReport` (lib/report).
 *
 * @module
 */
import { DATA_FLAG_OPTIONS } from "@lib/data/mod.ts";
import { evaluateRun, type EvaluationSplit } from "@lib/experiment/mod.ts";
import { evaluationText, writeEvaluationReport } from "@lib/report/mod.ts";
import { ConfigError, type FlagSpec, parseFlags, resolveUserPath, runCli } from "@lib/util/mod.ts";

const USAGE = `usage: deno task evaluate <run-folder> [options]

Backtests the run's best and final models on a held-out split against the fixed-rule
baseline, buy & hold (1×), always-flat and random; writes <run>/evaluation.json and
<run>/evaluation.html and prints the comparison.

  --split test|validation|train  split to evaluate on [default test]
  --which best,final             models of the run, comma-separated [default best,final]
  --data <path>                  evaluate on another bars file/folder (or synthetic) with the
                                 run's features, signals and split settings [default: the run's]
  --min-trades <n>               win rate, profit factor and payoff need ≥ n trades [default 30]
  --risk spec|off                risk rules around every strategy [default: the run's]
  --exits spec|off               the TP/SL exit ladder around every strategy [default: the run's]
  --smoothing <α>                EMA smoothing of the models' outputs, 0 < α ≤ 1 [default off]
  --samples <n>                  bootstrap resamples [default 2000]
  --seed <n>                     bootstrap seed [default 0]
  --help                         this help

examples:
  deno task evaluate models/ppo-20260101-120000-s0
  deno task evaluate models/ppo-demo --split validation --which best`;

const FLAGS = {
  split: {
    type: "string",
    default: "test",
    choices: ["test", "validation", "train"],
    description: "split",
  },
  which: { type: "string", default: "best,final", description: "models" },
  data: DATA_FLAG_OPTIONS.data,
  "min-trades": {
    type: "integer",
    default: 30,
    range: { min: 1 },
    description: "minimum trades for trade ratios",
  },
  risk: { type: "string", choices: ["spec", "off"], description: "risk rules" },
  exits: { type: "string", choices: ["spec", "off"], description: "exit ladder" },
  smoothing: {
    type: "number",
    range: { min: 0, max: 1, exclusiveMin: true },
    description: "EMA smoothing α",
  },
  samples: {
    type: "integer",
    default: 2000,
    range: { min: 100, max: 100_000 },
    description: "bootstrap resamples",
  },
  seed: { type: "integer", default: 0, range: { min: 0 }, description: "bootstrap seed" },
  help: { type: "boolean", short: "h", description: "this help" },
} as const satisfies Record<string, FlagSpec>;

await runCli(async () => {
  const { values, positionals } = parseFlags(Deno.args, FLAGS, {
    usage: "usage: deno task evaluate <run-folder> [options] (--help)",
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1) {
    throw new ConfigError(
      positionals.length === 0 ? "expected a run folder" : "expected exactly one run folder",
      {},
      "e.g. deno task evaluate models/<run-id> (--help)",
    );
  }
  const which = values.which.split(",").map((x) => x.trim()).filter((x) => x);
  for (const w of which) {
    if (w !== "best" && w !== "final") {
      throw new ConfigError(`--which must list best and/or final (got ${JSON.stringify(w)})`);
    }
  }
  if (which.length === 0) throw new ConfigError('--which must list best and/or final (got "")');
  const runDir = resolveUserPath(positionals[0]);
  const data = values.data === undefined
    ? undefined
    : values.data === "synthetic"
    ? "synthetic"
    : resolveUserPath(values.data);
  const ev = await evaluateRun(runDir, {
    split: values.split as EvaluationSplit,
    which: which as ("best" | "final")[],
    data,
    targets: { minTrades: values["min-trades"] },
    episode: {
      ...(values.risk !== undefined ? { risk: values.risk as "spec" | "off" } : {}),
      ...(values.exits !== undefined ? { exits: values.exits as "spec" | "off" } : {}),
      ...(values.smoothing !== undefined ? { smoothing: values.smoothing } : {}),
    },
    bootstrap: { samples: values.samples, seed: values.seed },
    log: (m) => console.error(m),
  });
  const html = await writeEvaluationReport(ev);
  console.log(evaluationText(ev));
  console.log(`\nwrote ${ev.path} and ${html}`);
});
