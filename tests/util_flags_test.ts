/**
 * The one flag parser every task uses: each bad value is refused with the same message
 * format before any work starts. Table-driven: each row is what a user typed and the exact
 * message they must see. Cannot catch: a task that declares a too-loose range (each task's
 * own table in its CLI test covers its ranges).
 */
import assert from "node:assert/strict";
import { ConfigError, parseFlags, resolveUserPath } from "@lib/util/mod.ts";

const SPEC = {
  lr: {
    type: "number",
    default: 3e-4,
    range: { min: 0, exclusiveMin: true },
    description: "learning rate",
  },
  timesteps: {
    type: "integer",
    default: 1_000_000,
    range: { min: 1 },
    description: "environment steps",
  },
  gamma: { type: "number", default: 0.99, range: { min: 0, max: 1 }, description: "discount" },
  clip: {
    type: "number",
    default: 0.2,
    range: { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true },
    description: "PPO clip",
  },
  agent: { type: "string", default: "ppo", choices: ["ppo", "a2c", "grpo"], description: "algo" },
  quiet: { type: "boolean", description: "no progress bar" },
} as const;
const USAGE = "usage: train [flags]";

Deno.test("flags: bad values are refused with one message format", () => {
  const rows: [string[], string][] = [
    [["--lr", "-1"], '--lr must be > 0 (got "-1")'],
    [["--lr=-1"], '--lr must be > 0 (got "-1")'],
    [["--lr", "0"], '--lr must be > 0 (got "0")'],
    [["--lr", "abc"], '--lr must be a number (got "abc")'],
    [["--timesteps", "-5"], '--timesteps must be ≥ 1 (got "-5")'],
    [["--timesteps", "0"], '--timesteps must be ≥ 1 (got "0")'],
    [["--timesteps", "1e3"], '--timesteps must be an integer (got "1e3")'],
    [["--timesteps", "abc"], '--timesteps must be an integer (got "abc")'],
    [["--timesteps", "12.5"], '--timesteps must be an integer (got "12.5")'],
    [["--gamma", "1.5"], '--gamma must be ≥ 0 and ≤ 1 (got "1.5")'],
    [["--clip", "1"], '--clip must be > 0 and < 1 (got "1")'],
    [["--agent", "dqn"], '--agent must be one of ppo, a2c, grpo (got "dqn")'],
    [["--bogus"], "unknown flag --bogus"],
    [["--lr"], "--lr needs a value"],
    [["stray"], 'unexpected argument "stray"'],
  ];
  for (const [args, expected] of rows) {
    assert.throws(
      () => parseFlags(args, SPEC, { usage: USAGE }),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith(expected),
      `${args.join(" ")} → ${expected}`,
    );
  }
});

Deno.test("flags: good values parse to typed values; defaults fill the rest", () => {
  const { values, given } = parseFlags(
    ["--lr", "1e-3", "--timesteps", "4096", "--agent", "a2c", "--quiet"],
    SPEC,
    { usage: USAGE },
  );
  assert.equal(values.lr, 1e-3);
  assert.equal(values.timesteps, 4096);
  assert.equal(values.agent, "a2c");
  assert.equal(values.quiet, true);
  assert.equal(values.gamma, 0.99);
  assert.deepEqual([...given].sort(), ["agent", "lr", "quiet", "timesteps"]);
});

Deno.test("flags: relative paths resolve from the caller's directory (INIT_CWD)", () => {
  const before = Deno.env.get("INIT_CWD");
  try {
    Deno.env.set("INIT_CWD", "/tmp/analyst/notebooks");
    assert.equal(resolveUserPath("data/x.csv"), "/tmp/analyst/notebooks/data/x.csv");
    assert.equal(resolveUserPath("/abs/x.csv"), "/abs/x.csv");
  } finally {
    if (before === undefined) Deno.env.delete("INIT_CWD");
    else Deno.env.set("INIT_CWD", before);
  }
});
