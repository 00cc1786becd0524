/**
 * Interrupting and resuming REAL `deno task train` processes keeps the run whole:
 *
 * 1. a crash (SIGKILL, nothing can run) after the first checkpoint leaves metrics rows and
 *    TensorBoard events past that checkpoint; `--resume` drops them before continuing;
 * 2. SIGINT during the resumed run: exit code 130, the manifest says `interrupted` (not
 *    `running`), the final model and a checkpoint at the stop step are saved;
 * 3. `--resume` again completes the budget.
 *
 * Afterwards `metrics.jsonl` holds each update's step once, in order, up to the budget, and
 * across the run's TensorBoard files every (tag, step) appears once with steps increasing in
 * file order (TensorBoard reads a folder's files as one run: one series, drawn once). No
 * process prints the tfjs Node.js advisory or a stack trace.
 *
 * Slow tier (`*_e2e_test.ts`, skipped by `deno task test:quick`): three training processes on
 * a 6,000-bar synthetic market, ≈ 40–60 s. Cannot catch: a SIGTERM from a supervisor that
 * does not wait for the process (the handler is the same as SIGINT's; exit code 143).
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const BANNER = "Hi, looks like you are running TensorFlow.js";
const TOTAL = 32_768;

function train(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}cli/train.ts`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

function checkpoints(dir: string): number[] {
  try {
    return [...Deno.readDirSync(`${dir}/checkpoints`)].filter((e) =>
      e.isDirectory && /^\d+$/.test(e.name)
    ).map((e) => Number(e.name)).sort((a, b) => a - b);
  } catch {
    return [];
  }
}

function updateSteps(dir: string): number[] {
  let text = "";
  try {
    text = Deno.readTextFileSync(`${dir}/metrics.jsonl`);
  } catch { /* not yet */ }
  const steps: number[] = [];
  for (const line of text.split("\n")) {
    try {
      const r = JSON.parse(line);
      if (r.type === "update") steps.push(r.timesteps);
    } catch { /* torn or empty line */ }
  }
  return steps;
}

