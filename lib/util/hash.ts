/**
 * Content hashes for manifests and determinism tests.
 *
 * @module
 */

/** SHA-256 of bytes, as lowercase hex. */
export async function sha256Hex(data: Uint8Array | ArrayBuffer): Promise<string> {
  const buf = data instanceof Uint8Array ? data : new Uint8Array(data);
  const digest = await crypto.subtle.digest("SHA-256", buf as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** SHA-256 over the raw bytes of several typed arrays, in order. */
export async function hashArrays(arrays: ArrayLike<number>[] & ArrayBufferView[]): Promise<string> {
  let total = 0;
  for (const a of arrays) total += a.byteLength;
  const out = new Uint8Array(total);
  let o = 0;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o += a.byteLength;
  }
  return await sha256Hex(out);
}
