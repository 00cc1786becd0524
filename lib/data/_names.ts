/**
 * Internal path helpers of lib/data (not re-exported).
 *
 * @module
 */

/** File name without folders (and without the zip archive part `archive.zip:`). */
export function baseName(p: string): string {
  const s = p.split(":").pop() ?? p;
  return s.split("/").pop() ?? s;
}
