/**
 * TensorBoard event-file writer (scalars), with no TensorFlow dependency.
 *
 * File format, as TensorFlow writes it so `tensorboard --logdir models/` reads it:
 * - file name `events.out.tfevents.<unix seconds>.<host>` (plus an optional suffix);
 * - a sequence of TFRecords: `uint64 length (LE)`, `uint32 masked CRC32C(length bytes)`,
 *   `payload`, `uint32 masked CRC32C(payload)`, where
 *   masked(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8 (mod 2³²) and CRC32C is the Castagnoli
 *   CRC (reflected polynomial 0x82F63B78, RFC 3720);
 * - each payload an `Event` protobuf, encoded by hand: `wall_time` (double, field 1, seconds),
 *   `step` (int64, field 2), `file_version` (string, field 3: `"brain.Event:2"`, first record
 *   only) or `summary` (field 5) holding `Summary.Value { tag = 1 (string),
 *   simple_value = 2 (float32) }` entries.
 *
 * Records are appended with synchronous writes, one `write` per record batch. A process
 * killed mid-write can leave a truncated final record, which TensorBoard's reader skips (it
 * stops at the first incomplete record); earlier records stay intact.
 *
 * @module
 */
import { ModelError, writeFileAtomic } from "../util/mod.ts";

// ------------------------------------------------------------------- CRC32C

const CRC32C_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC32C (Castagnoli) of `bytes`, as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 bits and add 0xa282ead8 (mod 2³²). */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Frame one payload as a TFRecord (length, masked CRC of length, payload, masked CRC). */
export function tfRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + payload.length + 4);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(payload.length), true);
  dv.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(payload, 12);
  dv.setUint32(12 + payload.length, maskedCrc32c(payload), true);
  return out;
}

// ------------------------------------------------------------------- protobuf encoding

class ProtoWriter {
  #buf: number[] = [];

  varint(v: number): this {
    if (!(v >= 0) || !Number.isSafeInteger(v)) {
      throw new RangeError(`varint needs a non-negative safe integer, got ${v}`);
    }
    while (v >= 128) {
      this.#buf.push((v % 128) | 128);
      v = Math.floor(v / 128);
    }
    this.#buf.push(v);
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  double(field: number, v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.tag(field, 1);
    for (const x of b) this.#buf.push(x);
    return this;
  }

  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, 5);
    for (const x of b) this.#buf.push(x);
    return this;
  }

  int64(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.#buf.push(x);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#buf);
  }
}

/** Encode an `Event{wall_time, step, file_version}` (the first record of every file). */
export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).int64(2, 0).string(3, "brain.Event:2").finish();
}

/**
 * Encode an `Event{wall_time, step, summary{value[]{tag, simple_value}}}`.
 *
 * @param scalars tag → value (stored as float32, as TensorBoard does).
 * @param step global step (environment steps), a non-negative integer.
 * @param wallTime seconds since the Unix epoch.
 */
export function encodeScalarEvent(
  scalars: Record<string, number>,
  step: number,
  wallTime: number,
): Uint8Array {
  const summary = new ProtoWriter();
  for (const [tag, value] of Object.entries(scalars)) {
    const v = new ProtoWriter().string(1, tag).float(2, value).finish();
    summary.bytes(1, v);
  }
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytes(5, summary.finish()).finish();
}

// ------------------------------------------------------------------- writer

/** Options of {@link TensorBoardWriter.create}. */
export interface TensorBoardWriterOptions {
  /** Host name in the file name. Default: `Deno.hostname()`, else `"localhost"`. */
  host?: string;
  /** Unix time in seconds used for the file name and first record. Default: now. */
  wallTime?: number;
  /** Clock for record wall times (seconds). Default `Date.now() / 1000`. */
  clock?: () => number;
}

