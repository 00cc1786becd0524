/**
 * `deno task worker --queue redis://host:port [--models <shared folder>]`: take sweep cells
 * from the BullMQ queue, train (and evaluate, when the project has `deno task evaluate`) each
 * as a single-threaded subprocess, and return the run's summary — with the run folder in the
 * shared folder, or zipped into the job's result when there is none. Start one per machine
 * (it runs `--concurrency` cells at once, default: number of cores). Ctrl-C stops: running
 * cells are killed and their jobs go back to the queue for another worker.
 *
 * @module
 */
import { ConfigError, runCli } from "@lib/util/mod.ts";
import { formatFlagHelp, parseFlags, resolveUserPath } from "@lib/util/mod.ts";
import {
  DEFAULT_QUEUE_NAME,
  defaultTrainCommand,
  evaluateCommand,
  projectRoot,
  startCellWorker,
} from "@lib/experiment/mod.ts";

const FLAGS = {
  queue: { type: "string", description: "redis://host:port of the queue (required)" },
  "queue-name": { type: "string", default: DEFAULT_QUEUE_NAME, description: "BullMQ queue name" },
  models: {
    type: "string",
    description:
      "shared folder for run folders (same path on every machine); without it runs are zipped into the job result",
  },
  scratch: {
    type: "string",
    description:
      "without --models: local folder the runs train in before packing (default: a temp folder)",
  },
  concurrency: {
    type: "integer",
    range: { min: 1 },
    description: "cells at once on this machine (default: number of cores)",
  },
  "lock-ms": {
    type: "integer",
    range: { min: 1000 },
    default: 30000,
    description: "job lock duration: a dead worker's cell is retried after about this (ms)",
  },
  "stalled-ms": {
    type: "integer",
    range: { min: 500 },
    default: 30000,
    description: "how often this worker checks for stalled jobs (ms)",
  },
  help: { type: "boolean", short: "h", description: "show this help" },
} as const;

const USAGE =
  "usage: deno task worker --queue redis://host:port [--models <shared folder>] [flags]";

async function main(): Promise<void> {
  const { values: v } = parseFlags(Deno.args, FLAGS, { usage: USAGE });
  if (v.help) {
    console.log(
      `Take sweep cells from a BullMQ queue and train them.\n\n${USAGE}\n\n${
        formatFlagHelp(FLAGS)
      }`,
    );
    return;
  }
  if (!v.queue) throw new ConfigError("--queue is required", { parameter: "queue" }, USAGE);
  const root = projectRoot();
  const models = v.models ? resolveUserPath(v.models) : null;
  if (models) await Deno.mkdir(models, { recursive: true });
  const log = (line: string) => console.log(`[worker ${Deno.pid}] ${line}`);
  const handle = await startCellWorker({
    url: v.queue,
    queueName: v["queue-name"],
    concurrency: v.concurrency,
    models,
    scratch: v.scratch ? resolveUserPath(v.scratch) : undefined,
    trainCommand: defaultTrainCommand(root),
    evaluateCommand: (e) => evaluateCommand(e, root),
    cwd: root,
    lockDuration: v["lock-ms"],
    stalledInterval: v["stalled-ms"],
    log,
  });
  await handle.ready();
  log(
    `ready on ${v.queue.replace(/\/\/([^@/]*)@/, "//***@")} queue ${v["queue-name"]}; ${
      models
        ? `run folders in ${models}`
        : "no shared folder: run folders are zipped into job results"
    }`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      log("stopping: running cells go back to the queue");
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
  await handle.close();
  log("stopped");
  Deno.exit(0);
}

if (import.meta.main) await runCli(main);
