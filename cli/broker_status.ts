/**
 * `deno task broker:status --broker paper|alpaca|binance [--symbols BTCUSDT,ETHUSDT] [--live] [--json]`
 *
 * Prints the account, positions and open orders (and the market clock): a quick check that
 * keys and connectivity work. Paper endpoints unless `--live`.
 *
 * - `paper`: a fresh in-memory paper broker on the default trading config (no keys).
 * - `alpaca`: `APCA_API_KEY_ID`, `APCA_API_SECRET_KEY`; optional `ALPACA_BASE_URL`,
 *   `ALPACA_DATA_URL`.
 * - `binance`: `BINANCE_API_KEY`, `BINANCE_API_SECRET`; optional `BINANCE_BASE_URL`.
 *
 * Keys are read from the environment and never printed.
 *
 * @module
 */
import {
  AlpacaBroker,
  alpacaOptionsFromEnv,
  binanceOptionsFromEnv,
  BinanceUsdmBroker,
  type Broker,
  brokerStatus,
  formatBrokerStatus,
  PaperBroker,
} from "@lib/broker/mod.ts";
import { ConfigError, parseFlags, runCli } from "@lib/util/mod.ts";

const USAGE =
  "usage: deno task broker:status --broker paper|alpaca|binance [--symbols BTCUSDT] [--live] [--json]";

await runCli(async () => {
  const { values } = parseFlags(Deno.args, {
    broker: {
      type: "string",
      choices: ["paper", "alpaca", "binance"],
      description: "which broker",
    },
    symbols: { type: "string", default: "BTCUSDT", description: "comma-separated symbols" },
    live: { type: "boolean", default: false, description: "live (not paper) endpoints" },
    json: { type: "boolean", default: false, description: "one JSON line" },
    help: { type: "boolean", short: "h", description: "show this help" },
  }, { usage: USAGE });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const symbols = values.symbols.split(",").map((s) => s.trim()).filter(Boolean);
  let broker: Broker;
  switch (values.broker) {
    case "paper": {
      const p = new PaperBroker({ symbols });
      broker = p;
      break;
    }
    case "alpaca":
      broker = new AlpacaBroker({ ...alpacaOptionsFromEnv(), live: values.live });
      break;
    case "binance":
      broker = new BinanceUsdmBroker({ ...binanceOptionsFromEnv(symbols), live: values.live });
      break;
    default:
      throw new ConfigError(
        `--broker must be paper, alpaca or binance, got ${values.broker ?? "nothing"}`,
        { parameter: "--broker" },
        USAGE,
      );
  }
  const status = await brokerStatus(broker);
  console.log(values.json ? JSON.stringify(status) : formatBrokerStatus(status));
});