function defaultHost(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/** Appends scalar summaries to one TensorBoard event file. */
export class TensorBoardWriter {
  /** Full path of the event file. */
  readonly path: string;
  #file: Deno.FsFile | null;
  readonly #clock: () => number;

  private constructor(path: string, file: Deno.FsFile, clock: () => number) {
    this.path = path;
    this.#file = file;
    this.#clock = clock;
  }

  /**
   * Create `logDir` (recursively) and a new event file in it, starting with the
   * `file_version` record.
   */
  static create(logDir: string, options: TensorBoardWriterOptions = {}): TensorBoardWriter {
    const clock = options.clock ?? (() => Date.now() / 1000);
    const wall = options.wallTime ?? clock();
    const host = (options.host ?? defaultHost()).replace(/[/\\]/g, "_");
    Deno.mkdirSync(logDir, { recursive: true });
    let path = `${logDir}/events.out.tfevents.${Math.floor(wall)}.${host}`;
    for (let i = 1; exists(path); i++) {
      path = `${logDir}/events.out.tfevents.${Math.floor(wall)}.${host}.${i}`;
    }
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { create: true, append: true });
    } catch (e) {
      throw new ModelError(`cannot create TensorBoard file: ${(e as Error).message}`, {
        file: path,
      });
    }
    const w = new TensorBoardWriter(path, file, clock);
    w.#write(tfRecord(encodeFileVersionEvent(wall)));
    return w;
  }

  #write(bytes: Uint8Array): void {
    if (!this.#file) throw new ModelError("TensorBoard writer is closed", { file: this.path });
    let off = 0;
    while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
  }

  /**
   * Append one event with several scalars at `step`. Non-finite values are skipped (they
   * would break TensorBoard's charts).
   */
  scalars(values: Record<string, number>, step: number): void {
    const finite: Record<string, number> = {};
    let any = false;
    for (const [k, v] of Object.entries(values)) {
      if (typeof v === "number" && Number.isFinite(v)) {
        finite[k] = v;
        any = true;
      }
    }
    if (!any) return;
    this.#write(tfRecord(encodeScalarEvent(finite, Math.max(0, Math.floor(step)), this.#clock())));
  }

  /** Append one scalar. */
  scalar(tag: string, value: number, step: number): void {
    this.scalars({ [tag]: value }, step);
  }

  /** Close the file (idempotent). */
  close(): void {
    if (this.#file) {
      this.#file.close();
      this.#file = null;
    }
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------- resume: one series per step

/** The `step` (field 2) of an encoded `Event`, or 0 when absent. */
function eventStep(payload: Uint8Array): number {
  let i = 0;
  const varint = (): number => {
    let r = 0;
    let mul = 1;
    for (;;) {
      const x = payload[i++];
      r += (x & 127) * mul;
      if (!(x & 128)) return r;
      mul *= 128;
    }
  };
  while (i < payload.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const v = varint();
      if (field === 2) return v;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) i += varint();
    else return 0;
  }
  return 0;
}

/** Result of {@link truncateEventFiles}. */
export interface TruncateEventsResult {
  /** Event files rewritten. */
  files: string[];
  /** Scalar events dropped (step above the limit, or a torn final record). */
  dropped: number;
}

/**
 * Drop every event with `step > maxStep` from the TensorBoard files in `logDir` (a torn final
 * record is dropped too), rewriting each affected file atomically. Used when a run resumes from
 * a checkpoint at `maxStep`: the resumed process writes a new file from there on, so across
 * the folder's files each step appears once and TensorBoard, which reads all of a folder's
 * event files as one run, draws one series (without this, steps past the checkpoint would be
 * drawn twice: once from the interrupted process, once from the resumed one).
 */
export async function truncateEventFiles(
  logDir: string,
  maxStep: number,
): Promise<TruncateEventsResult> {
  const out: TruncateEventsResult = { files: [], dropped: 0 };
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(logDir)];
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isFile || !e.name.startsWith("events.out.tfevents.")) continue;
    const path = `${logDir}/${e.name}`;
    const bytes = await Deno.readFile(path);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const kept: Uint8Array[] = [];
    let off = 0;
    let dropped = 0;
    while (off + 12 <= bytes.length) {
      const len = Number(dv.getBigUint64(off, true));
      const end = off + 12 + len + 4;
      if (end > bytes.length) break;
      const payload = bytes.subarray(off + 12, off + 12 + len);
      if (eventStep(payload) <= maxStep) kept.push(bytes.subarray(off, end));
      else dropped++;
      off = end;
    }
    if (off < bytes.length) dropped++; // torn tail
    if (dropped === 0) continue;
    const total = kept.reduce((n, k) => n + k.length, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const k of kept) {
      joined.set(k, at);
      at += k.length;
    }
    await writeFileAtomic(path, joined);
    out.files.push(path);
    out.dropped += dropped;
  }
  return out;
}
