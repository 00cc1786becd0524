import assert from "node:assert/strict";
import {
  crc32c,
  encodeScalarEvent,
  maskedCrc32c,
  TensorBoardWriter,
  tfRecord,
} from "../lib/experiment/tensorboard.ts";

Deno.test("crc32c: RFC 3720 B.4 test vectors", () => {
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  // the common check value of CRC-32C
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
});

Deno.test("maskedCrc32c: rotate right 15 and add 0xa282ead8", () => {
  const c = 0x8a9136aa;
  const rot = ((c >>> 15) | (c << 17)) >>> 0;
  assert.equal(maskedCrc32c(new Uint8Array(32)), (rot + 0xa282ead8) >>> 0);
});

// ------------------------------------------------------------------ an independent decoder

interface Record {
  payload: Uint8Array;
}

function readRecords(bytes: Uint8Array): Record[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record[] = [];
  let off = 0;
  while (off < bytes.length) {
    assert.ok(off + 12 <= bytes.length, "truncated header");
    const len = Number(dv.getBigUint64(off, true));
    assert.equal(
      dv.getUint32(off + 8, true),
      maskedCrc32c(bytes.subarray(off, off + 8)),
      "len crc",
    );
    const payload = bytes.subarray(off + 12, off + 12 + len);
    assert.equal(payload.length, len, "truncated payload");
    assert.equal(dv.getUint32(off + 12 + len, true), maskedCrc32c(payload), "payload crc");
    out.push({ payload });
    off += 12 + len + 4;
  }
  return out;
}

type Field = { field: number; wire: number; value: number | Uint8Array | bigint };

function decodeProto(b: Uint8Array): Field[] {
  const fields: Field[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 0;
  const varint = (): bigint => {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      const x = b[i++];
      r |= BigInt(x & 127) << shift;
      if (!(x & 128)) return r;
      shift += 7n;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ field, wire, value: varint() });
    else if (wire === 1) {
      fields.push({ field, wire, value: dv.getFloat64(i, true) });
      i += 8;
    } else if (wire === 5) {
      fields.push({ field, wire, value: dv.getFloat32(i, true) });
      i += 4;
    } else if (wire === 2) {
      const len = Number(varint());
      fields.push({ field, wire, value: b.subarray(i, i + len) });
      i += len;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return fields;
}

interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: Map<string, number>;
}

function decodeEvent(payload: Uint8Array): DecodedEvent {
  const ev: DecodedEvent = { wallTime: NaN, step: 0, scalars: new Map() };
  for (const f of decodeProto(payload)) {
    if (f.field === 1) ev.wallTime = f.value as number;
    else if (f.field === 2) ev.step = Number(f.value as bigint);
    else if (f.field === 3) ev.fileVersion = new TextDecoder().decode(f.value as Uint8Array);
    else if (f.field === 5) {
      for (const v of decodeProto(f.value as Uint8Array)) {
        assert.equal(v.field, 1);
        let tag = "";
        let val = NaN;
        for (const x of decodeProto(v.value as Uint8Array)) {
          if (x.field === 1) tag = new TextDecoder().decode(x.value as Uint8Array);
          if (x.field === 2) {
            assert.equal(x.wire, 5, "simple_value is a float");
            val = x.value as number;
          }
        }
        ev.scalars.set(tag, val);
      }
    } else throw new Error(`unexpected Event field ${f.field}`);
  }
  return ev;
}

Deno.test("tensorboard: an event file round-trips through an independent decoder", () => {
  const dir = Deno.makeTempDirSync();
  try {
    let t = 1_700_000_000.25;
    const w = TensorBoardWriter.create(`${dir}/tb`, {
      host: "testhost",
      wallTime: 1_700_000_000,
      clock: () => (t += 1),
    });
    assert.ok(w.path.endsWith("/events.out.tfevents.1700000000.testhost"));
    w.scalars({ "train/loss": 0.5, "train/entropy": 1.25, "bad": NaN }, 2048);
    w.scalar("eval/mean_return", -3.75, 3_000_000_000_000); // step beyond 2^32
    w.close();
    const recs = readRecords(Deno.readFileSync(w.path));
    assert.equal(recs.length, 3);
    const e0 = decodeEvent(recs[0].payload);
    assert.equal(e0.fileVersion, "brain.Event:2");
    assert.equal(e0.wallTime, 1_700_000_000);
    const e1 = decodeEvent(recs[1].payload);
    assert.equal(e1.step, 2048);
    assert.equal(e1.wallTime, 1_700_000_001.25);
    assert.deepEqual([...e1.scalars.entries()], [["train/loss", 0.5], ["train/entropy", 1.25]]);
    const e2 = decodeEvent(recs[2].payload);
    assert.equal(e2.step, 3_000_000_000_000);
    assert.equal(e2.scalars.get("eval/mean_return"), -3.75);
    // a second writer in the same second gets a distinct file
    const w2 = TensorBoardWriter.create(`${dir}/tb`, { host: "testhost", wallTime: 1_700_000_000 });
    w2.close();
    assert.notEqual(w2.path, w.path);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("tensorboard: a corrupted byte is detected by the record CRC", () => {
  const rec = tfRecord(encodeScalarEvent({ x: 1 }, 1, 1));
  rec[14] ^= 0x01;
  assert.throws(() => readRecords(rec), /payload crc/);
});

Deno.test("tensorboard: float32 rounding of simple_value", () => {
  const ev = decodeEvent(encodeScalarEvent({ v: 0.1 }, 7, 0));
  assert.equal(ev.scalars.get("v"), Math.fround(0.1));
  assert.equal(ev.step, 7);
});
