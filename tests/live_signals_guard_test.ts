/**
 * The paper loop refuses a run that learned from the ML-signal observation inputs: the loop
 * does not rebuild the walk-forward signal models live (those inputs would be 0 there), so the
 * run would act on observations it never saw. Cannot catch: a mismatch in any OTHER observation
 * input (the loop-vs-env observation equality test covers those).
 */
import assert from "node:assert/strict";
import { writeTestRun } from "./live_fixture.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("paper: a run trained with ML signals is refused with the remedy, exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rlt-paper-signals-" });
  try {
    await writeTestRun(dir);
    const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    config.data = { ...config.data, signals: "ml" };
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}cli/paper.ts`, "--run", dir, "--speed", "max", "--limit", "50"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, /^error: the run .* was trained with the ML-signal observation inputs/m);
    assert.match(stderr, /--signals none/);
    assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