/** Poll until `ready()` or the process ends; true when ready. */
async function waitFor(ready: () => boolean, child: Deno.ChildProcess): Promise<boolean> {
  let ended = false;
  child.status.then(() => (ended = true));
  while (!ended) {
    if (ready()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** (tag, step) pairs of every scalar event, per event file in file-name order. */
function eventSteps(dir: string): { file: string; steps: [string, number][] }[] {
  const files = [...Deno.readDirSync(dir)].map((e) => e.name)
    .filter((n) => n.startsWith("events.out.tfevents.")).sort();
  return files.map((file) => {
    const b = Deno.readFileSync(`${dir}/${file}`);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const steps: [string, number][] = [];
    let off = 0;
    while (off + 12 <= b.length) {
      const len = Number(dv.getBigUint64(off, true));
      if (off + 16 + len > b.length) break;
      const p = b.subarray(off + 12, off + 12 + len);
      off += 16 + len;
      // Event: field 2 = step (varint), field 5 = summary { value { tag = 1 } }
      let step = 0;
      const tags: string[] = [];
      const varint = (buf: Uint8Array, at: { i: number }) => {
        let r = 0, m = 1;
        for (;;) {
          const x = buf[at.i++];
          r += (x & 127) * m;
          if (!(x & 128)) return r;
          m *= 128;
        }
      };
      const at = { i: 0 };
      while (at.i < p.length) {
        const key = varint(p, at);
        const f = Math.floor(key / 8), w = key & 7;
        if (w === 0) {
          const v = varint(p, at);
          if (f === 2) step = v;
        } else if (w === 1) at.i += 8;
        else if (w === 5) at.i += 4;
        else {
          const n = varint(p, at);
          if (f === 5) {
            const s = p.subarray(at.i, at.i + n);
            const sa = { i: 0 };
            while (sa.i < s.length) {
              varint(s, sa); // Summary.value key
              const vn = varint(s, sa);
              const v = s.subarray(sa.i, sa.i + vn);
              sa.i += vn;
              const va = { i: 0 };
              while (va.i < v.length) {
                const k = varint(v, va);
                if ((k & 7) === 2) {
                  const tn = varint(v, va);
                  if (k >> 3 === 1) {
                    tags.push(new TextDecoder().decode(v.subarray(va.i, va.i + tn)));
                  }
                  va.i += tn;
                } else va.i += 4;
              }
            }
          }
          at.i += n;
        }
      }
      for (const t of tags) steps.push([t, step]);
    }
    return { file, steps };
  });
}

async function finish(child: Deno.ChildProcess): Promise<{ code: number; stderr: string }> {
  const out = await child.output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("train: crash, SIGINT and --resume keep one run: status, checkpoints, metrics and TensorBoard", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "train-interrupt-" });
  const run = `${tmp}/run`;
  try {
    // 1. crash after the first checkpoint, once some updates were logged past it
    const first = train([
      "--timesteps",
      String(TOTAL),
      "--n-steps",
      "256",
      "--checkpoint-freq",
      "2048",
      "--eval-freq",
      "4096",
      "--bars",
      "6000",
      "--no-progress",
      "--out",
      run,
    ]);
    const crashed = await waitFor(() => {
      const c = checkpoints(run);
      return c.length > 0 && updateSteps(run).some((s) => s > c[c.length - 1]);
    }, first);
    assert.ok(crashed, "the first run ended before its first checkpoint");
    first.kill("SIGKILL");
    const r1 = await finish(first);
    assert.ok(!r1.stderr.includes(BANNER), r1.stderr);
    const c1 = checkpoints(run).at(-1)!;
    const past = updateSteps(run).filter((s) => s > c1).length;
    const manifest1 = JSON.parse(Deno.readTextFileSync(`${run}/manifest.json`));
    assert.equal(manifest1.status, "running", "a SIGKILL cannot update the manifest");
    console.log(`crash: checkpoint ${c1}, ${past} update row(s) past it`);

    // 2. resume, then SIGINT after a new checkpoint
    const second = train(["--resume", run, "--timesteps", String(TOTAL), "--no-progress"]);
    const ready = await waitFor(() => checkpoints(run).some((c) => c > c1), second);
    assert.ok(ready, "the resumed run ended before a new checkpoint");
    second.kill("SIGINT");
    const r2 = await finish(second);
    assert.equal(r2.code, 130, r2.stderr);
    assert.match(r2.stderr, /SIGINT: training stopped at \d+ steps; saved the final model/);
    assert.match(r2.stderr, /--resume .* --timesteps 32768/);
    assert.ok(!/\n\s+at /.test(r2.stderr), r2.stderr);
    assert.ok(!r2.stderr.includes(BANNER), r2.stderr);
    const m2 = JSON.parse(Deno.readTextFileSync(`${run}/manifest.json`));
    assert.equal(m2.status, "interrupted");
    assert.ok(m2.timesteps > c1 && m2.timesteps < TOTAL, `stopped at ${m2.timesteps}`);
    assert.ok(checkpoints(run).includes(m2.timesteps), "a checkpoint at the stop step");
    const finalState = JSON.parse(Deno.readTextFileSync(`${run}/state.json`));
    assert.equal(finalState.timesteps, m2.timesteps, "the final model at the run root");
    assert.equal(updateSteps(run).at(-1), m2.timesteps, "the last logged update is the stop");

    // 3. resume to the end
    const third = train(["--resume", run, "--timesteps", String(TOTAL), "--no-progress"]);
    const r3 = await finish(third);
    assert.equal(r3.code, 0, r3.stderr);
    assert.ok(!r3.stderr.includes(BANNER), r3.stderr);
    const m3 = JSON.parse(Deno.readTextFileSync(`${run}/manifest.json`));
    assert.equal(m3.status, "completed");
    assert.equal(m3.timesteps, TOTAL);

    // metrics.jsonl: each update once, in order, 256 steps apart, up to the budget
    const steps = updateSteps(run);
    assert.deepEqual(steps, Array.from({ length: TOTAL / 256 }, (_, i) => 256 * (i + 1)));

    // TensorBoard: 3 files (one per process); every (tag, step) once; steps increase in file order
    const files = eventSteps(run);
    assert.equal(files.length, 3, files.map((f) => f.file).join(", "));
    const seen = new Set<string>();
    const lastStep = new Map<string, number>();
    for (const f of files) {
      for (const [tag, step] of f.steps) {
        const key = `${tag}@${step}`;
        assert.ok(!seen.has(key), `${key} appears twice (${f.file})`);
        seen.add(key);
        assert.ok(step > (lastStep.get(tag) ?? -1), `${tag} goes back to ${step} in ${f.file}`);
        lastStep.set(tag, step);
      }
    }
    const trainTag = [...lastStep.keys()].find((t) => t.startsWith("train/"))!;
    assert.equal(lastStep.get(trainTag), TOTAL);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
});
