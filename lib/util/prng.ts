/**
 * The project's one source of randomness: a seeded xoshiro128** generator.
 *
 * `Math.random` never appears in `lib/`; every random draw (synthetic market, episode
 * starts, action sampling, minibatch shuffles, weight initialisation, bootstrap) comes from
 * an {@link Rng}. The same seed gives bit-identical streams on every platform because only
 * 32-bit integer arithmetic is used.
 *
 * @module
 */

/** Serialisable generator state (four 32-bit words plus the cached normal draw). */
export interface RngState {
  /** The four xoshiro128** state words, as unsigned 32-bit integers. */
  s: [number, number, number, number];
  /** A cached second Box-Muller normal, or `null`. */
  spareNormal: number | null;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Seeded pseudo-random generator (xoshiro128**, seeded through splitmix32). */
export class Rng {
  #a = 0;
  #b = 0;
  #c = 0;
  #d = 0;
  #spare: number | null = null;

  /**
   * @param seed any finite number; it is hashed (integer and fractional parts) into the state.
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) {
      throw new RangeError(`Rng seed must be a finite number, got ${seed}`);
    }
    const hi = Math.floor(seed / 4294967296);
    const sm = splitmix32((seed >>> 0) ^ Math.imul(hi | 0, 0x27d4eb2d));
    this.#a = sm();
    this.#b = sm();
    this.#c = sm();
    this.#d = sm();
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform double in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n) without modulo bias; `n` must be a positive integer ≤ 2^32. */
  int(n: number): number {
    if (!(n > 0) || !Number.isInteger(n) || n > 4294967296) {
      throw new RangeError(`Rng.int needs a positive integer ≤ 2^32, got ${n}`);
    }
    if (n === 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextUint32(); while (x >= limit);
    return x % n;
  }

  /** Standard normal draw (Box-Muller, the second value cached). */
  normal(): number {
    if (this.#spare !== null) {
      const s = this.#spare;
      this.#spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Student-t draw with `nu` degrees of freedom scaled to unit variance (nu > 2). */
  studentT(nu: number): number {
    // chi-square(nu) as a sum of squared normals is slow for large nu; use Gamma via Marsaglia-Tsang.
    const g = this.gamma(nu / 2) * 2;
    const t = this.normal() / Math.sqrt(g / nu);
    return t * Math.sqrt((nu - 2) / nu);
  }

  /** Gamma(shape, 1) draw (Marsaglia-Tsang); shape > 0. */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.next() || 1e-300, 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** Sample an index from unnormalised non-negative weights `p[offset .. offset+n)`. */
  categorical(p: ArrayLike<number>, n: number = p.length, offset = 0): number {
    let total = 0;
    for (let i = 0; i < n; i++) total += p[offset + i];
    let u = this.next() * total;
    for (let i = 0; i < n; i++) {
      u -= p[offset + i];
      if (u < 0) return i;
    }
    for (let i = n - 1; i >= 0; i--) if (p[offset + i] > 0) return i;
    return n - 1;
  }

  /** A new independent generator derived from this one's stream (advances this one). */
  fork(): Rng {
    const r = new Rng(0);
    r.setState({
      s: [this.nextUint32(), this.nextUint32(), this.nextUint32(), this.nextUint32() | 1],
      spareNormal: null,
    });
    return r;
  }

  /** Snapshot of the state, for checkpoints and env cloning. */
  getState(): RngState {
    return { s: [this.#a, this.#b, this.#c, this.#d], spareNormal: this.#spare };
  }

  /** Restore a state from {@link getState}. */
  setState(state: RngState): void {
    [this.#a, this.#b, this.#c, this.#d] = state.s.map((x) => x >>> 0) as [
      number,
      number,
      number,
      number,
    ];
    this.#spare = state.spareNormal;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
