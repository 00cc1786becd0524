/**
 * The fast engine's Float32 path: tanh MLPs, Adam and RMSprop on WebAssembly 128-bit SIMD
 * kernels (`kernels.wat`), with parameters, gradients, optimiser state and all scratch in one
 * WebAssembly memory per engine, laid out once at construction (no allocation per minibatch).
 *
 * Same interface and semantics as the Float64 JavaScript path (`mlp.ts`, `optim.ts`), which
 * stays the reference: the gradients of both are cross-checked in the tests. Float32 changes
 * the rounding (unit roundoff 6e-8; PyTorch, and so SB3, train in float32 too), and tanh is
 * a rational approximation with max abs error 3.3e-7.
 *
 * Rows are processed in chunks of `capacity` (256) rows: a forward pass over more rows runs
 * chunk by chunk; a backward pass over more rows than one chunk re-runs each chunk's forward
 * pass before its backward pass (gradients are sums over rows, so chunking only changes the
 * summation order).
 *
 * @module
 */
import { instantiateKernels, type WasmKernelExports } from "./wasm_kernels.ts";

/** Rows per chunk of the forward/backward passes. */
export const WASM_CHUNK_ROWS = 256;

/**
 * A bump allocator over one WebAssembly memory. All allocations happen before the first view
 * is taken (growing the memory would detach views); {@link view} seals the arena.
 */
export class WasmArena {
  readonly memory: WebAssembly.Memory;
  readonly kernels: WasmKernelExports;
  #top = 16;
  #sealed = false;

  constructor() {
    this.memory = new WebAssembly.Memory({ initial: 1 });
    this.kernels = instantiateKernels(this.memory);
  }

  /** Reserve `floats` float32 values (16-byte aligned, plus 4 values of slack for SIMD tails). */
  alloc(floats: number): number {
    if (this.#sealed) throw new Error("internal: WasmArena.alloc after the first view");
    const ptr = this.#top;
    this.#top += Math.ceil((floats + 4) / 4) * 16;
    const need = Math.ceil(this.#top / 65536) - this.memory.buffer.byteLength / 65536;
    if (need > 0) this.memory.grow(need);
    return ptr;
  }

  /** A Float32Array view of `length` values at byte address `ptr`. */
  view(ptr: number, length: number): Float32Array {
    this.#sealed = true;
    return new Float32Array(this.memory.buffer, ptr, length);
  }
}

/** One dense layer: byte addresses of its kernel `[in, out]`, bias and their gradients. */
export interface WasmDenseLayer {
  inSize: number;
  outSize: number;
  w: number;
  b: number;
  gw: number;
  gb: number;
}

interface LayerScratch {
  /** Layer output (after tanh for hidden layers), `capacity × outSize`. */
  act: number;
  /** dLoss/d(pre-activation), `capacity × outSize`. */
  delta: number;
  /** Kernel transposed, `outSize × inSize` (for the input gradient). */
  wT: number;
}

/** tanh hidden layers, linear last layer, on the SIMD kernels. */
export class WasmMlp {
  readonly layers: WasmDenseLayer[];
  readonly outSize: number;
  readonly #arena: WasmArena;
  readonly #k: WasmKernelExports;
  readonly #inSize: number;
  readonly #x: number;
  readonly #scratch: LayerScratch[];
  #xView: Float32Array | null = null;
  #outView: Float32Array | null = null;
  #dOutView: Float32Array | null = null;
  /** Views of each layer's delta buffer (zeroed before the input-gradient product). */
  #deltaViews: Float32Array[] = [];
  /** Compact float64 output of the last forward pass, `batch × outSize`. */
  #out = new Float64Array(0);
  /** The input and row count of the last forward pass (its activations are kept if ≤ 1 chunk). */
  #lastX: Float64Array | null = null;
  #lastBatch = 0;

  /** @param arena the engine's memory; the layers' parameters already live in it. */
  constructor(arena: WasmArena, layers: WasmDenseLayer[]) {
    this.#arena = arena;
    this.#k = arena.kernels;
    this.layers = layers;
    this.#inSize = layers[0].inSize;
    this.outSize = layers[layers.length - 1].outSize;
    this.#x = arena.alloc(WASM_CHUNK_ROWS * this.#inSize);
    this.#scratch = layers.map((l) => ({
      act: arena.alloc(WASM_CHUNK_ROWS * l.outSize),
      delta: arena.alloc(WASM_CHUNK_ROWS * l.outSize),
      wT: arena.alloc(l.outSize * l.inSize),
    }));
  }

  #views(): void {
    if (this.#xView) return;
    const last = this.#scratch[this.#scratch.length - 1];
    this.#xView = this.#arena.view(this.#x, WASM_CHUNK_ROWS * this.#inSize);
    this.#outView = this.#arena.view(last.act, WASM_CHUNK_ROWS * this.outSize);
    this.#dOutView = this.#arena.view(last.delta, WASM_CHUNK_ROWS * this.outSize);
    this.#deltaViews = this.#scratch.map((s, l) =>
      this.#arena.view(s.delta, WASM_CHUNK_ROWS * this.layers[l].outSize)
    );
  }

  /** Forward pass of `rows` rows of `x` starting at row `start` (one chunk). */
  #forwardChunk(x: Float64Array, start: number, rows: number): void {
    const k = this.#k;
    const n = this.layers.length;
    const xv = this.#xView!;
    const off = start * this.#inSize;
    const len = rows * this.#inSize;
    for (let i = 0; i < len; i++) xv[i] = x[off + i]; // (a loop: subarray would allocate)
    let input = this.#x;
    for (let l = 0; l < n; l++) {
      const { inSize, outSize, w, b } = this.layers[l];
      const act = this.#scratch[l].act;
      k.fill_rows(act, rows, b, outSize);
      k.gemm(input, inSize, 1, w, outSize, act, outSize, rows, inSize, outSize);
      if (l < n - 1) k.tanh_inplace(act, rows * outSize);
      input = act;
    }
  }

  /**
   * Forward pass on `batch` rows of `x` (`batch × in`, float64, rounded to float32). Returns
   * the output (`batch × outSize`, float64, owned by the MLP, overwritten by the next call).
   */
  forward(x: Float64Array, batch: number): Float64Array {
    this.#views();
    const out = this.outSize;
    if (this.#out.length < batch * out) this.#out = new Float64Array(batch * out);
    for (let start = 0; start < batch; start += WASM_CHUNK_ROWS) {
      const rows = Math.min(WASM_CHUNK_ROWS, batch - start);
      this.#forwardChunk(x, start, rows);
      const o = this.#out;
      const ov = this.#outView!;
      const off = start * out;
      for (let i = 0; i < rows * out; i++) o[off + i] = ov[i];
    }
    this.#lastX = x;
    this.#lastBatch = batch;
    return this.#out;
  }

  /** Backward pass of one chunk whose forward pass is the last one run. */
  #backwardChunk(dOut: Float64Array, start: number, rows: number): void {
    const k = this.#k;
    const n = this.layers.length;
    const out = this.outSize;
    const dv = this.#dOutView!;
    const off = start * out;
    for (let i = 0; i < rows * out; i++) dv[i] = dOut[off + i];
    for (let l = n - 1; l >= 0; l--) {
      const { inSize, outSize, w, gw, gb } = this.layers[l];
      const { delta, wT } = this.#scratch[l];
      const input = l === 0 ? this.#x : this.#scratch[l - 1].act;
      k.col_sum_acc(delta, rows, outSize, gb);
      // gW[i, j] += Σ_r input[r, i] · delta[r, j]   (A = inputᵀ)
      k.gemm(input, 1, inSize, delta, outSize, gw, outSize, inSize, rows, outSize);
      if (l > 0) {
        // delta_prev[r, i] = (Σ_j delta[r, j] · W[i, j]) · (1 − h[r, i]²)
        const prev = this.#scratch[l - 1];
        k.transpose(w, inSize, outSize, wT);
        this.#deltaViews[l - 1].fill(0, 0, rows * inSize);
        k.gemm(delta, outSize, 1, wT, inSize, prev.delta, inSize, rows, outSize, inSize);
        k.tanh_backward(prev.delta, prev.act, rows * inSize);
      }
    }
  }

  /**
   * Backward pass after {@link forward} on the same `x` and `batch`: accumulates (adds) the
   * kernel and bias gradients given `dOut` = dLoss/dOutput (`batch × outSize`).
   */
  backward(x: Float64Array, batch: number, dOut: Float64Array): void {
    this.#views();
    if (batch <= WASM_CHUNK_ROWS && this.#lastX === x && this.#lastBatch === batch) {
      this.#backwardChunk(dOut, 0, batch);
      return;
    }
    for (let start = 0; start < batch; start += WASM_CHUNK_ROWS) {
      const rows = Math.min(WASM_CHUNK_ROWS, batch - start);
      this.#forwardChunk(x, start, rows);
      this.#backwardChunk(dOut, start, rows);
    }
  }
}

