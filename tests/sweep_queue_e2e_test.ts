/**
 * Distributed sweep on a real Redis: a `redis-server` on loopback (a free port, no
 * persistence), two `deno task worker` processes without a shared folder (run folders come
 * back zipped in the job results), a 4-cell grid submitted with `deno task sweep --queue`.
 * Once worker A is mid-cell it is killed with SIGKILL together with its train subprocess (a
 * lost machine). Checks: the submitter finishes with every cell completed; its stalled cell
 * was completed by worker B; every cell's result was written exactly once (the submitter's
 * `result_writes.jsonl` audit trail and the workers' BullMQ `completed` events both count one
 * per cell); the unpacked run folders are complete and their metrics equal the job results'.
 *
 * A second test covers the shared-folder mode (`--models`: nothing packed, run folders stay in
 * the shared folder), `--detach` then collecting, and a re-submit that trains and writes
 * nothing again.
 *
 * Skips (with a message) when /usr/bin/redis-server is missing (`.ci/run` installs it).
 * What it cannot catch: network partitions and Redis failover (a single local Redis), and a
 * worker that hangs without dying (its lock keeps being renewed: BullMQ cannot tell).
 * Runtime ≈ 25–70 s.
 */
import assert from "node:assert/strict";
import { readSweepManifest } from "../lib/experiment/sweep/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const REDIS = "/usr/bin/redis-server";

function haveRedis(): boolean {
  try {
    return Deno.statSync(REDIS).isFile;
  } catch {
    return false;
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Every descendant pid of `pid` (from /proc), deepest last. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e.name));
      children.set(ppid, list);
    } catch { /* exited */ }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** A child process whose stdout lines are collected as they arrive. */
function spawnLogged(
  args: string[],
): { child: Deno.ChildProcess; lines: string[]; done: Promise<void> } {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines: string[] = [];
  const read = async (s: ReadableStream<Uint8Array>) => {
    let buf = "";
    const decoder = new TextDecoder();
    for await (const bytes of s) {
      buf += decoder.decode(bytes, { stream: true });
      const parts = buf.split("\n");
      buf = parts.pop()!;
      lines.push(...parts);
    }
    if (buf) lines.push(buf);
  };
  const done = Promise.all([read(child.stdout), read(child.stderr)]).then(() => {});
  return { child, lines, done };
}

async function waitFor(
  cond: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A redis-server on loopback on a free port, no persistence. */
async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = freePort();
  const proc = new Deno.Command(REDIS, {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitFor(
    async () => {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return true;
      } catch {
        return false;
      }
    },
    10_000,
    "redis-server",
  );
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.status;
    },
  };
}

/** SIGKILL a process and its descendants (deepest first) and wait for it. */
async function killTree(p: Deno.ChildProcess): Promise<void> {
  for (const pid of descendants(p.pid).reverse()) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  try {
    p.kill("SIGKILL");
  } catch { /* gone */ }
  await p.status.catch(() => {});
}

