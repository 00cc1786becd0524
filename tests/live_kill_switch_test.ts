import assert from "node:assert/strict";
import {
  Journal,
  KillSwitchMonitor,
  killSwitchPath,
  readKillSwitch,
  resetKillSwitch,
  setKillSwitch,
} from "../lib/live/mod.ts";

const CLI = new URL("../cli/paper_kill.ts", import.meta.url).pathname;

async function paperKill(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

Deno.test("kill switch: paper:kill sets it, it survives a restart, --reset clears it, all journaled", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kill_test_" });
  const path = `${dir}/journal.sqlite`;
  Journal.open(path).close(); // a loop's journal exists

  const set = await paperKill(["--journal", path, "--reason", "runaway losses"]);
  assert.equal(set.code, 0, set.err);
  const printed = JSON.parse(set.out);
  assert.equal(printed.set.reason, "runaway losses");
  assert.equal(printed.journaled, true);
  const file = JSON.parse(await Deno.readTextFile(killSwitchPath(path)));
  assert.equal(file.reason, "runaway losses");
  assert.equal(file.source, "cli");

  // The loop sees it and journals it once; a restarted loop (new monitor) sees it again.
  let j = Journal.open(path);
  const m = new KillSwitchMonitor(j);
  assert.equal(m.check(100)?.reason, "runaway losses");
  assert.equal(m.check(200)?.reason, "runaway losses");
  j.close();
  j = Journal.open(path);
  assert.ok(new KillSwitchMonitor(j).check(300));
  assert.deepEqual(
    j.since("kill_switch_events", 0).rows.map((r) => [r.action, r.source]),
    [["set", "cli"], ["observed", "cli"], ["observed", "cli"]],
  );
  j.close();

  const status = await paperKill(["--journal", path, "--status"]);
  assert.equal(JSON.parse(status.out).set.reason, "runaway losses");

  const reset = await paperKill(["--journal", path, "--reset"]);
  assert.equal(reset.code, 0, reset.err);
  assert.equal(JSON.parse(reset.out).reset, true);
  assert.equal(readKillSwitch(path), null);
  j = Journal.open(path);
  assert.equal(j.riskState().killSwitch?.action, "reset");
  assert.equal(new KillSwitchMonitor(j).check(400), null);
  j.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("kill switch: a hand-made (touch) or garbled kill file counts as set (fail closed)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kill_test_" });
  const path = `${dir}/journal.sqlite`;
  await Deno.writeTextFile(killSwitchPath(path), "");
  assert.equal(readKillSwitch(path)?.source, "file");
  await Deno.writeTextFile(killSwitchPath(path), "{not json");
  assert.match(readKillSwitch(path)!.reason, /not JSON/);
  // Without a journal nothing is journaled, and nothing is created.
  assert.equal(resetKillSwitch(path).journaled, false);
  assert.equal(setKillSwitch(path, { nowMs: 5 }).journaled, false);
  await assert.rejects(() => Deno.stat(path));
  assert.equal(readKillSwitch(path)?.setAtMs, 5);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("kill switch: paper:kill rejects bad flags with a one-line error, no stack trace", async () => {
  const none = await paperKill([]);
  assert.equal(none.code, 2);
  assert.match(none.err, /exactly one of --journal and --run/);
  const bad = await paperKill(["--journal", "x", "--frobnicate"]);
  assert.equal(bad.code, 2);
  assert.doesNotMatch(bad.err, /at .*\.ts:\d+/);
  const missing = await paperKill(["--run", "/nonexistent/run"]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /does not exist/);
});
