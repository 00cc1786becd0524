/**
 * `deno task paper --run models/<id> [--run models/<id2>] [--broker paper|alpaca]
 *   [--feed replay] [--speed 60x|max] [--bars <file>] [--from N] [--limit N]
 *   [--journal <path>] [--smoothing α] [--risk spec|off] [--exits spec|off]
 *   [--no-watchdog stale-data,…] [--adopt-broker-state] [--json]`
 *
 * Paper-trades trained runs on a replayed bar stream (default: the run's own market, test
 * split) through the risk manager, the profit manager and the execution engine, journaling
 * everything (SQLite, survives kill -9; restart with the same journal to continue), and prints
 * a summary. See `lib/live/loop.ts`.
 *
 * @module
 */
import { formatSummary, runPaperSession, type WatchdogName, WATCHDOGS } from "@lib/live/mod.ts";
import { ConfigError, parseFlags, resolveUserPath, runCli } from "@lib/util/mod.ts";

const USAGE =
  "usage: deno task paper --run models/<id> [--run …] [--feed replay|alpaca --symbol S] [--broker paper|alpaca] " +
  "[--speed 60x|max] [--bars <file>] [--journal <path>] [--smoothing α] [--risk spec|off] " +
  "[--exits spec|off] [--no-watchdog name,…] [--adopt-broker-state]";

function parseSpeed(s: string): number {
  if (s === "max") return Infinity;
  const m = /^(\d+(?:\.\d+)?)x$/.exec(s);
  if (!m || !(Number(m[1]) > 0)) {
    throw new ConfigError(
      `--speed: "${s}" is not N x or max`,
      { parameter: "--speed" },
      "e.g. 60x or max",
    );
  }
  return Number(m[1]);
}

await runCli(async () => {
  // --run may repeat: collect every occurrence before the one-value flag parser
  const args = [...Deno.args];
  const runs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--run" && i + 1 < args.length) {
      runs.push(...args[i + 1].split(",").filter(Boolean));
      args.splice(i, 2);
      i--;
    } else if (args[i].startsWith("--run=")) {
      runs.push(...args[i].slice(6).split(",").filter(Boolean));
      args.splice(i, 1);
      i--;
    }
  }
  const { values } = parseFlags(args, {
    feed: {
      type: "string",
      default: "replay",
      choices: ["replay", "alpaca", "binance"],
      description: "bar source",
    },
    broker: {
      type: "string",
      default: "paper",
      choices: ["paper", "alpaca", "binance"],
      description: "where orders go",
    },
    speed: { type: "string", default: "max", description: "replay speed: Nx or max" },
    bars: {
      type: "string",
      description: "recorded bar file to replay (default: the run's test split)",
    },
    from: { type: "integer", description: "first bar index of the window", range: { min: 0 } },
    limit: { type: "integer", description: "at most this many bars", range: { min: 1 } },
    journal: { type: "string", description: "journal file (default <run>/paper/journal.sqlite)" },
    smoothing: {
      type: "number",
      description: "EMA α of the logits",
      range: { min: 0, exclusiveMin: true, max: 1 },
    },
    risk: { type: "string", default: "spec", choices: ["spec", "off"], description: "risk preset" },
    exits: {
      type: "string",
      default: "spec",
      choices: ["spec", "off"],
      description: "exit ladder preset",
    },
    "no-watchdog": {
      type: "string",
      description: `watchdogs to switch off: ${WATCHDOGS.join(",")}`,
    },
    "adopt-broker-state": {
      type: "boolean",
      description: "start despite a reconciliation mismatch (journaled)",
    },
    symbol: { type: "string", description: "symbol of a live feed (e.g. SPY for --feed alpaca)" },
    "max-bars": {
      type: "integer",
      description: "a live feed stops after this many bars",
      range: { min: 1 },
    },
    "sim-price-url": { type: "string", description: "venue simulator: POST each bar's close here" },
    "crash-window-ms": {
      type: "integer",
      description:
        "test aid: wait this long between journaling an order and sending it (and after)",
      range: { min: 0 },
    },
    json: { type: "boolean", description: "print the summary as one JSON line" },
    help: { type: "boolean", short: "h", description: "this help" },
  }, { usage: USAGE });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!runs.length) throw new ConfigError("--run is required", { parameter: "--run" }, USAGE);
  if (values.feed === "binance") {
    throw new ConfigError(
      "--feed binance: the Binance live bar feed is not built yet",
      { parameter: "--feed" },
      "use --feed replay (optionally with --bars <recorded file>) or --feed alpaca",
    );
  }
  if (values.feed === "alpaca" && !values.symbol) {
    throw new ConfigError("--feed alpaca needs --symbol (e.g. SPY)", { parameter: "--symbol" });
  }
  if (values.broker === "binance") {
    throw new ConfigError("--broker binance is not wired into the loop yet", {
      parameter: "--broker",
    }, "use paper or alpaca");
  }
  const off = (values["no-watchdog"] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  for (const w of off) {
    if (!(WATCHDOGS as readonly string[]).includes(w)) {
      throw new ConfigError(
        `--no-watchdog: unknown "${w}"`,
        { parameter: "--no-watchdog" },
        `known: ${WATCHDOGS.join(", ")}`,
      );
    }
  }
  const res = await runPaperSession({
    runs: runs.map(resolveUserPath),
    broker: values.broker as "paper" | "alpaca",
    feed: values.feed as "replay" | "alpaca",
    symbol: values.symbol,
    maxBars: values["max-bars"],
    bars: values.bars ? resolveUserPath(values.bars) : undefined,
    from: values.from,
    limit: values.limit,
    speed: parseSpeed(values.speed),
    journal: values.journal ? resolveUserPath(values.journal) : undefined,
    smoothing: values.smoothing,
    risk: values.risk as "spec" | "off",
    exits: values.exits as "spec" | "off",
    disabledWatchdogs: off as WatchdogName[],
    adoptBrokerState: values["adopt-broker-state"],
    simPriceUrl: values["sim-price-url"],
    crashWindowMs: values["crash-window-ms"],
    log: (l) => console.error(l),
  });
  if (values.json) console.log(JSON.stringify({ journal: res.journal, ...res.summary }));
  else console.log(`journal: ${res.journal}\n${formatSummary(res.summary)}`);
});