Deno.test({
  name:
    "sweep queue: 2 workers on a real Redis, one SIGKILLed mid-cell; every cell completes exactly once",
  ignore: !haveRedis(),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sweep-queue-" });
    const port = freePort();
    const url = `redis://127.0.0.1:${port}`;
    const redis = new Deno.Command(REDIS, {
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const procs: Deno.ChildProcess[] = [];
    try {
      await waitFor(
        async () => {
          try {
            (await Deno.connect({ hostname: "127.0.0.1", port })).close();
            return true;
          } catch {
            return false;
          }
        },
        10_000,
        "redis-server",
      );
      const worker = (name: string) =>
        spawnLogged([
          "task",
          "worker",
          "--queue",
          url,
          "--concurrency",
          "1",
          "--lock-ms",
          "2000",
          "--stalled-ms",
          "500",
          "--scratch",
          `${dir}/scratch-${name}`,
        ]);
      const a = worker("a");
      const b = worker("b");
      procs.push(a.child, b.child);
      await waitFor(
        () => a.lines.some((l) => l.includes("ready")) && b.lines.some((l) => l.includes("ready")),
        60_000,
        "workers ready",
      );
      const sweepDir = `${dir}/sw`;
      const submit = spawnLogged([
        "task",
        "sweep",
        "--grid",
        "seed=0,1",
        "--grid",
        "agent=ppo,a2c",
        ...[
          "timesteps=6144",
          "bars=3000",
          "signals=none",
          "eval-freq=0",
          "checkpoint-freq=0",
          "n-steps=256",
          "episode-length=256",
        ]
          .flatMap((s) => ["--set", s]),
        "--queue",
        url,
        "--out",
        sweepDir,
      ]);
      procs.push(submit.child);
      // kill worker A (and its train subprocess) once it is mid-cell
      await waitFor(
        () => a.lines.some((l) => / start /.test(l)),
        90_000,
        "worker A starting a cell",
      );
      const killedCell = a.lines.find((l) => / start /.test(l))!.split(" start ")[1].split(" ")[0];
      // kill as soon as its train subprocess exists (mid-cell however fast the machine is)
      const isTrain = (pid: number) => {
        try {
          return Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes("cli/train.ts");
        } catch {
          return false;
        }
      };
      await waitFor(
        () => descendants(a.child.pid).some(isTrain),
        30_000,
        "worker A's train process",
      );
      const tree = [a.child.pid, ...descendants(a.child.pid)];
      assert.ok(!a.lines.some((l) => l.includes(`completed ${killedCell}`)), "still mid-cell");
      for (const pid of tree) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      await a.child.status;
      const st = await submit.child.status;
      await submit.done;
      assert.equal(st.code, 0, submit.lines.join("\n"));
      const m = (await readSweepManifest(sweepDir))!;
      assert.equal(m.status, "completed");
      assert.equal(m.cells.length, 4);
      assert.ok(m.cells.every((c) => c.status === "completed"));
      // exactly once: one result write per cell; one BullMQ completion per cell across workers
      const writes = (await Deno.readTextFile(`${sweepDir}/result_writes.jsonl`)).trim().split("\n")
        .map((l) => JSON.parse(l).cellId);
      assert.deepEqual([...writes].sort(), m.cells.map((c) => c.id).sort());
      const completions = [...a.lines, ...b.lines].filter((l) => / completed /.test(l)).map((l) =>
        l.split(" completed ")[1].split(" ")[0]
      );
      assert.deepEqual([...completions].sort(), m.cells.map((c) => c.id).sort());
      // the killed worker's cell was taken over by worker B
      assert.ok(b.lines.some((l) => l.includes(`completed ${killedCell}`)), b.lines.join("\n"));
      const killedResult = JSON.parse(
        await Deno.readTextFile(`${sweepDir}/results/${killedCell}.json`),
      );
      assert.ok(killedResult.stalledCounter >= 1, `stalled once: ${JSON.stringify(killedResult)}`);
      // unpacked run folders are complete and match the job results
      for (const c of m.cells) {
        const man = JSON.parse(await Deno.readTextFile(`${c.runDir}/manifest.json`));
        assert.equal(man.status, "completed");
        const res = JSON.parse(await Deno.readTextFile(`${sweepDir}/results/${c.id}.json`));
        assert.equal(
          res.summary.metrics["validation.random.sharpe"],
          man.extra.validation.random.sharpe,
        );
        assert.ok(res.artifacts.bytes > 0);
      }
      console.log(
        `redis sweep: ${m.cells.length} cells, killed ${killedCell} on worker A; ${
          m.cells.map((c) => `${c.id}:${c.worker}:${c.seconds?.toFixed(1)}s`).join(" ")
        }`,
      );
    } finally {
      for (const p of procs) {
        for (const pid of descendants(p.pid)) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch { /* gone */ }
        }
        try {
          p.kill("SIGKILL");
        } catch { /* gone */ }
        await p.status.catch(() => {});
      }
      redis.kill("SIGTERM");
      await redis.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

if (!haveRedis()) {
  console.log(`sweep_queue_e2e_test: skipped (${REDIS} missing; .ci/run installs redis-server)`);
}

Deno.test({
  name:
    "sweep queue: shared --models folder (no packing), --detach then collect, re-submit adds nothing",
  ignore: !haveRedis(),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sweep-shared-" });
    const redis = await startRedis();
    const procs: Deno.ChildProcess[] = [];
    try {
      const shared = `${dir}/shared`;
      const w = spawnLogged([
        "task",
        "worker",
        "--queue",
        redis.url,
        "--models",
        shared,
        "--concurrency",
        "2",
      ]);
      procs.push(w.child);
      await waitFor(() => w.lines.some((l) => l.includes("ready")), 60_000, "worker ready");
      const sweepDir = `${dir}/sw`;
      const args = [
        "run",
        "-A",
        `${ROOT}cli/sweep.ts`,
        "--grid",
        "seed=0,1",
        ...[
          "timesteps=1024",
          "bars=3000",
          "signals=none",
          "eval-freq=0",
          "checkpoint-freq=0",
          "n-steps=256",
          "episode-length=256",
        ]
          .flatMap((x) => ["--set", x]),
        "--queue",
        redis.url,
        "--out",
        sweepDir,
      ];
      const run = async (extra: string[]) => {
        const o = await new Deno.Command(Deno.execPath(), {
          args: [...args, ...extra],
          cwd: ROOT,
          stdout: "piped",
          stderr: "piped",
        })
          .output();
        return {
          code: o.code,
          out: new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr),
        };
      };
      const detached = await run(["--detach"]);
      assert.equal(detached.code, 0, detached.out);
      const m0 = (await readSweepManifest(sweepDir))!;
      assert.equal(m0.status, "running");
      const collected = await run([]);
      assert.equal(collected.code, 0, collected.out);
      const m = (await readSweepManifest(sweepDir))!;
      assert.equal(m.status, "completed");
      for (const c of m.cells) {
        assert.equal(c.runDir, `${shared}/${c.id}`, "the run stays in the shared folder");
        const res = JSON.parse(await Deno.readTextFile(`${sweepDir}/results/${c.id}.json`));
        assert.equal(res.artifacts, null, "nothing packed");
        assert.equal(
          JSON.parse(await Deno.readTextFile(`${c.runDir}/manifest.json`)).status,
          "completed",
        );
      }
      assert.throws(
        () => Deno.statSync(`${sweepDir}/runs/${m.cells[0].id}`),
        "not copied into the sweep folder",
      );
      const writes = () =>
        Deno.readTextFileSync(`${sweepDir}/result_writes.jsonl`).trim().split("\n").length;
      assert.equal(writes(), 2);
      const again = await run([]);
      assert.equal(again.code, 0, again.out);
      assert.equal(writes(), 2, "a re-submitted sweep writes no result twice");
      assert.equal(
        w.lines.filter((l) => / completed /.test(l)).length,
        2,
        "and trains nothing again",
      );
    } finally {
      for (const p of procs) await killTree(p);
      await redis.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