/** The optimiser of the Float32 path (torch semantics as `optim.ts`), on the kernels. */
export class WasmOptimizer {
  readonly kind: "adam" | "rmsprop";
  step = 0;
  readonly #k: WasmKernelExports;
  readonly #size: number;
  readonly #state: Record<string, number>;
  readonly #views: Record<string, Float32Array> = {};
  readonly #arena: WasmArena;

  /**
   * @param arena the engine's memory (the state buffers are allocated in it).
   * @param size number of parameters.
   */
  constructor(
    arena: WasmArena,
    size: number,
    readonly config:
      | { kind: "adam"; eps: number; beta1?: number; beta2?: number }
      | { kind: "rmsprop"; alpha: number; eps: number },
  ) {
    this.kind = config.kind;
    this.#arena = arena;
    this.#k = arena.kernels;
    this.#size = size;
    this.#state = config.kind === "adam"
      ? { m: arena.alloc(size), v: arena.alloc(size) }
      : { square_avg: arena.alloc(size) };
  }

  /**
   * One step on parameters `p` with gradients `g` (byte addresses) scaled by `gradScale`
   * (the global-norm clip coefficient, 1 = none) and learning rate `lr`.
   */
  apply(p: number, g: number, lr: number, gradScale: number): void {
    this.step++;
    const c = this.config;
    if (c.kind === "adam") {
      const b1 = c.beta1 ?? 0.9;
      const b2 = c.beta2 ?? 0.999;
      const bc1 = 1 - Math.pow(b1, this.step);
      const sqrtBc2 = Math.sqrt(1 - Math.pow(b2, this.step));
      this.#k.adam(
        p,
        g,
        this.#state.m,
        this.#state.v,
        this.#size,
        b1,
        b2,
        lr / bc1,
        sqrtBc2,
        c.eps,
        gradScale,
      );
    } else {
      this.#k.rmsprop(p, g, this.#state.square_avg, this.#size, c.alpha, lr, c.eps, gradScale);
    }
  }

  /** State buffers by short name (`m`, `v` for Adam; `square_avg` for RMSprop). */
  buffers(): Record<string, Float32Array> {
    for (const [name, ptr] of Object.entries(this.#state)) {
      this.#views[name] ??= this.#arena.view(ptr, this.#size);
    }
    return this.#views;
  }
}
