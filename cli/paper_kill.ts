/**
 * `deno task paper:kill (--journal <file> | --run models/<id>) [--reason "…"] [--reset | --status]`
 *
 * Sets the kill switch of a paper/live trading loop: writes `<journal>.KILL` (JSON reason and
 * time); the loop flattens and stops within one bar, and refuses to trade after a restart
 * until `--reset`. Both are journaled when the journal exists. `--status` only prints the
 * current setting. Prints one JSON line.
 *
 * @module
 */
import {
  defaultJournalPath,
  killSwitchPath,
  readKillSwitch,
  resetKillSwitch,
  setKillSwitch,
} from "@lib/live/mod.ts";
import { ConfigError, parseFlags, resolveUserPath, runCli } from "@lib/util/mod.ts";

const USAGE =
  'usage: deno task paper:kill (--journal <file> | --run models/<id>) [--reason "…"] [--reset | --status]';

await runCli(() => {
  const { values } = parseFlags(Deno.args, {
    journal: { type: "string", description: "the loop's journal file" },
    run: { type: "string", description: "run folder (journal at <run>/paper/journal.sqlite)" },
    reason: { type: "string", description: "why (recorded)" },
    reset: { type: "boolean", description: "clear the switch" },
    status: { type: "boolean", description: "print the switch only" },
    help: { type: "boolean", short: "h", description: "this help" },
  }, { usage: USAGE });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if ((values.journal === undefined) === (values.run === undefined)) {
    throw new ConfigError(
      "give exactly one of --journal and --run",
      { parameter: "--journal" },
      USAGE,
    );
  }
  if (values.reset && values.status) {
    throw new ConfigError("--reset and --status exclude each other", { parameter: "--reset" });
  }
  const journal = values.journal !== undefined
    ? resolveUserPath(values.journal)
    : defaultJournalPath(resolveUserPath(values.run!));
  const file = killSwitchPath(journal);
  if (values.status) {
    console.log(JSON.stringify({ journal, file, set: readKillSwitch(journal) }));
  } else if (values.reset) {
    const { cleared, journaled } = resetKillSwitch(journal, {
      reason: values.reason,
      source: "cli",
    });
    console.log(JSON.stringify({ journal, file, reset: cleared !== null, cleared, journaled }));
  } else {
    const { state, journaled } = setKillSwitch(journal, { reason: values.reason, source: "cli" });
    console.log(JSON.stringify({ journal, file, set: state, journaled }));
  }
});
