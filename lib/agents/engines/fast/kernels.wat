;; Float32 WebAssembly SIMD kernels of the fast engine's f32 path (see wasm_mlp.ts).
;;
;; Assembled at first load by the pinned npm `wabt` (wasm_kernels.ts); there is no committed
;; binary. Every pointer is a byte address into the imported memory, every count and stride
;; is in float32 elements. All matrices are row-major float32.
;;
;; The one heavy kernel is `gemm`, C += A·B with A addressed through two strides, so the same
;; code computes
;;   forward          Y  += X · W        (A = X, row stride = in, column stride 1)
;;   kernel gradient  gW += Hᵀ · Δ       (A = Hᵀ: row stride 1, column stride = in)
;;   input gradient   Δ' += Δ · Wᵀ       (B = Wᵀ, transposed once per step by `transpose`)
;; Its micro-kernel keeps a 4-row × 8-column block of C in eight 128-bit registers and streams
;; the K dimension: per step two vector loads of B, four splatted scalars of A, 8 mul + 8 add.
;; Column tails (N mod 8) run a 4-wide block, then a 4-wide block of which only the valid lanes
;; are stored, so C is written exactly within its M × N bounds (gradients of neighbouring
;; tensors are never touched; reads may run up to 3 values past a row: allocations have slack).
(module
  (memory (import "env" "memory") 1)

  ;; ---- store the first $count (1–3) lanes of $v at $addr.
  (func $store_lanes (param $addr i32) (param $v v128) (param $count i32)
    (f32.store (local.get $addr) (f32x4.extract_lane 0 (local.get $v)))
    (if (i32.ge_u (local.get $count) (i32.const 2))
      (then (f32.store offset=4 (local.get $addr) (f32x4.extract_lane 1 (local.get $v)))))
    (if (i32.ge_u (local.get $count) (i32.const 3))
      (then (f32.store offset=8 (local.get $addr) (f32x4.extract_lane 2 (local.get $v))))))

  ;; ---- one row of C: 4-wide vector blocks, then the 1–3 column tail.
  ;; $a: address of A[i, 0]; $acs, $brs in BYTES.
  (func $row (param $a i32) (param $acs i32) (param $b i32) (param $brs i32) (param $c i32)
    (param $K i32) (param $N i32)
    (local $j i32) (local $p i32) (local $pa i32) (local $pb i32) (local $acc v128)
    (block $done
      (loop $cols
        (br_if $done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $N)))
        (local.set $acc (v128.load (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $pa (local.get $a))
        (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $p (local.get $K))
        (block $kdone
          (loop $k
            (br_if $kdone (i32.eqz (local.get $p)))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul (v128.load32_splat (local.get $pa)) (v128.load (local.get $pb)))))
            (local.set $pa (i32.add (local.get $pa) (local.get $acs)))
            (local.set $pb (i32.add (local.get $pb) (local.get $brs)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $k)))
        (v128.store (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $cols)))
    ;; 1–3 remaining columns: one 4-wide block, valid lanes stored
    (if (i32.lt_u (local.get $j) (local.get $N))
      (then
        (local.set $acc (v128.load (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $pa (local.get $a))
        (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $p (local.get $K))
        (block $tdone
          (loop $t
            (br_if $tdone (i32.eqz (local.get $p)))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul (v128.load32_splat (local.get $pa)) (v128.load (local.get $pb)))))
            (local.set $pa (i32.add (local.get $pa) (local.get $acs)))
            (local.set $pb (i32.add (local.get $pb) (local.get $brs)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $t)))
        (call $store_lanes (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2)))
          (local.get $acc) (i32.sub (local.get $N) (local.get $j))))))

  ;; ---- C (M × N, row stride crs) += A (M × K, strides ars/acs) · B (K × N, row stride brs).
  (func (export "gemm") (param $A i32) (param $ars i32) (param $acs i32) (param $B i32)
    (param $brs i32) (param $C i32) (param $crs i32) (param $M i32) (param $K i32) (param $N i32)
    (local $i i32) (local $j i32) (local $p i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32)
    (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local $pa i32) (local $pb i32) (local $off i32)
    (local $x v128) (local $b0 v128) (local $b1 v128)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    ;; strides to bytes
    (local.set $ars (i32.shl (local.get $ars) (i32.const 2)))
    (local.set $acs (i32.shl (local.get $acs) (i32.const 2)))
    (local.set $brs (i32.shl (local.get $brs) (i32.const 2)))
    (local.set $crs (i32.shl (local.get $crs) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $M)))
        (local.set $a0 (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $ars))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $ars)))
        (local.set $a2 (i32.add (local.get $a1) (local.get $ars)))
        (local.set $a3 (i32.add (local.get $a2) (local.get $ars)))
        (local.set $c0 (i32.add (local.get $C) (i32.mul (local.get $i) (local.get $crs))))
        (local.set $c1 (i32.add (local.get $c0) (local.get $crs)))
        (local.set $c2 (i32.add (local.get $c1) (local.get $crs)))
        (local.set $c3 (i32.add (local.get $c2) (local.get $crs)))
        (local.set $j (i32.const 0))
        ;; 4 rows × 8 columns
        (block $c8_done
          (loop $c8
            (br_if $c8_done (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $N)))
            (local.set $off (i32.shl (local.get $j) (i32.const 2)))
            (local.set $s00 (v128.load (i32.add (local.get $c0) (local.get $off))))
            (local.set $s01 (v128.load offset=16 (i32.add (local.get $c0) (local.get $off))))
            (local.set $s10 (v128.load (i32.add (local.get $c1) (local.get $off))))
            (local.set $s11 (v128.load offset=16 (i32.add (local.get $c1) (local.get $off))))
            (local.set $s20 (v128.load (i32.add (local.get $c2) (local.get $off))))
            (local.set $s21 (v128.load offset=16 (i32.add (local.get $c2) (local.get $off))))
            (local.set $s30 (v128.load (i32.add (local.get $c3) (local.get $off))))
            (local.set $s31 (v128.load offset=16 (i32.add (local.get $c3) (local.get $off))))
            (local.set $pa (i32.const 0))
            (local.set $pb (i32.add (local.get $B) (local.get $off)))
            (local.set $p (local.get $K))
            (block $k_done
              (loop $k
                (br_if $k_done (i32.eqz (local.get $p)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $x (v128.load32_splat (i32.add (local.get $a0) (local.get $pa))))
                (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (v128.load32_splat (i32.add (local.get $a1) (local.get $pa))))
                (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (v128.load32_splat (i32.add (local.get $a2) (local.get $pa))))
                (local.set $s20 (f32x4.add (local.get $s20) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $s21 (f32x4.add (local.get $s21) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (v128.load32_splat (i32.add (local.get $a3) (local.get $pa))))
                (local.set $s30 (f32x4.add (local.get $s30) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $s31 (f32x4.add (local.get $s31) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $pa (i32.add (local.get $pa) (local.get $acs)))
                (local.set $pb (i32.add (local.get $pb) (local.get $brs)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $k)))
            (v128.store (i32.add (local.get $c0) (local.get $off)) (local.get $s00))
            (v128.store offset=16 (i32.add (local.get $c0) (local.get $off)) (local.get $s01))
            (v128.store (i32.add (local.get $c1) (local.get $off)) (local.get $s10))
            (v128.store offset=16 (i32.add (local.get $c1) (local.get $off)) (local.get $s11))
            (v128.store (i32.add (local.get $c2) (local.get $off)) (local.get $s20))
            (v128.store offset=16 (i32.add (local.get $c2) (local.get $off)) (local.get $s21))
            (v128.store (i32.add (local.get $c3) (local.get $off)) (local.get $s30))
            (v128.store offset=16 (i32.add (local.get $c3) (local.get $off)) (local.get $s31))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $c8)))
        ;; 4 rows × 4 columns
        (if (i32.le_u (i32.add (local.get $j) (i32.const 4)) (local.get $N))
          (then
            (local.set $off (i32.shl (local.get $j) (i32.const 2)))
            (local.set $s00 (v128.load (i32.add (local.get $c0) (local.get $off))))
            (local.set $s10 (v128.load (i32.add (local.get $c1) (local.get $off))))
            (local.set $s20 (v128.load (i32.add (local.get $c2) (local.get $off))))
            (local.set $s30 (v128.load (i32.add (local.get $c3) (local.get $off))))
            (local.set $pa (i32.const 0))
            (local.set $pb (i32.add (local.get $B) (local.get $off)))
            (local.set $p (local.get $K))
            (block $k4_done
              (loop $k4
                (br_if $k4_done (i32.eqz (local.get $p)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul
                  (v128.load32_splat (i32.add (local.get $a0) (local.get $pa))) (local.get $b0))))
                (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul
                  (v128.load32_splat (i32.add (local.get $a1) (local.get $pa))) (local.get $b0))))
                (local.set $s20 (f32x4.add (local.get $s20) (f32x4.mul
                  (v128.load32_splat (i32.add (local.get $a2) (local.get $pa))) (local.get $b0))))
                (local.set $s30 (f32x4.add (local.get $s30) (f32x4.mul
                  (v128.load32_splat (i32.add (local.get $a3) (local.get $pa))) (local.get $b0))))
                (local.set $pa (i32.add (local.get $pa) (local.get $acs)))
                (local.set $pb (i32.add (local.get $pb) (local.get $brs)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $k4)))
            (v128.store (i32.add (local.get $c0) (local.get $off)) (local.get $s00))
            (v128.store (i32.add (local.get $c1) (local.get $off)) (local.get $s10))
            (v128.store (i32.add (local.get $c2) (local.get $off)) (local.get $s20))
            (v128.store (i32.add (local.get $c3) (local.get $off)) (local.get $s30))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))))
        ;; column tail of the 4 rows (1–3 columns): 4-wide vectors whose extra lanes read the
        ;; next values in memory (allocations carry 4 values of slack) and are never stored
        (if (i32.lt_u (local.get $j) (local.get $N))
          (then
            (local.set $off (i32.shl (local.get $j) (i32.const 2)))
            (local.set $s00 (v128.load (i32.add (local.get $c0) (local.get $off))))
            (local.set $s10 (v128.load (i32.add (local.get $c1) (local.get $off))))
            (local.set $s20 (v128.load (i32.add (local.get $c2) (local.get $off))))
            (local.set $s30 (v128.load (i32.add (local.get $c3) (local.get $off))))
            (local.set $pa (i32.const 0))
            (local.set $pb (i32.add (local.get $B) (local.get $off)))
            (local.set $p (local.get $K))
            (block $kt_done
              (loop $kt
                (br_if $kt_done (i32.eqz (local.get $p)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul
                  (v128.load32_splat (i32.add (local.get $a0) (local.get $pa))) (local.get $b0))))
                (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul
                  (v128.load32_splat (i32.add (local.get $a1) (local.get $pa))) (local.get $b0))))
                (local.set $s20 (f32x4.add (local.get $s20) (f32x4.mul
                  (v128.load32_splat (i32.add (local.get $a2) (local.get $pa))) (local.get $b0))))
                (local.set $s30 (f32x4.add (local.get $s30) (f32x4.mul
                  (v128.load32_splat (i32.add (local.get $a3) (local.get $pa))) (local.get $b0))))
                (local.set $pa (i32.add (local.get $pa) (local.get $acs)))
                (local.set $pb (i32.add (local.get $pb) (local.get $brs)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $kt)))
            (local.set $p (i32.sub (local.get $N) (local.get $j)))
            (call $store_lanes (i32.add (local.get $c0) (local.get $off)) (local.get $s00) (local.get $p))
            (call $store_lanes (i32.add (local.get $c1) (local.get $off)) (local.get $s10) (local.get $p))
            (call $store_lanes (i32.add (local.get $c2) (local.get $off)) (local.get $s20) (local.get $p))
            (call $store_lanes (i32.add (local.get $c3) (local.get $off)) (local.get $s30) (local.get $p))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows)))
    ;; remaining rows one at a time
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $M)))
        (call $row
          (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $ars))) (local.get $acs)
          (local.get $B) (local.get $brs)
          (i32.add (local.get $C) (i32.mul (local.get $i) (local.get $crs)))
          (local.get $K) (local.get $N))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; ---- C[i, ·] = bias for every row i < M (C rows are N wide, contiguous).
  (func (export "fill_rows") (param $C i32) (param $M i32) (param $bias i32) (param $N i32)
    (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $N) (i32.const 2)))
    (block $done
      (loop $rows
        (br_if $done (i32.eqz (local.get $M)))
        (memory.copy (local.get $C) (local.get $bias) (local.get $bytes))
        (local.set $C (i32.add (local.get $C) (local.get $bytes)))
        (local.set $M (i32.sub (local.get $M) (i32.const 1)))
        (br $rows))))

  ;; ---- P[i] = tanh(P[i]) for i < ceil4(n) (the buffer has room for the rounding).
  ;; Eigen's float32 rational approximation of tanh (odd degree-13 numerator, even degree-6
  ;; denominator) on x clamped to ±7.9053111, beyond which tanh rounds to ±1 in float32; max
  ;; abs error 3.3e-7 against float64 tanh (checked in tests/agents_wasm_test.ts). Written
  ;; inline (a call per vector cost ~3× in V8).
  (func (export "tanh_inplace") (param $P i32) (param $n i32)
    (local $end i32) (local $xv v128) (local $x2 v128) (local $p v128) (local $q v128)
    (local.set $end (i32.add (local.get $P) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $P) (local.get $end)))
        (local.set $xv (v128.load (local.get $P)))
        (local.set $xv (f32x4.min (f32x4.max (local.get $xv) (v128.const f32x4 -7.90531110763549805
          -7.90531110763549805 -7.90531110763549805 -7.90531110763549805))
          (v128.const f32x4 7.90531110763549805 7.90531110763549805 7.90531110763549805
          7.90531110763549805)))
        (local.set $x2 (f32x4.mul (local.get $xv) (local.get $xv)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $x2) (v128.const f32x4 -2.76076847742355e-16
          -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16))
          (v128.const f32x4 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13
          2.00018790482477e-13)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $x2) (local.get $p)) (v128.const f32x4
          -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $x2) (local.get $p)) (v128.const f32x4
          5.12229709037114e-08 5.12229709037114e-08 5.12229709037114e-08 5.12229709037114e-08)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $x2) (local.get $p)) (v128.const f32x4
          1.48572235717979e-05 1.48572235717979e-05 1.48572235717979e-05 1.48572235717979e-05)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $x2) (local.get $p)) (v128.const f32x4
          6.37261928875436e-04 6.37261928875436e-04 6.37261928875436e-04 6.37261928875436e-04)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $x2) (local.get $p)) (v128.const f32x4
          4.89352455891786e-03 4.89352455891786e-03 4.89352455891786e-03 4.89352455891786e-03)))
        (local.set $p (f32x4.mul (local.get $xv) (local.get $p)))
        (local.set $q (f32x4.add (f32x4.mul (local.get $x2) (v128.const f32x4 1.19825839466702e-06
          1.19825839466702e-06 1.19825839466702e-06 1.19825839466702e-06))
          (v128.const f32x4 1.18534705686654e-04 1.18534705686654e-04 1.18534705686654e-04
          1.18534705686654e-04)))
        (local.set $q (f32x4.add (f32x4.mul (local.get $x2) (local.get $q)) (v128.const f32x4
          2.26843463243900e-03 2.26843463243900e-03 2.26843463243900e-03 2.26843463243900e-03)))
        (local.set $q (f32x4.add (f32x4.mul (local.get $x2) (local.get $q)) (v128.const f32x4
          4.89352518554385e-03 4.89352518554385e-03 4.89352518554385e-03 4.89352518554385e-03)))
        (v128.store (local.get $P) (f32x4.div (local.get $p) (local.get $q)))
        (local.set $P (i32.add (local.get $P) (i32.const 16)))
        (br $l))))

  ;; ---- D[i] *= 1 − H[i]² (tanh'), for i < ceil4(n).
  (func (export "tanh_backward") (param $D i32) (param $H i32) (param $n i32)
    (local $end i32) (local $h v128)
    (local.set $end (i32.add (local.get $D) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $D) (local.get $end)))
        (local.set $h (v128.load (local.get $H)))
        (v128.store (local.get $D) (f32x4.mul (v128.load (local.get $D))
          (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $h) (local.get $h)))))
        (local.set $D (i32.add (local.get $D) (i32.const 16)))
        (local.set $H (i32.add (local.get $H) (i32.const 16)))
        (br $l))))

  ;; ---- dst (cols × rows) = srcᵀ, src rows × cols.
  (func (export "transpose") (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (local $i i32) (local $j i32)
    (block $idone
      (loop $il
        (br_if $idone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $jdone
          (loop $jl
            (br_if $jdone (i32.ge_u (local.get $j) (local.get $cols)))
            (f32.store
              (i32.add (local.get $dst) (i32.shl
                (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2)))
              (f32.load (i32.add (local.get $src) (i32.shl
                (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jl)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il))))

  ;; ---- out[j] += Σ_i D[i·N + j] (bias gradient), exact bounds.
  (func (export "col_sum_acc") (param $D i32) (param $M i32) (param $N i32) (param $out i32)
    (local $j i32) (local $i i32) (local $p i32) (local $acc v128) (local $s f32) (local $rs i32)
    (local.set $rs (i32.shl (local.get $N) (i32.const 2)))
    (block $vdone
      (loop $vl
        (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $N)))
        (local.set $acc (v128.load (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $p (i32.add (local.get $D) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $i (local.get $M))
        (block $rdone
          (loop $rl
            (br_if $rdone (i32.eqz (local.get $i)))
            (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $rs)))
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (br $rl)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vl)))
    (block $sdone
      (loop $sl
        (br_if $sdone (i32.ge_u (local.get $j) (local.get $N)))
        (local.set $s (f32.load (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $p (i32.add (local.get $D) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $i (local.get $M))
        (block $rdone2
          (loop $rl2
            (br_if $rdone2 (i32.eqz (local.get $i)))
            (local.set $s (f32.add (local.get $s) (f32.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $rs)))
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (br $rl2)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $sl))))

  ;; ---- Σ P[i]² for i < n, accumulated in float64 (the global gradient norm).
  (func (export "sum_squares") (param $P i32) (param $n i32) (result f64)
    (local $end i32) (local $v v128) (local $lo v128) (local $hi v128) (local $s f64) (local $x f64)
    (local.set $end (i32.add (local.get $P) (i32.shl (i32.and (local.get $n) (i32.const -4))
      (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $P) (local.get $end)))
        (local.set $v (v128.load (local.get $P)))
        (local.set $v (f32x4.mul (local.get $v) (local.get $v)))
        (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $v))))
        (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
        (local.set $P (i32.add (local.get $P) (i32.const 16)))
        (br $l)))
    (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3))
      (i32.const 2))))
    (block $sdone
      (loop $sl
        (br_if $sdone (i32.ge_u (local.get $P) (local.get $end)))
        (local.set $x (f64.promote_f32 (f32.load (local.get $P))))
        (local.set $s (f64.add (local.get $s) (f64.mul (local.get $x) (local.get $x))))
        (local.set $P (i32.add (local.get $P) (i32.const 4)))
        (br $sl)))
    (local.get $s))

  ;; ---- Adam (torch semantics) over n parameters with the gradient scaled by $gs (the global
  ;; norm clip): m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − stepSize·m / (√v / √bc₂ + eps),
  ;; stepSize = lr / bc₁ (computed by the caller in float64, rounded once).
  (func (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $b1 f32) (param $b2 f32) (param $step f32) (param $sqrtBc2 f32) (param $eps f32)
    (param $gs f32)
    (local $i i32) (local $gv v128) (local $mv v128) (local $vv v128) (local $off i32)
    (local $B1 v128) (local $B2 v128) (local $C1 v128) (local $C2 v128) (local $ST v128)
    (local $SB v128) (local $EP v128) (local $GS v128)
    (local $gsc f32) (local $ms f32) (local $vs f32)
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $C1 (f32x4.splat (f32.sub (f32.const 1) (local.get $b1))))
    (local.set $C2 (f32x4.splat (f32.sub (f32.const 1) (local.get $b2))))
    (local.set $ST (f32x4.splat (local.get $step)))
    (local.set $SB (f32x4.splat (local.get $sqrtBc2)))
    (local.set $EP (f32x4.splat (local.get $eps)))
    (local.set $GS (f32x4.splat (local.get $gs)))
    (block $vdone
      (loop $vl
        (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gv (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $off))) (local.get $GS)))
        (local.set $mv (f32x4.add (f32x4.mul (local.get $B1) (v128.load (i32.add (local.get $m) (local.get $off))))
          (f32x4.mul (local.get $C1) (local.get $gv))))
        (local.set $vv (f32x4.add (f32x4.mul (local.get $B2) (v128.load (i32.add (local.get $v) (local.get $off))))
          (f32x4.mul (local.get $C2) (f32x4.mul (local.get $gv) (local.get $gv)))))
        (v128.store (i32.add (local.get $m) (local.get $off)) (local.get $mv))
        (v128.store (i32.add (local.get $v) (local.get $off)) (local.get $vv))
        (v128.store (i32.add (local.get $p) (local.get $off))
          (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $off)))
            (f32x4.div (f32x4.mul (local.get $ST) (local.get $mv))
              (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vv)) (local.get $SB)) (local.get $EP)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vl)))
    (block $sdone
      (loop $sl
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gsc (f32.mul (f32.load (i32.add (local.get $g) (local.get $off))) (local.get $gs)))
        (local.set $ms (f32.add (f32.mul (local.get $b1) (f32.load (i32.add (local.get $m) (local.get $off))))
          (f32.mul (f32.sub (f32.const 1) (local.get $b1)) (local.get $gsc))))
        (local.set $vs (f32.add (f32.mul (local.get $b2) (f32.load (i32.add (local.get $v) (local.get $off))))
          (f32.mul (f32.sub (f32.const 1) (local.get $b2)) (f32.mul (local.get $gsc) (local.get $gsc)))))
        (f32.store (i32.add (local.get $m) (local.get $off)) (local.get $ms))
        (f32.store (i32.add (local.get $v) (local.get $off)) (local.get $vs))
        (f32.store (i32.add (local.get $p) (local.get $off))
          (f32.sub (f32.load (i32.add (local.get $p) (local.get $off)))
            (f32.div (f32.mul (local.get $step) (local.get $ms))
              (f32.add (f32.div (f32.sqrt (local.get $vs)) (local.get $sqrtBc2)) (local.get $eps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sl))))

  ;; ---- RMSprop (torch semantics: eps outside the root), gradient scaled by $gs:
  ;; s ← αs + (1−α)g²; p ← p − lr·g / (√s + eps).
  (func (export "rmsprop") (param $p i32) (param $g i32) (param $s i32) (param $n i32)
    (param $alpha f32) (param $lr f32) (param $eps f32) (param $gs f32)
    (local $i i32) (local $off i32) (local $gv v128) (local $sv v128)
    (local $gsc f32) (local $ss f32)
    (block $vdone
      (loop $vl
        (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gv (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $off)))
          (f32x4.splat (local.get $gs))))
        (local.set $sv (f32x4.add
          (f32x4.mul (f32x4.splat (local.get $alpha)) (v128.load (i32.add (local.get $s) (local.get $off))))
          (f32x4.mul (f32x4.splat (f32.sub (f32.const 1) (local.get $alpha)))
            (f32x4.mul (local.get $gv) (local.get $gv)))))
        (v128.store (i32.add (local.get $s) (local.get $off)) (local.get $sv))
        (v128.store (i32.add (local.get $p) (local.get $off))
          (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $off)))
            (f32x4.div (f32x4.mul (f32x4.splat (local.get $lr)) (local.get $gv))
              (f32x4.add (f32x4.sqrt (local.get $sv)) (f32x4.splat (local.get $eps))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vl)))
    (block $sdone
      (loop $sl
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gsc (f32.mul (f32.load (i32.add (local.get $g) (local.get $off))) (local.get $gs)))
        (local.set $ss (f32.add (f32.mul (local.get $alpha) (f32.load (i32.add (local.get $s) (local.get $off))))
          (f32.mul (f32.sub (f32.const 1) (local.get $alpha)) (f32.mul (local.get $gsc) (local.get $gsc)))))
        (f32.store (i32.add (local.get $s) (local.get $off)) (local.get $ss))
        (f32.store (i32.add (local.get $p) (local.get $off))
          (f32.sub (f32.load (i32.add (local.get $p) (local.get $off)))
            (f32.div (f32.mul (local.get $lr) (local.get $gsc))
              (f32.add (f32.sqrt (local.get $ss)) (local.get $eps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sl))))
)
