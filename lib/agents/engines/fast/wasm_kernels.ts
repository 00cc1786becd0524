/**
 * Loads the Float32 WebAssembly SIMD kernels of the fast engine (`kernels.wat`): read the
 * readable text source next to this file and assemble it with the pinned npm `wabt` at first
 * load (≈ 0.1 s, once per process; no binary is committed or cached). If anything is missing
 * (no read permission for the source, no WebAssembly SIMD, the assembler fails to load), the
 * kernels are unavailable, {@link wasmKernelsUnavailable} says why, and the fast engine uses
 * its Float64 JavaScript path.
 *
 * @module
 */

/** The exports of `kernels.wat` (pointers are byte addresses, counts in float32 elements). */
export interface WasmKernelExports {
  gemm(
    a: number,
    ars: number,
    acs: number,
    b: number,
    brs: number,
    c: number,
    crs: number,
    m: number,
    k: number,
    n: number,
  ): void;
  fill_rows(c: number, m: number, bias: number, n: number): void;
  tanh_inplace(p: number, n: number): void;
  tanh_backward(d: number, h: number, n: number): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  col_sum_acc(d: number, m: number, n: number, out: number): void;
  sum_squares(p: number, n: number): number;
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    b1: number,
    b2: number,
    step: number,
    sqrtBc2: number,
    eps: number,
    gradScale: number,
  ): void;
  rmsprop(
    p: number,
    g: number,
    s: number,
    n: number,
    alpha: number,
    lr: number,
    eps: number,
    gradScale: number,
  ): void;
}

const SOURCE = new URL("./kernels.wat", import.meta.url);

async function assemble(): Promise<{ module: WebAssembly.Module | null; reason: string | null }> {
  try {
    if (typeof WebAssembly?.validate !== "function") {
      return { module: null, reason: "no WebAssembly" };
    }
    const status = await Deno.permissions.query({ name: "read", path: SOURCE });
    if (status.state !== "granted") {
      return { module: null, reason: `no read permission for ${SOURCE.pathname}` };
    }
    const text = await Deno.readTextFile(SOURCE);
    const { default: initWabt } = await import("wabt");
    const wabt = await initWabt();
    const parsed = wabt.parseWat("kernels.wat", text, { simd: true, bulk_memory: true });
    try {
      const buffer = new Uint8Array(parsed.toBinary({}).buffer);
      if (!WebAssembly.validate(buffer)) {
        return { module: null, reason: "this runtime rejects the SIMD module" };
      }
      return { module: new WebAssembly.Module(buffer), reason: null };
    } finally {
      parsed.destroy();
    }
  } catch (e) {
    return { module: null, reason: `could not assemble kernels.wat: ${(e as Error).message}` };
  }
}

const assembled = await assemble();

/** The compiled kernel module, or null when unavailable (see {@link wasmKernelsUnavailable}). */
export const WASM_KERNELS: WebAssembly.Module | null = assembled.module;

/** Why the kernels are unavailable, or null when they loaded. */
export const wasmKernelsUnavailable: string | null = assembled.reason;

/** Instantiate the kernels over `memory` (one instance per engine, sharing the compiled module). */
export function instantiateKernels(memory: WebAssembly.Memory): WasmKernelExports {
  if (!WASM_KERNELS) {
    throw new Error(`WebAssembly kernels unavailable: ${wasmKernelsUnavailable}`);
  }
  const inst = new WebAssembly.Instance(WASM_KERNELS, { env: { memory } });
  return inst.exports as unknown as WasmKernelExports;
}
