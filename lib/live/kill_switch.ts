/**
 * The kill switch of a trading loop: a file next to its journal, `<journal>.KILL`, holding
 * JSON `{ reason, setAtMs, source }`. Anyone who can write the folder can stop the loop (`deno
 * task paper:kill`, the dashboard, or `touch`), and the switch stays set across restarts until
 * it is reset (`deno task paper:kill --reset`). Setting and resetting are journaled when the
 * journal exists; the loop journals `observed` the first time it sees a given setting.
 *
 * Fail-closed: a kill file that exists but cannot be parsed (e.g. created with `touch`) counts
 * as SET, with a reason saying so.
 *
 * @module
 */
import { writeFileAtomicSync } from "../util/mod.ts";
import { ConfigError } from "../util/mod.ts";
import { Journal } from "./journal.ts";

/** The content of a set kill switch. */
export interface KillSwitchState {
  /** Why it was set (free text). */
  reason: string;
  /** When it was set, UTC epoch ms (NaN when the file could not be parsed). */
  setAtMs: number;
  /** Who set it: `cli`, `dashboard`, `loop`, `file` (unparseable/hand-made). */
  source: string;
}

/** Where a loop's journal lives by default: `<runDir>/paper/journal.sqlite`. */
export function defaultJournalPath(runDir: string): string {
  return `${runDir.replace(/\/+$/, "")}/paper/journal.sqlite`;
}

/** The kill file of a journal: `<journal>.KILL`. */
export function killSwitchPath(journalPath: string): string {
  return `${journalPath}.KILL`;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** The kill switch of the journal at `journalPath`, or null when it is not set. */
export function readKillSwitch(journalPath: string): KillSwitchState | null {
  const path = killSwitchPath(journalPath);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    return {
      reason: `kill file present but unreadable: ${(e as Error).message}`,
      setAtMs: NaN,
      source: "file",
    };
  }
  try {
    const v = JSON.parse(text) as Partial<KillSwitchState>;
    if (typeof v !== "object" || v === null) throw new Error("not an object");
    return {
      reason: typeof v.reason === "string" ? v.reason : "(no reason given)",
      setAtMs: typeof v.setAtMs === "number" ? v.setAtMs : NaN,
      source: typeof v.source === "string" ? v.source : "file",
    };
  } catch {
    const reason = text.trim()
      ? `kill file not JSON: ${text.trim().slice(0, 200)}`
      : "kill file present";
    return { reason, setAtMs: NaN, source: "file" };
  }
}

function journalEvent(
  journalPath: string,
  e: { tsMs: number; action: string; reason: string | null; source: string },
): boolean {
  if (!exists(journalPath)) return false;
  const j = Journal.open(journalPath);
  try {
    j.recordKillSwitchEvent(e);
  } finally {
    j.close();
  }
  return true;
}

/** Options of {@link setKillSwitch} and {@link resetKillSwitch}. */
export interface KillSwitchOptions {
  /** Why (free text). */
  reason?: string;
  /** Who: `cli`, `dashboard`, … Default `cli`. */
  source?: string;
  /** Time to record, UTC epoch ms. Default `Date.now()`. */
  nowMs?: number;
}

/**
 * Set the kill switch (atomic write) and journal it when the journal exists. Setting an
 * already-set switch rewrites it with the new reason. Returns what was written and whether it
 * was journaled.
 */
export function setKillSwitch(
  journalPath: string,
  options: KillSwitchOptions = {},
): { state: KillSwitchState; journaled: boolean } {
  const reason = options.reason?.trim() || "manual stop";
  const state: KillSwitchState = {
    reason,
    setAtMs: options.nowMs ?? Date.now(),
    source: options.source ?? "cli",
  };
  const dir = journalPath.includes("/") ? journalPath.slice(0, journalPath.lastIndexOf("/")) : ".";
  if (!exists(dir)) {
    throw new ConfigError(
      `folder ${dir} does not exist`,
      { file: journalPath },
      "check --journal / --run",
    );
  }
  writeFileAtomicSync(killSwitchPath(journalPath), JSON.stringify(state) + "\n");
  const journaled = journalEvent(journalPath, {
    tsMs: state.setAtMs,
    action: "set",
    reason,
    source: state.source,
  });
  return { state, journaled };
}

/**
 * Reset (remove) the kill switch and journal it. Returns the state that was cleared (null if
 * it was not set) and whether the reset was journaled.
 */
export function resetKillSwitch(
  journalPath: string,
  options: KillSwitchOptions = {},
): { cleared: KillSwitchState | null; journaled: boolean } {
  const cleared = readKillSwitch(journalPath);
  if (cleared === null) return { cleared, journaled: false };
  Deno.removeSync(killSwitchPath(journalPath));
  const journaled = journalEvent(journalPath, {
    tsMs: options.nowMs ?? Date.now(),
    action: "reset",
    reason: options.reason ?? null,
    source: options.source ?? "cli",
  });
  return { cleared, journaled };
}

/**
 * What the loop uses each bar: reads the kill file and journals `observed` the first time it
 * sees each setting (so a restart with the switch still set journals it again, once).
 */
export class KillSwitchMonitor {
  readonly #journal: Journal;
  #seen: string | null = null;

  /** Watch the kill file of `journal` (written to when the switch is first observed). */
  constructor(journal: Journal) {
    this.#journal = journal;
  }

  /** The current setting, or null; journals `observed` once per distinct setting. */
  check(nowMs: number): KillSwitchState | null {
    const s = readKillSwitch(this.#journal.path);
    if (s === null) {
      this.#seen = null;
      return null;
    }
    const key = `${s.setAtMs}|${s.reason}|${s.source}`;
    if (key !== this.#seen) {
      this.#seen = key;
      this.#journal.recordKillSwitchEvent({
        tsMs: nowMs,
        action: "observed",
        reason: s.reason,
        source: s.source,
      });
    }
    return s;
  }
}
