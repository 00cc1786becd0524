/**
 * tfjs prints no "Hi, looks like you are running TensorFlow.js in Node.js…" advisory: it is
 * silenced once where tfjs is initialised (`lib/signals/tfjs.ts`), so neither the signal
 * classifier (which runs on the cpu backend before any agent code, e.g. in notebooks) nor the
 * agents print it. A control process that imports tfjs directly shows the detector sees the
 * banner. The training subprocess's stderr is checked in `train_interrupt_e2e_test.ts`.
 *
 * Cannot catch: a new module importing `@tensorflow/tfjs` directly and writing a tensor before
 * anything imports `lib/signals/tfjs.ts` (the last test lists such imports in lib/).
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const BANNER = "Hi, looks like you are running TensorFlow.js in Node.js";

async function stderrOf(code: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, err);
  return err;
}

Deno.test("tfjs: the signals' cpu backend writes a tensor without the Node.js advisory", async () => {
  const quiet = await stderrOf(
    `import { tf } from "./lib/signals/mod.ts";
     await tf.setBackend("cpu"); tf.tensor([1, 2]).dataSync();`,
  );
  assert.ok(!quiet.includes(BANNER), quiet);
  // control: the same write through tfjs imported directly prints the banner
  const loud = await stderrOf(
    `import * as tf from "@tensorflow/tfjs";
     await tf.setBackend("cpu"); tf.tensor([1, 2]).dataSync();`,
  );
  assert.ok(loud.includes(BANNER), "the control should print the advisory");
});

Deno.test("tfjs: lib/ imports tfjs in one place only", async () => {
  const offenders: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (p.endsWith(".ts")) {
        const text = await Deno.readTextFile(p);
        // type-only imports never run tfjs code
        if (/^import (?!type)[^;]*from "@tensorflow\/tfjs"/m.test(text)) offenders.push(p);
      }
    }
  };
  await walk(`${ROOT}lib`);
  assert.deepEqual(offenders.map((p) => p.slice(ROOT.length)), ["lib/signals/tfjs.ts"]);
});
