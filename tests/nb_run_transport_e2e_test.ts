/**
 * tools/nb_run.py survives an unreadable kernel message (Deno's kernel occasionally sends one
 * that fails jupyter_client's signature check): the attempt is abandoned and the notebook runs
 * again on a fresh kernel, so no output is silently lost. The fault is injected by wrapping
 * jupyter_client's `Session.deserialize` to raise the same ValueError once, on the first
 * display message, exactly where the real failure surfaced.
 */
import assert from "node:assert/strict";
import { repoRoot } from "@lib/report/mod.ts";

const ROOT = repoRoot();

const NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
  cells: [
    {
      id: "a",
      cell_type: "code",
      metadata: {},
      outputs: [],
      execution_count: null,
      source: 'console.log("first-cell-output")',
    },
    {
      id: "b",
      cell_type: "code",
      metadata: {},
      outputs: [],
      execution_count: null,
      source: "Deno.jupyter.html`<b>shown-${6 * 7}</b>`",
    },
  ],
};

/** Runs nb_run.py in-process with the fault injected `failures` times. */
const WRAPPER = `
import sys, runpy
from jupyter_client import session as S
orig = S.Session.deserialize
left = [int(sys.argv[1])]
def deserialize(self, msg_list, content=True, copy=True):
    msg = orig(self, msg_list, content=content, copy=copy)
    if left[0] > 0 and msg["header"]["msg_type"] in ("display_data", "execute_result"):
        left[0] -= 1
        raise ValueError("Invalid Signature: b'injected'")
    return msg
S.Session.deserialize = deserialize
sys.argv = ["nb_run.py"] + sys.argv[2:]
runpy.run_path(${JSON.stringify(`${ROOT}/tools/nb_run.py`)}, run_name="__main__")
`;

async function runWithFaults(
  failures: number,
): Promise<{ code: number; log: string; saved: string }> {
  await new Deno.Command("bash", { args: [`${ROOT}/tools/setup.sh`], stdout: "null" }).output();
  const dir = await Deno.makeTempDir({ prefix: "rlt_nb_transport_" });
  await Deno.writeTextFile(`${dir}/t.ipynb`, JSON.stringify(NOTEBOOK));
  await Deno.writeTextFile(`${dir}/wrap.py`, WRAPPER);
  const res = await new Deno.Command("/usr/bin/python3", {
    args: [
      `${dir}/wrap.py`,
      String(failures),
      "--no-html",
      "--out-dir",
      `${dir}/out`,
      `${dir}/t.ipynb`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(res.stderr);
  let saved = "";
  try {
    saved = await Deno.readTextFile(`${dir}/out/t.ipynb`);
  } catch { /* asserted by the caller */ }
  await Deno.remove(dir, { recursive: true });
  return { code: res.code, log, saved };
}

Deno.test("nb_run: an unreadable kernel message triggers a clean re-run and loses no output", async () => {
  const { code, log, saved } = await runWithFaults(1);
  assert.equal(code, 0, log);
  assert.match(log, /unreadable IOPub message: Invalid Signature/);
  assert.match(log, /running t\.ipynb again on a fresh kernel/);
  assert.match(log, /attempt 2 of 3/);
  assert.ok(saved.includes("first-cell-output"), "first cell's output kept");
  assert.ok(saved.includes("shown-42"), "the display output lost in attempt 1 is present");
});

Deno.test("nb_run: unreadable messages in every attempt fail with exit 5 and still write output", async () => {
  const { code, log, saved } = await runWithFaults(99);
  assert.equal(code, 5, log);
  assert.match(log, /FAILED .*unreadable IOPub message/);
  assert.ok(saved.includes("first-cell-output"), "partial notebook written");
});
