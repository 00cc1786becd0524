import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  BACKEND_CHOICES,
  ensureBackendSync,
  selectBackend,
  tfjsVersion,
} from "../lib/agents/engines/tfjs/backend.ts";
import { ConfigError } from "../lib/util/errors.ts";

Deno.test("backend: auto picks tensorflow → wasm → cpu and reports why it skipped", async () => {
  assert.equal(ensureBackendSync(), tf.getBackend());
  const sel = await selectBackend("auto");
  // tfjs-node cannot be installed here: it is skipped with an explanation, never imported
  assert.ok(sel.backend === "wasm" || sel.backend === "tensorflow");
  if (sel.backend === "wasm") assert.match(sel.notes.join("\n"), /tfjs-node is not installed/);
  assert.equal(tf.getBackend(), sel.backend);
  assert.deepEqual(Array.from(tf.add(tf.tensor([1, 2]), 1).dataSync()), [2, 3]);
  assert.deepEqual(BACKEND_CHOICES, ["auto", "tensorflow", "wasm", "cpu"]);
  assert.match(tfjsVersion(), /^\d+\.\d+\.\d+/);
});

Deno.test("backend: explicit choices override, unavailable or unknown ones are ConfigErrors", async () => {
  assert.equal((await selectBackend("cpu")).backend, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  assert.equal((await selectBackend("wasm")).backend, "wasm");
  assert.equal(tf.getBackend(), "wasm");
  let tfNode = false;
  try {
    tfNode = (await selectBackend("tensorflow")).backend === "tensorflow";
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.match((e as Error).message, /not available.*tfjs-node/);
  }
  if (!tfNode) assert.equal(tf.getBackend(), "wasm"); // a failed forced choice changes nothing
  await assert.rejects(() => selectBackend("gpu" as "cpu"), ConfigError);
  await selectBackend("cpu");
});
