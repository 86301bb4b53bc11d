;; WebAssembly SIMD kernels behind ssa-seg's host-kernel seam (CPU backends): a packed GEMM with a
;; 4×8 register tile, convolutions as GEMMs over implicit im2col panels, direct depthwise loops, and
;; the element-wise per-channel affine map, exact GELU (with its gradient), row sums, softmax /
;; log-softmax along any axis (forward and backward), and plain element-wise arithmetic (binary ops
;; with broadcasting, a few unary ops), dot products and normalisation along an axis, gather and
;; scatterAdd, strided copies, the SSA-Seg classifier head's inference pass fused into one job, and
;; the AdamW update.
;; Hand-written; `npm run build:wasm` assembles it with wabt into kernels-wasm.ts (committed).
;;
;; Conventions:
;; - The memory is imported (shared when worker threads are used). Every address, stride and table
;;   entry below is in BYTES. Matrices are row-major f32.
;; - Work arrives as a "job" (a header of i32 words written by runtime.ts) split into independent
;;   tasks; `run(job, tid)` takes tasks with an atomic counter until none is left, so the main thread
;;   and any number of workers can share one job. Thread `tid` owns scratch[scr + tid·stride, +stride).
;; - Callers guarantee M, N, K >= 1 and 16-byte aligned scratch.
;; - No FMA in WebAssembly SIMD: every multiply-add is f32x4.mul then f32x4.add.
;;
;; Job header (i32 word: meaning), common to every kind:
;;   0 kind   1 ntasks   2 next task (atomic)   3 scratch base   4 scratch bytes per thread
;; kind 1, batched GEMM C[b] = A[b]·B[b]:
;;   8 M  9 N  10 K  12 a  13 a batch stride  14 a row stride  15 a col stride
;;   16 b  17 b batch stride  18 B row table (K)  19 B column table (N)  20 c  21 c batch stride  22 ldc
;;   23 m tasks  24 n tasks  25 m chunk  26 n chunk
;; kinds 2-6, convolutions (NCHW; weight [Cout, Cin/G, kh, kw]):
;;   8 N  9 Cin  10 H  11 W  12 Cout  13 kh  14 kw  15 OH  16 OW  17 sH  18 sW  19 pH  20 pW  21 dH  22 dW
;;   23 G  24 in0  25 in1  26 out  27 chunks  28 Hp  29 Wp  30 pad  31 row table  32 column table  33 aux
;;   (kind 4 also: 34 image chunks  35 images per chunk  36 bytes between per-chunk copies of dW)
;; kind 7 (channelAffine), kind 8 (GELU and its gradient), kind 9 (row sums), kinds 10 and 11 (softmax
;; and log-softmax along an axis, forward and backward), kind 12 (add/sub/mul/div with broadcasting),
;; kind 13 (relu, step, square, neg, sigmoid), kind 14 (dotAlong: Σ a·b or Σ a along an axis, optional √),
;; kind 15 (normalizeAlong: x / (n + eps)), kinds 16 and 17 (gather and scatterAdd along an axis),
;; kind 18 (strided copy: a permuted, expanded or sliced view made contiguous), kind 19 (ssaLogits: the
;; SSA-Seg classifier head's whole inference pass, one image per task), kind 20 (adamw: one AdamW
;; update, the new parameter and both moments in one pass), kinds 21 and 22 (softmax cross-entropy with
;; int targets, forward and backward), kind 23 (resample2d: interpolate's two resampling matrices applied
;; to each plane as bands, forward and backward), kind 24 (fork: two laid-out jobs run as one), kinds
;; 25 and 26 (batch normalisation in training, forward and backward, a run of channels per task): see
;; their task functions.
(module
  (import "env" "memory" (memory 1 32768 shared))

  ;; ---- blocking and per-thread scratch layout ----
  ;; KC×8 floats of B (8 KiB) stay in L1 while 4×KC panels of A stream from an MC×KC block in L2.
  (global $KC i32 (i32.const 256))
  (global $MC i32 (i32.const 128))
  (global $NC i32 (i32.const 1024))
  (global $SCR_PACKA i32 (i32.const 0))          ;; MC·KC·4 = 128 KiB
  (global $SCR_PACKB i32 (i32.const 131072))     ;; KC·NC·4 = 1 MiB
  (global $SCR_TILE i32 (i32.const 1179648))     ;; one 4×8 tile, 128 bytes
  (global $SCR_FREE i32 (i32.const 1179776))     ;; task scratch (padded images, col buffers) from here
  (export "SCR_FREE" (global $SCR_FREE))
  ;; 1 while kind 2 runs its GEMM on a zero-padded frame in scratch: B's columns are output pixels
  ;; of the frame, and reading up to 60 bytes past any of them stays in readable memory (the frame
  ;; has 64 bytes of slack after it), which $pack_b's two-run panels need. Every task that calls $gemm sets it first (so a trapped job
  ;; cannot leave it set). Per instance, so per thread.
  (global $frame_cols (mut i32) (i32.const 0))

  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_s (local.get $a) (local.get $b))))
  (func $max (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.gt_s (local.get $a) (local.get $b))))

  ;; ---------------------------------------------------------------------------------------------
  ;; GEMM

  ;; C[0..4)[0..8) (+)= Σ_k a[k][0..4) ⊗ b[k][0..8), a and b packed (4 and 8 floats per k), kc >= 1.
  ;; NOTE: 8 accumulators + 2 B vectors + 4 splats = 14 of V8's 15 allocatable xmm registers; a
  ;; plainly k-unrolled body made TurboFan hoist the next step's loads and spill (29 vs 40 GFLOP/s).
  (func $ukr (param $a i32) (param $b i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $acc i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (block $odd
    (loop $k
      (local.set $b0 (v128.load (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $av (v128.load32_splat (local.get $a)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=8 (local.get $a)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=12 (local.get $a)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
      ;; NOTE: this exit splits the body in two blocks, which keeps TurboFan from hoisting the second
      ;; step's loads above the first step's arithmetic (that spilled); 2 steps per loop-back
      ;; check then save the stack check and pointer updates of every other k (43 vs 40 GFLOP/s).
      (br_if $odd (i32.eq (local.get $kc) (i32.const 1)))
      (local.set $b0 (v128.load offset=32 (local.get $b)))
      (local.set $b1 (v128.load offset=48 (local.get $b)))
      (local.set $av (v128.load32_splat offset=16 (local.get $a)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=20 (local.get $a)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=24 (local.get $a)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=28 (local.get $a)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $a (i32.add (local.get $a) (i32.const 32)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (br_if $k (i32.gt_s (local.tee $kc (i32.sub (local.get $kc) (i32.const 2))) (i32.const 0)))))
    (if (local.get $acc)
      (then
        (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $c))))
        (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $c))))
        (local.set $c10 (f32x4.add (local.get $c10) (v128.load (i32.add (local.get $c) (local.get $ldc)))))
        (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (i32.add (local.get $c) (local.get $ldc)))))
        (local.set $c20 (f32x4.add (local.get $c20) (v128.load (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 1))))))
        (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 1))))))
        (local.set $c30 (f32x4.add (local.get $c30) (v128.load (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))))
        (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))))))
    (v128.store (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (local.get $c10))
    (v128.store offset=16 (local.get $c) (local.get $c11))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (local.get $c20))
    (v128.store offset=16 (local.get $c) (local.get $c21))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (local.get $c30))
    (v128.store offset=16 (local.get $c) (local.get $c31)))

  ;; $ukr with B read in place: row k of the 8 columns is the 8 floats at b + rowT[k] (rt: the row
  ;; table), for B whose columns are adjacent floats (kind 3's flat frame), so nothing is packed.
  (func $ukr_rows (param $a i32) (param $b i32) (param $rt i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $acc i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128) (local $q i32)
    (block $odd
    (loop $k
      (local.set $q (i32.add (local.get $b) (i32.load (local.get $rt))))
      (local.set $b0 (v128.load (local.get $q)))
      (local.set $b1 (v128.load offset=16 (local.get $q)))
      (local.set $av (v128.load32_splat (local.get $a)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=8 (local.get $a)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=12 (local.get $a)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
      (br_if $odd (i32.eq (local.get $kc) (i32.const 1)))
      (local.set $q (i32.add (local.get $b) (i32.load offset=4 (local.get $rt))))
      (local.set $b0 (v128.load (local.get $q)))
      (local.set $b1 (v128.load offset=16 (local.get $q)))
      (local.set $av (v128.load32_splat offset=16 (local.get $a)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=20 (local.get $a)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=24 (local.get $a)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=28 (local.get $a)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $a (i32.add (local.get $a) (i32.const 32)))
      (local.set $rt (i32.add (local.get $rt) (i32.const 8)))
      (br_if $k (i32.gt_s (local.tee $kc (i32.sub (local.get $kc) (i32.const 2))) (i32.const 0)))))
    (if (local.get $acc)
      (then
        (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $c))))
        (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $c))))
        (local.set $c10 (f32x4.add (local.get $c10) (v128.load (i32.add (local.get $c) (local.get $ldc)))))
        (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (i32.add (local.get $c) (local.get $ldc)))))
        (local.set $c20 (f32x4.add (local.get $c20) (v128.load (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 1))))))
        (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 1))))))
        (local.set $c30 (f32x4.add (local.get $c30) (v128.load (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))))
        (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))))))
    (v128.store (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (local.get $c10))
    (v128.store offset=16 (local.get $c) (local.get $c11))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (local.get $c20))
    (v128.store offset=16 (local.get $c) (local.get $c21))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (local.get $c30))
    (v128.store offset=16 (local.get $c) (local.get $c31)))


  ;; Copies the top-left mr×nr of a 4×8 tile (rows 32 bytes apart) into C, adding when acc != 0.
  (func $tile_out (param $t i32) (param $c i32) (param $ldc i32) (param $mr i32) (param $nr i32) (param $acc i32)
    (local $i i32) (local $j i32) (local $p i32) (local $v f32)
    (loop $rows
      (local.set $j (i32.const 0))
      (loop $cols
        (local.set $p (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $v (f32.load (i32.add (local.get $t) (i32.shl (local.get $j) (i32.const 2)))))
        (if (local.get $acc) (then (local.set $v (f32.add (local.get $v) (f32.load (local.get $p))))))
        (f32.store (local.get $p) (local.get $v))
        (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $nr))))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $mr)))))

  ;; Macro-kernel over one packed MC×KC block of A and KC×NC panel of B: for each 8-column panel of
  ;; B (kept in L1), every 4-row panel of A. Edge tiles go through a scratch tile.
  (func $macro (param $ap i32) (param $bp i32) (param $c i32) (param $ldc i32)
        (param $mc i32) (param $nc i32) (param $kc i32) (param $acc i32) (param $tile i32)
    (local $i i32) (local $j i32) (local $mr i32) (local $nr i32) (local $ai i32) (local $cj i32) (local $ci i32) (local $kb i32)
    (local.set $kb (i32.shl (local.get $kc) (i32.const 4)))
    (loop $jl
      (local.set $nr (call $min (i32.const 8) (i32.sub (local.get $nc) (local.get $j))))
      (local.set $cj (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $ai (local.get $ap))
      (local.set $i (i32.const 0))
      (loop $il
        (local.set $mr (call $min (i32.const 4) (i32.sub (local.get $mc) (local.get $i))))
        (local.set $ci (i32.add (local.get $cj) (i32.mul (local.get $i) (local.get $ldc))))
        (if (i32.and (i32.eq (local.get $mr) (i32.const 4)) (i32.eq (local.get $nr) (i32.const 8)))
          (then (call $ukr (local.get $ai) (local.get $bp) (local.get $kc) (local.get $ci) (local.get $ldc) (local.get $acc)))
          (else
            (call $ukr (local.get $ai) (local.get $bp) (local.get $kc) (local.get $tile) (i32.const 32) (i32.const 0))
            (call $tile_out (local.get $tile) (local.get $ci) (local.get $ldc) (local.get $mr) (local.get $nr) (local.get $acc))))
        (local.set $ai (i32.add (local.get $ai) (local.get $kb)))
        (br_if $il (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $mc))))
      (local.set $bp (i32.add (local.get $bp) (i32.shl (local.get $kb) (i32.const 1))))
      (br_if $jl (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 8))) (local.get $nc)))))

  ;; Stores the transpose of the 4×4 block with rows v0..v3: row i of the result (v0[i], v1[i],
  ;; v2[i], v3[i]) at dst + i·stride.
  ;; Returns 0 (a result, so the build inlines it: scripts/wat-inline.ts); callers drop it.
  ;; @inline
  (func $store_t4 (param $v0 v128) (param $v1 v128) (param $v2 v128) (param $v3 v128) (param $dst i32) (param $stride i32) (result i32)
    (local $lo01 v128) (local $lo23 v128) (local $hi01 v128) (local $hi23 v128)
    (local.set $lo01 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
    (local.set $lo23 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
    (local.set $hi01 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
    (local.set $hi23 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
    (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $lo01) (local.get $lo23)))
    (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
    (v128.store (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $lo01) (local.get $lo23)))
    (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
    (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $hi01) (local.get $hi23)))
    (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
    (v128.store (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $hi01) (local.get $hi23)))
    (i32.const 0))

  ;; Packs A[0..mc)[0..kc) (element (i, k) at src + i·rs + k·cs) into 4-row micro-panels:
  ;; dst[(i/4)·16·kc + k·16 + (i%4)·4]. Rows past mc are zero.
  (func $pack_a (param $src i32) (param $rs i32) (param $cs i32) (param $mc i32) (param $kc i32) (param $dst i32)
    (local $i i32) (local $mr i32) (local $k i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (loop $tiles
      (local.set $mr (call $min (i32.const 4) (i32.sub (local.get $mc) (local.get $i))))
      (local.set $p0 (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $rs))))
      (local.set $k (local.get $kc))
      (if (i32.eq (local.get $mr) (i32.const 4))
        (then
          (if (i32.eq (local.get $rs) (i32.const 4))
            (then
              ;; the 4 rows are adjacent in memory (a transposed operand): one vector per k
              (loop $kv
                (v128.store (local.get $dst) (v128.load (local.get $p0)))
                (local.set $p0 (i32.add (local.get $p0) (local.get $cs)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                (br_if $kv (local.tee $k (i32.sub (local.get $k) (i32.const 1))))))
            (else
              (local.set $p1 (i32.add (local.get $p0) (local.get $rs)))
              (local.set $p2 (i32.add (local.get $p1) (local.get $rs)))
              (local.set $p3 (i32.add (local.get $p2) (local.get $rs)))
              (if (i32.eq (local.get $cs) (i32.const 4))
                (then
                  ;; rows contiguous in k (a plain row-major operand): 4×4 blocks through a transpose
                  (block $blocks_done
                    (loop $kb
                      (br_if $blocks_done (i32.lt_s (local.get $k) (i32.const 4)))
                      (drop (call $store_t4 (v128.load (local.get $p0)) (v128.load (local.get $p1)) (v128.load (local.get $p2)) (v128.load (local.get $p3))
                        (local.get $dst) (i32.const 16)))
                      (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
                      (local.set $p1 (i32.add (local.get $p1) (i32.const 16)))
                      (local.set $p2 (i32.add (local.get $p2) (i32.const 16)))
                      (local.set $p3 (i32.add (local.get $p3) (i32.const 16)))
                      (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
                      (local.set $k (i32.sub (local.get $k) (i32.const 4)))
                      (br $kb)))))
              (if (local.get $k) (then
              (loop $ks
                (f32.store (local.get $dst) (f32.load (local.get $p0)))
                (f32.store offset=4 (local.get $dst) (f32.load (local.get $p1)))
                (f32.store offset=8 (local.get $dst) (f32.load (local.get $p2)))
                (f32.store offset=12 (local.get $dst) (f32.load (local.get $p3)))
                (local.set $p0 (i32.add (local.get $p0) (local.get $cs)))
                (local.set $p1 (i32.add (local.get $p1) (local.get $cs)))
                (local.set $p2 (i32.add (local.get $p2) (local.get $cs)))
                (local.set $p3 (i32.add (local.get $p3) (local.get $cs)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                (br_if $ks (local.tee $k (i32.sub (local.get $k) (i32.const 1))))))))))
        (else
          ;; edge panel: mr < 4 real rows, the others zero
          (loop $ke
            (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
            (f32.store (local.get $dst) (f32.load (local.get $p0)))
            (if (i32.gt_s (local.get $mr) (i32.const 1))
              (then (f32.store offset=4 (local.get $dst) (f32.load (i32.add (local.get $p0) (local.get $rs))))))
            (if (i32.gt_s (local.get $mr) (i32.const 2))
              (then (f32.store offset=8 (local.get $dst) (f32.load (i32.add (local.get $p0) (i32.shl (local.get $rs) (i32.const 1)))))))
            (local.set $p0 (i32.add (local.get $p0) (local.get $cs)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br_if $ke (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))))
      (br_if $tiles (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $mc)))))

  ;; Packs B[0..kc)[0..nc), where B[k][n] is the f32 at base + rowT[k] + colT[n] (i32 byte-offset
  ;; tables), into 8-column micro-panels: dst[(n/8)·32·kc + k·32 + (n%8)·4]; columns past nc are 0.
  ;; The tables make one packer serve plain and transposed matrices and im2col views of an image.
  (func $pack_b (param $base i32) (param $rowT i32) (param $colT i32) (param $kc i32) (param $nc i32) (param $dst i32)
    (local $j i32) (local $nr i32) (local $k i32) (local $p i32) (local $r i32) (local $jj i32) (local $q i32) (local $fast i32)
    (loop $panels
      (local.set $nr (call $min (i32.const 8) (i32.sub (local.get $nc) (local.get $j))))
      (local.set $fast (i32.const 0))
      (if (i32.eq (local.get $nr) (i32.const 8))
        (then
          ;; every column offset is at least 4 past the previous, so a span of 28 means adjacent
          (local.set $fast (i32.eq (i32.sub (i32.load offset=28 (local.get $colT)) (i32.load (local.get $colT))) (i32.const 28)))))
      (if (local.get $fast)
        (then
          ;; 8 adjacent columns: two vectors per k
          (local.set $p (i32.add (local.get $base) (i32.load (local.get $colT))))
          (local.set $r (local.get $rowT))
          (local.set $k (local.get $kc))
          (loop $kv
            (local.set $q (i32.add (local.get $p) (i32.load (local.get $r))))
            (v128.store (local.get $dst) (v128.load (local.get $q)))
            (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $q)))
            (local.set $r (i32.add (local.get $r) (i32.const 4)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (br_if $kv (local.tee $k (i32.sub (local.get $k) (i32.const 1))))))
        (else (if (i32.eq (local.get $nr) (i32.const 8))
        (then
          (if (call $cols_step8 (local.get $colT))
            (then (call $pack_b_step8 (i32.add (local.get $base) (i32.load (local.get $colT))) (local.get $rowT) (local.get $kc) (local.get $dst)))
            (else
              ;; two runs of output pixels (a row's end, the next row's start), adjacent or every other float
              (local.set $jj (i32.const 0))
              (if (global.get $frame_cols)
                (then
                  (local.set $q (i32.const 4))
                  (local.set $jj (call $cols_two (local.get $colT) (i32.const 4)))
                  (if (i32.eqz (local.get $jj))
                    (then
                      (local.set $q (i32.const 8))
                      (local.set $jj (call $cols_two (local.get $colT) (i32.const 8)))))))
              (if (local.get $jj)
                (then (call $pack_b_two (i32.add (local.get $base) (i32.load (local.get $colT)))
                  (i32.add (local.get $base) (i32.load (i32.add (local.get $colT) (i32.shl (local.get $jj) (i32.const 2)))))
                  (i32.shl (local.get $jj) (i32.const 2)) (local.get $q) (local.get $rowT) (local.get $kc) (local.get $dst)))
                (else (call $pack_b_gather8 (local.get $base) (local.get $rowT) (local.get $colT) (local.get $kc) (local.get $dst))))))
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 5)))))
        (else
          ;; edge panel, column by column, zero columns past nc
          (local.set $jj (i32.const 0))
          (loop $cols
            (local.set $q (i32.add (local.get $dst) (i32.shl (local.get $jj) (i32.const 2))))
            (local.set $k (local.get $kc))
            (if (i32.lt_s (local.get $jj) (local.get $nr))
              (then
                (local.set $p (i32.add (local.get $base) (i32.load (i32.add (local.get $colT) (i32.shl (local.get $jj) (i32.const 2))))))
                (local.set $r (local.get $rowT))
                (loop $kg
                  (f32.store (local.get $q) (f32.load (i32.add (local.get $p) (i32.load (local.get $r)))))
                  (local.set $r (i32.add (local.get $r) (i32.const 4)))
                  (local.set $q (i32.add (local.get $q) (i32.const 32)))
                  (br_if $kg (local.tee $k (i32.sub (local.get $k) (i32.const 1))))))
              (else
                (loop $kz
                  (f32.store (local.get $q) (f32.const 0))
                  (local.set $q (i32.add (local.get $q) (i32.const 32)))
                  (br_if $kz (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))))
            (br_if $cols (i32.lt_s (local.tee $jj (i32.add (local.get $jj) (i32.const 1))) (i32.const 8))))
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 5))))))))
      (local.set $colT (i32.add (local.get $colT) (i32.const 32)))
      (br_if $panels (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 8))) (local.get $nc)))))

  ;; Whether the 8 column offsets at colT are 8 bytes apart (every other float: the output pixels of a
  ;; stride-2 conv's im2col within one output row).
  (func $cols_step8 (param $colT i32) (result i32)
    (local $c0 i32)
    (local.set $c0 (i32.load (local.get $colT)))
    (i32.and
      (i32.and
        (i32.and (i32.eq (i32.sub (i32.load offset=4 (local.get $colT)) (local.get $c0)) (i32.const 8))
                 (i32.eq (i32.sub (i32.load offset=8 (local.get $colT)) (local.get $c0)) (i32.const 16)))
        (i32.and (i32.eq (i32.sub (i32.load offset=12 (local.get $colT)) (local.get $c0)) (i32.const 24))
                 (i32.eq (i32.sub (i32.load offset=16 (local.get $colT)) (local.get $c0)) (i32.const 32))))
      (i32.and
        (i32.and (i32.eq (i32.sub (i32.load offset=20 (local.get $colT)) (local.get $c0)) (i32.const 40))
                 (i32.eq (i32.sub (i32.load offset=24 (local.get $colT)) (local.get $c0)) (i32.const 48)))
        (i32.eq (i32.sub (i32.load offset=28 (local.get $colT)) (local.get $c0)) (i32.const 56)))))

  ;; One full 8-column panel whose columns are every other float from p (see $cols_step8): per k,
  ;; four vector loads over floats 0..14 of the row (the last at float 11, so nothing past float 14
  ;; is read) and two shuffles keep the even floats.
  (func $pack_b_step8 (param $p i32) (param $rowT i32) (param $kc i32) (param $dst i32)
    (local $q i32)
    (loop $kv
      (local.set $q (i32.add (local.get $p) (i32.load (local.get $rowT))))
      (v128.store (local.get $dst)
        (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $q)) (v128.load offset=16 (local.get $q))))
      (v128.store offset=16 (local.get $dst)
        (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load offset=32 (local.get $q)) (v128.load offset=44 (local.get $q))))
      (local.set $rowT (i32.add (local.get $rowT) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
      (br_if $kv (local.tee $kc (i32.sub (local.get $kc) (i32.const 1))))))

  ;; Floats 0, 2, 4, 6 from p (reads floats 0..6 only).
  ;; @inline
  (func $even4 (param $p i32) (result v128)
    (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load (local.get $p)) (v128.load offset=12 (local.get $p))))

  ;; s in 1..7 when the 8 column offsets at colT form two runs, [0, s) and [s, 8), each `step` bytes
  ;; apart within; 0 otherwise.
  (func $cols_two (param $colT i32) (param $step i32) (result i32)
    (local $i i32) (local $s i32)
    (local.set $i (i32.const 1))
    (loop $cols
      (if (i32.ne (i32.sub (i32.load (i32.add (local.get $colT) (i32.shl (local.get $i) (i32.const 2))))
                           (i32.load (i32.add (local.get $colT) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))))
                  (local.get $step))
        (then
          (if (local.get $s) (then (return (i32.const 0))))
          (local.set $s (local.get $i))))
      (br_if $cols (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 8))))
    (local.get $s))

  ;; One full 8-column panel of two runs (see $cols_two): columns [0, s) from pa, [s, 8) from pb, each
  ;; run `step` (4 or 8) bytes apart; s4 = 4·s. Per k, 8 columns as from one run at pa go to the slot,
  ;; then 8 as from one run at pb to the slot from column s, running s columns into the next k's slot
  ;; (written after) or, after the last k, past the panel (the next panel's, written after, or the
  ;; rest of the pack buffer and the scratch tile, neither read before being written). The reads
  ;; run up to 60 bytes past a run's start (the caller guarantees that is readable: $frame_cols).
  (func $pack_b_two (param $pa i32) (param $pb i32) (param $s4 i32) (param $step i32) (param $rowT i32) (param $kc i32) (param $dst i32)
    (local $r i32) (local $q i32)
    (if (i32.eq (local.get $step) (i32.const 4))
      (then
        (loop $k4
          (local.set $r (i32.load (local.get $rowT)))
          (local.set $q (i32.add (local.get $pa) (local.get $r)))
          (v128.store (local.get $dst) (v128.load (local.get $q)))
          (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $q)))
          (local.set $q (i32.add (local.get $pb) (local.get $r)))
          (local.set $r (i32.add (local.get $dst) (local.get $s4)))
          (v128.store (local.get $r) (v128.load (local.get $q)))
          (v128.store offset=16 (local.get $r) (v128.load offset=16 (local.get $q)))
          (local.set $rowT (i32.add (local.get $rowT) (i32.const 4)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
          (br_if $k4 (local.tee $kc (i32.sub (local.get $kc) (i32.const 1))))))
      (else
        (loop $k8
          (local.set $r (i32.load (local.get $rowT)))
          (local.set $q (i32.add (local.get $pa) (local.get $r)))
          (v128.store (local.get $dst)
            (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $q)) (v128.load offset=16 (local.get $q))))
          (v128.store offset=16 (local.get $dst)
            (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load offset=32 (local.get $q)) (v128.load offset=44 (local.get $q))))
          (local.set $q (i32.add (local.get $pb) (local.get $r)))
          (local.set $r (i32.add (local.get $dst) (local.get $s4)))
          (v128.store (local.get $r)
            (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $q)) (v128.load offset=16 (local.get $q))))
          (v128.store offset=16 (local.get $r)
            (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load offset=32 (local.get $q)) (v128.load offset=44 (local.get $q))))
          (local.set $rowT (i32.add (local.get $rowT) (i32.const 4)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
          (br_if $k8 (local.tee $kc (i32.sub (local.get $kc) (i32.const 1))))))))

  ;; One full 8-column panel of gathered columns (pack_b's slow path). Where 4 consecutive rows
  ;; are adjacent in memory (a run of output pixels in a row, or the k of a transposed operand),
  ;; each column gives one vector load and two 4×4 transposes write the 4 rows; else scalar.
  (func $pack_b_gather8 (param $base i32) (param $rowT i32) (param $colT i32) (param $kc i32) (param $dst i32)
    (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $c4 i32) (local $c5 i32) (local $c6 i32) (local $c7 i32)
    (local $k i32) (local $r i32) (local $n i32)
    (local.set $c0 (i32.add (local.get $base) (i32.load (local.get $colT))))
    (local.set $c1 (i32.add (local.get $base) (i32.load offset=4 (local.get $colT))))
    (local.set $c2 (i32.add (local.get $base) (i32.load offset=8 (local.get $colT))))
    (local.set $c3 (i32.add (local.get $base) (i32.load offset=12 (local.get $colT))))
    (local.set $c4 (i32.add (local.get $base) (i32.load offset=16 (local.get $colT))))
    (local.set $c5 (i32.add (local.get $base) (i32.load offset=20 (local.get $colT))))
    (local.set $c6 (i32.add (local.get $base) (i32.load offset=24 (local.get $colT))))
    (local.set $c7 (i32.add (local.get $base) (i32.load offset=28 (local.get $colT))))
    (local.set $k (local.get $kc))
    (loop $rows
      (local.set $r (i32.load (local.get $rowT)))
      (if (i32.and (i32.ge_s (local.get $k) (i32.const 4))
                   (i32.eq (i32.sub (i32.load offset=12 (local.get $rowT)) (local.get $r)) (i32.const 12)))
        (then
          (drop (call $store_t4
            (v128.load (i32.add (local.get $c0) (local.get $r))) (v128.load (i32.add (local.get $c1) (local.get $r)))
            (v128.load (i32.add (local.get $c2) (local.get $r))) (v128.load (i32.add (local.get $c3) (local.get $r)))
            (local.get $dst) (i32.const 32)))
          (drop (call $store_t4
            (v128.load (i32.add (local.get $c4) (local.get $r))) (v128.load (i32.add (local.get $c5) (local.get $r)))
            (v128.load (i32.add (local.get $c6) (local.get $r))) (v128.load (i32.add (local.get $c7) (local.get $r)))
            (i32.add (local.get $dst) (i32.const 16)) (i32.const 32)))
          (local.set $n (i32.const 4)))
        (else (if (i32.and (i32.ge_s (local.get $k) (i32.const 4))
                           (i32.and (i32.and (i32.eq (i32.sub (i32.load offset=4 (local.get $rowT)) (local.get $r)) (i32.const 8))
                                             (i32.eq (i32.sub (i32.load offset=8 (local.get $rowT)) (local.get $r)) (i32.const 16)))
                                    (i32.eq (i32.sub (i32.load offset=12 (local.get $rowT)) (local.get $r)) (i32.const 24))))
        (then
          ;; 4 rows every other float (a stride-2 conv's output pixels): floats 0, 2 of one load and
          ;; 4, 6 of a second from float 3 (nothing past float 6 is read), then the same transposes
          (drop (call $store_t4
            (call $even4 (i32.add (local.get $c0) (local.get $r))) (call $even4 (i32.add (local.get $c1) (local.get $r)))
            (call $even4 (i32.add (local.get $c2) (local.get $r))) (call $even4 (i32.add (local.get $c3) (local.get $r)))
            (local.get $dst) (i32.const 32)))
          (drop (call $store_t4
            (call $even4 (i32.add (local.get $c4) (local.get $r))) (call $even4 (i32.add (local.get $c5) (local.get $r)))
            (call $even4 (i32.add (local.get $c6) (local.get $r))) (call $even4 (i32.add (local.get $c7) (local.get $r)))
            (i32.add (local.get $dst) (i32.const 16)) (i32.const 32)))
          (local.set $n (i32.const 4)))
        (else
          (f32.store (local.get $dst) (f32.load (i32.add (local.get $c0) (local.get $r))))
          (f32.store offset=4 (local.get $dst) (f32.load (i32.add (local.get $c1) (local.get $r))))
          (f32.store offset=8 (local.get $dst) (f32.load (i32.add (local.get $c2) (local.get $r))))
          (f32.store offset=12 (local.get $dst) (f32.load (i32.add (local.get $c3) (local.get $r))))
          (f32.store offset=16 (local.get $dst) (f32.load (i32.add (local.get $c4) (local.get $r))))
          (f32.store offset=20 (local.get $dst) (f32.load (i32.add (local.get $c5) (local.get $r))))
          (f32.store offset=24 (local.get $dst) (f32.load (i32.add (local.get $c6) (local.get $r))))
          (f32.store offset=28 (local.get $dst) (f32.load (i32.add (local.get $c7) (local.get $r))))
          (local.set $n (i32.const 1))))))
      (local.set $rowT (i32.add (local.get $rowT) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 5))))
      (br_if $rows (i32.gt_s (local.tee $k (i32.sub (local.get $k) (local.get $n))) (i32.const 0)))))

  ;; C[M×N] (+)= A·B with A strided (rs, cs) and B given by base + row/column tables (see pack_b).
  ;; BLIS loop order: NC columns, KC depth (pack B), MC rows (pack A), then the macro-kernel.
  (func $gemm (param $M i32) (param $N i32) (param $K i32)
        (param $a i32) (param $ars i32) (param $acs i32)
        (param $b i32) (param $rowT i32) (param $colT i32)
        (param $c i32) (param $ldc i32) (param $acc i32) (param $scr i32)
    (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32) (local $pa i32) (local $pb i32)
    (local.set $pa (i32.add (local.get $scr) (global.get $SCR_PACKA)))
    (local.set $pb (i32.add (local.get $scr) (global.get $SCR_PACKB)))
    (loop $jl
      (local.set $nc (call $min (global.get $NC) (i32.sub (local.get $N) (local.get $jc))))
      (local.set $pc (i32.const 0))
      (loop $pl
        (local.set $kc (call $min (global.get $KC) (i32.sub (local.get $K) (local.get $pc))))
        (call $pack_b (local.get $b)
          (i32.add (local.get $rowT) (i32.shl (local.get $pc) (i32.const 2)))
          (i32.add (local.get $colT) (i32.shl (local.get $jc) (i32.const 2)))
          (local.get $kc) (local.get $nc) (local.get $pb))
        (local.set $ic (i32.const 0))
        (loop $il
          (local.set $mc (call $min (global.get $MC) (i32.sub (local.get $M) (local.get $ic))))
          (call $pack_a
            (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $ars)) (i32.mul (local.get $pc) (local.get $acs))))
            (local.get $ars) (local.get $acs) (local.get $mc) (local.get $kc) (local.get $pa))
          (call $macro (local.get $pa) (local.get $pb)
            (i32.add (local.get $c) (i32.add (i32.mul (local.get $ic) (local.get $ldc)) (i32.shl (local.get $jc) (i32.const 2))))
            (local.get $ldc) (local.get $mc) (local.get $nc) (local.get $kc)
            (i32.or (local.get $acc) (i32.ne (local.get $pc) (i32.const 0)))
            (i32.add (local.get $scr) (global.get $SCR_TILE)))
          (br_if $il (i32.lt_s (local.tee $ic (i32.add (local.get $ic) (global.get $MC))) (local.get $M))))
        (br_if $pl (i32.lt_s (local.tee $pc (i32.add (local.get $pc) (global.get $KC))) (local.get $K))))
      (br_if $jl (i32.lt_s (local.tee $jc (i32.add (local.get $jc) (global.get $NC))) (local.get $N)))))

  ;; C[M×N] = A·B (A strided as in $gemm) for B whose row k is the N adjacent floats at b + rowT[k]
  ;; (kind 3's flat frame): nothing of B is packed, $ukr_rows reads it in place, 8 columns at a
  ;; time; an edge panel reads up to 7 floats past column N (the caller keeps them readable) into
  ;; tile columns that are not copied out. Blocks of KC depth and MC rows as $gemm; per block the
  ;; 8-column panels outer, so a panel's rows stay in L1 for every 4-row panel of A.
  (func $gemm_rows (param $M i32) (param $N i32) (param $K i32)
        (param $a i32) (param $ars i32) (param $acs i32)
        (param $b i32) (param $rowT i32) (param $c i32) (param $ldc i32) (param $scr i32)
    (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32) (local $pa i32) (local $tile i32) (local $acc i32)
    (local $i i32) (local $j i32) (local $mr i32) (local $nr i32) (local $ai i32) (local $ci i32) (local $rt i32)
    (local.set $pa (i32.add (local.get $scr) (global.get $SCR_PACKA)))
    (local.set $tile (i32.add (local.get $scr) (global.get $SCR_TILE)))
    (loop $pl
      (local.set $kc (call $min (global.get $KC) (i32.sub (local.get $K) (local.get $pc))))
      (local.set $acc (i32.ne (local.get $pc) (i32.const 0)))
      (local.set $rt (i32.add (local.get $rowT) (i32.shl (local.get $pc) (i32.const 2))))
      (local.set $ic (i32.const 0))
      (loop $il
        (local.set $mc (call $min (global.get $MC) (i32.sub (local.get $M) (local.get $ic))))
        (call $pack_a
          (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $ars)) (i32.mul (local.get $pc) (local.get $acs))))
          (local.get $ars) (local.get $acs) (local.get $mc) (local.get $kc) (local.get $pa))
        (local.set $j (i32.const 0))
        (loop $jl
          (local.set $nr (call $min (i32.const 8) (i32.sub (local.get $N) (local.get $j))))
          (local.set $ai (local.get $pa))
          (local.set $i (i32.const 0))
          (loop $ir
            (local.set $mr (call $min (i32.const 4) (i32.sub (local.get $mc) (local.get $i))))
            (local.set $ci (i32.add (local.get $c)
              (i32.add (i32.mul (i32.add (local.get $ic) (local.get $i)) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2)))))
            (if (i32.and (i32.eq (local.get $mr) (i32.const 4)) (i32.eq (local.get $nr) (i32.const 8)))
              (then (call $ukr_rows (local.get $ai) (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $rt)
                (local.get $kc) (local.get $ci) (local.get $ldc) (local.get $acc)))
              (else
                (call $ukr_rows (local.get $ai) (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $rt)
                  (local.get $kc) (local.get $tile) (i32.const 32) (i32.const 0))
                (call $tile_out (local.get $tile) (local.get $ci) (local.get $ldc) (local.get $mr) (local.get $nr) (local.get $acc))))
            (local.set $ai (i32.add (local.get $ai) (i32.shl (local.get $kc) (i32.const 4))))
            (br_if $ir (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $mc))))
          (br_if $jl (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 8))) (local.get $N))))
        (br_if $il (i32.lt_s (local.tee $ic (i32.add (local.get $ic) (global.get $MC))) (local.get $M))))
      (br_if $pl (i32.lt_s (local.tee $pc (i32.add (local.get $pc) (global.get $KC))) (local.get $K)))))

  ;; One task of a batched GEMM job: batch b, rows chunk mi, columns chunk ni.
  (func $task_gemm (param $job i32) (param $t i32) (param $scr i32)
    (local $nt i32) (local $per i32) (local $b i32) (local $mi i32) (local $ni i32) (local $m0 i32) (local $n0 i32) (local $ldc i32)
    (local.set $nt (i32.load offset=96 (local.get $job)))
    (local.set $per (i32.mul (i32.load offset=92 (local.get $job)) (local.get $nt)))
    (local.set $b (i32.div_u (local.get $t) (local.get $per)))
    (local.set $t (i32.sub (local.get $t) (i32.mul (local.get $b) (local.get $per))))
    (local.set $mi (i32.div_u (local.get $t) (local.get $nt)))
    (local.set $ni (i32.sub (local.get $t) (i32.mul (local.get $mi) (local.get $nt))))
    (local.set $m0 (i32.mul (local.get $mi) (i32.load offset=100 (local.get $job))))
    (local.set $n0 (i32.mul (local.get $ni) (i32.load offset=104 (local.get $job))))
    (local.set $ldc (i32.load offset=88 (local.get $job)))
    (global.set $frame_cols (i32.const 0))
    (call $gemm
      (call $min (i32.load offset=100 (local.get $job)) (i32.sub (i32.load offset=32 (local.get $job)) (local.get $m0)))
      (call $min (i32.load offset=104 (local.get $job)) (i32.sub (i32.load offset=36 (local.get $job)) (local.get $n0)))
      (i32.load offset=40 (local.get $job))
      (i32.add (i32.add (i32.load offset=48 (local.get $job)) (i32.mul (local.get $b) (i32.load offset=52 (local.get $job))))
               (i32.mul (local.get $m0) (i32.load offset=56 (local.get $job))))
      (i32.load offset=56 (local.get $job))
      (i32.load offset=60 (local.get $job))
      (i32.add (i32.load offset=64 (local.get $job)) (i32.mul (local.get $b) (i32.load offset=68 (local.get $job))))
      (i32.load offset=72 (local.get $job))
      (i32.add (i32.load offset=76 (local.get $job)) (i32.shl (local.get $n0) (i32.const 2)))
      (i32.add (i32.add (i32.load offset=80 (local.get $job)) (i32.mul (local.get $b) (i32.load offset=84 (local.get $job))))
               (i32.add (i32.mul (local.get $m0) (local.get $ldc)) (i32.shl (local.get $n0) (i32.const 2))))
      (local.get $ldc)
      (i32.const 0)
      (local.get $scr)))

  ;; ---------------------------------------------------------------------------------------------
  ;; Convolution helpers

  ;; dst[c][i][j] = src[c][i − pt][j − pl] where that is inside the H×W source, else 0; dst is
  ;; C×Hp×Wp; negative pt/pl crop. Per channel the data rows go through $dw_frame (vectors), the
  ;; zero rows above and below as one memory.fill each, and the zero columns left and right of the
  ;; data float by float. (The $pad_copy this replaced made three runtime calls per row, a fill, a
  ;; copy and a fill, ~3 ns each: ~10 % of the model's strided convs.)
  (func $conv_frame (param $src i32) (param $C i32) (param $H i32) (param $W i32)
        (param $dst i32) (param $Hp i32) (param $Wp i32) (param $pt i32) (param $pl i32)
    (local $c i32) (local $i i32) (local $i0 i32) (local $i1 i32) (local $j i32) (local $j0 i32) (local $j1 i32)
    (local $Wp4 i32) (local $plane i32) (local $row i32)
    (local.set $Wp4 (i32.shl (local.get $Wp) (i32.const 2)))
    (local.set $plane (i32.mul (local.get $Hp) (local.get $Wp4)))
    (local.set $j0 (call $min (local.get $Wp) (call $max (i32.const 0) (local.get $pl))))
    (local.set $j1 (call $max (local.get $j0) (call $min (local.get $Wp) (i32.add (local.get $W) (local.get $pl)))))
    (local.set $i0 (call $min (local.get $Hp) (call $max (i32.const 0) (local.get $pt))))
    (local.set $i1 (call $max (local.get $i0) (call $min (local.get $Hp) (i32.add (local.get $H) (local.get $pt)))))
    (if (i32.or (i32.eq (local.get $j0) (local.get $j1)) (i32.eq (local.get $i0) (local.get $i1)))
      (then
        ;; no source cell reaches the frame
        (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $C) (local.get $plane)))
        (return)))
    (loop $chan
      (call $dw_frame (local.get $src) (local.get $H) (local.get $W) (local.get $dst) (local.get $Hp) (local.get $Wp) (local.get $pt) (local.get $pl))
      (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $i0) (local.get $Wp4)))
      (memory.fill (i32.add (local.get $dst) (i32.mul (local.get $i1) (local.get $Wp4))) (i32.const 0)
        (i32.mul (i32.sub (local.get $Hp) (local.get $i1)) (local.get $Wp4)))
      (if (i32.or (local.get $j0) (i32.lt_s (local.get $j1) (local.get $Wp)))
        (then
          (local.set $i (local.get $i0))
          (loop $rows
            (local.set $row (i32.add (local.get $dst) (i32.mul (local.get $i) (local.get $Wp4))))
            (local.set $j (i32.const 0))
            (block $l_done
              (loop $left
                (br_if $l_done (i32.ge_s (local.get $j) (local.get $j0)))
                (f32.store (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $left)))
            (local.set $j (local.get $j1))
            (block $r_done
              (loop $right
                (br_if $r_done (i32.ge_s (local.get $j) (local.get $Wp)))
                (f32.store (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $right)))
            (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $i1))))))
      (local.set $src (i32.add (local.get $src) (i32.shl (i32.mul (local.get $H) (local.get $W)) (i32.const 2))))
      (local.set $dst (i32.add (local.get $dst) (local.get $plane)))
      (br_if $chan (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $C)))))

  ;; Input image of group g of image n (or its zero-padded copy in scratch, when the job says pad).
  (func $conv_input (param $job i32) (param $src i32) (param $n i32) (param $g i32) (param $scr i32) (result i32)
    (local $cinG i32) (local $x i32)
    (local.set $cinG (i32.div_u (i32.load offset=36 (local.get $job)) (i32.load offset=92 (local.get $job))))
    (local.set $x (i32.add (local.get $src)
      (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (i32.load offset=36 (local.get $job))) (i32.mul (local.get $g) (local.get $cinG)))
                        (i32.mul (i32.load offset=40 (local.get $job)) (i32.load offset=44 (local.get $job))))
               (i32.const 2))))
    (if (result i32) (i32.load offset=120 (local.get $job))
      (then
        (call $conv_frame (local.get $x) (local.get $cinG) (i32.load offset=40 (local.get $job)) (i32.load offset=44 (local.get $job))
          (i32.add (local.get $scr) (global.get $SCR_FREE)) (i32.load offset=112 (local.get $job)) (i32.load offset=116 (local.get $job))
          (i32.load offset=76 (local.get $job)) (i32.load offset=80 (local.get $job)))
        (i32.add (local.get $scr) (global.get $SCR_FREE)))
      (else (local.get $x))))

  ;; kind 2: y[n, group g, pixels of chunk] = W_g · im2col(x[n, g]); task = (n, g, chunk).
  ;; Row table: tap offsets (Cin/G·kh·kw); column table: output-pixel offsets (OH·OW), in the
  ;; (padded) input frame.
  (func $task_conv_fwd (param $job i32) (param $t i32) (param $scr i32)
    (local $chunks i32) (local $ch i32) (local $G i32) (local $g i32) (local $n i32) (local $P i32)
    (local $coutG i32) (local $ckk i32) (local $p0 i32) (local $pc i32) (local $base i32)
    (local.set $chunks (i32.load offset=108 (local.get $job)))
    (local.set $G (i32.load offset=92 (local.get $job)))
    (local.set $ch (i32.rem_u (local.get $t) (local.get $chunks)))
    (local.set $t (i32.div_u (local.get $t) (local.get $chunks)))
    (local.set $g (i32.rem_u (local.get $t) (local.get $G)))
    (local.set $n (i32.div_u (local.get $t) (local.get $G)))
    (local.set $P (i32.mul (i32.load offset=60 (local.get $job)) (i32.load offset=64 (local.get $job))))
    (local.set $p0 (i32.mul (local.get $ch) (i32.load offset=132 (local.get $job))))
    (local.set $pc (call $min (i32.load offset=132 (local.get $job)) (i32.sub (local.get $P) (local.get $p0))))
    (if (i32.le_s (local.get $pc) (i32.const 0)) (then (return)))
    (local.set $coutG (i32.div_u (i32.load offset=48 (local.get $job)) (local.get $G)))
    (local.set $ckk (i32.mul (i32.div_u (i32.load offset=36 (local.get $job)) (local.get $G))
                             (i32.mul (i32.load offset=52 (local.get $job)) (i32.load offset=56 (local.get $job)))))
    (local.set $base (call $conv_input (local.get $job) (i32.load offset=96 (local.get $job)) (local.get $n) (local.get $g) (local.get $scr)))
    ;; only for a padded frame in scratch (with its slack), not for an image read in place
    (global.set $frame_cols (i32.load offset=120 (local.get $job)))
    (call $gemm (local.get $coutG) (local.get $pc) (local.get $ckk)
      (i32.add (i32.load offset=100 (local.get $job)) (i32.shl (i32.mul (i32.mul (local.get $g) (local.get $coutG)) (local.get $ckk)) (i32.const 2)))
      (i32.shl (local.get $ckk) (i32.const 2)) (i32.const 4)
      (local.get $base) (i32.load offset=124 (local.get $job))
      (i32.add (i32.load offset=128 (local.get $job)) (i32.shl (local.get $p0) (i32.const 2)))
      (i32.add (i32.load offset=104 (local.get $job))
        (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (i32.load offset=48 (local.get $job))) (i32.mul (local.get $g) (local.get $coutG))) (local.get $P))
                          (local.get $p0)) (i32.const 2)))
      (i32.shl (local.get $P) (i32.const 2))
      (i32.const 0) (local.get $scr)))

  ;; Rows of dx for one row phase a of kind 3: dx[ci][iy][sW·j + b] = buf_b[ci][mm·Wf + j] for the
  ;; `rows` super-pixel rows mm from m0 (iy = sH·(m0 + mm) + a < H) and every column phase b, the
  ;; sW buffers `bstep` bytes apart, each cinG rows of ldb floats. sW = 2 interleaves 4 + 4 floats
  ;; into 8 per step; other strides (and row tails) go float by float.
  (func $phase_rows (param $job i32) (param $buf i32) (param $bstep i32) (param $ldb i32) (param $dxb i32)
        (param $cinG i32) (param $m0 i32) (param $rows i32) (param $a i32)
    (local $H i32) (local $W i32) (local $sH i32) (local $sW i32) (local $Wf i32) (local $ci i32) (local $mm i32) (local $iy i32)
    (local $src i32) (local $dst i32) (local $j i32) (local $b i32) (local $ix i32) (local $q i32) (local $v0 v128) (local $v1 v128)
    (local $pairs4 i32) (local $x i32)
    (local.set $H (i32.load offset=40 (local.get $job)))
    (local.set $W (i32.load offset=44 (local.get $job)))
    (local.set $sH (i32.load offset=68 (local.get $job)))
    (local.set $sW (i32.load offset=72 (local.get $job)))
    (local.set $Wf (i32.load offset=116 (local.get $job)))
    ;; sW = 2: complete pairs (2j, 2j + 1) for j < W/2, 4 of them per step
    (local.set $pairs4 (i32.and (i32.shr_u (local.get $W) (i32.const 1)) (i32.const -4)))
    (loop $chan
      (local.set $mm (i32.const 0))
      (block $rows_done
        (loop $row
          (br_if $rows_done (i32.ge_s (local.get $mm) (local.get $rows)))
          (local.set $iy (i32.add (i32.mul (local.get $sH) (i32.add (local.get $m0) (local.get $mm))) (local.get $a)))
          (br_if $rows_done (i32.ge_s (local.get $iy) (local.get $H)))
          (local.set $src (i32.add (local.get $buf)
            (i32.shl (i32.add (i32.mul (local.get $ci) (local.get $ldb)) (i32.mul (local.get $mm) (local.get $Wf))) (i32.const 2))))
          (local.set $dst (i32.add (local.get $dxb)
            (i32.shl (i32.mul (i32.add (i32.mul (local.get $ci) (local.get $H)) (local.get $iy)) (local.get $W)) (i32.const 2))))
          (local.set $j (i32.const 0))
          (if (i32.eq (local.get $sW) (i32.const 2))
            (then
              (block $vec_done
                (loop $vec
                  (br_if $vec_done (i32.ge_s (local.get $j) (local.get $pairs4)))
                  (local.set $q (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))
                  (local.set $v0 (v128.load (local.get $q)))
                  (local.set $v1 (v128.load (i32.add (local.get $q) (local.get $bstep))))
                  (local.set $q (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 3))))
                  (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
                  (v128.store offset=16 (local.get $q) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
                  (local.set $j (i32.add (local.get $j) (i32.const 4)))
                  (br $vec)))))
          ;; the rest float by float: column phase b, super-pixel column j, ix = sW·j + b < W
          (local.set $b (i32.const 0))
          (loop $phase
            (local.set $q (i32.add (local.get $src) (i32.mul (local.get $b) (local.get $bstep))))
            (local.set $ix (local.get $j))
            (block $cols_done
              (loop $col
                (local.set $x (i32.add (i32.mul (local.get $sW) (local.get $ix)) (local.get $b)))
                (br_if $cols_done (i32.ge_s (local.get $x) (local.get $W)))
                (f32.store (i32.add (local.get $dst) (i32.shl (local.get $x) (i32.const 2)))
                  (f32.load (i32.add (local.get $q) (i32.shl (local.get $ix) (i32.const 2)))))
                (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
                (br $col)))
            (br_if $phase (i32.lt_s (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $sW))))
          (local.set $mm (i32.add (local.get $mm) (i32.const 1)))
          (br $row)))
      (br_if $chan (i32.lt_s (local.tee $ci (i32.add (local.get $ci) (i32.const 1))) (local.get $cinG)))))

  ;; kind 3, input gradient of a strided conv, by output phases; task = (n, g). dx pixel
  ;; (sH·m + a, sW·j + b) is phase (a, b), super-pixel (m, j). Its taps are the ky with
  ;; (a + pH − ky·dH) ≡ 0 mod sH (and kx likewise), and each reads dy at (m + dy_k, j + dx_k) with
  ;; dy_k = (a + pH − ky·dH)/sH: per phase a stride-1 GEMM, dx_ab[ci, (m, j)] = Σ_k A_ab[ci, k]·dy(k, m, j),
  ;; k = (co, ky, kx) over the phase's taps, with no scatter-add. dy is copied into a zero-padded
  ;; frame of Hf rows of Wf floats in which super-pixel (m, j) is flat column m·Wf + j for every tap,
  ;; so B's columns are adjacent and $gemm_rows reads B in place (no packing); the Wf − Mw columns
  ;; past each row are computed and dropped. Chunks of whole super-pixel rows; per row phase a, the sW column phases go to sW
  ;; buffers and $phase_rows writes those dx rows once (every dx cell exactly once: no zeroing).
  ;; Words: 24 dy  26 dx  27 super-pixel rows per chunk  28 Hf  29 Wf  30 frame top pad  31 phase
  ;; table  33 buffer row floats (ldb)  34 frame left pad  35 Mh  36 Mw
  ;; 37 frame bytes. Phase table, 16 bytes per phase a·sW + b: K, A (G × cinG × K floats), row table (K).
  (func $task_conv_bwd_input (param $job i32) (param $t i32) (param $scr i32)
    (local $G i32) (local $g i32) (local $n i32) (local $cinG i32) (local $coutG i32) (local $sH i32) (local $sW i32)
    (local $Wf i32) (local $Mh i32) (local $Mw i32) (local $R i32) (local $ldb i32) (local $frame i32) (local $buf i32) (local $bstep i32)
    (local $dxb i32) (local $m0 i32) (local $rows i32) (local $nc i32) (local $a i32) (local $b i32) (local $ph i32) (local $K i32)
    (local.set $G (i32.load offset=92 (local.get $job)))
    (local.set $g (i32.rem_u (local.get $t) (local.get $G)))
    (local.set $n (i32.div_u (local.get $t) (local.get $G)))
    (local.set $cinG (i32.div_u (i32.load offset=36 (local.get $job)) (local.get $G)))
    (local.set $coutG (i32.div_u (i32.load offset=48 (local.get $job)) (local.get $G)))
    (local.set $sH (i32.load offset=68 (local.get $job)))
    (local.set $sW (i32.load offset=72 (local.get $job)))
    (local.set $R (i32.load offset=108 (local.get $job)))
    (local.set $Wf (i32.load offset=116 (local.get $job)))
    (local.set $ldb (i32.load offset=132 (local.get $job)))
    (local.set $Mh (i32.load offset=140 (local.get $job)))
    (local.set $Mw (i32.load offset=144 (local.get $job)))
    (local.set $frame (i32.add (local.get $scr) (global.get $SCR_FREE)))
    (local.set $buf (i32.add (local.get $frame) (i32.load offset=148 (local.get $job))))
    (local.set $bstep (i32.shl (i32.mul (local.get $cinG) (local.get $ldb)) (i32.const 2)))
    (global.set $frame_cols (i32.const 0))
    (call $conv_frame
      (i32.add (i32.load offset=96 (local.get $job))
        (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (i32.load offset=48 (local.get $job))) (i32.mul (local.get $g) (local.get $coutG)))
                          (i32.mul (i32.load offset=60 (local.get $job)) (i32.load offset=64 (local.get $job)))) (i32.const 2)))
      (local.get $coutG) (i32.load offset=60 (local.get $job)) (i32.load offset=64 (local.get $job))
      (local.get $frame) (i32.load offset=112 (local.get $job)) (local.get $Wf)
      (i32.load offset=120 (local.get $job)) (i32.load offset=136 (local.get $job)))
    (local.set $dxb (i32.add (i32.load offset=104 (local.get $job))
      (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (i32.load offset=36 (local.get $job))) (i32.mul (local.get $g) (local.get $cinG)))
                        (i32.mul (i32.load offset=40 (local.get $job)) (i32.load offset=44 (local.get $job)))) (i32.const 2))))
    (loop $chunks
      (local.set $rows (call $min (local.get $R) (i32.sub (local.get $Mh) (local.get $m0))))
      ;; flat columns of the chunk: whole rows, the last one only its Mw real columns
      (local.set $nc (i32.add (i32.mul (i32.sub (local.get $rows) (i32.const 1)) (local.get $Wf)) (local.get $Mw)))
      (local.set $a (i32.const 0))
      (loop $rowphase
        (local.set $b (i32.const 0))
        (loop $colphase
          (local.set $ph (i32.add (i32.load offset=124 (local.get $job)) (i32.shl (i32.add (i32.mul (local.get $a) (local.get $sW)) (local.get $b)) (i32.const 4))))
          (local.set $K (i32.load (local.get $ph)))
          (if (local.get $K)
            (then
              (call $gemm_rows (local.get $cinG) (local.get $nc) (local.get $K)
                (i32.add (i32.load offset=4 (local.get $ph)) (i32.shl (i32.mul (i32.mul (local.get $g) (local.get $cinG)) (local.get $K)) (i32.const 2)))
                (i32.shl (local.get $K) (i32.const 2)) (i32.const 4)
                (i32.add (local.get $frame) (i32.shl (i32.mul (local.get $m0) (local.get $Wf)) (i32.const 2))) (i32.load offset=8 (local.get $ph))
                (i32.add (local.get $buf) (i32.mul (local.get $b) (local.get $bstep))) (i32.shl (local.get $ldb) (i32.const 2))
                (local.get $scr)))
            ;; a phase no tap reaches (stride past the kernel, or dilation sharing a factor with it): zeros
            (else (memory.fill (i32.add (local.get $buf) (i32.mul (local.get $b) (local.get $bstep))) (i32.const 0) (local.get $bstep))))
          (br_if $colphase (i32.lt_s (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $sW))))
        (call $phase_rows (local.get $job) (local.get $buf) (local.get $bstep) (local.get $ldb) (local.get $dxb)
          (local.get $cinG) (local.get $m0) (local.get $rows) (local.get $a))
        (br_if $rowphase (i32.lt_s (local.tee $a (i32.add (local.get $a) (i32.const 1))) (local.get $sH))))
      (br_if $chunks (i32.lt_s (local.tee $m0 (i32.add (local.get $m0) (local.get $R))) (local.get $Mh)))))

  ;; kind 4: dW_g[:, taps of chunk] = Σ_{n in image chunk} dy[n, g] · im2col(x[n, g])ᵀ;
  ;; task = (g, image chunk, tap chunk). Tasks of one image chunk write their own copy of dW
  ;; (out + chunk·word 36 bytes), which the caller sums in chunk order (deterministic).
  ;; Row table: output-pixel offsets (K = OH·OW); column table: tap offsets (Cin/G·kh·kw).
  ;; Extra words: 34 image chunks, 35 images per chunk, 36 bytes between dW copies.
  (func $task_conv_bwd_weight (param $job i32) (param $t i32) (param $scr i32)
    (local $chunks i32) (local $ch i32) (local $ichunks i32) (local $ci i32) (local $G i32) (local $g i32)
    (local $n i32) (local $n0 i32) (local $n1 i32) (local $P i32)
    (local $coutG i32) (local $ckk i32) (local $r0 i32) (local $rc i32) (local $base i32) (local $out i32)
    (local.set $chunks (i32.load offset=108 (local.get $job)))
    (local.set $ichunks (i32.load offset=136 (local.get $job)))
    (local.set $G (i32.load offset=92 (local.get $job)))
    (local.set $ch (i32.rem_u (local.get $t) (local.get $chunks)))
    (local.set $t (i32.div_u (local.get $t) (local.get $chunks)))
    (local.set $ci (i32.rem_u (local.get $t) (local.get $ichunks)))
    (local.set $g (i32.div_u (local.get $t) (local.get $ichunks)))
    (local.set $n0 (i32.mul (local.get $ci) (i32.load offset=140 (local.get $job))))
    (local.set $n1 (call $min (i32.load offset=32 (local.get $job)) (i32.add (local.get $n0) (i32.load offset=140 (local.get $job)))))
    (local.set $P (i32.mul (i32.load offset=60 (local.get $job)) (i32.load offset=64 (local.get $job))))
    (local.set $coutG (i32.div_u (i32.load offset=48 (local.get $job)) (local.get $G)))
    (local.set $ckk (i32.mul (i32.div_u (i32.load offset=36 (local.get $job)) (local.get $G))
                             (i32.mul (i32.load offset=52 (local.get $job)) (i32.load offset=56 (local.get $job)))))
    (local.set $r0 (i32.mul (local.get $ch) (i32.load offset=132 (local.get $job))))
    (local.set $rc (call $min (i32.load offset=132 (local.get $job)) (i32.sub (local.get $ckk) (local.get $r0))))
    (if (i32.or (i32.le_s (local.get $rc) (i32.const 0)) (i32.ge_s (local.get $n0) (local.get $n1))) (then (return)))
    (local.set $out (i32.add (i32.add (i32.load offset=104 (local.get $job)) (i32.mul (local.get $ci) (i32.load offset=144 (local.get $job))))
      (i32.shl (i32.add (i32.mul (i32.mul (local.get $g) (local.get $coutG)) (local.get $ckk)) (local.get $r0)) (i32.const 2))))
    (global.set $frame_cols (i32.const 0))
    (local.set $n (local.get $n0))
    (loop $images
      (local.set $base (call $conv_input (local.get $job) (i32.load offset=96 (local.get $job)) (local.get $n) (local.get $g) (local.get $scr)))
      (call $gemm (local.get $coutG) (local.get $rc) (local.get $P)
        (i32.add (i32.load offset=100 (local.get $job))
          (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (i32.load offset=48 (local.get $job))) (i32.mul (local.get $g) (local.get $coutG))) (local.get $P))
                   (i32.const 2)))
        (i32.shl (local.get $P) (i32.const 2)) (i32.const 4)
        (local.get $base) (i32.load offset=124 (local.get $job))
        (i32.add (i32.load offset=128 (local.get $job)) (i32.shl (local.get $r0) (i32.const 2)))
        (local.get $out)
        (i32.shl (local.get $ckk) (i32.const 2))
        (i32.ne (local.get $n) (local.get $n0)) (local.get $scr))
      (br_if $images (i32.lt_s (local.tee $n (i32.add (local.get $n) (i32.const 1))) (local.get $n1)))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Depthwise (groups = Cin = Cout), stride 1: direct SIMD loops, no im2col.

  ;; One channel of a direct 3×3 depthwise convolution, stride 1 (kind 19's positional features):
  ;; y[oy][ox] = Σ_ky Σ_kx wc[ky·3 + kx]·xp[oy + ky·dH][ox + kx·dW] over a zero-padded frame xp (rows
  ;; Wp4 bytes apart, Wp >= ceil8(OW) + 2·dW; dHrow = dH·Wp4, dW4 = 4·dW), 8 outputs per step, the
  ;; taps unrolled with their weights in registers, added in row-major order from 0. The vectors go
  ;; straight to y (rows OW floats apart) and run up to 7 floats past each row: into the next rows
  ;; (written after it) and, after the last row, into the caller's slack. (Kinds 5 and 6 used this
  ;; loop, with a general tap loop and a row buffer, until the flat layout below.)
  (func $dw_plane3 (param $xp i32) (param $wc i32) (param $yo i32)
        (param $OH i32) (param $OW i32) (param $Wp4 i32) (param $dHrow i32) (param $dW4 i32)
    (local $OWv i32) (local $oy i32) (local $ox i32) (local $rp i32) (local $q i32) (local $dst i32)
    (local $a0 v128) (local $a1 v128)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $w4 v128) (local $w5 v128) (local $w6 v128) (local $w7 v128) (local $w8 v128)
    (local.set $OWv (i32.and (i32.add (local.get $OW) (i32.const 7)) (i32.const -8)))
    (local.set $w0 (v128.load32_splat (local.get $wc)))
    (local.set $w1 (v128.load32_splat offset=4 (local.get $wc)))
    (local.set $w2 (v128.load32_splat offset=8 (local.get $wc)))
    (local.set $w3 (v128.load32_splat offset=12 (local.get $wc)))
    (local.set $w4 (v128.load32_splat offset=16 (local.get $wc)))
    (local.set $w5 (v128.load32_splat offset=20 (local.get $wc)))
    (local.set $w6 (v128.load32_splat offset=24 (local.get $wc)))
    (local.set $w7 (v128.load32_splat offset=28 (local.get $wc)))
    (local.set $w8 (v128.load32_splat offset=32 (local.get $wc)))
    (loop $rows3
      (local.set $dst (i32.add (local.get $yo) (i32.shl (i32.mul (local.get $oy) (local.get $OW)) (i32.const 2))))
      (local.set $ox (i32.const 0))
      (loop $vecs3
        (local.set $rp (i32.add (i32.add (local.get $xp) (i32.mul (local.get $oy) (local.get $Wp4))) (i32.shl (local.get $ox) (i32.const 2))))
        (local.set $q (i32.add (local.get $rp) (local.get $dW4)))
        (local.set $a0 (f32x4.add (v128.const i32x4 0 0 0 0) (f32x4.mul (local.get $w0) (v128.load (local.get $rp)))))
        (local.set $a1 (f32x4.add (v128.const i32x4 0 0 0 0) (f32x4.mul (local.get $w0) (v128.load offset=16 (local.get $rp)))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w1) (v128.load (local.get $q)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w1) (v128.load offset=16 (local.get $q)))))
        (local.set $q (i32.add (local.get $q) (local.get $dW4)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w2) (v128.load (local.get $q)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w2) (v128.load offset=16 (local.get $q)))))
        (local.set $rp (i32.add (local.get $rp) (local.get $dHrow)))
        (local.set $q (i32.add (local.get $rp) (local.get $dW4)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w3) (v128.load (local.get $rp)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w3) (v128.load offset=16 (local.get $rp)))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w4) (v128.load (local.get $q)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w4) (v128.load offset=16 (local.get $q)))))
        (local.set $q (i32.add (local.get $q) (local.get $dW4)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w5) (v128.load (local.get $q)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w5) (v128.load offset=16 (local.get $q)))))
        (local.set $rp (i32.add (local.get $rp) (local.get $dHrow)))
        (local.set $q (i32.add (local.get $rp) (local.get $dW4)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w6) (v128.load (local.get $rp)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w6) (v128.load offset=16 (local.get $rp)))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w7) (v128.load (local.get $q)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w7) (v128.load offset=16 (local.get $q)))))
        (local.set $q (i32.add (local.get $q) (local.get $dW4)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w8) (v128.load (local.get $q)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w8) (v128.load offset=16 (local.get $q)))))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $ox) (i32.const 2))) (local.get $a0))
        (v128.store offset=16 (i32.add (local.get $dst) (i32.shl (local.get $ox) (i32.const 2))) (local.get $a1))
        (br_if $vecs3 (i32.lt_s (local.tee $ox (i32.add (local.get $ox) (i32.const 8))) (local.get $OWv))))
      (br_if $rows3 (i32.lt_s (local.tee $oy (i32.add (local.get $oy) (i32.const 1))) (local.get $OH)))))

  ;; Kinds 5 and 6 work on the plane as one flat row (session 12). The frame of an input plane has
  ;; rows of exactly Wp = OW + (kw−1)·dW floats, Hp = OH + (kh−1)·dH of them, so output pixel
  ;; (oy, ox) at flat index j = oy·Wp + ox reads the frame at j + ky·dH·Wp + kx·dW: a 1-D
  ;; convolution over the flat frame whose taps are fixed offsets. The loops then run over
  ;; L = (OH−1)·Wp + OW outputs in blocks of 16 (four vectors), with no per-row tails: on the model's
  ;; thin rows (8–21 pixels) 8-wide vectors per row wasted up to 5 of 16 lanes, and the per-row loop
  ;; cost as much as the taps. The (kw−1)·dW flat outputs between rows are computed and dropped.
  ;; The frame has 16 zero floats after it, so a block's over-read stays inside it and reads zeros.

  ;; Copies rows × nb bytes (nb a multiple of 4) from rows ss bytes apart at s to rows sd bytes apart
  ;; at d (the ranges disjoint): each row with whole vectors, the last one ending exactly at the row's
  ;; end (it overlaps the one before), so nothing outside the rows is touched; rows under 16 bytes
  ;; float by float.
  (func $dw_copy (param $s i32) (param $ss i32) (param $d i32) (param $sd i32) (param $rows i32) (param $nb i32)
    (local $b i32) (local $e i32) (local $r i32)
    (if (i32.ge_u (local.get $nb) (i32.const 16))
      (then
        (local.set $e (i32.sub (local.get $nb) (i32.const 16)))
        (loop $rowsv
          (local.set $b (i32.const 0))
          (block $done
            (loop $vecs
              (br_if $done (i32.ge_u (local.get $b) (local.get $e)))
              (v128.store (i32.add (local.get $d) (local.get $b)) (v128.load (i32.add (local.get $s) (local.get $b))))
              (local.set $b (i32.add (local.get $b) (i32.const 16)))
              (br $vecs)))
          (v128.store (i32.add (local.get $d) (local.get $e)) (v128.load (i32.add (local.get $s) (local.get $e))))
          (local.set $s (i32.add (local.get $s) (local.get $ss)))
          (local.set $d (i32.add (local.get $d) (local.get $sd)))
          (br_if $rowsv (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $rows)))))
      (else
        (loop $rowsf
          (local.set $b (i32.const 0))
          (block $done1
            (loop $floats
              (br_if $done1 (i32.ge_u (local.get $b) (local.get $nb)))
              (f32.store (i32.add (local.get $d) (local.get $b)) (f32.load (i32.add (local.get $s) (local.get $b))))
              (local.set $b (i32.add (local.get $b) (i32.const 4)))
              (br $floats)))
          (local.set $s (i32.add (local.get $s) (local.get $ss)))
          (local.set $d (i32.add (local.get $d) (local.get $sd)))
          (br_if $rowsf (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $rows)))))))

  ;; The data of one H×W plane at src into a flat frame at dst (Hp rows of Wp floats): frame row i
  ;; holds source row i − pt shifted right by pl (negative pt, pl crop). Only the data is written,
  ;; row by row with $dw_copy (one copy when the rows are contiguous, as in k×1 kernels), so the
  ;; zeros around it, written once per task by memory.fill, stay for every image of the task: the
  ;; per-row fills and copies of $pad_copy (calls into the runtime, ~3 ns each) were ~40 % of a
  ;; small plane.
  (func $dw_frame (param $src i32) (param $H i32) (param $W i32) (param $dst i32) (param $Hp i32) (param $Wp i32) (param $pt i32) (param $pl i32)
    (local $i0 i32) (local $i1 i32) (local $j0 i32) (local $wb i32) (local $Wp4 i32) (local $W4 i32)
    (local.set $j0 (call $max (i32.const 0) (local.get $pl)))
    ;; bytes of each source row inside the frame
    (local.set $wb (i32.shl (i32.sub (call $min (local.get $Wp) (i32.add (local.get $W) (local.get $pl))) (local.get $j0)) (i32.const 2)))
    ;; the frame rows that hold source rows: [i0, i1)
    (local.set $i0 (call $max (i32.const 0) (local.get $pt)))
    (local.set $i1 (call $min (local.get $Hp) (i32.add (local.get $H) (local.get $pt))))
    (if (i32.or (i32.le_s (local.get $wb) (i32.const 0)) (i32.ge_s (local.get $i0) (local.get $i1))) (then (return)))
    (local.set $Wp4 (i32.shl (local.get $Wp) (i32.const 2)))
    (local.set $W4 (i32.shl (local.get $W) (i32.const 2)))
    (local.set $src (i32.add (local.get $src)
      (i32.add (i32.mul (i32.sub (local.get $i0) (local.get $pt)) (local.get $W4)) (i32.shl (i32.sub (local.get $j0) (local.get $pl)) (i32.const 2)))))
    (local.set $dst (i32.add (local.get $dst) (i32.add (i32.mul (local.get $i0) (local.get $Wp4)) (i32.shl (local.get $j0) (i32.const 2)))))
    (if (i32.and (i32.eq (local.get $wb) (local.get $W4)) (i32.eq (local.get $W4) (local.get $Wp4)))
      (then (call $dw_copy (local.get $src) (i32.const 0) (local.get $dst) (i32.const 0) (i32.const 1)
        (i32.mul (i32.sub (local.get $i1) (local.get $i0)) (local.get $W4))))
      (else (call $dw_copy (local.get $src) (local.get $W4) (local.get $dst) (local.get $Wp4) (i32.sub (local.get $i1) (local.get $i0)) (local.get $wb)))))

  ;; yb[j] = Σ_t w_t·xp[j + off_t] for the first Lr4 bytes of yb (a multiple of 4, at least 64; when
  ;; not a multiple of 64 the last block starts 64 bytes before the end and recomputes, with the same
  ;; bits, outputs of the block before, so yb can be the output itself): 16 outputs per
  ;; block in four accumulators, the taps from the table [off_t (i32 bytes), w_t (f32)] at tab..tend,
  ;; in row-major order and added to 0 one by one: the additions of the loops kinds 5 and 6 had before, so the same
  ;; bits as before the flat layout.
  (func $dw_flat (param $xp i32) (param $tab i32) (param $tend i32) (param $yb i32) (param $Lr4 i32)
    (local $j i32) (local $p i32) (local $q i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $wv v128)
    (loop $blocks
      (local.set $a0 (v128.const i32x4 0 0 0 0))
      (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $a2 (v128.const i32x4 0 0 0 0))
      (local.set $a3 (v128.const i32x4 0 0 0 0))
      (local.set $p (local.get $tab))
      (loop $taps
        (local.set $q (i32.add (i32.add (local.get $xp) (local.get $j)) (i32.load (local.get $p))))
        (local.set $wv (v128.load32_splat offset=4 (local.get $p)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $wv) (v128.load (local.get $q)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $wv) (v128.load offset=16 (local.get $q)))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $wv) (v128.load offset=32 (local.get $q)))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $wv) (v128.load offset=48 (local.get $q)))))
        (br_if $taps (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 8))) (local.get $tend))))
      (local.set $q (i32.add (local.get $yb) (local.get $j)))
      (v128.store (local.get $q) (local.get $a0))
      (v128.store offset=16 (local.get $q) (local.get $a1))
      (v128.store offset=32 (local.get $q) (local.get $a2))
      (v128.store offset=48 (local.get $q) (local.get $a3))
      (local.set $j (i32.add (local.get $j) (i32.const 64)))
      ;; a last partial block starts 64 bytes before the end (for Lr4 a multiple of 64, none)
      (if (i32.and (i32.lt_u (local.get $j) (local.get $Lr4)) (i32.gt_u (local.get $j) (i32.sub (local.get $Lr4) (i32.const 64))))
        (then (local.set $j (i32.sub (local.get $Lr4) (i32.const 64)))))
      (br_if $blocks (i32.lt_u (local.get $j) (local.get $Lr4)))))

  ;; y[oy, ox] = Σ_t w_t·xp[oy·Wp + ox + off_t] straight into the H×W output plane at y (rows OW4
  ;; bytes apart), for OH ≥ 4 and OW ≥ 4: blocks of 4 rows × one 4-wide column vector, one
  ;; accumulator per row, so the 4 loads of a tap share its offset and weight. Row groups start at
  ;; 0, 4, … and the last one at OH − 4; columns at 0, 4, … and the last at OW − 4: the overlaps
  ;; recompute the same sums (same taps, same order) and store the same bits. No lane falls between
  ;; rows (the flat loop's (kw−1)·dW dropped lanes a row) and there is no copy out of a buffer.
  ;; The taps are added in table (row-major) order from 0, as in $dw_flat: the same bits.
  (func $dw_rows (param $xp i32) (param $tab i32) (param $tend i32) (param $y i32) (param $OH i32) (param $OW4 i32) (param $Wp4 i32)
    (local $oy i32) (local $c i32) (local $fr i32) (local $yr i32) (local $p i32) (local $q i32) (local $q1 i32) (local $lastc i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $wv v128)
    (local.set $lastc (i32.sub (local.get $OW4) (i32.const 16)))
    (loop $groups
      (if (i32.gt_s (local.get $oy) (i32.sub (local.get $OH) (i32.const 4)))
        (then (local.set $oy (i32.sub (local.get $OH) (i32.const 4)))))
      (local.set $fr (i32.add (local.get $xp) (i32.mul (local.get $oy) (local.get $Wp4))))
      (local.set $yr (i32.add (local.get $y) (i32.mul (local.get $oy) (local.get $OW4))))
      (local.set $c (i32.const 0))
      (loop $cols
        (if (i32.gt_s (local.get $c) (local.get $lastc)) (then (local.set $c (local.get $lastc))))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $p (local.get $tab))
        (loop $taps
          (local.set $q (i32.add (i32.add (local.get $fr) (local.get $c)) (i32.load (local.get $p))))
          (local.set $q1 (i32.add (local.get $q) (local.get $Wp4)))
          (local.set $wv (v128.load32_splat offset=4 (local.get $p)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $wv) (v128.load (local.get $q)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $wv) (v128.load (local.get $q1)))))
          (local.set $q (i32.add (local.get $q1) (local.get $Wp4)))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $wv) (v128.load (local.get $q)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $wv) (v128.load (i32.add (local.get $q) (local.get $Wp4))))))
          (br_if $taps (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 8))) (local.get $tend))))
        (local.set $q (i32.add (local.get $yr) (local.get $c)))
        (v128.store (local.get $q) (local.get $a0))
        (v128.store (local.tee $q (i32.add (local.get $q) (local.get $OW4))) (local.get $a1))
        (v128.store (local.tee $q (i32.add (local.get $q) (local.get $OW4))) (local.get $a2))
        (v128.store (i32.add (local.get $q) (local.get $OW4)) (local.get $a3))
        (br_if $cols (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 16))) (local.get $OW4))))
      (br_if $groups (i32.lt_s (local.tee $oy (i32.add (local.get $oy) (i32.const 4))) (local.get $OH)))))

  ;; $dw_rows with 8 rows per block (OH ≥ 8) on a frame whose rows are exactly 128 bytes (32 floats)
  ;; apart, as jobs.ts lays it out for Wp ≤ 32: the 8 loads of a tap take constant offsets, so a tap
  ;; is its table reads, one address, 8 loads, 8 multiplies and 8 additions (the loop is bound by
  ;; instructions; a variable row stride costs an address addition per row).
  (func $dw_rows8 (param $xp i32) (param $tab i32) (param $tend i32) (param $y i32) (param $OH i32) (param $OW4 i32)
    (local $oy i32) (local $c i32) (local $fr i32) (local $yr i32) (local $p i32) (local $q i32) (local $lastc i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $wv v128)
    (local.set $lastc (i32.sub (local.get $OW4) (i32.const 16)))
    (loop $groups
      (if (i32.gt_s (local.get $oy) (i32.sub (local.get $OH) (i32.const 8)))
        (then (local.set $oy (i32.sub (local.get $OH) (i32.const 8)))))
      (local.set $fr (i32.add (local.get $xp) (i32.shl (local.get $oy) (i32.const 7))))
      (local.set $yr (i32.add (local.get $y) (i32.mul (local.get $oy) (local.get $OW4))))
      (local.set $c (i32.const 0))
      (loop $cols
        (if (i32.gt_s (local.get $c) (local.get $lastc)) (then (local.set $c (local.get $lastc))))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $a4 (v128.const i32x4 0 0 0 0))
        (local.set $a5 (v128.const i32x4 0 0 0 0))
        (local.set $a6 (v128.const i32x4 0 0 0 0))
        (local.set $a7 (v128.const i32x4 0 0 0 0))
        (local.set $p (local.get $tab))
        (loop $taps
          (local.set $q (i32.add (i32.add (local.get $fr) (local.get $c)) (i32.load (local.get $p))))
          (local.set $wv (v128.load32_splat offset=4 (local.get $p)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $wv) (v128.load (local.get $q)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $wv) (v128.load offset=128 (local.get $q)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $wv) (v128.load offset=256 (local.get $q)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $wv) (v128.load offset=384 (local.get $q)))))
          (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $wv) (v128.load offset=512 (local.get $q)))))
          (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $wv) (v128.load offset=640 (local.get $q)))))
          (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $wv) (v128.load offset=768 (local.get $q)))))
          (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $wv) (v128.load offset=896 (local.get $q)))))
          (br_if $taps (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 8))) (local.get $tend))))
        (local.set $q (i32.add (local.get $yr) (local.get $c)))
        (v128.store (local.get $q) (local.get $a0))
        (v128.store (local.tee $q (i32.add (local.get $q) (local.get $OW4))) (local.get $a1))
        (v128.store (local.tee $q (i32.add (local.get $q) (local.get $OW4))) (local.get $a2))
        (v128.store (local.tee $q (i32.add (local.get $q) (local.get $OW4))) (local.get $a3))
        (v128.store (local.tee $q (i32.add (local.get $q) (local.get $OW4))) (local.get $a4))
        (v128.store (local.tee $q (i32.add (local.get $q) (local.get $OW4))) (local.get $a5))
        (v128.store (local.tee $q (i32.add (local.get $q) (local.get $OW4))) (local.get $a6))
        (v128.store (local.tee $q (i32.add (local.get $q) (local.get $OW4))) (local.get $a7))
        (br_if $cols (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 16))) (local.get $OW4))))
      (br_if $groups (i32.lt_s (local.tee $oy (i32.add (local.get $oy) (i32.const 8))) (local.get $OH)))))

  ;; kind 5: y[n, c] = w[c] ⋆ x[n, c]; task = (image chunk, c), word 27 images per chunk (all N but
  ;; for threads with few channels). Scratch: the flat frame, then (words 31, 32: byte offsets from
  ;; the frame, word 31 also the bytes zeroed) the flat outputs yb and the tap table; word 33 = Lr4,
  ;; the bytes of L = (OH−1)·Wp + OW rounded up to 16 floats. Per plane, one of (session 14):
  ;; - kw = 1 (Wp = OW, rows contiguous) and 16 outputs or more: $dw_flat straight into y;
  ;; - OH ≥ 8, OW ≥ 4 and rows 32 floats apart (jobs.ts pads Wp ≤ 32 to 32): $dw_rows8 into y;
  ;; - OH ≥ 4 and OW ≥ 4: $dw_rows into y;
  ;; - else $dw_flat into yb, whose rows (Wp floats apart) are copied to y (OW apart).
  ;; All add the taps in row-major order from 0 per output, so they give the same bits. Each plane is
  ;; computed alone, so the split does not change any bit.
  (func $task_dw_fwd (param $job i32) (param $t i32) (param $scr i32)
    (local $C i32) (local $c i32) (local $n i32) (local $n1 i32) (local $xp i32) (local $yb i32) (local $tab i32) (local $p i32) (local $wc i32)
    (local $y i32) (local $Wp i32) (local $Wp4 i32) (local $kh i32) (local $kw i32) (local $ky i32) (local $kx i32)
    (local $OH i32) (local $OW4 i32) (local $HW4 i32) (local $Lr4 i32)
    (local.set $C (i32.load offset=36 (local.get $job)))
    (local.set $c (i32.rem_u (local.get $t) (local.get $C)))
    (local.set $n (i32.mul (i32.div_u (local.get $t) (local.get $C)) (i32.load offset=108 (local.get $job))))
    (local.set $n1 (call $min (i32.load offset=32 (local.get $job)) (i32.add (local.get $n) (i32.load offset=108 (local.get $job)))))
    (if (i32.ge_s (local.get $n) (local.get $n1)) (then (return)))
    (local.set $kh (i32.load offset=52 (local.get $job)))
    (local.set $kw (i32.load offset=56 (local.get $job)))
    (local.set $OH (i32.load offset=60 (local.get $job)))
    (local.set $OW4 (i32.shl (i32.load offset=64 (local.get $job)) (i32.const 2)))
    (local.set $HW4 (i32.shl (i32.mul (i32.load offset=40 (local.get $job)) (i32.load offset=44 (local.get $job))) (i32.const 2)))
    (local.set $Wp (i32.load offset=116 (local.get $job)))
    (local.set $Wp4 (i32.shl (local.get $Wp) (i32.const 2)))
    (local.set $Lr4 (i32.load offset=132 (local.get $job)))
    (local.set $xp (i32.add (local.get $scr) (global.get $SCR_FREE)))
    (local.set $yb (i32.add (local.get $xp) (i32.load offset=124 (local.get $job))))
    (local.set $tab (i32.add (local.get $xp) (i32.load offset=128 (local.get $job))))
    ;; the frame's zeros (and the 16 floats after it), once for the task's images
    (memory.fill (local.get $xp) (i32.const 0) (i32.load offset=124 (local.get $job)))
    ;; the tap table: frame offset and weight of each tap, row-major
    (local.set $wc (i32.add (i32.load offset=100 (local.get $job)) (i32.shl (i32.mul (local.get $c) (i32.mul (local.get $kh) (local.get $kw))) (i32.const 2))))
    (local.set $p (local.get $tab))
    (loop $taprows
      (local.set $kx (i32.const 0))
      (loop $taps
        (i32.store (local.get $p)
          (i32.add (i32.mul (i32.mul (local.get $ky) (i32.load offset=84 (local.get $job))) (local.get $Wp4))
                   (i32.shl (i32.mul (local.get $kx) (i32.load offset=88 (local.get $job))) (i32.const 2))))
        (f32.store offset=4 (local.get $p) (f32.load (local.get $wc)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $wc (i32.add (local.get $wc) (i32.const 4)))
        (br_if $taps (i32.lt_s (local.tee $kx (i32.add (local.get $kx) (i32.const 1))) (local.get $kw))))
      (br_if $taprows (i32.lt_s (local.tee $ky (i32.add (local.get $ky) (i32.const 1))) (local.get $kh))))
    (loop $images
      (call $dw_frame
        (i32.add (i32.load offset=96 (local.get $job)) (i32.mul (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (local.get $HW4)))
        (i32.load offset=40 (local.get $job)) (i32.load offset=44 (local.get $job))
        (local.get $xp) (i32.load offset=112 (local.get $job)) (local.get $Wp)
        (i32.load offset=76 (local.get $job)) (i32.load offset=80 (local.get $job)))
      (local.set $y (i32.add (i32.load offset=104 (local.get $job))
        (i32.mul (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (i32.mul (local.get $OH) (local.get $OW4)))))
      (if (i32.and (i32.eq (local.get $Wp4) (local.get $OW4)) (i32.ge_u (i32.mul (local.get $OH) (local.get $OW4)) (i32.const 64)))
        ;; contiguous rows (kw = 1) of 16 floats or more: the flat loop straight into y
        (then (call $dw_flat (local.get $xp) (local.get $tab) (local.get $p) (local.get $y) (i32.mul (local.get $OH) (local.get $OW4))))
      (else (if (i32.and (i32.ge_s (local.get $OH) (i32.const 4)) (i32.ge_s (local.get $OW4) (i32.const 16)))
        ;; 4 rows and 4 columns at least: straight into y
        (then (if (i32.and (i32.ge_s (local.get $OH) (i32.const 8)) (i32.eq (local.get $Wp4) (i32.const 128)))
          (then (call $dw_rows8 (local.get $xp) (local.get $tab) (local.get $p) (local.get $y) (local.get $OH) (local.get $OW4)))
          (else (call $dw_rows (local.get $xp) (local.get $tab) (local.get $p) (local.get $y) (local.get $OH) (local.get $OW4) (local.get $Wp4)))))
        (else
          (call $dw_flat (local.get $xp) (local.get $tab) (local.get $p) (local.get $yb) (local.get $Lr4))
          (if (i32.eq (local.get $Wp4) (local.get $OW4))
            (then (call $dw_copy (local.get $yb) (i32.const 0) (local.get $y) (i32.const 0) (i32.const 1) (i32.mul (local.get $OH) (local.get $OW4))))
            (else (call $dw_copy (local.get $yb) (local.get $Wp4) (local.get $y) (local.get $OW4) (local.get $OH) (local.get $OW4))))))))
      (br_if $images (i32.lt_s (local.tee $n (i32.add (local.get $n) (i32.const 1))) (local.get $n1)))))

  ;; kind 6: dw[c] = Σ_n Σ_pixels dy[n, c] · shifted x[n, c]; task = c (owns dw[c], no reduction).
  ;; Scratch: x's flat frame, then (words 31, 32: byte offsets from it; word 32 also the bytes zeroed
  ;; once per task) dy in the same flat layout
  ;; (OH rows of Wp, zeros between rows and after, so the dropped lanes count 0) and one vector of
  ;; partial sums per tap, kept over the images and reduced once at the end; word 33 = Lr4 as in
  ;; kind 5. Each tap is one dot product of Lr4 bytes in four accumulators.
  (func $task_dw_bwd_weight (param $job i32) (param $t i32) (param $scr i32)
    (local $C i32) (local $N i32) (local $n i32) (local $xp i32) (local $dyp i32) (local $acc i32) (local $ap i32) (local $dwc i32)
    (local $OH i32) (local $OW i32) (local $kh i32) (local $kw i32) (local $Wp i32) (local $Wp4 i32) (local $Lr4 i32) (local $taps i32)
    (local $ky i32) (local $kx i32) (local $j i32) (local $q i32) (local $d i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $C (i32.load offset=36 (local.get $job)))
    (local.set $N (i32.load offset=32 (local.get $job)))
    (local.set $OH (i32.load offset=60 (local.get $job)))
    (local.set $OW (i32.load offset=64 (local.get $job)))
    (local.set $kh (i32.load offset=52 (local.get $job)))
    (local.set $kw (i32.load offset=56 (local.get $job)))
    (local.set $taps (i32.mul (local.get $kh) (local.get $kw)))
    (local.set $Wp (i32.load offset=116 (local.get $job)))
    (local.set $Wp4 (i32.shl (local.get $Wp) (i32.const 2)))
    (local.set $Lr4 (i32.load offset=132 (local.get $job)))
    (local.set $xp (i32.add (local.get $scr) (global.get $SCR_FREE)))
    (local.set $dyp (i32.add (local.get $xp) (i32.load offset=124 (local.get $job))))
    (local.set $acc (i32.add (local.get $xp) (i32.load offset=128 (local.get $job))))
    ;; the zeros of both frames, once for all images
    (memory.fill (local.get $xp) (i32.const 0) (i32.load offset=128 (local.get $job)))
    (loop $images
      (call $dw_frame
        (i32.add (i32.load offset=96 (local.get $job))
          (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $t))
                            (i32.mul (i32.load offset=40 (local.get $job)) (i32.load offset=44 (local.get $job)))) (i32.const 2)))
        (i32.load offset=40 (local.get $job)) (i32.load offset=44 (local.get $job))
        (local.get $xp) (i32.load offset=112 (local.get $job)) (local.get $Wp)
        (i32.load offset=76 (local.get $job)) (i32.load offset=80 (local.get $job)))
      (call $dw_frame
        (i32.add (i32.load offset=100 (local.get $job))
          (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $t)) (i32.mul (local.get $OH) (local.get $OW))) (i32.const 2)))
        (local.get $OH) (local.get $OW) (local.get $dyp) (local.get $OH) (local.get $Wp) (i32.const 0) (i32.const 0))
      (local.set $ap (local.get $acc))
      (local.set $ky (i32.const 0))
      (loop $taprows
        (local.set $kx (i32.const 0))
        (loop $tapsx
          (local.set $a0 (v128.const i32x4 0 0 0 0))
          (local.set $a1 (v128.const i32x4 0 0 0 0))
          (local.set $a2 (v128.const i32x4 0 0 0 0))
          (local.set $a3 (v128.const i32x4 0 0 0 0))
          (local.set $q (i32.add (local.get $xp)
            (i32.add (i32.mul (i32.mul (local.get $ky) (i32.load offset=84 (local.get $job))) (local.get $Wp4))
                     (i32.shl (i32.mul (local.get $kx) (i32.load offset=88 (local.get $job))) (i32.const 2)))))
          (local.set $d (local.get $dyp))
          (local.set $j (i32.const 0))
          (loop $blocks
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $d)) (v128.load (local.get $q)))))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $d)) (v128.load offset=16 (local.get $q)))))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $d)) (v128.load offset=32 (local.get $q)))))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $d)) (v128.load offset=48 (local.get $q)))))
            (local.set $d (i32.add (local.get $d) (i32.const 64)))
            (local.set $q (i32.add (local.get $q) (i32.const 64)))
            (br_if $blocks (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 64))) (local.get $Lr4))))
          (local.set $a0 (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3))))
          (if (local.get $n) (then (local.set $a0 (f32x4.add (v128.load (local.get $ap)) (local.get $a0)))))
          (v128.store (local.get $ap) (local.get $a0))
          (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
          (br_if $tapsx (i32.lt_s (local.tee $kx (i32.add (local.get $kx) (i32.const 1))) (local.get $kw))))
        (br_if $taprows (i32.lt_s (local.tee $ky (i32.add (local.get $ky) (i32.const 1))) (local.get $kh))))
      (br_if $images (i32.lt_s (local.tee $n (i32.add (local.get $n) (i32.const 1))) (local.get $N))))
    ;; dw[c][tap] = the four lanes of its partial sums
    (local.set $dwc (i32.add (i32.load offset=104 (local.get $job)) (i32.shl (i32.mul (local.get $t) (local.get $taps)) (i32.const 2))))
    (local.set $ap (local.get $acc))
    (local.set $j (i32.const 0))
    (loop $reduce
      (local.set $a0 (v128.load (local.get $ap)))
      (f32.store (local.get $dwc)
        (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
          (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
      (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
      (local.set $dwc (i32.add (local.get $dwc) (i32.const 4)))
      (br_if $reduce (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $taps)))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Element-wise kernels: one streaming pass, no scratch. Threads split whole rows (kind 7) or runs
  ;; of 16 floats (kind 8), never a sum, so results do not depend on the thread count.

  ;; kind 7, channelAffine: out = a·p[c] + b·q[c] + r[c] over rows of `inner` floats, row j being
  ;; channel c = j mod C (a is [N, C, inner]). A missing term is never read: p defaults to 1 and r to
  ;; −0, both exact identities (x·1 = x, x + (−0) = x, −0 included).
  ;;   8 C  9 inner  10 flags (1: p, 2: b and q, 4: r)  11 rows per task  12 a  13 b  14 p  15 q  16 r
  ;;   17 out  18 rows (N·C)
  (func $task_channel_affine (param $job i32) (param $t i32)
    (local $C i32) (local $inner4 i32) (local $nv i32) (local $flags i32) (local $j i32) (local $j1 i32) (local $c i32)
    (local $a i32) (local $b i32) (local $o i32) (local $i i32)
    (local $P f32) (local $Q f32) (local $R f32) (local $y f32)
    (local $pv v128) (local $qv v128) (local $rv v128)
    (local.set $C (i32.load offset=32 (local.get $job)))
    (local.set $inner4 (i32.shl (i32.load offset=36 (local.get $job)) (i32.const 2)))
    ;; bytes of each row that whole vectors cover; the rest is the scalar tail
    (local.set $nv (i32.and (local.get $inner4) (i32.const -16)))
    (local.set $flags (i32.load offset=40 (local.get $job)))
    (local.set $j (i32.mul (local.get $t) (i32.load offset=44 (local.get $job))))
    (local.set $j1 (call $min (i32.load offset=72 (local.get $job)) (i32.add (local.get $j) (i32.load offset=44 (local.get $job)))))
    (local.set $c (i32.rem_u (local.get $j) (local.get $C)))
    (local.set $a (i32.add (i32.load offset=48 (local.get $job)) (i32.mul (local.get $j) (local.get $inner4))))
    (local.set $b (i32.add (i32.load offset=52 (local.get $job)) (i32.mul (local.get $j) (local.get $inner4))))
    (local.set $o (i32.add (i32.load offset=68 (local.get $job)) (i32.mul (local.get $j) (local.get $inner4))))
    (loop $rows
      (local.set $P (f32.const 1))
      (local.set $Q (f32.const 0))
      (local.set $R (f32.const -0))
      (if (i32.and (local.get $flags) (i32.const 1))
        (then (local.set $P (f32.load (i32.add (i32.load offset=56 (local.get $job)) (i32.shl (local.get $c) (i32.const 2)))))))
      (if (i32.and (local.get $flags) (i32.const 2))
        (then (local.set $Q (f32.load (i32.add (i32.load offset=60 (local.get $job)) (i32.shl (local.get $c) (i32.const 2)))))))
      (if (i32.and (local.get $flags) (i32.const 4))
        (then (local.set $R (f32.load (i32.add (i32.load offset=64 (local.get $job)) (i32.shl (local.get $c) (i32.const 2)))))))
      (local.set $pv (f32x4.splat (local.get $P)))
      (local.set $qv (f32x4.splat (local.get $Q)))
      (local.set $rv (f32x4.splat (local.get $R)))
      (local.set $i (i32.const 0))
      (if (i32.and (local.get $flags) (i32.const 2))
        (then
          (if (local.get $nv)
            (then
              (loop $vecs2
                (v128.store (i32.add (local.get $o) (local.get $i))
                  (f32x4.add
                    (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $pv))
                               (f32x4.mul (v128.load (i32.add (local.get $b) (local.get $i))) (local.get $qv)))
                    (local.get $rv)))
                (br_if $vecs2 (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $nv))))))
          (block $done2
            (loop $tail2
              (br_if $done2 (i32.ge_u (local.get $i) (local.get $inner4)))
              (f32.store (i32.add (local.get $o) (local.get $i))
                (f32.add
                  (f32.add (f32.mul (f32.load (i32.add (local.get $a) (local.get $i))) (local.get $P))
                           (f32.mul (f32.load (i32.add (local.get $b) (local.get $i))) (local.get $Q)))
                  (local.get $R)))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (br $tail2))))
        (else
          (if (local.get $nv)
            (then
              (loop $vecs1
                (v128.store (i32.add (local.get $o) (local.get $i))
                  (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $pv)) (local.get $rv)))
                (br_if $vecs1 (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $nv))))))
          (block $done1
            (loop $tail1
              (br_if $done1 (i32.ge_u (local.get $i) (local.get $inner4)))
              (f32.store (i32.add (local.get $o) (local.get $i))
                (f32.add (f32.mul (f32.load (i32.add (local.get $a) (local.get $i))) (local.get $P)) (local.get $R)))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (br $tail1)))))
      (local.set $a (i32.add (local.get $a) (local.get $inner4)))
      (local.set $b (i32.add (local.get $b) (local.get $inner4)))
      (local.set $o (i32.add (local.get $o) (local.get $inner4)))
      (if (i32.eq (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $C)) (then (local.set $c (i32.const 0))))
      (br_if $rows (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $j1)))))

  ;; kind 8, exact GELU 0.5·x·(1 + erf(x/√2)) (grad = 0) or its derivative Φ(x) + x·φ(x) (grad = 1),
  ;; with the erf of the gpu.js kernels (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7):
  ;;   z = |x|/√2, t = 1/(1 + 0.3275911·z), erfc(z) ≈ poly(t)·e^(−z²).
  ;; Both are taken as x·u and u + x·φ with u = Φ(x) = ½(1 + erf(x/√2)): u = ½erfc(z) for x < 0 (no
  ;; cancellation in the left tail) and 1 − ½erfc(z) otherwise; ½poly(t) has the halved coefficients.
  ;; e^(−z²) = e^(−x²/2) ($gelu_exp) also gives φ. Two vectors per step; vectors may run past n to the
  ;; next multiple of 8: arena blocks are padded to 64 bytes, tasks are runs of 16 floats, and the
  ;; extra lanes are never read back.
  ;;   8 n  9 grad  10 floats per task (a multiple of 16)  12 x  13 out

  ;; e^(−x²/2) per lane, 0 where x²/2 > 87 (e^(−87) is near the f32 normal range) and for ±Inf and NaN.
  ;; a = x·(x/2) (one rounding), e^(−a) = 2^k·e^r with k = round(−a/ln 2) in [−126, 0] and
  ;; r = k·(−ln 2) − a, |r| <= ln2/2 (one f32 constant: its error, ~k·2^-24 of e, is of the order of
  ;; a's own rounding); e^r by a degree-5 minimax polynomial (relative error 1.1e-7 on |r| <= ln2/2);
  ;; 2^k from the low bits of k + (1.5·2²³ + 127) shifted into the exponent field.
  ;; @inline
  (func $gelu_exp (param $x v128) (result v128)
    (local $a v128) (local $k v128) (local $r v128) (local $p v128)
    (local.set $a (f32x4.mul (local.get $x) (f32x4.mul (local.get $x) (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $a) (v128.const f32x4 -1.44269504 -1.44269504 -1.44269504 -1.44269504))))
    (local.set $r (f32x4.sub (f32x4.mul (local.get $k) (v128.const f32x4 -0.693147182 -0.693147182 -0.693147182 -0.693147182)) (local.get $a)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $r) (v128.const f32x4 8.3178375e-3 8.3178375e-3 8.3178375e-3 8.3178375e-3))
                             (v128.const f32x4 4.1898414e-2 4.1898414e-2 4.1898414e-2 4.1898414e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 0.16667184 0.16667184 0.16667184 0.16667184)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 0.49999145 0.49999145 0.49999145 0.49999145)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 0.99999988 0.99999988 0.99999988 0.99999988)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    (v128.and (f32x4.le (local.get $a) (v128.const f32x4 87 87 87 87))
      (f32x4.mul (local.get $p)
        (i32x4.shl (f32x4.add (local.get $k) (v128.const f32x4 12583039 12583039 12583039 12583039)) (i32.const 23)))))

  ;; Φ(x) per lane from e = e^(−x²/2): ½poly(t)·e (x < 0) or 1 − ½poly(t)·e, t = 1/(1 + 0.3275911·|x|/√2).
  ;; NaN gives NaN (through t); ±Inf give 1 and 0.
  ;; @inline
  (func $gelu_phi (param $x v128) (param $e v128) (result v128)
    (local $t v128) (local $q v128)
    (local.set $t (f32x4.div (v128.const f32x4 1 1 1 1)
      (f32x4.add (v128.const f32x4 1 1 1 1)
        (f32x4.mul (v128.and (local.get $x) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
                   (v128.const f32x4 0.23164189 0.23164189 0.23164189 0.23164189)))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $t) (v128.const f32x4 0.5307027145 0.5307027145 0.5307027145 0.5307027145))
                             (v128.const f32x4 -0.7265760135 -0.7265760135 -0.7265760135 -0.7265760135)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 0.7107068705 0.7107068705 0.7107068705 0.7107068705)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 -0.142248368 -0.142248368 -0.142248368 -0.142248368)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 0.127414796 0.127414796 0.127414796 0.127414796)))
    (local.set $q (f32x4.mul (f32x4.mul (local.get $q) (local.get $t)) (local.get $e)))
    (v128.bitselect (local.get $q) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $q))
                    (f32x4.lt (local.get $x) (v128.const f32x4 0 0 0 0))))

  (func $task_gelu (param $job i32) (param $t i32)
    (local $i i32) (local $i1 i32) (local $xp i32) (local $op i32)
    (local $x v128) (local $y v128) (local $e v128) (local $f v128)
    (local.set $i (i32.mul (local.get $t) (i32.load offset=40 (local.get $job))))
    (local.set $i1 (call $min (i32.load offset=32 (local.get $job)) (i32.add (local.get $i) (i32.load offset=40 (local.get $job)))))
    (if (i32.ge_s (local.get $i) (local.get $i1)) (then (return)))
    (local.set $i (i32.shl (local.get $i) (i32.const 2)))
    (local.set $i1 (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $xp (i32.load offset=48 (local.get $job)))
    (local.set $op (i32.load offset=52 (local.get $job)))
    (if (i32.load offset=36 (local.get $job))
      (then
        ;; Φ(x) + x·φ(x), φ = e^(−x²/2)/√(2π)
        (loop $grad
          (local.set $x (v128.load (i32.add (local.get $xp) (local.get $i))))
          (local.set $y (v128.load offset=16 (i32.add (local.get $xp) (local.get $i))))
          (local.set $e (call $gelu_exp (local.get $x)))
          (local.set $f (call $gelu_exp (local.get $y)))
          (v128.store (i32.add (local.get $op) (local.get $i))
            (f32x4.add (call $gelu_phi (local.get $x) (local.get $e))
              (f32x4.mul (f32x4.mul (local.get $x) (v128.const f32x4 0.39894228 0.39894228 0.39894228 0.39894228)) (local.get $e))))
          (v128.store offset=16 (i32.add (local.get $op) (local.get $i))
            (f32x4.add (call $gelu_phi (local.get $y) (local.get $f))
              (f32x4.mul (f32x4.mul (local.get $y) (v128.const f32x4 0.39894228 0.39894228 0.39894228 0.39894228)) (local.get $f))))
          (br_if $grad (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 32))) (local.get $i1)))))
      (else
        ;; x·Φ(x)
        (loop $fwd
          (local.set $x (v128.load (i32.add (local.get $xp) (local.get $i))))
          (local.set $y (v128.load offset=16 (i32.add (local.get $xp) (local.get $i))))
          (v128.store (i32.add (local.get $op) (local.get $i))
            (f32x4.mul (local.get $x) (call $gelu_phi (local.get $x) (call $gelu_exp (local.get $x)))))
          (v128.store offset=16 (i32.add (local.get $op) (local.get $i))
            (f32x4.mul (local.get $y) (call $gelu_phi (local.get $y) (call $gelu_exp (local.get $y)))))
          (br_if $fwd (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 32))) (local.get $i1)))))))

  ;; kind 9, row sums: out[i] = Σ_k x[i·R + k], accumulated in f64 as gpu.js's cpu mode and the
  ;; reference do (4 f64 lanes, then a scalar tail), rounded to f32 once; task = a run of rows.
  ;;   8 rows  9 R  10 rows per task  12 x  13 out
  (func $task_sum_rows (param $job i32) (param $t i32)
    (local $R4 i32) (local $nv i32) (local $i i32) (local $i1 i32) (local $x i32) (local $k i32) (local $o i32)
    (local $v v128) (local $s0 v128) (local $s1 v128) (local $s f64)
    (local.set $R4 (i32.shl (i32.load offset=36 (local.get $job)) (i32.const 2)))
    (local.set $nv (i32.and (local.get $R4) (i32.const -16)))
    (local.set $i (i32.mul (local.get $t) (i32.load offset=40 (local.get $job))))
    (local.set $i1 (call $min (i32.load offset=32 (local.get $job)) (i32.add (local.get $i) (i32.load offset=40 (local.get $job)))))
    (local.set $x (i32.add (i32.load offset=48 (local.get $job)) (i32.mul (local.get $i) (local.get $R4))))
    (local.set $o (i32.add (i32.load offset=52 (local.get $job)) (i32.shl (local.get $i) (i32.const 2))))
    (loop $rows
      (local.set $s0 (v128.const i32x4 0 0 0 0))
      (local.set $s1 (v128.const i32x4 0 0 0 0))
      (local.set $k (i32.const 0))
      (if (local.get $nv)
        (then
          (loop $vecs
            (local.set $v (v128.load (i32.add (local.get $x) (local.get $k))))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $v))))
            (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
            (br_if $vecs (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $nv))))))
      (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
      (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
      (block $done
        (loop $tail
          (br_if $done (i32.ge_u (local.get $k) (local.get $R4)))
          (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $k))))))
          (local.set $k (i32.add (local.get $k) (i32.const 4)))
          (br $tail)))
      (f32.store (local.get $o) (f32.demote_f64 (local.get $s)))
      (local.set $x (i32.add (local.get $x) (local.get $R4)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $i1)))))


  ;; ---------------------------------------------------------------------------------------------
  ;; Softmax family along one axis of x viewed as [outer, R, inner] (a row: R cells `inner` apart).
  ;; Forward (kind 10): m = max_r x, s = Σ_r e^(x − m) in f64; log-softmax: y = x − lse, lse = m + ln s
  ;; rounded to f32 as gpu.js's logsumexpAlongKernel stores it; softmax: y = e^(x − m)·(1/s), the
  ;; exponentials kept in the output from the sum pass (one exp per cell instead of gpu.js's two). Backward
  ;; (kind 11): s = Σ_r dy·y (softmax) or Σ_r dy (log), in f64 and rounded to f32 as dotAlongKernel;
  ;; then dx = y·(dy − s) or dy − e^y·s. Statistics and apply run in one task, so a row is read while
  ;; it is in L1. inner = 1: a row is contiguous and vectors run along it; inner > 1: vectors hold 4
  ;; neighbouring columns (rows) and step `inner` floats per cell. Tasks are runs of whole rows (or
  ;; column groups), and every row is reduced in one fixed order: results do not depend on threads.
  ;; NaN and ±Inf behave as in the gpu.js kernels: a NaN or +Inf in a row, or a row of −Inf only,
  ;; makes the whole row NaN (x − m is NaN somewhere); a −Inf cell of a finite row gives 0 (log: −Inf).
  ;;   kind 10: 8 outer  9 R  10 inner  11 units per task  12 x  13 out  14 log  15 units  16 groups
  ;;   kind 11: 8 outer  9 R  10 inner  11 units per task  12 y  13 dy  14 out  15 log  16 units  17 groups
  ;; A unit is a row (inner = 1) or a group of 4 columns of one outer index (groups = ⌈inner/4⌉).

  ;; e^w per lane (the Cephes expf of $task_gelu): 0 below −87 and for −Inf, e^88.3 up to 88.72, +Inf above,
  ;; NaN for NaN; max relative error ~2 ulp.
  ;; @inline
  (func $vexp (param $w v128) (result v128)
    (local $k v128) (local $r v128) (local $e v128) (local $c v128)
    (local.set $c (f32x4.pmin (f32x4.pmax (local.get $w) (v128.const f32x4 -87 -87 -87 -87)) (v128.const f32x4 88.3 88.3 88.3 88.3)))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $c) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $c) (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
                             (f32x4.mul (local.get $k) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $e (f32x4.add (f32x4.mul (local.get $r) (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
                             (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $e (f32x4.add (f32x4.add (f32x4.mul (local.get $e) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
                             (v128.const f32x4 1 1 1 1)))
    ;; 2^k through the exponent bits (k in [−126, 127]: a normal number)
    (local.set $e (f32x4.mul (local.get $e)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (local.set $e (v128.and (f32x4.ge (local.get $w) (v128.const f32x4 -87 -87 -87 -87)) (local.get $e)))
    (local.set $e (v128.bitselect (v128.const f32x4 inf inf inf inf) (local.get $e) (f32x4.gt (local.get $w) (v128.const f32x4 88.72 88.72 88.72 88.72))))
    (v128.bitselect (local.get $w) (local.get $e) (f32x4.ne (local.get $w) (local.get $w))))

  ;; ln s in f64 for s >= 1 or NaN (a row's Σ e^(x − m)): s = 2^e·f, f in [√½, √2), ln f = 2·atanh(t),
  ;; t = (f − 1)/(f + 1), |t| <= 0.172, the series to t¹⁹ (relative error < 1e-15). +Inf gives +Inf.
  (func $logd (param $s f64) (result f64)
    (local $b i64) (local $e f64) (local $f f64) (local $t f64) (local $t2 f64) (local $p f64)
    (if (i32.eqz (f64.lt (local.get $s) (f64.const inf))) (then (return (f64.add (local.get $s) (local.get $s)))))
    (local.set $b (i64.reinterpret_f64 (local.get $s)))
    (local.set $e (f64.convert_i64_s (i64.sub (i64.shr_u (local.get $b) (i64.const 52)) (i64.const 1023))))
    (local.set $f (f64.reinterpret_i64 (i64.or (i64.and (local.get $b) (i64.const 0x000FFFFFFFFFFFFF)) (i64.const 0x3FF0000000000000))))
    (if (f64.gt (local.get $f) (f64.const 1.4142135623730951))
      (then
        (local.set $f (f64.mul (local.get $f) (f64.const 0.5)))
        (local.set $e (f64.add (local.get $e) (f64.const 1)))))
    (local.set $t (f64.div (f64.sub (local.get $f) (f64.const 1)) (f64.add (local.get $f) (f64.const 1))))
    (local.set $t2 (f64.mul (local.get $t) (local.get $t)))
    (local.set $p (f64.add (f64.const 0.058823529411764705) (f64.mul (local.get $t2) (f64.const 0.05263157894736842))))
    (local.set $p (f64.add (f64.const 0.06666666666666667) (f64.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64.add (f64.const 0.07692307692307693) (f64.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64.add (f64.const 0.09090909090909091) (f64.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64.add (f64.const 0.1111111111111111) (f64.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64.add (f64.const 0.14285714285714285) (f64.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64.add (f64.const 0.2) (f64.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64.add (f64.const 0.3333333333333333) (f64.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64.mul (local.get $t2) (local.get $p)))
    (f64.add (f64.mul (local.get $e) (f64.const 0.6931471805599453))
             (f64.add (f64.add (local.get $t) (local.get $t)) (f64.mul (f64.add (local.get $t) (local.get $t)) (local.get $p)))))

  ;; $logd on both f64 lanes of s.
  (func $logd2 (param $s v128) (result v128)
    (local $e v128) (local $f v128) (local $big v128) (local $t v128) (local $t2 v128) (local $p v128)
    (local.set $e (f64x2.convert_low_i32x4_s (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11
      (local.tee $e (i64x2.sub (i64x2.shr_u (local.get $s) (i32.const 52)) (v128.const i64x2 1023 1023))) (local.get $e))))
    (local.set $f (v128.or (v128.and (local.get $s) (v128.const i64x2 0x000FFFFFFFFFFFFF 0x000FFFFFFFFFFFFF))
                           (v128.const i64x2 0x3FF0000000000000 0x3FF0000000000000)))
    (local.set $big (f64x2.gt (local.get $f) (v128.const f64x2 1.4142135623730951 1.4142135623730951)))
    (local.set $f (v128.bitselect (f64x2.mul (local.get $f) (v128.const f64x2 0.5 0.5)) (local.get $f) (local.get $big)))
    (local.set $e (f64x2.add (local.get $e) (v128.and (local.get $big) (v128.const f64x2 1 1))))
    (local.set $t (f64x2.div (f64x2.sub (local.get $f) (v128.const f64x2 1 1)) (f64x2.add (local.get $f) (v128.const f64x2 1 1))))
    (local.set $t2 (f64x2.mul (local.get $t) (local.get $t)))
    (local.set $p (f64x2.add (v128.const f64x2 0.058823529411764705 0.058823529411764705) (f64x2.mul (local.get $t2) (v128.const f64x2 0.05263157894736842 0.05263157894736842))))
    (local.set $p (f64x2.add (v128.const f64x2 0.06666666666666667 0.06666666666666667) (f64x2.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64x2.add (v128.const f64x2 0.07692307692307693 0.07692307692307693) (f64x2.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64x2.add (v128.const f64x2 0.09090909090909091 0.09090909090909091) (f64x2.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64x2.add (v128.const f64x2 0.1111111111111111 0.1111111111111111) (f64x2.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64x2.add (v128.const f64x2 0.14285714285714285 0.14285714285714285) (f64x2.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64x2.add (v128.const f64x2 0.2 0.2) (f64x2.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64x2.add (v128.const f64x2 0.3333333333333333 0.3333333333333333) (f64x2.mul (local.get $t2) (local.get $p))))
    (local.set $p (f64x2.mul (local.get $t2) (local.get $p)))
    (local.set $t (f64x2.add (local.get $t) (local.get $t)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $e) (v128.const f64x2 0.6931471805599453 0.6931471805599453))
                             (f64x2.add (local.get $t) (f64x2.mul (local.get $t) (local.get $p)))))
    ;; +Inf and NaN: s + s
    (v128.bitselect (local.get $p) (f64x2.add (local.get $s) (local.get $s)) (f64x2.lt (local.get $s) (v128.const f64x2 inf inf))))

  ;; the first n (0..4) lanes of v at p
  (func $store_lanes (param $p i32) (param $v v128) (param $n i32)
    (if (i32.gt_s (local.get $n) (i32.const 0)) (then (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $v)))))
    (if (i32.gt_s (local.get $n) (i32.const 1)) (then (f32.store offset=4 (local.get $p) (f32x4.extract_lane 1 (local.get $v)))))
    (if (i32.gt_s (local.get $n) (i32.const 2)) (then (f32.store offset=8 (local.get $p) (f32x4.extract_lane 2 (local.get $v)))))
    (if (i32.gt_s (local.get $n) (i32.const 3)) (then (f32.store offset=12 (local.get $p) (f32x4.extract_lane 3 (local.get $v))))))

  ;; lanes whose index is below n (all ones), the others zero
  (func $lane_mask (param $n i32) (result v128)
    (i32x4.gt_s (i32x4.splat (local.get $n)) (v128.const i32x4 0 1 2 3)))

  ;; Σ of the f32 lanes of v into the f64 pairs (lanes 0,1 into a; 2,3 into b): returned as a + b's parts
  ;; is done by the callers; these add one vector.
  ;; @inline
  (func $acc_lo (param $a v128) (param $v v128) (result v128)
    (f64x2.add (local.get $a) (f64x2.promote_low_f32x4 (local.get $v))))
  ;; @inline
  (func $acc_hi (param $a v128) (param $v v128) (result v128)
    (f64x2.add (local.get $a) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))

  ;; f32 of m + ln s per lane: lanes 0,1 from (m, lo), lanes 2,3 from (m, hi)
  (func $lse4 (param $m v128) (param $lo v128) (param $hi v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4 (local.get $m)) (call $logd2 (local.get $lo))))
      (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m) (local.get $m)))
                                          (call $logd2 (local.get $hi))))))

  ;; 1/s per lane, rounded to f32 (softmax: y = e^(x − m)·(1/s))
  (func $inv4 (param $lo v128) (param $hi v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (f64x2.div (v128.const f64x2 1 1) (local.get $lo)))
      (f32x4.demote_f64x2_zero (f64x2.div (v128.const f64x2 1 1) (local.get $hi)))))

  ;; kind 10 on 4 columns (nv of them real) of one outer index: R cells `stride` bytes apart
  (func $softmax_cols (param $x i32) (param $o i32) (param $R i32) (param $stride i32) (param $nv i32) (param $log i32)
    (local $p i32) (local $n i32) (local $end i32) (local $m v128) (local $lo v128) (local $hi v128) (local $v v128)
    (local.set $n (i32.mul (local.get $R) (local.get $stride)))
    (local.set $end (i32.add (local.get $x) (local.get $n)))
    (local.set $m (v128.load (local.get $x)))
    (local.set $p (i32.add (local.get $x) (local.get $stride)))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $m (f32x4.max (local.get $m) (v128.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))
      (br $l1)))
    (local.set $p (i32.const 0))
    (loop $l2
      (local.set $v (call $vexp (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $p))) (local.get $m))))
      (local.set $lo (call $acc_lo (local.get $lo) (local.get $v)))
      (local.set $hi (call $acc_hi (local.get $hi) (local.get $v)))
      ;; softmax keeps e^(x − m) in the output for the last pass
      (if (i32.eqz (local.get $log))
        (then
          (if (i32.eq (local.get $nv) (i32.const 4))
            (then (v128.store (i32.add (local.get $o) (local.get $p)) (local.get $v)))
            (else (call $store_lanes (i32.add (local.get $o) (local.get $p)) (local.get $v) (local.get $nv))))))
      (br_if $l2 (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $stride))) (local.get $n))))
    (local.set $p (i32.const 0))
    (if (local.get $log)
      (then
        (local.set $m (call $lse4 (local.get $m) (local.get $lo) (local.get $hi)))
        (loop $l3
          (local.set $v (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $p))) (local.get $m)))
          (if (i32.eq (local.get $nv) (i32.const 4))
            (then (v128.store (i32.add (local.get $o) (local.get $p)) (local.get $v)))
            (else (call $store_lanes (i32.add (local.get $o) (local.get $p)) (local.get $v) (local.get $nv))))
          (br_if $l3 (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $stride))) (local.get $n)))))
      (else
        ;; y = e^(x − m)·(1/s); the extra lanes read (never written) are other columns' cells
        (local.set $m (call $inv4 (local.get $lo) (local.get $hi)))
        (loop $l4
          (local.set $v (f32x4.mul (v128.load (i32.add (local.get $o) (local.get $p))) (local.get $m)))
          (if (i32.eq (local.get $nv) (i32.const 4))
            (then (v128.store (i32.add (local.get $o) (local.get $p)) (local.get $v)))
            (else (call $store_lanes (i32.add (local.get $o) (local.get $p)) (local.get $v) (local.get $nv))))
          (br_if $l4 (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $stride))) (local.get $n)))))))

  ;; kind 10 on one contiguous row of R floats
  (func $softmax_row (param $x i32) (param $o i32) (param $R i32) (param $log i32)
    (local $R4 i32) (local $nb i32) (local $k i32) (local $m f32) (local $s f64) (local $mv v128) (local $lo v128) (local $hi v128) (local $v v128)
    (local.set $R4 (i32.shl (local.get $R) (i32.const 2)))
    (local.set $nb (i32.and (local.get $R4) (i32.const -16)))
    (local.set $m (f32.load (local.get $x)))
    (if (local.get $nb)
      (then
        (local.set $mv (v128.load (local.get $x)))
        (local.set $k (i32.const 16))
        (block $d0 (loop $l0
          (br_if $d0 (i32.ge_u (local.get $k) (local.get $nb)))
          (local.set $mv (f32x4.max (local.get $mv) (v128.load (i32.add (local.get $x) (local.get $k)))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $l0)))
        (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $mv)) (f32x4.extract_lane 1 (local.get $mv)))
                               (f32.max (f32x4.extract_lane 2 (local.get $mv)) (f32x4.extract_lane 3 (local.get $mv)))))))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $k) (local.get $R4)))
      (local.set $m (f32.max (local.get $m) (f32.load (i32.add (local.get $x) (local.get $k)))))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $l1)))
    (local.set $mv (f32x4.splat (local.get $m)))
    (local.set $k (i32.const 0))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $k) (local.get $nb)))
      (local.set $v (call $vexp (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $mv))))
      (local.set $lo (call $acc_lo (local.get $lo) (local.get $v)))
      (local.set $hi (call $acc_hi (local.get $hi) (local.get $v)))
      ;; softmax keeps e^(x − m) in the output for the last pass
      (if (i32.eqz (local.get $log)) (then (v128.store (i32.add (local.get $o) (local.get $k)) (local.get $v))))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $l2)))
    (if (i32.lt_u (local.get $nb) (local.get $R4))
      (then
        ;; the tail's vector reads past the row (into the next row or the arena block's padding)
        (local.set $v (v128.and (call $lane_mask (i32.shr_u (i32.sub (local.get $R4) (local.get $nb)) (i32.const 2)))
          (call $vexp (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $nb))) (local.get $mv)))))
        (local.set $lo (call $acc_lo (local.get $lo) (local.get $v)))
        (local.set $hi (call $acc_hi (local.get $hi) (local.get $v)))
        (if (i32.eqz (local.get $log))
          (then (call $store_lanes (i32.add (local.get $o) (local.get $nb)) (local.get $v) (i32.shr_u (i32.sub (local.get $R4) (local.get $nb)) (i32.const 2)))))))
    (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
    (if (local.get $log)
      (then (local.set $mv (f32x4.splat (f32.demote_f64 (f64.add (f64.promote_f32 (local.get $m)) (call $logd (local.get $s)))))))
      (else (local.set $mv (f32x4.splat (f32.demote_f64 (f64.div (f64.const 1) (local.get $s)))))))
    (local.set $k (i32.const 0))
    (block $d3 (loop $l3
      (br_if $d3 (i32.ge_u (local.get $k) (local.get $R4)))
      (if (local.get $log)
        (then (local.set $v (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $mv))))
        ;; y = e^(x − m)·(1/s); a tail vector reads past the row (never written)
        (else (local.set $v (f32x4.mul (v128.load (i32.add (local.get $o) (local.get $k))) (local.get $mv)))))
      (if (i32.le_u (i32.add (local.get $k) (i32.const 16)) (local.get $R4))
        (then (v128.store (i32.add (local.get $o) (local.get $k)) (local.get $v)))
        (else (call $store_lanes (i32.add (local.get $o) (local.get $k)) (local.get $v) (i32.shr_u (i32.sub (local.get $R4) (local.get $k)) (i32.const 2)))))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $l3))))

  (func $task_softmax (param $job i32) (param $t i32)
    (local $R i32) (local $inner i32) (local $u i32) (local $u1 i32) (local $g i32) (local $G i32) (local $oi i32) (local $col i32) (local $off i32)
    (local.set $R (i32.load offset=36 (local.get $job)))
    (local.set $inner (i32.load offset=40 (local.get $job)))
    (local.set $G (i32.load offset=64 (local.get $job)))
    (local.set $u (i32.mul (local.get $t) (i32.load offset=44 (local.get $job))))
    (local.set $u1 (call $min (i32.load offset=60 (local.get $job)) (i32.add (local.get $u) (i32.load offset=44 (local.get $job)))))
    (loop $units
      (if (i32.eq (local.get $inner) (i32.const 1))
        (then
          (local.set $off (i32.shl (i32.mul (local.get $u) (local.get $R)) (i32.const 2)))
          (call $softmax_row (i32.add (i32.load offset=48 (local.get $job)) (local.get $off)) (i32.add (i32.load offset=52 (local.get $job)) (local.get $off))
            (local.get $R) (i32.load offset=56 (local.get $job))))
        (else
          (local.set $oi (i32.div_u (local.get $u) (local.get $G)))
          (local.set $col (i32.shl (i32.sub (local.get $u) (i32.mul (local.get $oi) (local.get $G))) (i32.const 2)))
          (local.set $off (i32.shl (i32.add (i32.mul (i32.mul (local.get $oi) (local.get $R)) (local.get $inner)) (local.get $col)) (i32.const 2)))
          (call $softmax_cols (i32.add (i32.load offset=48 (local.get $job)) (local.get $off)) (i32.add (i32.load offset=52 (local.get $job)) (local.get $off))
            (local.get $R) (i32.shl (local.get $inner) (i32.const 2)) (call $min (i32.const 4) (i32.sub (local.get $inner) (local.get $col)))
            (i32.load offset=56 (local.get $job)))))
      (br_if $units (i32.lt_s (local.tee $u (i32.add (local.get $u) (i32.const 1))) (local.get $u1)))))

  ;; Σ over 4 lanes of dy·y (log = 0, products in f64) or of dy (log = 1), into the pair (lo, hi)
  ;; kind 11 on 4 columns (nv of them real) of one outer index
  (func $softmax_bwd_cols (param $y i32) (param $dy i32) (param $o i32) (param $R i32) (param $stride i32) (param $nv i32) (param $log i32)
    (local $p i32) (local $n i32) (local $lo v128) (local $hi v128) (local $a v128) (local $b v128) (local $s v128) (local $v v128)
    (local.set $n (i32.mul (local.get $R) (local.get $stride)))
    (local.set $p (i32.const 0))
    (loop $l1
      (local.set $b (v128.load (i32.add (local.get $dy) (local.get $p))))
      (if (local.get $log)
        (then
          (local.set $lo (call $acc_lo (local.get $lo) (local.get $b)))
          (local.set $hi (call $acc_hi (local.get $hi) (local.get $b))))
        (else
          (local.set $a (v128.load (i32.add (local.get $y) (local.get $p))))
          (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $b)))))
          (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))))))))
      (br_if $l1 (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $stride))) (local.get $n))))
    (local.set $s (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
    (local.set $p (i32.const 0))
    (loop $l2
      (local.set $a (v128.load (i32.add (local.get $y) (local.get $p))))
      (local.set $b (v128.load (i32.add (local.get $dy) (local.get $p))))
      (if (local.get $log)
        (then (local.set $v (f32x4.sub (local.get $b) (f32x4.mul (call $vexp (local.get $a)) (local.get $s)))))
        (else (local.set $v (f32x4.mul (local.get $a) (f32x4.sub (local.get $b) (local.get $s))))))
      (if (i32.eq (local.get $nv) (i32.const 4))
        (then (v128.store (i32.add (local.get $o) (local.get $p)) (local.get $v)))
        (else (call $store_lanes (i32.add (local.get $o) (local.get $p)) (local.get $v) (local.get $nv))))
      (br_if $l2 (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $stride))) (local.get $n)))))

  ;; kind 11 on one contiguous row of R floats
  (func $softmax_bwd_row (param $y i32) (param $dy i32) (param $o i32) (param $R i32) (param $log i32)
    (local $R4 i32) (local $k i32) (local $mask v128) (local $lo v128) (local $hi v128) (local $a v128) (local $b v128) (local $s v128) (local $v v128)
    (local.set $R4 (i32.shl (local.get $R) (i32.const 2)))
    (local.set $k (i32.const 0))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $k) (local.get $R4)))
      ;; the last vector may read past the row; its extra lanes are masked to 0
      (local.set $mask (call $lane_mask (i32.shr_u (i32.sub (local.get $R4) (local.get $k)) (i32.const 2))))
      (local.set $b (v128.and (local.get $mask) (v128.load (i32.add (local.get $dy) (local.get $k)))))
      (if (local.get $log)
        (then
          (local.set $lo (call $acc_lo (local.get $lo) (local.get $b)))
          (local.set $hi (call $acc_hi (local.get $hi) (local.get $b))))
        (else
          (local.set $a (v128.and (local.get $mask) (v128.load (i32.add (local.get $y) (local.get $k)))))
          (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $b)))))
          (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))))))))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $l1)))
    (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
    (local.set $s (f32x4.splat (f32.demote_f64 (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))))
    (local.set $k (i32.const 0))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $k) (local.get $R4)))
      (local.set $a (v128.load (i32.add (local.get $y) (local.get $k))))
      (local.set $b (v128.load (i32.add (local.get $dy) (local.get $k))))
      (if (local.get $log)
        (then (local.set $v (f32x4.sub (local.get $b) (f32x4.mul (call $vexp (local.get $a)) (local.get $s)))))
        (else (local.set $v (f32x4.mul (local.get $a) (f32x4.sub (local.get $b) (local.get $s))))))
      (if (i32.le_u (i32.add (local.get $k) (i32.const 16)) (local.get $R4))
        (then (v128.store (i32.add (local.get $o) (local.get $k)) (local.get $v)))
        (else (call $store_lanes (i32.add (local.get $o) (local.get $k)) (local.get $v) (i32.shr_u (i32.sub (local.get $R4) (local.get $k)) (i32.const 2)))))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $l2))))

  (func $task_softmax_bwd (param $job i32) (param $t i32)
    (local $R i32) (local $inner i32) (local $u i32) (local $u1 i32) (local $G i32) (local $oi i32) (local $col i32) (local $off i32)
    (local.set $R (i32.load offset=36 (local.get $job)))
    (local.set $inner (i32.load offset=40 (local.get $job)))
    (local.set $G (i32.load offset=68 (local.get $job)))
    (local.set $u (i32.mul (local.get $t) (i32.load offset=44 (local.get $job))))
    (local.set $u1 (call $min (i32.load offset=64 (local.get $job)) (i32.add (local.get $u) (i32.load offset=44 (local.get $job)))))
    (loop $units
      (if (i32.eq (local.get $inner) (i32.const 1))
        (then
          (local.set $off (i32.shl (i32.mul (local.get $u) (local.get $R)) (i32.const 2)))
          (call $softmax_bwd_row (i32.add (i32.load offset=48 (local.get $job)) (local.get $off)) (i32.add (i32.load offset=52 (local.get $job)) (local.get $off))
            (i32.add (i32.load offset=56 (local.get $job)) (local.get $off)) (local.get $R) (i32.load offset=60 (local.get $job))))
        (else
          (local.set $oi (i32.div_u (local.get $u) (local.get $G)))
          (local.set $col (i32.shl (i32.sub (local.get $u) (i32.mul (local.get $oi) (local.get $G))) (i32.const 2)))
          (local.set $off (i32.shl (i32.add (i32.mul (i32.mul (local.get $oi) (local.get $R)) (local.get $inner)) (local.get $col)) (i32.const 2)))
          (call $softmax_bwd_cols (i32.add (i32.load offset=48 (local.get $job)) (local.get $off)) (i32.add (i32.load offset=52 (local.get $job)) (local.get $off))
            (i32.add (i32.load offset=56 (local.get $job)) (local.get $off))
            (local.get $R) (i32.shl (local.get $inner) (i32.const 2)) (call $min (i32.const 4) (i32.sub (local.get $inner) (local.get $col)))
            (i32.load offset=60 (local.get $job)))))
      (br_if $units (i32.lt_s (local.tee $u (i32.add (local.get $u) (i32.const 1))) (local.get $u1)))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Plain element-wise ops over float32 (gpu.js's add/sub/mul/div kernels, broadcastBinaryKernel,
  ;; and the unary relu, step, square, neg). IEEE f32 arithmetic is exactly rounded, and gpu.js's
  ;; cpu mode rounds its f64 result of two f32 operands to f32, which gives the same bits for
  ;; + − × ÷ (f64 carries more than 2·24 + 2 bits), so these match the gpu.js kernels bit for bit.
  ;; Each output cell is computed on its own: every thread count and split gives the same bits.

  ;; kind 12, binary op: out = a ∘ b over out viewed as [d0, d1, d2], each operand read through its
  ;; own byte strides (0 along its broadcast axes), out contiguous. Per row (i0, i1): 4 cells per
  ;; step when both operands are contiguous along d2, or one contiguous and the other broadcast
  ;; (a splat); any other strides, and the last 0–3 cells, run one cell at a time. A task is a run
  ;; of rows and, within them, a run of columns (so a same-shape op, [1, 1, n], still splits).
  ;; Ops: 0 add, 1 sub, 2 mul, 3 div (broadcastBinaryKernel's codes). NOTE: the op is the same for
  ;; every cell, so the two branches that pick it per vector never change direction; the pass runs
  ;; at ~0.25 ns per cell on 1 MiB operands (1 thread, in the arena), about what the copies into and
  ;; out of the arena around it cost.
  ;;   8 op  9 d1  10 d2  11 rows (d0·d1)  12 a  13 b  14 out  15 rows per task  16 columns per task
  ;;   17 column tasks  18-20 a strides  21-23 b strides (bytes, along d0, d1, d2)
  (func $task_binary (param $job i32) (param $t i32)
    (local $op i32) (local $d1 i32) (local $r i32) (local $r1 i32) (local $c0 i32) (local $n4 i32) (local $nv i32)
    (local $i0 i32) (local $i1 i32) (local $as2 i32) (local $bs2 i32) (local $a i32) (local $b i32) (local $o i32)
    (local $i i32) (local $e i32) (local $x v128) (local $y v128) (local $u f32) (local $w f32)
    (local.set $op (i32.load offset=32 (local.get $job)))
    (local.set $d1 (i32.load offset=36 (local.get $job)))
    (local.set $as2 (i32.load offset=80 (local.get $job)))
    (local.set $bs2 (i32.load offset=92 (local.get $job)))
    ;; task t = (row run t / column tasks, column run t mod column tasks)
    (local.set $r (i32.div_u (local.get $t) (i32.load offset=68 (local.get $job))))
    (local.set $c0 (i32.mul (i32.sub (local.get $t) (i32.mul (local.get $r) (i32.load offset=68 (local.get $job))))
                            (i32.load offset=64 (local.get $job))))
    (local.set $r (i32.mul (local.get $r) (i32.load offset=60 (local.get $job))))
    (local.set $r1 (call $min (i32.load offset=44 (local.get $job)) (i32.add (local.get $r) (i32.load offset=60 (local.get $job)))))
    ;; bytes of output per row segment, and the part whole vectors cover
    (local.set $n4 (i32.shl (i32.sub (call $min (i32.load offset=40 (local.get $job)) (i32.add (local.get $c0) (i32.load offset=64 (local.get $job))))
                                     (local.get $c0)) (i32.const 2)))
    (local.set $nv (i32.and (local.get $n4) (i32.const -16)))
    (local.set $i0 (i32.div_u (local.get $r) (local.get $d1)))
    (local.set $i1 (i32.sub (local.get $r) (i32.mul (local.get $i0) (local.get $d1))))
    (loop $rows
      (local.set $a (i32.add (i32.add (i32.load offset=48 (local.get $job)) (i32.mul (local.get $c0) (local.get $as2)))
        (i32.add (i32.mul (local.get $i0) (i32.load offset=72 (local.get $job))) (i32.mul (local.get $i1) (i32.load offset=76 (local.get $job))))))
      (local.set $b (i32.add (i32.add (i32.load offset=52 (local.get $job)) (i32.mul (local.get $c0) (local.get $bs2)))
        (i32.add (i32.mul (local.get $i0) (i32.load offset=84 (local.get $job))) (i32.mul (local.get $i1) (i32.load offset=88 (local.get $job))))))
      (local.set $o (i32.add (i32.load offset=56 (local.get $job))
        (i32.shl (i32.add (i32.mul (local.get $r) (i32.load offset=40 (local.get $job))) (local.get $c0)) (i32.const 2))))
      (local.set $i (i32.const 0))
      (if (local.get $nv)
        (then
          (if (i32.and (i32.eq (local.get $as2) (i32.const 4)) (i32.eq (local.get $bs2) (i32.const 4)))
            (then
              (loop $vv
                (local.set $x (v128.load (i32.add (local.get $a) (local.get $i))))
                (local.set $y (v128.load (i32.add (local.get $b) (local.get $i))))
                (v128.store (i32.add (local.get $o) (local.get $i))
                  (if (result v128) (i32.lt_u (local.get $op) (i32.const 2))
                    (then (if (result v128) (local.get $op)
                      (then (f32x4.sub (local.get $x) (local.get $y))) (else (f32x4.add (local.get $x) (local.get $y)))))
                    (else (if (result v128) (i32.eq (local.get $op) (i32.const 2))
                      (then (f32x4.mul (local.get $x) (local.get $y))) (else (f32x4.div (local.get $x) (local.get $y)))))))
                (br_if $vv (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $nv))))))
          (if (i32.and (i32.eq (local.get $as2) (i32.const 4)) (i32.eqz (local.get $bs2)))
            (then
              (local.set $y (v128.load32_splat (local.get $b)))
              (loop $vs
                (local.set $x (v128.load (i32.add (local.get $a) (local.get $i))))
                (v128.store (i32.add (local.get $o) (local.get $i))
                  (if (result v128) (i32.lt_u (local.get $op) (i32.const 2))
                    (then (if (result v128) (local.get $op)
                      (then (f32x4.sub (local.get $x) (local.get $y))) (else (f32x4.add (local.get $x) (local.get $y)))))
                    (else (if (result v128) (i32.eq (local.get $op) (i32.const 2))
                      (then (f32x4.mul (local.get $x) (local.get $y))) (else (f32x4.div (local.get $x) (local.get $y)))))))
                (br_if $vs (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $nv))))))
          (if (i32.and (i32.eqz (local.get $as2)) (i32.eq (local.get $bs2) (i32.const 4)))
            (then
              (local.set $x (v128.load32_splat (local.get $a)))
              (loop $sv
                (local.set $y (v128.load (i32.add (local.get $b) (local.get $i))))
                (v128.store (i32.add (local.get $o) (local.get $i))
                  (if (result v128) (i32.lt_u (local.get $op) (i32.const 2))
                    (then (if (result v128) (local.get $op)
                      (then (f32x4.sub (local.get $x) (local.get $y))) (else (f32x4.add (local.get $x) (local.get $y)))))
                    (else (if (result v128) (i32.eq (local.get $op) (i32.const 2))
                      (then (f32x4.mul (local.get $x) (local.get $y))) (else (f32x4.div (local.get $x) (local.get $y)))))))
                (br_if $sv (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $nv))))))))
      ;; the rest of the row one cell at a time (all of it for other strides: $i is still 0 then)
      (block $done
        (loop $cells
          (br_if $done (i32.ge_u (local.get $i) (local.get $n4)))
          (local.set $e (i32.shr_u (local.get $i) (i32.const 2)))
          (local.set $u (f32.load (i32.add (local.get $a) (i32.mul (local.get $e) (local.get $as2)))))
          (local.set $w (f32.load (i32.add (local.get $b) (i32.mul (local.get $e) (local.get $bs2)))))
          (f32.store (i32.add (local.get $o) (local.get $i))
            (if (result f32) (i32.lt_u (local.get $op) (i32.const 2))
              (then (if (result f32) (local.get $op)
                (then (f32.sub (local.get $u) (local.get $w))) (else (f32.add (local.get $u) (local.get $w)))))
              (else (if (result f32) (i32.eq (local.get $op) (i32.const 2))
                (then (f32.mul (local.get $u) (local.get $w))) (else (f32.div (local.get $u) (local.get $w)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $cells)))
      ;; next row: (i0, i1) advances like an odometer over [d0, d1]
      (if (i32.eq (local.tee $i1 (i32.add (local.get $i1) (i32.const 1))) (local.get $d1))
        (then
          (local.set $i1 (i32.const 0))
          (local.set $i0 (i32.add (local.get $i0) (i32.const 1)))))
      (br_if $rows (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $r1)))))

  ;; kind 13, unary op over n contiguous floats: op 0 relu max(x, 0) (relu(−0) = +0, NaN stays NaN,
  ;; as Math.max), 1 step x > 0 ? 1 : 0 (NaN → 0), 2 square x·x, 3 neg −x, 4 sigmoid (below). Vectors
  ;; may run past n to the next multiple of 4, as GELU's (arena blocks are padded to 64 bytes; the
  ;; extra lanes are never read back).
  ;;   8 n  9 op  10 floats per task (a multiple of 16)  12 x  13 out
  ;; Sigmoid, 1/(1 + e^−x), in the two-sided form of gpu.js's sigmoidKernel (which never exponentiates
  ;; a large positive number): with e = e^−|x| and t = e/(1 + e) = sigmoid(−|x|), y = 1 − t for
  ;; x >= 0, t otherwise. Special values as gpu.js's: +Inf → 1, −Inf → 0, NaN → NaN, −0 → 0.5, and 1
  ;; exactly from x ≈ 17.3 (t <= 2⁻²⁵ rounds 1 − t to 1, as the f64 1/(1 + e) rounds to f32). gpu.js
  ;; computes in f64 and gives subnormal f32 results for x in (−104, −87.3); $vexp flushes below −87,
  ;; so there e^w is taken as e^(w + 22)·e^−22 (w + 22 is exact: no
  ;; coarser spaced than w).
  ;; Not bit-identical to JavaScript's Math.exp: within a few f32 ulp of the exact value (the test's
  ;; tolerance is 4 ulp).
  (func $task_unary (param $job i32) (param $t i32)
    (local $op i32) (local $i i32) (local $i1 i32) (local $xp i32) (local $out i32) (local $x v128)
    (local $w v128) (local $lo v128) (local $e v128)
    (local.set $op (i32.load offset=36 (local.get $job)))
    (local.set $i (i32.mul (local.get $t) (i32.load offset=40 (local.get $job))))
    (local.set $i1 (i32.shl (call $min (i32.load offset=32 (local.get $job)) (i32.add (local.get $i) (i32.load offset=40 (local.get $job)))) (i32.const 2)))
    (local.set $i (i32.shl (local.get $i) (i32.const 2)))
    (local.set $xp (i32.load offset=48 (local.get $job)))
    (local.set $out (i32.load offset=52 (local.get $job)))
    (if (i32.eq (local.get $op) (i32.const 4))
      (then
        ;; sigmoid: a loop of its own, so the e^x temporaries stay out of the cheap ops' loop
        (loop $sig
          (local.set $x (v128.load (i32.add (local.get $xp) (local.get $i))))
          ;; w = −|x| <= 0 (NaN stays NaN); lanes below −80 take the scaled path
          (local.set $w (f32x4.neg (f32x4.abs (local.get $x))))
          (local.set $lo (f32x4.lt (local.get $w) (v128.const f32x4 -80 -80 -80 -80)))
          (local.set $e (call $vexp (v128.bitselect (f32x4.add (local.get $w) (v128.const f32x4 22 22 22 22)) (local.get $w) (local.get $lo))))
          (local.set $e (v128.bitselect
            (f32x4.mul (local.get $e) (v128.const f32x4 2.7894680928689246e-10 2.7894680928689246e-10 2.7894680928689246e-10 2.7894680928689246e-10))
            (local.get $e) (local.get $lo)))
          ;; t = sigmoid(−|x|)
          (local.set $e (f32x4.div (local.get $e) (f32x4.add (local.get $e) (v128.const f32x4 1 1 1 1))))
          (v128.store (i32.add (local.get $out) (local.get $i))
            (v128.bitselect (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $e)) (local.get $e)
                            (f32x4.ge (local.get $x) (v128.const f32x4 0 0 0 0))))
          (br_if $sig (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $i1)))))
      (else
        (loop $vecs
          (local.set $x (v128.load (i32.add (local.get $xp) (local.get $i))))
          (v128.store (i32.add (local.get $out) (local.get $i))
            (if (result v128) (i32.lt_u (local.get $op) (i32.const 2))
              (then (if (result v128) (local.get $op)
                (then (v128.and (f32x4.gt (local.get $x) (v128.const f32x4 0 0 0 0)) (v128.const f32x4 1 1 1 1)))
                (else (f32x4.max (local.get $x) (v128.const f32x4 0 0 0 0)))))
              (else (if (result v128) (i32.eq (local.get $op) (i32.const 2))
                (then (f32x4.mul (local.get $x) (local.get $x)))
                (else (f32x4.neg (local.get $x)))))))
          (br_if $vecs (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $i1)))))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Reductions and maps along one axis of [outer, R, inner] as gpu.js's cpu mode computes them: in
  ;; f64 (JavaScript numbers), rounded to f32 once when stored. Every cell's sum runs r = 0..R−1 in
  ;; order from +0, as in the gpu.js kernels, so results match the cpu mode bit for bit and do not
  ;; depend on the thread count.

  ;; kind 14, dotAlongKernel: out[o, n] = Σ_r a[o, r, n]·b[o, r, n] (flags bit 0 set) or Σ_r a[o, r, n],
  ;; then √ in f64 when flags bit 1 is set. The products of two f32 are exact in f64. inner = 1: a unit
  ;; is a row, summed one cell at a time (the order gpu.js adds in); inner > 1: a unit is a group of 8
  ;; neighbouring columns of one outer index, 4 f64x2 accumulators down the R rows (a column per lane:
  ;; still its own sequential sum).
  ;;   8 outer  9 R  10 inner  11 units per task  12 a  13 b  14 out  15 flags  16 units  17 groups (⌈inner/8⌉)

  ;; one row of R contiguous cells (R >= 1)
  (func $dot_row (param $a i32) (param $b i32) (param $o i32) (param $R i32) (param $flags i32)
    (local $k i32) (local $R4 i32) (local $s f64)
    (local.set $R4 (i32.shl (local.get $R) (i32.const 2)))
    (if (i32.and (local.get $flags) (i32.const 1))
      (then
        (loop $lb
          (local.set $s (f64.add (local.get $s) (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $a) (local.get $k))))
                                                         (f64.promote_f32 (f32.load (i32.add (local.get $b) (local.get $k)))))))
          (br_if $lb (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 4))) (local.get $R4)))))
      (else
        (loop $la
          (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (i32.add (local.get $a) (local.get $k))))))
          (br_if $la (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 4))) (local.get $R4))))))
    (if (i32.and (local.get $flags) (i32.const 2)) (then (local.set $s (f64.sqrt (local.get $s)))))
    (f32.store (local.get $o) (f32.demote_f64 (local.get $s))))

  ;; 8 columns (nc of them real, 1..8) of one outer index: R cells `stride` bytes apart per column.
  ;; The vectors of a partial group read past the last column (the next row's cells or the arena
  ;; block's padding); those lanes are never stored.
  (func $dot_cols (param $a i32) (param $b i32) (param $o i32) (param $R i32) (param $stride i32) (param $nc i32) (param $flags i32)
    (local $p i32) (local $n i32) (local $x0 v128) (local $x1 v128) (local $y0 v128) (local $y1 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $n (i32.mul (local.get $R) (local.get $stride)))
    (if (i32.and (local.get $flags) (i32.const 1))
      (then
        (loop $lb
          (local.set $x0 (v128.load (i32.add (local.get $a) (local.get $p))))
          (local.set $x1 (v128.load offset=16 (i32.add (local.get $a) (local.get $p))))
          (local.set $y0 (v128.load (i32.add (local.get $b) (local.get $p))))
          (local.set $y1 (v128.load offset=16 (i32.add (local.get $b) (local.get $p))))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x0)) (f64x2.promote_low_f32x4 (local.get $y0)))))
          (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x0) (local.get $x0)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y0) (local.get $y0))))))
          (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x1)) (f64x2.promote_low_f32x4 (local.get $y1)))))
          (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x1) (local.get $x1)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y1) (local.get $y1))))))
          (br_if $lb (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $stride))) (local.get $n)))))
      (else
        (loop $la
          (local.set $x0 (v128.load (i32.add (local.get $a) (local.get $p))))
          (local.set $x1 (v128.load offset=16 (i32.add (local.get $a) (local.get $p))))
          (local.set $s0 (call $acc_lo (local.get $s0) (local.get $x0)))
          (local.set $s1 (call $acc_hi (local.get $s1) (local.get $x0)))
          (local.set $s2 (call $acc_lo (local.get $s2) (local.get $x1)))
          (local.set $s3 (call $acc_hi (local.get $s3) (local.get $x1)))
          (br_if $la (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $stride))) (local.get $n))))))
    (if (i32.and (local.get $flags) (i32.const 2))
      (then
        (local.set $s0 (f64x2.sqrt (local.get $s0)))
        (local.set $s1 (f64x2.sqrt (local.get $s1)))
        (local.set $s2 (f64x2.sqrt (local.get $s2)))
        (local.set $s3 (f64x2.sqrt (local.get $s3)))))
    (local.set $x0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $s0)) (f32x4.demote_f64x2_zero (local.get $s1))))
    (local.set $x1 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $s2)) (f32x4.demote_f64x2_zero (local.get $s3))))
    (if (i32.eq (local.get $nc) (i32.const 8))
      (then
        (v128.store (local.get $o) (local.get $x0))
        (v128.store offset=16 (local.get $o) (local.get $x1)))
      (else
        (call $store_lanes (local.get $o) (local.get $x0) (call $min (local.get $nc) (i32.const 4)))
        (call $store_lanes (i32.add (local.get $o) (i32.const 16)) (local.get $x1) (i32.sub (local.get $nc) (i32.const 4))))))

  (func $task_dot (param $job i32) (param $t i32)
    (local $R i32) (local $inner i32) (local $u i32) (local $u1 i32) (local $G i32) (local $oi i32) (local $col i32) (local $off i32)
    (local.set $R (i32.load offset=36 (local.get $job)))
    (local.set $inner (i32.load offset=40 (local.get $job)))
    (local.set $G (i32.load offset=68 (local.get $job)))
    (local.set $u (i32.mul (local.get $t) (i32.load offset=44 (local.get $job))))
    (local.set $u1 (call $min (i32.load offset=64 (local.get $job)) (i32.add (local.get $u) (i32.load offset=44 (local.get $job)))))
    (loop $units
      (if (i32.eq (local.get $inner) (i32.const 1))
        (then
          (local.set $off (i32.shl (i32.mul (local.get $u) (local.get $R)) (i32.const 2)))
          (call $dot_row (i32.add (i32.load offset=48 (local.get $job)) (local.get $off)) (i32.add (i32.load offset=52 (local.get $job)) (local.get $off))
            (i32.add (i32.load offset=56 (local.get $job)) (i32.shl (local.get $u) (i32.const 2))) (local.get $R) (i32.load offset=60 (local.get $job))))
        (else
          (local.set $oi (i32.div_u (local.get $u) (local.get $G)))
          (local.set $col (i32.shl (i32.sub (local.get $u) (i32.mul (local.get $oi) (local.get $G))) (i32.const 3)))
          (local.set $off (i32.shl (i32.add (i32.mul (i32.mul (local.get $oi) (local.get $R)) (local.get $inner)) (local.get $col)) (i32.const 2)))
          (call $dot_cols (i32.add (i32.load offset=48 (local.get $job)) (local.get $off)) (i32.add (i32.load offset=52 (local.get $job)) (local.get $off))
            (i32.add (i32.load offset=56 (local.get $job)) (i32.shl (i32.add (i32.mul (local.get $oi) (local.get $inner)) (local.get $col)) (i32.const 2)))
            (local.get $R) (i32.shl (local.get $inner) (i32.const 2)) (call $min (i32.const 8) (i32.sub (local.get $inner) (local.get $col)))
            (i32.load offset=60 (local.get $job)))))
      (br_if $units (i32.lt_s (local.tee $u (i32.add (local.get $u) (i32.const 1))) (local.get $u1)))))

  ;; kind 15, normalizeAlongKernel: y[o, r, n] = x[o, r, n] / (nrm[o, n] + eps), the sum and the
  ;; quotient in f64 (d = nrm + eps is not rounded to f32 first, so this is not kind 12's f32 div).
  ;; A task is a run of outer indices; per outer index, inner = 1: one row of R cells over one d;
  ;; inner > 1: R rows of `inner` cells over the row of d's. 4 cells per step, the quotients in two
  ;; f64x2 halves; a row's last 1–3 cells through $store_lanes (the vector reads past the row).
  ;;   8 outer  9 R  10 inner  11 outer per task  12 x  13 nrm  14 out  15 eps (f32 bits)

  ;; y = x / d over `n` cells, d per cell from `nrm` (splat = 0) or nrm[0] for all (splat = 1)
  (func $ndiv (param $x i32) (param $nrm i32) (param $o i32) (param $n i32) (param $eps v128) (param $splat i32)
    (local $k i32) (local $n4 i32) (local $d v128) (local $lo v128) (local $hi v128) (local $v v128)
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (if (local.get $splat)
      (then
        (local.set $lo (f64x2.add (f64x2.splat (f64.promote_f32 (f32.load (local.get $nrm)))) (local.get $eps)))
        (local.set $hi (local.get $lo))))
    (loop $l
      (if (i32.eqz (local.get $splat))
        (then
          (local.set $d (v128.load (i32.add (local.get $nrm) (local.get $k))))
          (local.set $lo (f64x2.add (f64x2.promote_low_f32x4 (local.get $d)) (local.get $eps)))
          (local.set $hi (f64x2.add (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d))) (local.get $eps)))))
      (local.set $v (v128.load (i32.add (local.get $x) (local.get $k))))
      (local.set $v (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4 (local.get $v)) (local.get $lo)))
        (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $hi)))))
      (if (i32.le_u (i32.add (local.get $k) (i32.const 16)) (local.get $n4))
        (then (v128.store (i32.add (local.get $o) (local.get $k)) (local.get $v)))
        (else (call $store_lanes (i32.add (local.get $o) (local.get $k)) (local.get $v) (i32.shr_u (i32.sub (local.get $n4) (local.get $k)) (i32.const 2)))))
      (br_if $l (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $n4)))))

  (func $task_normalize (param $job i32) (param $t i32)
    (local $R i32) (local $inner i32) (local $oi i32) (local $o1 i32) (local $r i32) (local $row i32) (local $eps v128)
    (local.set $R (i32.load offset=36 (local.get $job)))
    (local.set $inner (i32.load offset=40 (local.get $job)))
    (local.set $eps (f64x2.splat (f64.promote_f32 (f32.load offset=60 (local.get $job)))))
    (local.set $oi (i32.mul (local.get $t) (i32.load offset=44 (local.get $job))))
    (local.set $o1 (call $min (i32.load offset=32 (local.get $job)) (i32.add (local.get $oi) (i32.load offset=44 (local.get $job)))))
    (loop $outer
      (if (i32.eq (local.get $inner) (i32.const 1))
        (then
          (local.set $row (i32.shl (i32.mul (local.get $oi) (local.get $R)) (i32.const 2)))
          (call $ndiv (i32.add (i32.load offset=48 (local.get $job)) (local.get $row))
            (i32.add (i32.load offset=52 (local.get $job)) (i32.shl (local.get $oi) (i32.const 2)))
            (i32.add (i32.load offset=56 (local.get $job)) (local.get $row)) (local.get $R) (local.get $eps) (i32.const 1)))
        (else
          (local.set $r (i32.const 0))
          (loop $rows
            (local.set $row (i32.shl (i32.mul (i32.add (i32.mul (local.get $oi) (local.get $R)) (local.get $r)) (local.get $inner)) (i32.const 2)))
            (call $ndiv (i32.add (i32.load offset=48 (local.get $job)) (local.get $row))
              (i32.add (i32.load offset=52 (local.get $job)) (i32.shl (i32.mul (local.get $oi) (local.get $inner)) (i32.const 2)))
              (i32.add (i32.load offset=56 (local.get $job)) (local.get $row)) (local.get $inner) (local.get $eps) (i32.const 0))
            (br_if $rows (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $R))))))
      (br_if $outer (i32.lt_s (local.tee $oi (i32.add (local.get $oi) (i32.const 1))) (local.get $o1)))))

  ;; ---------------------------------------------------------------------------------------------
  ;; gather and its adjoint along one axis: x viewed as [outer, Lx, inner], index and src as
  ;; [outer, L, inner]. Index values are integers stored as f32 (int32 tensors on the CPU modes); an
  ;; index t is used when 0 <= t < Lx and t is an integer, as the gpu.js kernels' `t < 0 || t >= Lx`
  ;; and `=== t` (NaN fails every comparison).

  ;; index value at p as a cell number in [0, Lx) (Lx as f32), or −1
  (func $index_at (param $p i32) (param $Lx f32) (result i32)
    (local $f f32)
    (local.set $f (f32.load (local.get $p)))
    (if (result i32) (i32.and (i32.and (f32.ge (local.get $f) (f32.const 0)) (f32.lt (local.get $f) (local.get $Lx)))
                              (f32.eq (f32.trunc (local.get $f)) (local.get $f)))
      (then (i32.trunc_f32_u (local.get $f)))
      (else (i32.const -1))))

  ;; kind 16, gatherKernel: out[o, j, n] = x[o, index[o, j, n], n], 0 out of range; one cell at a
  ;; time (no SIMD gather); a task is a run of cells, taken a row (o, j) at a time.
  ;;   8 outer  9 L  10 inner  11 Lx  12 x  13 index  14 out  15 cells per task  16 cells
  (func $task_gather (param $job i32) (param $t i32)
    (local $L i32) (local $inner i32) (local $Lx i32) (local $Lf f32) (local $i i32) (local $i1 i32) (local $row i32) (local $o i32)
    (local $n i32) (local $e i32) (local $xo i32) (local $ip i32) (local $op i32) (local $ix i32)
    (local.set $L (i32.load offset=36 (local.get $job)))
    (local.set $inner (i32.load offset=40 (local.get $job)))
    (local.set $Lx (i32.load offset=44 (local.get $job)))
    (local.set $Lf (f32.convert_i32_u (local.get $Lx)))
    (local.set $i (i32.mul (local.get $t) (i32.load offset=60 (local.get $job))))
    (local.set $i1 (call $min (i32.load offset=64 (local.get $job)) (i32.add (local.get $i) (i32.load offset=60 (local.get $job)))))
    (local.set $ip (i32.add (i32.load offset=52 (local.get $job)) (i32.shl (local.get $i) (i32.const 2))))
    (local.set $op (i32.add (i32.load offset=56 (local.get $job)) (i32.shl (local.get $i) (i32.const 2))))
    (loop $rows
      (local.set $row (i32.div_u (local.get $i) (local.get $inner)))
      (local.set $n (i32.sub (local.get $i) (i32.mul (local.get $row) (local.get $inner))))
      (local.set $o (i32.div_u (local.get $row) (local.get $L)))
      ;; x's cell (o, 0, n), and the end of this row's part of the run
      (local.set $xo (i32.add (i32.load offset=48 (local.get $job))
        (i32.shl (i32.add (i32.mul (i32.mul (local.get $o) (local.get $Lx)) (local.get $inner)) (local.get $n)) (i32.const 2))))
      (local.set $e (i32.sub (call $min (local.get $i1) (i32.mul (i32.add (local.get $row) (i32.const 1)) (local.get $inner))) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (local.get $e)))
      (local.set $e (i32.add (local.get $op) (i32.shl (local.get $e) (i32.const 2))))
      (loop $cells
        (local.set $ix (call $index_at (local.get $ip) (local.get $Lf)))
        (f32.store (local.get $op)
          (if (result f32) (i32.ge_s (local.get $ix) (i32.const 0))
            (then (f32.load (i32.add (local.get $xo) (i32.shl (i32.mul (local.get $ix) (local.get $inner)) (i32.const 2)))))
            (else (f32.const 0))))
        (local.set $ip (i32.add (local.get $ip) (i32.const 4)))
        (local.set $xo (i32.add (local.get $xo) (i32.const 4)))
        (br_if $cells (i32.lt_u (local.tee $op (i32.add (local.get $op) (i32.const 4))) (local.get $e))))
      (br_if $rows (i32.lt_s (local.get $i) (local.get $i1)))))

  ;; kind 17, scatterAddKernel: out[o, t, n] = Σ_j [index[o, j, n] = t]·src[o, j, n]. gpu.js sums
  ;; each output cell over j ascending from +0 in f64. Here a task owns columns [c0, c1) of one outer
  ;; index: it zeroes them, then adds src cell by cell in j order into the cell its index names, so
  ;; every output cell receives its terms in the same order. With L <= 2 (acc = 0) the sums run in
  ;; f32 in the output: 0 + s is exact (−0 becomes +0, as in f64) and one f32 addition of two f32
  ;; gives the bits of the f64 sum rounded (f64 carries more than 2·24 + 2 bits), so no cell can
  ;; differ; with L >= 3 they run in an f64 block (`acc`, 8 bytes per output cell), rounded to f32 at
  ;; the end.
  ;;   8 outer  9 L  10 inner  11 Lx  12 src  13 index  14 out  15 acc (0: f32)  16 columns per task
  ;;   17 column tasks per outer index
  (func $task_scatter_add (param $job i32) (param $t i32)
    (local $L i32) (local $inner i32) (local $Lx i32) (local $acc i32) (local $o i32) (local $c0 i32) (local $c1 i32)
    (local $j i32) (local $n i32) (local $tt i32) (local $ix i32) (local $s i32) (local $q i32) (local $p i32)
    (local.set $L (i32.load offset=36 (local.get $job)))
    (local.set $inner (i32.load offset=40 (local.get $job)))
    (local.set $Lx (i32.load offset=44 (local.get $job)))
    (local.set $acc (i32.load offset=60 (local.get $job)))
    (local.set $o (i32.div_u (local.get $t) (i32.load offset=68 (local.get $job))))
    (local.set $c0 (i32.mul (i32.sub (local.get $t) (i32.mul (local.get $o) (i32.load offset=68 (local.get $job)))) (i32.load offset=64 (local.get $job))))
    (local.set $c1 (call $min (local.get $inner) (i32.add (local.get $c0) (i32.load offset=64 (local.get $job)))))
    ;; p: cell (o, 0, c0) of the output (in cells)
    (local.set $p (i32.add (i32.mul (i32.mul (local.get $o) (local.get $Lx)) (local.get $inner)) (local.get $c0)))
    ;; zero this task's cells: Lx runs of c1 − c0
    (local.set $tt (i32.const 0))
    (loop $zero
      (if (local.get $acc)
        (then (memory.fill (i32.add (local.get $acc) (i32.shl (i32.add (local.get $p) (i32.mul (local.get $tt) (local.get $inner))) (i32.const 3)))
          (i32.const 0) (i32.shl (i32.sub (local.get $c1) (local.get $c0)) (i32.const 3))))
        (else (memory.fill (i32.add (i32.load offset=56 (local.get $job)) (i32.shl (i32.add (local.get $p) (i32.mul (local.get $tt) (local.get $inner))) (i32.const 2)))
          (i32.const 0) (i32.shl (i32.sub (local.get $c1) (local.get $c0)) (i32.const 2)))))
      (br_if $zero (i32.lt_s (local.tee $tt (i32.add (local.get $tt) (i32.const 1))) (local.get $Lx))))
    ;; the terms, j ascending
    (loop $js
      ;; s: cell (o, j, c0) of src and index
      (local.set $s (i32.add (i32.mul (i32.add (i32.mul (local.get $o) (local.get $L)) (local.get $j)) (local.get $inner)) (local.get $c0)))
      (local.set $n (i32.const 0))
      (loop $cells
        (local.set $ix (call $index_at (i32.add (i32.load offset=52 (local.get $job)) (i32.shl (i32.add (local.get $s) (local.get $n)) (i32.const 2))) (f32.convert_i32_u (local.get $Lx))))
        (if (i32.ge_s (local.get $ix) (i32.const 0))
          (then
            (local.set $q (i32.add (i32.add (local.get $p) (i32.mul (local.get $ix) (local.get $inner))) (local.get $n)))
            (if (local.get $acc)
              (then
                (local.set $q (i32.add (local.get $acc) (i32.shl (local.get $q) (i32.const 3))))
                (f64.store (local.get $q) (f64.add (f64.load (local.get $q))
                  (f64.promote_f32 (f32.load (i32.add (i32.load offset=48 (local.get $job)) (i32.shl (i32.add (local.get $s) (local.get $n)) (i32.const 2))))))))
              (else
                (local.set $q (i32.add (i32.load offset=56 (local.get $job)) (i32.shl (local.get $q) (i32.const 2))))
                (f32.store (local.get $q) (f32.add (f32.load (local.get $q))
                  (f32.load (i32.add (i32.load offset=48 (local.get $job)) (i32.shl (i32.add (local.get $s) (local.get $n)) (i32.const 2))))))))))
        (br_if $cells (i32.lt_s (local.tee $n (i32.add (local.get $n) (i32.const 1))) (i32.sub (local.get $c1) (local.get $c0)))))
      (br_if $js (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $L))))
    ;; f64 sums: round into the output
    (if (local.get $acc)
      (then
        (local.set $tt (i32.const 0))
        (loop $rows
          (local.set $q (i32.add (local.get $p) (i32.mul (local.get $tt) (local.get $inner))))
          (local.set $n (i32.const 0))
          (loop $round
            (f32.store (i32.add (i32.load offset=56 (local.get $job)) (i32.shl (i32.add (local.get $q) (local.get $n)) (i32.const 2)))
              (f32.demote_f64 (f64.load (i32.add (local.get $acc) (i32.shl (i32.add (local.get $q) (local.get $n)) (i32.const 3))))))
            (br_if $round (i32.lt_s (local.tee $n (i32.add (local.get $n) (i32.const 1))) (i32.sub (local.get $c1) (local.get $c0)))))
          (br_if $rows (i32.lt_s (local.tee $tt (i32.add (local.get $tt) (i32.const 1))) (local.get $Lx)))))))

  ;; ---------------------------------------------------------------------------------------------
  ;; kind 18, strided copy (GpuBackend.strided: permute, expand and slice views made contiguous):
  ;; out[i0, i1, i2] = x[i0·s0 + i1·s1 + i2·s2] over out viewed as [d0, d1, d2], out contiguous, x the
  ;; view's cell 0 (its offset included) and s0..s2 its byte strides (0 along expanded axes). Per row
  ;; (i0, i1): 4 cells per step when the row is contiguous (s2 = 4 bytes) or one cell repeated
  ;; (s2 = 0, a splat); any other stride, and the last 0–3 cells, one cell at a time. Cells are moved
  ;; as i32 bits, so the copy is exact for any content (float or int32 storages). Tasks as kind 12's:
  ;; a run of rows and, within them, a run of columns.
  ;;   8 d1  9 d2  10 rows (d0·d1)  11 x  12 out  13 rows per task  14 columns per task  15 column tasks
  ;;   16-18 x strides (bytes, along d0, d1, d2)
  (func $task_strided (param $job i32) (param $t i32)
    (local $d1 i32) (local $d2 i32) (local $r i32) (local $r1 i32) (local $c0 i32) (local $n4 i32) (local $nv i32)
    (local $i0 i32) (local $i1 i32) (local $s2 i32) (local $x i32) (local $o i32) (local $i i32) (local $v v128)
    (local.set $d1 (i32.load offset=32 (local.get $job)))
    (local.set $d2 (i32.load offset=36 (local.get $job)))
    (local.set $s2 (i32.load offset=72 (local.get $job)))
    ;; task t = (row run t / column tasks, column run t mod column tasks)
    (local.set $r (i32.div_u (local.get $t) (i32.load offset=60 (local.get $job))))
    (local.set $c0 (i32.mul (i32.sub (local.get $t) (i32.mul (local.get $r) (i32.load offset=60 (local.get $job))))
                            (i32.load offset=56 (local.get $job))))
    (local.set $r (i32.mul (local.get $r) (i32.load offset=52 (local.get $job))))
    (local.set $r1 (call $min (i32.load offset=40 (local.get $job)) (i32.add (local.get $r) (i32.load offset=52 (local.get $job)))))
    ;; bytes of output per row segment, and the part whole vectors cover
    (local.set $n4 (i32.shl (i32.sub (call $min (local.get $d2) (i32.add (local.get $c0) (i32.load offset=56 (local.get $job))))
                                     (local.get $c0)) (i32.const 2)))
    (local.set $nv (i32.and (local.get $n4) (i32.const -16)))
    (local.set $i0 (i32.div_u (local.get $r) (local.get $d1)))
    (local.set $i1 (i32.sub (local.get $r) (i32.mul (local.get $i0) (local.get $d1))))
    (loop $rows
      (local.set $x (i32.add (i32.add (i32.load offset=44 (local.get $job)) (i32.mul (local.get $c0) (local.get $s2)))
        (i32.add (i32.mul (local.get $i0) (i32.load offset=64 (local.get $job))) (i32.mul (local.get $i1) (i32.load offset=68 (local.get $job))))))
      (local.set $o (i32.add (i32.load offset=48 (local.get $job))
        (i32.shl (i32.add (i32.mul (local.get $r) (local.get $d2)) (local.get $c0)) (i32.const 2))))
      (local.set $i (i32.const 0))
      (if (i32.eq (local.get $s2) (i32.const 4))
        (then
          (block $done (loop $vecs
            (br_if $done (i32.ge_u (local.get $i) (local.get $nv)))
            (v128.store (i32.add (local.get $o) (local.get $i)) (v128.load (i32.add (local.get $x) (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $vecs))))
        (else (if (i32.eqz (local.get $s2))
          (then
            (local.set $v (v128.load32_splat (local.get $x)))
            (block $done (loop $splat
              (br_if $done (i32.ge_u (local.get $i) (local.get $nv)))
              (v128.store (i32.add (local.get $o) (local.get $i)) (local.get $v))
              (local.set $i (i32.add (local.get $i) (i32.const 16)))
              (br $splat)))))))
      ;; the rest of the row one cell at a time (x advances s2 bytes per cell)
      (local.set $x (i32.add (local.get $x) (i32.mul (i32.shr_u (local.get $i) (i32.const 2)) (local.get $s2))))
      (block $done (loop $cells
        (br_if $done (i32.ge_u (local.get $i) (local.get $n4)))
        (i32.store (i32.add (local.get $o) (local.get $i)) (i32.load (local.get $x)))
        (local.set $x (i32.add (local.get $x) (local.get $s2)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $cells)))
      ;; next row: (i0, i1) advances like an odometer over [d0, d1]
      (if (i32.eq (local.tee $i1 (i32.add (local.get $i1) (i32.const 1))) (local.get $d1))
        (then
          (local.set $i1 (i32.const 0))
          (local.set $i0 (i32.add (local.get $i0) (i32.const 1)))))
      (br_if $rows (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $r1)))))

  ;; ---------------------------------------------------------------------------------------------
  ;; kind 19, ssaLogits: the SSA-Seg classifier head's whole inference pass, one image per task
  ;; (tasks = B). Each image runs on one thread in one fixed order, so the bits do not depend on the
  ;; thread count. x = feat[b] viewed [C, N] (N = h·w), K classes, H hidden units; the weights as in
  ;; SSA_WEIGHT_NAMES (backend.ts). In f32, except the softmaxes' long sums (f64, as kind 10's):
  ;;   1. Mc = Wseg·x + bseg [K, N] ($mm_rows)
  ;;   2. SEPA: Ms = softmax over k of Mc, 4 pixels per vector; den[k] = 1/(Σ_n Ms[k, n] + 1e-12);
  ;;      with SPPA too, A's exponentials from the same e^x ($softmax_k)
  ;;   3. SPPA: A = softmax over n of each row of Mc, kept as e^(Mc − shift) and 1/Σ per row (SEPA
  ;;      off: $exp_row); Pf = dwB + the depthwise 3×3 of x, channel by channel through one
  ;;      zero-padded frame ($dw_plane3), then F = x + Pf and Σ_c F[c, n]² while the channel is in L1
  ;;   4. s[n] = 15/(‖F[:, n]‖ + 1e-12), F = x + Pf (SPPA) or x
  ;;   5. SEPA: Zs = [(Ms·xᵀ)·1/(den + 1e-12) | Wseg] [K, 2C]; E = W2s·relu(W1s·Zs) + b2s per class
  ;;   6. SPPA: Zp = [P | (e^(Mc − shift)·Pfᵀ)·1/Σ]; E = W2p·relu(W1p·Zp) + b2p + (E, or Wseg
  ;;      without SEPA) per class ($mm_nt, $ssa_mlp)
  ;;   7. Q = E·Wcᵀ; q = Q/(‖Q‖ + 1e-12) per class
  ;;   8. O[b] = (q·F)·s[n] ($mm_rows, the scale applied to its tiles before they are stored)
  ;; The matrix products read their operands where they lie ([C, N] maps, row-major weights): no
  ;; packing but Wseg's and q's 4-row panels. Nothing is written outside O[b] and the thread's task
  ;; scratch; vectors may read up to 7 floats past a row (into the next row, the 64 bytes of slack
  ;; after each scratch buffer, or the arena blocks after feat and the weights), never used.
  ;; NOTE: on a 2.6 GHz EPYC (B = 1, C = 32, K = 11, 16×21, both switches) the task takes ~54 µs:
  ;; the four K×C×N products ~30 (near the 16 flops per cycle of f32x4 mul + add), the softmaxes 8,
  ;; the depthwise 3×3 9, its frame and F 3.5. Sharing the e^x of the two softmaxes saved ~10 µs and
  ;; $vexp_neg ~3; the unrolled 3×3 and a vector frame copy (instead of $pad_copy's 3 bulk-memory
  ;; calls per row) ~10; the products without $gemm's packing and tables ~10.
  ;;   8 B  9 C  10 K  11 h  12 w  13 H  14 flags (1 sepa, 2 sppa)  15 N
  ;;   16 feat  17 out  18-29 the 12 weights (0 where switched off)  30 Wp (frame row, ceil8(w) + 2)
  ;;   31-46 byte offsets in the task scratch: Mc, Ms (rows of ceil4(N)), Pf, F, frame, s, den (K of
  ;;   1/(den + 1e-12), then K of A's 1/Σ), Zp, Zs, hidden rows, E, Q, 4-row panels, f64 sums, A
  ;;   (rows of ceil4(N)), m_n

  ;; Σ of each of 4 vectors, as one vector (Σa, Σb, Σc, Σd)
  ;; @inline
  (func $hsum4 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (local $ab v128) (local $cd v128)
    (local.set $ab (f32x4.add (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b))
                              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b))))
    (local.set $cd (f32x4.add (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $d))
                              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d))))
    (f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd))
               (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd))))

  ;; out[i, n] = (bias[i] + Σ_l a[i, l]·b[l, n])·scale[n] for i < M, n < N (bias, scale: 0 for none),
  ;; a row-major (rows lda bytes apart), b rows ldb bytes apart with n contiguous, out rows ldo bytes
  ;; apart. A is packed into 4-row panels at `pack` ($pack_a); then 4×8 tiles as $ukr's, B read in
  ;; place. A last partial column panel reads up to 7 floats past b's rows and goes out through
  ;; `tile` (128 bytes) and $tile_out, so only out[0..M)[0..N) is written.
  (func $mm_rows (param $M i32) (param $N i32) (param $L i32) (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32)
        (param $out i32) (param $ldo i32) (param $bias i32) (param $scale i32) (param $pack i32) (param $tile i32)
    (local $i0 i32) (local $n0 i32) (local $mr i32) (local $nr i32) (local $ap0 i32) (local $ap i32) (local $p i32) (local $l i32) (local $c i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (call $pack_a (local.get $a) (local.get $lda) (i32.const 4) (local.get $M) (local.get $L) (local.get $pack))
    ;; column panels outside: one 8-wide panel of B (L rows) stays in L1 for every row panel
    (loop $jp
      (local.set $nr (call $min (i32.const 8) (i32.sub (local.get $N) (local.get $n0))))
      (local.set $i0 (i32.const 0))
      (loop $ip
        (local.set $mr (call $min (i32.const 4) (i32.sub (local.get $M) (local.get $i0))))
        (local.set $ap0 (i32.add (local.get $pack) (i32.shl (i32.mul (local.get $i0) (local.get $L)) (i32.const 2))))
        (if (local.get $bias)
          (then
            (local.set $c00 (v128.load32_splat (i32.add (local.get $bias) (i32.shl (local.get $i0) (i32.const 2)))))
            (local.set $c10 (v128.load32_splat (i32.add (local.get $bias) (i32.shl (call $min (i32.add (local.get $i0) (i32.const 1)) (i32.sub (local.get $M) (i32.const 1))) (i32.const 2)))))
            (local.set $c20 (v128.load32_splat (i32.add (local.get $bias) (i32.shl (call $min (i32.add (local.get $i0) (i32.const 2)) (i32.sub (local.get $M) (i32.const 1))) (i32.const 2)))))
            (local.set $c30 (v128.load32_splat (i32.add (local.get $bias) (i32.shl (call $min (i32.add (local.get $i0) (i32.const 3)) (i32.sub (local.get $M) (i32.const 1))) (i32.const 2))))))
          (else
            (local.set $c00 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0))))
        (local.set $c01 (local.get $c00))
        (local.set $c11 (local.get $c10))
        (local.set $c21 (local.get $c20))
        (local.set $c31 (local.get $c30))
        (local.set $p (i32.add (local.get $b) (i32.shl (local.get $n0) (i32.const 2))))
        (local.set $ap (local.get $ap0))
        (local.set $l (local.get $L))
        (loop $k
          (local.set $b0 (v128.load (local.get $p)))
          (local.set $b1 (v128.load offset=16 (local.get $p)))
          (local.set $av (v128.load32_splat (local.get $ap)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=4 (local.get $ap)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=8 (local.get $ap)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=12 (local.get $ap)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
          (local.set $p (i32.add (local.get $p) (local.get $ldb)))
          (br_if $k (local.tee $l (i32.sub (local.get $l) (i32.const 1)))))
        (if (local.get $scale)
          (then
            (local.set $b0 (v128.load (i32.add (local.get $scale) (i32.shl (local.get $n0) (i32.const 2)))))
            (local.set $b1 (v128.load offset=16 (i32.add (local.get $scale) (i32.shl (local.get $n0) (i32.const 2)))))
            (local.set $c00 (f32x4.mul (local.get $c00) (local.get $b0)))
            (local.set $c01 (f32x4.mul (local.get $c01) (local.get $b1)))
            (local.set $c10 (f32x4.mul (local.get $c10) (local.get $b0)))
            (local.set $c11 (f32x4.mul (local.get $c11) (local.get $b1)))
            (local.set $c20 (f32x4.mul (local.get $c20) (local.get $b0)))
            (local.set $c21 (f32x4.mul (local.get $c21) (local.get $b1)))
            (local.set $c30 (f32x4.mul (local.get $c30) (local.get $b0)))
            (local.set $c31 (f32x4.mul (local.get $c31) (local.get $b1)))))
        (local.set $c (i32.add (local.get $out) (i32.add (i32.mul (local.get $i0) (local.get $ldo)) (i32.shl (local.get $n0) (i32.const 2)))))
        (if (i32.and (i32.eq (local.get $mr) (i32.const 4)) (i32.eq (local.get $nr) (i32.const 8)))
          (then
            (v128.store (local.get $c) (local.get $c00))
            (v128.store offset=16 (local.get $c) (local.get $c01))
            (local.set $c (i32.add (local.get $c) (local.get $ldo)))
            (v128.store (local.get $c) (local.get $c10))
            (v128.store offset=16 (local.get $c) (local.get $c11))
            (local.set $c (i32.add (local.get $c) (local.get $ldo)))
            (v128.store (local.get $c) (local.get $c20))
            (v128.store offset=16 (local.get $c) (local.get $c21))
            (local.set $c (i32.add (local.get $c) (local.get $ldo)))
            (v128.store (local.get $c) (local.get $c30))
            (v128.store offset=16 (local.get $c) (local.get $c31)))
          (else
            (v128.store (local.get $tile) (local.get $c00))
            (v128.store offset=16 (local.get $tile) (local.get $c01))
            (v128.store offset=32 (local.get $tile) (local.get $c10))
            (v128.store offset=48 (local.get $tile) (local.get $c11))
            (v128.store offset=64 (local.get $tile) (local.get $c20))
            (v128.store offset=80 (local.get $tile) (local.get $c21))
            (v128.store offset=96 (local.get $tile) (local.get $c30))
            (v128.store offset=112 (local.get $tile) (local.get $c31))
            (call $tile_out (local.get $tile) (local.get $c) (local.get $ldo) (local.get $mr) (local.get $nr) (i32.const 0))))
        (br_if $ip (i32.lt_s (local.tee $i0 (i32.add (local.get $i0) (i32.const 4))) (local.get $M))))
      (br_if $jp (i32.lt_s (local.tee $n0 (i32.add (local.get $n0) (i32.const 8))) (local.get $N)))))

  ;; out[i, j] = op(rs[i]·Σ_l a[i, l]·b[j, l] + bias[j]) for i < M, j < N, L >= 1: a and b row-major
  ;; (rows lda and ldb bytes apart, l contiguous), rs and bias 0 for none; flags 1: relu, 2: add
  ;; out's old value (before the relu). Tiles of 2 rows of a × 4 rows of b, 4 lanes of l per step
  ;; (the last 1-3 read past the rows and are masked to 0), each sum in its 4 lanes then $hsum4.
  ;; Rows past M or N are computed on a repeated last row and not stored.
  (func $mm_nt (param $M i32) (param $N i32) (param $L i32) (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32)
        (param $out i32) (param $ldo i32) (param $rs i32) (param $bias i32) (param $flags i32)
    (local $i0 i32) (local $j0 i32) (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $l i32) (local $Lv i32) (local $L4 i32) (local $nc i32) (local $o i32)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128) (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local $x0 v128) (local $x1 v128) (local $y v128) (local $mask v128)
    (local.set $L4 (i32.shl (local.get $L) (i32.const 2)))
    (local.set $Lv (i32.and (local.get $L4) (i32.const -16)))
    (local.set $mask (call $lane_mask (i32.shr_u (i32.sub (local.get $L4) (local.get $Lv)) (i32.const 2))))
    ;; rows of b outside: its 4 rows stay in L1 for every pair of a's rows
    (loop $jp
      (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j0) (local.get $ldb))))
      (local.set $b1 (i32.add (local.get $b) (i32.mul (call $min (i32.add (local.get $j0) (i32.const 1)) (i32.sub (local.get $N) (i32.const 1))) (local.get $ldb))))
      (local.set $b2 (i32.add (local.get $b) (i32.mul (call $min (i32.add (local.get $j0) (i32.const 2)) (i32.sub (local.get $N) (i32.const 1))) (local.get $ldb))))
      (local.set $b3 (i32.add (local.get $b) (i32.mul (call $min (i32.add (local.get $j0) (i32.const 3)) (i32.sub (local.get $N) (i32.const 1))) (local.get $ldb))))
      (local.set $i0 (i32.const 0))
      (loop $ip
        (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i0) (local.get $lda))))
        (local.set $a1 (i32.add (local.get $a) (i32.mul (call $min (i32.add (local.get $i0) (i32.const 1)) (i32.sub (local.get $M) (i32.const 1))) (local.get $lda))))
        (local.set $s00 (v128.const i32x4 0 0 0 0))
        (local.set $s01 (v128.const i32x4 0 0 0 0))
        (local.set $s02 (v128.const i32x4 0 0 0 0))
        (local.set $s03 (v128.const i32x4 0 0 0 0))
        (local.set $s10 (v128.const i32x4 0 0 0 0))
        (local.set $s11 (v128.const i32x4 0 0 0 0))
        (local.set $s12 (v128.const i32x4 0 0 0 0))
        (local.set $s13 (v128.const i32x4 0 0 0 0))
        (local.set $l (i32.const 0))
        (block $dv (loop $lv
          (br_if $dv (i32.ge_u (local.get $l) (local.get $Lv)))
          (local.set $x0 (v128.load (i32.add (local.get $a0) (local.get $l))))
          (local.set $x1 (v128.load (i32.add (local.get $a1) (local.get $l))))
          (local.set $y (v128.load (i32.add (local.get $b0) (local.get $l))))
          (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $x0) (local.get $y))))
          (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $x1) (local.get $y))))
          (local.set $y (v128.load (i32.add (local.get $b1) (local.get $l))))
          (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $x0) (local.get $y))))
          (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $x1) (local.get $y))))
          (local.set $y (v128.load (i32.add (local.get $b2) (local.get $l))))
          (local.set $s02 (f32x4.add (local.get $s02) (f32x4.mul (local.get $x0) (local.get $y))))
          (local.set $s12 (f32x4.add (local.get $s12) (f32x4.mul (local.get $x1) (local.get $y))))
          (local.set $y (v128.load (i32.add (local.get $b3) (local.get $l))))
          (local.set $s03 (f32x4.add (local.get $s03) (f32x4.mul (local.get $x0) (local.get $y))))
          (local.set $s13 (f32x4.add (local.get $s13) (f32x4.mul (local.get $x1) (local.get $y))))
          (local.set $l (i32.add (local.get $l) (i32.const 16)))
          (br $lv)))
        (if (i32.lt_u (local.get $Lv) (local.get $L4))
          (then
            (local.set $x0 (v128.and (local.get $mask) (v128.load (i32.add (local.get $a0) (local.get $l)))))
            (local.set $x1 (v128.and (local.get $mask) (v128.load (i32.add (local.get $a1) (local.get $l)))))
            (local.set $y (v128.and (local.get $mask) (v128.load (i32.add (local.get $b0) (local.get $l)))))
            (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $x0) (local.get $y))))
            (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $x1) (local.get $y))))
            (local.set $y (v128.and (local.get $mask) (v128.load (i32.add (local.get $b1) (local.get $l)))))
            (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $x0) (local.get $y))))
            (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $x1) (local.get $y))))
            (local.set $y (v128.and (local.get $mask) (v128.load (i32.add (local.get $b2) (local.get $l)))))
            (local.set $s02 (f32x4.add (local.get $s02) (f32x4.mul (local.get $x0) (local.get $y))))
            (local.set $s12 (f32x4.add (local.get $s12) (f32x4.mul (local.get $x1) (local.get $y))))
            (local.set $y (v128.and (local.get $mask) (v128.load (i32.add (local.get $b3) (local.get $l)))))
            (local.set $s03 (f32x4.add (local.get $s03) (f32x4.mul (local.get $x0) (local.get $y))))
            (local.set $s13 (f32x4.add (local.get $s13) (f32x4.mul (local.get $x1) (local.get $y))))))
        (local.set $x0 (call $hsum4 (local.get $s00) (local.get $s01) (local.get $s02) (local.get $s03)))
        (local.set $x1 (call $hsum4 (local.get $s10) (local.get $s11) (local.get $s12) (local.get $s13)))
        (if (local.get $rs)
          (then
            (local.set $x0 (f32x4.mul (local.get $x0) (v128.load32_splat (i32.add (local.get $rs) (i32.shl (local.get $i0) (i32.const 2))))))
            (local.set $x1 (f32x4.mul (local.get $x1)
              (v128.load32_splat (i32.add (local.get $rs) (i32.shl (call $min (i32.add (local.get $i0) (i32.const 1)) (i32.sub (local.get $M) (i32.const 1))) (i32.const 2))))))))
        (if (local.get $bias)
          (then
            (local.set $y (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j0) (i32.const 2)))))
            (local.set $x0 (f32x4.add (local.get $x0) (local.get $y)))
            (local.set $x1 (f32x4.add (local.get $x1) (local.get $y)))))
        (local.set $o (i32.add (local.get $out) (i32.add (i32.mul (local.get $i0) (local.get $ldo)) (i32.shl (local.get $j0) (i32.const 2)))))
        (if (i32.and (local.get $flags) (i32.const 2))
          (then
            (local.set $x0 (f32x4.add (local.get $x0) (v128.load (local.get $o))))
            (local.set $x1 (f32x4.add (local.get $x1) (v128.load (i32.add (local.get $o) (local.get $ldo)))))))
        (if (i32.and (local.get $flags) (i32.const 1))
          (then
            (local.set $x0 (f32x4.max (local.get $x0) (v128.const i32x4 0 0 0 0)))
            (local.set $x1 (f32x4.max (local.get $x1) (v128.const i32x4 0 0 0 0)))))
        (local.set $nc (call $min (i32.const 4) (i32.sub (local.get $N) (local.get $j0))))
        (if (i32.eq (local.get $nc) (i32.const 4))
          (then (v128.store (local.get $o) (local.get $x0)))
          (else (call $store_lanes (local.get $o) (local.get $x0) (local.get $nc))))
        (if (i32.lt_s (i32.add (local.get $i0) (i32.const 1)) (local.get $M))
          (then
            (if (i32.eq (local.get $nc) (i32.const 4))
              (then (v128.store (i32.add (local.get $o) (local.get $ldo)) (local.get $x1)))
              (else (call $store_lanes (i32.add (local.get $o) (local.get $ldo)) (local.get $x1) (local.get $nc))))))
        (br_if $ip (i32.lt_s (local.tee $i0 (i32.add (local.get $i0) (i32.const 2))) (local.get $M))))
      (br_if $jp (i32.lt_s (local.tee $j0 (i32.add (local.get $j0) (i32.const 4))) (local.get $N)))))

  ;; $vexp for arguments w <= 0 (or NaN), as kind 19's softmaxes take (x − max): the same
  ;; polynomial and the same bits there, without the clamp and the +Inf case that only w > 0 needs,
  ;; and 2^k for the integral k in [−126, 0] from the low bits of k + (1.5·2²³ + 127) instead of a
  ;; saturating conversion. 0 below −87 (and for −Inf), NaN for NaN.
  ;; @inline
  (func $vexp_neg (param $w v128) (result v128)
    (local $k v128) (local $r v128) (local $e v128) (local $c v128)
    (local.set $c (f32x4.pmax (local.get $w) (v128.const f32x4 -87 -87 -87 -87)))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $c) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $c) (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
                             (f32x4.mul (local.get $k) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $e (f32x4.add (f32x4.mul (local.get $r) (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
                             (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $e (f32x4.add (f32x4.add (f32x4.mul (local.get $e) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
                             (v128.const f32x4 1 1 1 1)))
    ;; k + 12583039 is exact (|k| <= 126); its low 9 mantissa bits are k + 127, shifted into the exponent
    (local.set $e (f32x4.mul (local.get $e)
      (i32x4.shl (f32x4.add (local.get $k) (v128.const f32x4 12583039 12583039 12583039 12583039)) (i32.const 23))))
    (v128.andnot (local.get $e) (f32x4.lt (local.get $w) (v128.const f32x4 -87 -87 -87 -87))))

  ;; kind 19, SEPA: Ms[:, n] = softmax over the K classes of Mc[:, n], 4 pixels per vector (rows
  ;; ld bytes apart, whole vectors: the lanes past N hold garbage, never used), the sum over the
  ;; classes in f32; den[k] = 1/(Σ_n Ms[k, n] + 1e-12), those sums in f64 (at acc, K pairs of f64x2;
  ;; the lanes past N left out).
  ;; With SPPA too (a != 0) the same exponentials give A's: with m_n = max_k Mc[k, n] and G = max_n
  ;; m_n, a[k, n] = e^(Mc[k, n] − m_n)·e^(m_n − G) = e^(Mc[k, n] − G) (N more e^x instead of K·N),
  ;; whose row sums S_k (f64, at acc + 32·K) give rsA[k] = 1/S_k. A row whose max lies far below G
  ;; (S_k < 1e-20: e^(M_k − G) near or under f32's range) is redone directly ($exp_row from Mc).
  (func $softmax_k (param $mc i32) (param $ms i32) (param $K i32) (param $N i32) (param $ld i32) (param $den i32) (param $acc i32)
        (param $a i32) (param $mrow i32) (param $rsA i32)
    (local $i i32) (local $N4 i32) (local $p i32) (local $end i32) (local $q i32) (local $k i32) (local $sa f64)
    (local $m v128) (local $s v128) (local $v v128) (local $mask v128) (local $lo v128) (local $e v128) (local $u v128) (local $g v128)
    (local.set $N4 (i32.shl (local.get $N) (i32.const 2)))
    (local.set $end (i32.mul (local.get $K) (local.get $ld)))
    (memory.fill (local.get $acc) (i32.const 0) (i32.shl (local.get $K) (i32.const 6)))
    (if (local.get $a)
      (then
        ;; m_n for every pixel (into mrow), and G
        (local.set $g (v128.const f32x4 -inf -inf -inf -inf))
        (loop $groups
          (local.set $m (v128.load (i32.add (local.get $mc) (local.get $i))))
          (local.set $p (local.get $ld))
          (block $d1 (loop $l1
            (br_if $d1 (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $m (f32x4.pmax (local.get $m) (v128.load (i32.add (i32.add (local.get $mc) (local.get $i)) (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (local.get $ld)))
            (br $l1)))
          (v128.store (i32.add (local.get $mrow) (local.get $i)) (local.get $m))
          (local.set $g (f32x4.max (local.get $g)
            (v128.bitselect (local.get $m) (v128.const f32x4 -inf -inf -inf -inf)
              (call $lane_mask (i32.shr_u (i32.sub (local.get $N4) (local.get $i)) (i32.const 2))))))
          (br_if $groups (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $N4))))
        (local.set $g (f32x4.splat (f32.max (f32.max (f32x4.extract_lane 0 (local.get $g)) (f32x4.extract_lane 1 (local.get $g)))
                                            (f32.max (f32x4.extract_lane 2 (local.get $g)) (f32x4.extract_lane 3 (local.get $g))))))
        (local.set $i (i32.const 0))))
    (loop $groups
      (local.set $mask (call $lane_mask (i32.shr_u (i32.sub (local.get $N4) (local.get $i)) (i32.const 2))))
      (if (local.get $a)
        (then
          (local.set $m (v128.load (i32.add (local.get $mrow) (local.get $i))))
          (local.set $u (call $vexp_neg (f32x4.sub (local.get $m) (local.get $g)))))
        (else
          (local.set $m (v128.load (i32.add (local.get $mc) (local.get $i))))
          (local.set $p (local.get $ld))
          (block $d1 (loop $l1
            (br_if $d1 (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $m (f32x4.pmax (local.get $m) (v128.load (i32.add (i32.add (local.get $mc) (local.get $i)) (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (local.get $ld)))
            (br $l1)))))
      (local.set $s (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.const 0))
      (loop $l2
        (local.set $v (call $vexp_neg (f32x4.sub (v128.load (i32.add (i32.add (local.get $mc) (local.get $i)) (local.get $p))) (local.get $m))))
        (v128.store (i32.add (i32.add (local.get $ms) (local.get $i)) (local.get $p)) (local.get $v))
        (local.set $s (f32x4.add (local.get $s) (local.get $v)))
        (br_if $l2 (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $ld))) (local.get $end))))
      (local.set $s (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $s)))
      (local.set $p (i32.const 0))
      (local.set $q (local.get $acc))
      (loop $l3
        (local.set $e (v128.load (i32.add (i32.add (local.get $ms) (local.get $i)) (local.get $p))))
        (local.set $v (f32x4.mul (local.get $e) (local.get $s)))
        (v128.store (i32.add (i32.add (local.get $ms) (local.get $i)) (local.get $p)) (local.get $v))
        (local.set $v (v128.and (local.get $v) (local.get $mask)))
        (v128.store (local.get $q) (call $acc_lo (v128.load (local.get $q)) (local.get $v)))
        (v128.store offset=16 (local.get $q) (call $acc_hi (v128.load offset=16 (local.get $q)) (local.get $v)))
        (if (local.get $a)
          (then
            (local.set $e (f32x4.mul (local.get $e) (local.get $u)))
            (v128.store (i32.add (i32.add (local.get $a) (local.get $i)) (local.get $p)) (local.get $e))
            (local.set $e (v128.and (local.get $e) (local.get $mask)))
            (local.set $q (i32.add (local.get $q) (i32.shl (local.get $K) (i32.const 5))))
            (v128.store (local.get $q) (call $acc_lo (v128.load (local.get $q)) (local.get $e)))
            (v128.store offset=16 (local.get $q) (call $acc_hi (v128.load offset=16 (local.get $q)) (local.get $e)))
            (local.set $q (i32.sub (local.get $q) (i32.shl (local.get $K) (i32.const 5))))))
        (local.set $q (i32.add (local.get $q) (i32.const 32)))
        (br_if $l3 (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $ld))) (local.get $end))))
      (br_if $groups (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $N4))))
    (loop $rows
      (local.set $lo (f64x2.add (v128.load (local.get $acc)) (v128.load offset=16 (local.get $acc))))
      (f32.store (local.get $den) (f32.demote_f64 (f64.div (f64.const 1)
        (f64.add (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))) (f64.const 1e-12)))))
      (if (local.get $a)
        (then
          (local.set $p (i32.add (local.get $acc) (i32.shl (local.get $K) (i32.const 5))))
          (local.set $lo (f64x2.add (v128.load (local.get $p)) (v128.load offset=16 (local.get $p))))
          (local.set $sa (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
          (f32.store (local.get $rsA)
            (if (result f32) (f64.ge (local.get $sa) (f64.const 1e-20))
              (then (f32.demote_f64 (f64.div (f64.const 1) (local.get $sa))))
              (else (call $exp_row (i32.add (local.get $mc) (i32.mul (local.get $k) (local.get $ld)))
                                   (i32.add (local.get $a) (i32.mul (local.get $k) (local.get $ld))) (local.get $N)))))
          (local.set $rsA (i32.add (local.get $rsA) (i32.const 4)))))
      (local.set $acc (i32.add (local.get $acc) (i32.const 32)))
      (local.set $den (i32.add (local.get $den) (i32.const 4)))
      (br_if $rows (i32.lt_s (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $K)))))

  ;; One row of kind 19's A: dst = e^(src − max of its first N) over whole vectors (the lanes past N
  ;; hold garbage, never used), the sum of the first N in f64; returns 1/sum rounded to f32.
  (func $exp_row (param $src i32) (param $dst i32) (param $N i32) (result f32)
    (local $i i32) (local $N4 i32) (local $nv i32) (local $mf f32)
    (local $m v128) (local $v v128) (local $tmask v128) (local $lo v128) (local $hi v128)
    (local.set $N4 (i32.shl (local.get $N) (i32.const 2)))
    (local.set $nv (i32.and (local.get $N4) (i32.const -16)))
    (local.set $tmask (call $lane_mask (i32.shr_u (i32.sub (local.get $N4) (local.get $nv)) (i32.const 2))))
    (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $i) (local.get $nv)))
      (local.set $m (f32x4.pmax (local.get $m) (v128.load (i32.add (local.get $src) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $l1)))
    (if (i32.lt_u (local.get $nv) (local.get $N4))
      (then (local.set $m (f32x4.max (local.get $m)
        (v128.bitselect (v128.load (i32.add (local.get $src) (local.get $nv))) (v128.const f32x4 -inf -inf -inf -inf) (local.get $tmask))))))
    (local.set $mf (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
                            (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
    (local.set $m (f32x4.splat (local.get $mf)))
    (local.set $i (i32.const 0))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $i) (local.get $nv)))
      (local.set $v (call $vexp_neg (f32x4.sub (v128.load (i32.add (local.get $src) (local.get $i))) (local.get $m))))
      (v128.store (i32.add (local.get $dst) (local.get $i)) (local.get $v))
      (local.set $lo (call $acc_lo (local.get $lo) (local.get $v)))
      (local.set $hi (call $acc_hi (local.get $hi) (local.get $v)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $l2)))
    (if (i32.lt_u (local.get $nv) (local.get $N4))
      (then
        (local.set $v (v128.and (local.get $tmask) (call $vexp_neg (f32x4.sub (v128.load (i32.add (local.get $src) (local.get $nv))) (local.get $m)))))
        (v128.store (i32.add (local.get $dst) (local.get $nv)) (local.get $v))
        (local.set $lo (call $acc_lo (local.get $lo) (local.get $v)))
        (local.set $hi (call $acc_hi (local.get $hi) (local.get $v)))))
    (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
    (f32.demote_f64 (f64.div (f64.const 1) (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))))

  ;; The per-class MLP of kind 19: E[k, :] (+)= W2·relu(W1·z[k, :]) + b2 for the K rows of z [K, 2C]
  ;; (rows 8C bytes apart), W1 [H, 2C], W2 [C, H], through the hidden rows hb [K, H]; acc = 1 adds
  ;; E's old value. With H = 0 the product is empty: E (+)= b2.
  (func $ssa_mlp (param $job i32) (param $z i32) (param $w1 i32) (param $w2 i32) (param $b2 i32) (param $hb i32) (param $e i32) (param $acc i32)
    (local $C i32) (local $K i32) (local $H i32) (local $k i32)
    (local.set $C (i32.load offset=36 (local.get $job)))
    (local.set $K (i32.load offset=40 (local.get $job)))
    (local.set $H (i32.load offset=52 (local.get $job)))
    (if (local.get $H)
      (then
        (call $mm_nt (local.get $K) (local.get $H) (i32.shl (local.get $C) (i32.const 1))
          (local.get $z) (i32.shl (local.get $C) (i32.const 3)) (local.get $w1) (i32.shl (local.get $C) (i32.const 3))
          (local.get $hb) (i32.shl (local.get $H) (i32.const 2)) (i32.const 0) (i32.const 0) (i32.const 1))
        (call $mm_nt (local.get $K) (local.get $C) (local.get $H)
          (local.get $hb) (i32.shl (local.get $H) (i32.const 2)) (local.get $w2) (i32.shl (local.get $H) (i32.const 2))
          (local.get $e) (i32.shl (local.get $C) (i32.const 2)) (i32.const 0) (local.get $b2) (i32.shl (local.get $acc) (i32.const 1))))
      (else
        (loop $rows
          (call $vadd (i32.add (local.get $e) (i32.mul (local.get $k) (i32.shl (local.get $C) (i32.const 2)))) (local.get $b2) (local.get $C) (local.get $acc))
          (br_if $rows (i32.lt_s (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $K)))))))

  ;; dst[i] = a[i] (acc = 0) or dst[i] + a[i] (acc = 1), i < n
  (func $vadd (param $dst i32) (param $a i32) (param $n i32) (param $acc i32)
    (local $i i32)
    (block $d (loop $l
      (br_if $d (i32.ge_s (local.get $i) (local.get $n)))
      (f32.store (local.get $dst)
        (select (f32.add (f32.load (local.get $dst)) (f32.load (local.get $a))) (f32.load (local.get $a)) (local.get $acc)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))

  (func $task_ssa_logits (param $job i32) (param $t i32) (param $scr i32)
    (local $C i32) (local $K i32) (local $N i32) (local $h i32) (local $w i32) (local $flags i32)
    (local $C4 i32) (local $cv i32) (local $N4 i32) (local $Nq4 i32) (local $nv i32) (local $Np4 i32) (local $acc i32) (local $am i32) (local $mrow i32) (local $Wp4 i32) (local $w4 i32) (local $wv i32)
    (local $x i32) (local $o i32) (local $base i32) (local $wseg i32)
    (local $mc i32) (local $ms i32) (local $pf i32) (local $f i32) (local $fr i32) (local $sc i32) (local $den i32)
    (local $zp i32) (local $zs i32) (local $hb i32) (local $e i32) (local $q i32) (local $pack i32)
    (local $c i32) (local $k i32) (local $i i32) (local $y i32) (local $xr i32) (local $pr i32) (local $fo i32) (local $row i32)
    (local $d f32) (local $u f32) (local $bv v128) (local $v v128) (local $p v128) (local $mask v128)
    (local.set $C (i32.load offset=36 (local.get $job)))
    (local.set $K (i32.load offset=40 (local.get $job)))
    (local.set $h (i32.load offset=44 (local.get $job)))
    (local.set $w (i32.load offset=48 (local.get $job)))
    (local.set $flags (i32.load offset=56 (local.get $job)))
    (local.set $N (i32.load offset=60 (local.get $job)))
    (local.set $C4 (i32.shl (local.get $C) (i32.const 2)))
    (local.set $N4 (i32.shl (local.get $N) (i32.const 2)))
    (local.set $nv (i32.and (local.get $N4) (i32.const -16)))
    ;; rows of Mc and Ms: whole vectors
    (local.set $Nq4 (i32.and (i32.add (local.get $N4) (i32.const 15)) (i32.const -16)))
    ;; s covers whole 8-float panels ($mm_rows reads 8 scales per tile)
    (local.set $Np4 (i32.and (i32.add (local.get $N4) (i32.const 31)) (i32.const -32)))
    (local.set $x (i32.add (i32.load offset=64 (local.get $job)) (i32.mul (local.get $t) (i32.mul (local.get $C) (local.get $N4)))))
    (local.set $o (i32.add (i32.load offset=68 (local.get $job)) (i32.mul (local.get $t) (i32.mul (local.get $K) (local.get $N4)))))
    (local.set $wseg (i32.load offset=72 (local.get $job)))
    (local.set $Wp4 (i32.shl (i32.load offset=120 (local.get $job)) (i32.const 2)))
    (local.set $base (i32.add (local.get $scr) (global.get $SCR_FREE)))
    (local.set $mc (i32.add (local.get $base) (i32.load offset=124 (local.get $job))))
    (local.set $ms (i32.add (local.get $base) (i32.load offset=128 (local.get $job))))
    (local.set $pf (i32.add (local.get $base) (i32.load offset=132 (local.get $job))))
    (local.set $f (i32.add (local.get $base) (i32.load offset=136 (local.get $job))))
    (local.set $fr (i32.add (local.get $base) (i32.load offset=140 (local.get $job))))
    (local.set $sc (i32.add (local.get $base) (i32.load offset=144 (local.get $job))))
    (local.set $den (i32.add (local.get $base) (i32.load offset=148 (local.get $job))))
    (local.set $zp (i32.add (local.get $base) (i32.load offset=152 (local.get $job))))
    (local.set $zs (i32.add (local.get $base) (i32.load offset=156 (local.get $job))))
    (local.set $hb (i32.add (local.get $base) (i32.load offset=160 (local.get $job))))
    (local.set $e (i32.add (local.get $base) (i32.load offset=164 (local.get $job))))
    (local.set $q (i32.add (local.get $base) (i32.load offset=168 (local.get $job))))
    (local.set $pack (i32.add (local.get $base) (i32.load offset=172 (local.get $job))))
    (local.set $acc (i32.add (local.get $base) (i32.load offset=176 (local.get $job))))
    (local.set $am (i32.add (local.get $base) (i32.load offset=180 (local.get $job))))
    (local.set $mrow (i32.add (local.get $base) (i32.load offset=184 (local.get $job))))

    ;; 1. coarse logits Mc = Wseg·x + bseg
    (call $mm_rows (local.get $K) (local.get $N) (local.get $C) (local.get $wseg) (local.get $C4) (local.get $x) (local.get $N4)
      (local.get $mc) (local.get $Nq4) (i32.load offset=76 (local.get $job)) (i32.const 0) (local.get $pack) (i32.add (local.get $scr) (global.get $SCR_TILE)))

    ;; 2. SEPA: Ms = softmax over the classes of each pixel; den[k] = 1/(Σ_n Ms[k, n] + 1e-12);
    ;; with SPPA also A's e^(Mc − G) and rsA = den + 4K (see $softmax_k)
    (if (i32.and (local.get $flags) (i32.const 1))
      (then
        (call $softmax_k (local.get $mc) (local.get $ms) (local.get $K) (local.get $N) (local.get $Nq4) (local.get $den) (local.get $acc)
          (select (local.get $am) (i32.const 0) (i32.and (local.get $flags) (i32.const 2))) (local.get $mrow)
          (i32.add (local.get $den) (i32.shl (local.get $K) (i32.const 2))))))

    ;; 3. SPPA: A = softmax over the pixels of each class, kept as e^(Mc − row max) (without SEPA;
    ;; with it step 2 made A's rows) and rsA[k] = 1/Σ_n, applied to A·Pfᵀ in step 6; Pf = the depthwise 3×3
    ;; of x (bias in step 4), channel by channel through one frame [h + 2, Wp] whose border stays
    ;; zero: it is cleared once, then each channel's rows go to its rows 1..h, columns 1..4⌈w/4⌉
    ;; (lanes past w masked to 0; x's next floats are read for them)
    (if (i32.and (local.get $flags) (i32.const 2))
      (then
        (if (i32.eqz (i32.and (local.get $flags) (i32.const 1)))
          (then
            (local.set $k (i32.const 0))
            (loop $rows
              (local.set $row (i32.add (local.get $mc) (i32.mul (local.get $k) (local.get $Nq4))))
              (f32.store (i32.add (local.get $den) (i32.shl (i32.add (local.get $K) (local.get $k)) (i32.const 2)))
                (call $exp_row (local.get $row) (i32.add (local.get $am) (i32.mul (local.get $k) (local.get $Nq4))) (local.get $N)))
              (br_if $rows (i32.lt_s (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $K))))))
        (memory.fill (local.get $fr) (i32.const 0) (i32.mul (i32.add (local.get $h) (i32.const 2)) (local.get $Wp4)))
        (local.set $w4 (i32.shl (local.get $w) (i32.const 2)))
        (local.set $wv (i32.and (local.get $w4) (i32.const -16)))
        (local.set $mask (call $lane_mask (i32.shr_u (i32.sub (local.get $w4) (local.get $wv)) (i32.const 2))))
        (memory.fill (local.get $sc) (i32.const 0) (local.get $Np4))
        (local.set $c (i32.const 0))
        (loop $chans
          (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $c) (local.get $N4))))
          (local.set $row (i32.add (local.get $fr) (i32.add (local.get $Wp4) (i32.const 4))))
          (local.set $y (i32.const 0))
          (loop $frows
            (local.set $i (i32.const 0))
            (block $dv (loop $lv
              (br_if $dv (i32.ge_u (local.get $i) (local.get $wv)))
              (v128.store (i32.add (local.get $row) (local.get $i)) (v128.load (i32.add (local.get $xr) (local.get $i))))
              (local.set $i (i32.add (local.get $i) (i32.const 16)))
              (br $lv)))
            (if (i32.lt_u (local.get $wv) (local.get $w4))
              (then (v128.store (i32.add (local.get $row) (local.get $i))
                (v128.and (local.get $mask) (v128.load (i32.add (local.get $xr) (local.get $i)))))))
            (local.set $xr (i32.add (local.get $xr) (local.get $w4)))
            (local.set $row (i32.add (local.get $row) (local.get $Wp4)))
            (br_if $frows (i32.lt_s (local.tee $y (i32.add (local.get $y) (i32.const 1))) (local.get $h))))
          (call $dw_plane3 (local.get $fr)
            (i32.add (i32.load offset=80 (local.get $job)) (i32.mul (local.get $c) (i32.const 36)))
            (i32.add (local.get $pf) (i32.mul (local.get $c) (local.get $N4)))
            (local.get $h) (local.get $w)
            (local.get $Wp4) (local.get $Wp4) (i32.const 4))
          ;; while the channel is in L1: Pf += dwB[c], F = x + Pf, s += F²
          (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $c) (local.get $N4))))
          (local.set $i (i32.const 0))
          (local.set $pr (i32.add (local.get $pf) (i32.mul (local.get $c) (local.get $N4))))
          (local.set $fo (i32.add (local.get $f) (i32.mul (local.get $c) (local.get $N4))))
          (local.set $bv (v128.load32_splat (i32.add (i32.load offset=84 (local.get $job)) (i32.shl (local.get $c) (i32.const 2)))))
          (block $dv (loop $lv
            (br_if $dv (i32.ge_u (local.get $i) (local.get $nv)))
            (local.set $p (f32x4.add (v128.load (i32.add (local.get $pr) (local.get $i))) (local.get $bv)))
            (v128.store (i32.add (local.get $pr) (local.get $i)) (local.get $p))
            (local.set $v (f32x4.add (v128.load (i32.add (local.get $xr) (local.get $i))) (local.get $p)))
            (v128.store (i32.add (local.get $fo) (local.get $i)) (local.get $v))
            (v128.store (i32.add (local.get $sc) (local.get $i))
              (f32x4.add (v128.load (i32.add (local.get $sc) (local.get $i))) (f32x4.mul (local.get $v) (local.get $v))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $lv)))
          (block $ds (loop $ls
            (br_if $ds (i32.ge_u (local.get $i) (local.get $N4)))
            (local.set $d (f32.add (f32.load (i32.add (local.get $pr) (local.get $i))) (f32x4.extract_lane 0 (local.get $bv))))
            (f32.store (i32.add (local.get $pr) (local.get $i)) (local.get $d))
            (local.set $u (f32.add (f32.load (i32.add (local.get $xr) (local.get $i))) (local.get $d)))
            (f32.store (i32.add (local.get $fo) (local.get $i)) (local.get $u))
            (f32.store (i32.add (local.get $sc) (local.get $i))
              (f32.add (f32.load (i32.add (local.get $sc) (local.get $i))) (f32.mul (local.get $u) (local.get $u))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $ls)))
          (br_if $chans (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $C))))))

    ;; 4. s = 15/(√s + 1e-12) over whole vectors (the lanes past N are 0 and never used), s[n] =
    ;; Σ_c F[c, n]²: summed in step 3 with SPPA, here from x without
    (if (i32.eqz (i32.and (local.get $flags) (i32.const 2)))
      (then
        (memory.fill (local.get $sc) (i32.const 0) (local.get $Np4))
        (local.set $c (i32.const 0))
        (loop $chans
          (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $c) (local.get $N4))))
          (local.set $i (i32.const 0))
          (block $dv (loop $lv
            (br_if $dv (i32.ge_u (local.get $i) (local.get $nv)))
            (local.set $v (v128.load (i32.add (local.get $xr) (local.get $i))))
            (v128.store (i32.add (local.get $sc) (local.get $i))
              (f32x4.add (v128.load (i32.add (local.get $sc) (local.get $i))) (f32x4.mul (local.get $v) (local.get $v))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $lv)))
          (block $ds (loop $ls
            (br_if $ds (i32.ge_u (local.get $i) (local.get $N4)))
            (local.set $u (f32.load (i32.add (local.get $xr) (local.get $i))))
            (f32.store (i32.add (local.get $sc) (local.get $i))
              (f32.add (f32.load (i32.add (local.get $sc) (local.get $i))) (f32.mul (local.get $u) (local.get $u))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $ls)))
          (br_if $chans (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $C))))))
    (local.set $i (i32.const 0))
    (loop $lv
      (v128.store (i32.add (local.get $sc) (local.get $i))
        (f32x4.div (v128.const f32x4 15 15 15 15)
          (f32x4.add (f32x4.sqrt (v128.load (i32.add (local.get $sc) (local.get $i)))) (v128.const f32x4 1e-12 1e-12 1e-12 1e-12))))
      (br_if $lv (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $Np4))))

    ;; 5. SEPA: Zs = [(Ms·xᵀ)·1/(den + 1e-12) | Wseg] (the product writes the left half); E = MLP(Zs)
    (if (i32.and (local.get $flags) (i32.const 1))
      (then
        (call $mm_nt (local.get $K) (local.get $C) (local.get $N) (local.get $ms) (local.get $Nq4) (local.get $x) (local.get $N4)
          (local.get $zs) (i32.shl (local.get $C4) (i32.const 1)) (local.get $den) (i32.const 0) (i32.const 0))
        (local.set $k (i32.const 0))
        (loop $rows
          (memory.copy (i32.add (local.get $zs) (i32.add (i32.mul (local.get $k) (i32.shl (local.get $C4) (i32.const 1))) (local.get $C4)))
                       (i32.add (local.get $wseg) (i32.mul (local.get $k) (local.get $C4))) (local.get $C4))
          (br_if $rows (i32.lt_s (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $K))))
        (call $ssa_mlp (local.get $job) (local.get $zs) (i32.load offset=104 (local.get $job)) (i32.load offset=108 (local.get $job)) (i32.load offset=112 (local.get $job))
          (local.get $hb) (local.get $e) (i32.const 0))))

    ;; 6. SPPA: Zp = [P | A·Pfᵀ] (the product writes the right half); E = MLP(Zp) + (E or Wseg)
    (if (i32.and (local.get $flags) (i32.const 2))
      (then
        (call $mm_nt (local.get $K) (local.get $C) (local.get $N) (local.get $am) (local.get $Nq4) (local.get $pf) (local.get $N4)
          (i32.add (local.get $zp) (local.get $C4)) (i32.shl (local.get $C4) (i32.const 1))
          (i32.add (local.get $den) (i32.shl (local.get $K) (i32.const 2))) (i32.const 0) (i32.const 0))
        (local.set $k (i32.const 0))
        (loop $rows
          (memory.copy (i32.add (local.get $zp) (i32.mul (local.get $k) (i32.shl (local.get $C4) (i32.const 1))))
                       (i32.add (i32.load offset=88 (local.get $job)) (i32.mul (local.get $k) (local.get $C4))) (local.get $C4))
          (br_if $rows (i32.lt_s (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $K))))
        (if (i32.eqz (i32.and (local.get $flags) (i32.const 1)))
          (then (memory.copy (local.get $e) (local.get $wseg) (i32.mul (local.get $K) (local.get $C4)))))
        (call $ssa_mlp (local.get $job) (local.get $zp) (i32.load offset=92 (local.get $job)) (i32.load offset=96 (local.get $job)) (i32.load offset=100 (local.get $job))
          (local.get $hb) (local.get $e) (i32.const 1))))

    ;; 7. Q = E·Wcᵀ; q = Q/(‖Q‖ + 1e-12) per class
    (call $mm_nt (local.get $K) (local.get $C) (local.get $C) (local.get $e) (local.get $C4) (i32.load offset=116 (local.get $job)) (local.get $C4)
      (local.get $q) (local.get $C4) (i32.const 0) (i32.const 0) (i32.const 0))
    (local.set $cv (i32.and (local.get $C4) (i32.const -16)))
    (local.set $mask (call $lane_mask (i32.shr_u (i32.sub (local.get $C4) (local.get $cv)) (i32.const 2))))
    (local.set $row (local.get $q))
    (local.set $k (i32.const 0))
    (loop $rows
      ;; ‖Q[k, :]‖: 4 lanes of squares (the last 0-3 cells masked in), then across them
      (local.set $v (v128.const i32x4 0 0 0 0))
      (local.set $i (i32.const 0))
      (block $dv (loop $lv
        (br_if $dv (i32.ge_u (local.get $i) (local.get $cv)))
        (local.set $p (v128.load (i32.add (local.get $row) (local.get $i))))
        (local.set $v (f32x4.add (local.get $v) (f32x4.mul (local.get $p) (local.get $p))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $lv)))
      (if (i32.lt_u (local.get $cv) (local.get $C4))
        (then
          (local.set $p (v128.and (local.get $mask) (v128.load (i32.add (local.get $row) (local.get $cv)))))
          (local.set $v (f32x4.add (local.get $v) (f32x4.mul (local.get $p) (local.get $p))))))
      (local.set $d (f32.add (f32.sqrt (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
                                                (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))
                             (f32.const 1e-12)))
      ;; q = Q/d: whole vectors inside the row (the row is followed by slack), then its last 0-3 cells
      (local.set $bv (f32x4.splat (local.get $d)))
      (local.set $i (i32.const 0))
      (block $dv (loop $lv
        (br_if $dv (i32.ge_u (local.get $i) (local.get $cv)))
        (v128.store (i32.add (local.get $row) (local.get $i)) (f32x4.div (v128.load (i32.add (local.get $row) (local.get $i))) (local.get $bv)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $lv)))
      (block $ds (loop $ls
        (br_if $ds (i32.ge_u (local.get $i) (local.get $C4)))
        (f32.store (i32.add (local.get $row) (local.get $i)) (f32.div (f32.load (i32.add (local.get $row) (local.get $i))) (local.get $d)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $ls)))
      (local.set $row (i32.add (local.get $row) (local.get $C4)))
      (br_if $rows (i32.lt_s (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $K))))

    ;; 8. O[b] = (q·F)·s[n]
    (call $mm_rows (local.get $K) (local.get $N) (local.get $C) (local.get $q) (local.get $C4)
      (select (local.get $f) (local.get $x) (i32.and (local.get $flags) (i32.const 2))) (local.get $N4)
      (local.get $o) (local.get $N4) (i32.const 0) (local.get $sc) (local.get $pack) (i32.add (local.get $scr) (global.get $SCR_TILE))))

  ;; ---------------------------------------------------------------------------------------------
  ;; kind 20, adamw: one AdamW update of a parameter (GpuBackend.adamw), all three of gpu.js's
  ;; adamwKernel outputs in one pass instead of its three launches:
  ;;   m' = m·β1 + g·(1 − β1)    v' = v·β2 + g·g·(1 − β2)
  ;;   p' = p·decay − (m' / (√v'·c + eps))·stepSize    (c = 1/√(1 − β2ᵗ), bias corrections as PyTorch)
  ;; Computed as gpu.js's cpu mode runs the kernel: JavaScript numbers (f64) from the f32 inputs and
  ;; the f32 meta values (it reads them from a Float32Array; here they come as f32 bits in the header),
  ;; every operation in the kernel's order, √ included, and m', v' unrounded inside p' (they are the
  ;; kernel's locals); each output rounded to f32 once when stored. + − × ÷ and √ are exactly rounded
  ;; in f64 in both, so the outputs are the cpu mode's bits. 2 cells per step (an f64x2); the step may
  ;; run one cell past n (arena blocks are padded to 64 bytes; the extra lane is never read back).
  ;; Each cell is computed on its own: a task is a run of cells, and every split gives the same bits.
  ;;   8 n  10 floats per task (a multiple of 16)  12 p  13 g  14 m  15 v  16 p'  17 m'  18 v'
  ;;   19-26 β1, 1 − β1, β2, 1 − β2, decay, stepSize, c, eps (f32 bits)
  (func $task_adamw (param $job i32) (param $t i32)
    (local $i i32) (local $i1 i32) (local $p i32) (local $g i32) (local $m i32) (local $v i32)
    (local $po i32) (local $mo i32) (local $vo i32)
    (local $b1 v128) (local $c1 v128) (local $b2 v128) (local $c2 v128) (local $dec v128) (local $step v128) (local $c v128) (local $eps v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local.set $i (i32.mul (local.get $t) (i32.load offset=40 (local.get $job))))
    (local.set $i1 (i32.shl (call $min (i32.load offset=32 (local.get $job)) (i32.add (local.get $i) (i32.load offset=40 (local.get $job)))) (i32.const 2)))
    (local.set $i (i32.shl (local.get $i) (i32.const 2)))
    (local.set $p (i32.load offset=48 (local.get $job)))
    (local.set $g (i32.load offset=52 (local.get $job)))
    (local.set $m (i32.load offset=56 (local.get $job)))
    (local.set $v (i32.load offset=60 (local.get $job)))
    (local.set $po (i32.load offset=64 (local.get $job)))
    (local.set $mo (i32.load offset=68 (local.get $job)))
    (local.set $vo (i32.load offset=72 (local.get $job)))
    (local.set $b1 (f64x2.splat (f64.promote_f32 (f32.load offset=76 (local.get $job)))))
    (local.set $c1 (f64x2.splat (f64.promote_f32 (f32.load offset=80 (local.get $job)))))
    (local.set $b2 (f64x2.splat (f64.promote_f32 (f32.load offset=84 (local.get $job)))))
    (local.set $c2 (f64x2.splat (f64.promote_f32 (f32.load offset=88 (local.get $job)))))
    (local.set $dec (f64x2.splat (f64.promote_f32 (f32.load offset=92 (local.get $job)))))
    (local.set $step (f64x2.splat (f64.promote_f32 (f32.load offset=96 (local.get $job)))))
    (local.set $c (f64x2.splat (f64.promote_f32 (f32.load offset=100 (local.get $job)))))
    (local.set $eps (f64x2.splat (f64.promote_f32 (f32.load offset=104 (local.get $job)))))
    (loop $cells
      (local.set $gv (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $g) (local.get $i)))))
      ;; m' = m·β1 + g·(1 − β1);  v' = v·β2 + (g·g)·(1 − β2)
      (local.set $mv (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $m) (local.get $i)))) (local.get $b1))
                                (f64x2.mul (local.get $gv) (local.get $c1))))
      (local.set $vv (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $v) (local.get $i)))) (local.get $b2))
                                (f64x2.mul (f64x2.mul (local.get $gv) (local.get $gv)) (local.get $c2))))
      (v128.store64_lane 0 (i32.add (local.get $mo) (local.get $i)) (f32x4.demote_f64x2_zero (local.get $mv)))
      (v128.store64_lane 0 (i32.add (local.get $vo) (local.get $i)) (f32x4.demote_f64x2_zero (local.get $vv)))
      ;; p' = p·decay − (m' / (√v'·c + eps))·stepSize
      (v128.store64_lane 0 (i32.add (local.get $po) (local.get $i)) (f32x4.demote_f64x2_zero
        (f64x2.sub
          (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (local.get $i)))) (local.get $dec))
          (f64x2.mul
            (f64x2.div (local.get $mv) (f64x2.add (f64x2.mul (f64x2.sqrt (local.get $vv)) (local.get $c)) (local.get $eps)))
            (local.get $step)))))
      (br_if $cells (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 8))) (local.get $i1)))))

  ;; ---------------------------------------------------------------------------------------------
  ;; kind 23, resample2d: out[p] = Rh · x[p] · Rwᵀ over planes p of x [P, H, W] (interpolate, and its
  ;; backward with the transposed matrices: dx[p] = Rhᵀ · dy[p] · Rw). Rh and Rw come as bands
  ;; (resampling matrices have a few contiguous nonzeros per row): the vertical table has, per output
  ;; row o, [start row, count, weights address]; the horizontal table, per group of 4 output columns,
  ;; [start column, L, weights address] with L×4 weights (one f32x4 per input column of the group's
  ;; window, 0 where a column's band does not reach), so the horizontal pass is one splat per input
  ;; column and vector multiply-adds along the output columns, like the vertical one. One plane is a
  ;; horizontal pass into the task scratch T then a vertical pass into out (order 0), or vertical then
  ;; horizontal (order 1), whichever has fewer vector multiply-adds (chosen in jobs.ts). Every output
  ;; is its band's products summed in band order, and a task is a run of whole planes, so every
  ;; thread count gives the same bits.
  ;;   8 P  9 H  10 W  11 OH  12 OW  13 order  14 x  15 out  16 planes per task  17 vertical table
  ;;   18 horizontal table  19 T's row stride (bytes)  20 groups  21 the row buffer's offset from T
  ;; T is at the task scratch, then a row buffer of whole vectors. Rows are written in whole vectors,
  ;; each row's last one spilling up to 3 floats into the next row, which is written after it; a
  ;; plane's last output row goes through the row buffer instead, so a task never writes outside its
  ;; planes. x may be read up to 3 floats past its end (order 1's vertical pass loads whole vectors).

  ;; Stores the first n (1..4) lanes of v at p.
  (func $rs_store (param $p i32) (param $v v128) (param $n i32)
    (if (i32.ge_s (local.get $n) (i32.const 4))
      (then (v128.store (local.get $p) (local.get $v)))
      (else
        (v128.store32_lane 0 (local.get $p) (local.get $v))
        (if (i32.gt_s (local.get $n) (i32.const 1)) (then (v128.store32_lane offset=4 1 (local.get $p) (local.get $v))))
        (if (i32.gt_s (local.get $n) (i32.const 2)) (then (v128.store32_lane offset=8 2 (local.get $p) (local.get $v)))))))

  ;; Copies n (>= 1) floats from src (whole vectors readable) to dst, writing nothing past dst + 4n.
  (func $rs_copy (param $src i32) (param $dst i32) (param $n i32)
    (local $j i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $tail
      (loop $vecs
        (br_if $tail (i32.gt_s (i32.add (local.get $j) (i32.const 16)) (local.get $end)))
        (v128.store (i32.add (local.get $dst) (local.get $j)) (v128.load (i32.add (local.get $src) (local.get $j))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vecs)))
    (if (i32.lt_s (local.get $j) (local.get $end))
      (then (call $rs_store (i32.add (local.get $dst) (local.get $j)) (v128.load (i32.add (local.get $src) (local.get $j)))
              (i32.shr_s (i32.sub (local.get $end) (local.get $j)) (i32.const 2))))))

  ;; dst row o (o < rows) = Σ_k w_o[k] · src row (start_o + k), over `cols` columns in whole vectors,
  ;; rows `ds` bytes apart. With `buf` != 0 the last row goes to buf and then exactly into place.
  ;; NOTE: each row's weights are splatted once and the columns stream past them (a pass over the
  ;; row per pair of taps); a per-vector loop over the taps spent more on its loop than on the taps.
  (func $rs_vertical (param $src i32) (param $ss i32) (param $dst i32) (param $ds i32) (param $cols i32)
                     (param $rows i32) (param $tab i32) (param $buf i32)
    (local $j i32) (local $k i32) (local $n i32) (local $w i32) (local $d i32) (local $end i32)
    (local $r0 i32) (local $r1 i32) (local $w0 v128) (local $w1 v128)
    (local.set $end (i32.shl (local.get $cols) (i32.const 2)))
    (loop $rows
      (local.set $d (select (local.get $buf) (local.get $dst) (i32.and (i32.ne (local.get $buf) (i32.const 0)) (i32.eq (local.get $rows) (i32.const 1)))))
      (local.set $r0 (i32.add (local.get $src) (i32.mul (i32.load (local.get $tab)) (local.get $ss))))
      (local.set $n (i32.load offset=4 (local.get $tab)))
      (local.set $w (i32.load offset=8 (local.get $tab)))
      (local.set $j (i32.const 0))
      (if (i32.eqz (local.get $n))
        (then
          (loop $zero
            (v128.store (i32.add (local.get $d) (local.get $j)) (v128.const i32x4 0 0 0 0))
            (br_if $zero (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 16))) (local.get $end)))))
        (else
          (local.set $w0 (v128.load32_splat (local.get $w)))
          (if (i32.eq (local.get $n) (i32.const 1))
            (then
              (loop $one
                (v128.store (i32.add (local.get $d) (local.get $j))
                  (f32x4.mul (local.get $w0) (v128.load (i32.add (local.get $r0) (local.get $j)))))
                (br_if $one (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 16))) (local.get $end)))))
            (else
              (local.set $w1 (v128.load32_splat offset=4 (local.get $w)))
              (local.set $r1 (i32.add (local.get $r0) (local.get $ss)))
              (loop $two
                (v128.store (i32.add (local.get $d) (local.get $j))
                  (f32x4.add (f32x4.mul (local.get $w0) (v128.load (i32.add (local.get $r0) (local.get $j))))
                             (f32x4.mul (local.get $w1) (v128.load (i32.add (local.get $r1) (local.get $j))))))
                (br_if $two (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 16))) (local.get $end))))
              ;; taps 2.. one pass each, in order: d = d + w_k · row_k
              (local.set $k (i32.const 2))
              (block $more_done
                (loop $more
                  (br_if $more_done (i32.ge_s (local.get $k) (local.get $n)))
                  (local.set $r1 (i32.add (local.get $r1) (local.get $ss)))
                  (local.set $w1 (v128.load32_splat (i32.add (local.get $w) (i32.shl (local.get $k) (i32.const 2)))))
                  (local.set $j (i32.const 0))
                  (loop $pass
                    (v128.store (i32.add (local.get $d) (local.get $j))
                      (f32x4.add (v128.load (i32.add (local.get $d) (local.get $j)))
                                 (f32x4.mul (local.get $w1) (v128.load (i32.add (local.get $r1) (local.get $j))))))
                    (br_if $pass (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 16))) (local.get $end))))
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (br $more)))))))
      (if (i32.ne (local.get $d) (local.get $dst)) (then (call $rs_copy (local.get $d) (local.get $dst) (local.get $cols))))
      (local.set $dst (i32.add (local.get $dst) (local.get $ds)))
      (local.set $tab (i32.add (local.get $tab) (i32.const 12)))
      (br_if $rows (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; dst row r (r < rows), columns 4g..4g+3 = Σ_i src[r, start_g + i] · wg[i] over the groups' windows
  ;; (`groups` of them, rows `ds` bytes apart); `buf` and `cols` as in $rs_vertical.
  (func $rs_horizontal (param $src i32) (param $ss i32) (param $dst i32) (param $ds i32) (param $cols i32)
                       (param $rows i32) (param $tab i32) (param $groups i32) (param $buf i32)
    (local $g i32) (local $e i32) (local $k i32) (local $p i32) (local $q i32) (local $d i32) (local $acc v128)
    (loop $rows
      (local.set $d (select (local.get $buf) (local.get $dst) (i32.and (i32.ne (local.get $buf) (i32.const 0)) (i32.eq (local.get $rows) (i32.const 1)))))
      (local.set $g (i32.const 0))
      (local.set $e (local.get $tab))
      (loop $groups
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $src) (i32.shl (i32.load (local.get $e)) (i32.const 2))))
        (local.set $k (i32.load offset=4 (local.get $e)))
        (local.set $q (i32.load offset=8 (local.get $e)))
        (if (local.get $k)
          (then
            (local.set $acc (f32x4.mul (v128.load32_splat (local.get $p)) (v128.load (local.get $q))))
            (block $taps_done
              (loop $taps
                (br_if $taps_done (i32.eqz (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load32_splat (local.get $p)) (v128.load (local.get $q)))))
                (br $taps)))))
        (v128.store (i32.add (local.get $d) (i32.shl (local.get $g) (i32.const 4))) (local.get $acc))
        (local.set $e (i32.add (local.get $e) (i32.const 12)))
        (br_if $groups (i32.lt_s (local.tee $g (i32.add (local.get $g) (i32.const 1))) (local.get $groups))))
      (if (i32.ne (local.get $d) (local.get $dst)) (then (call $rs_copy (local.get $d) (local.get $dst) (local.get $cols))))
      (local.set $src (i32.add (local.get $src) (local.get $ss)))
      (local.set $dst (i32.add (local.get $dst) (local.get $ds)))
      (br_if $rows (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  (func $task_resample (param $job i32) (param $t i32) (param $scr i32)
    (local $p i32) (local $p1 i32) (local $H i32) (local $W i32) (local $OH i32) (local $OW i32)
    (local $x i32) (local $y i32) (local $T i32) (local $ts i32) (local $inB i32) (local $outB i32) (local $buf i32)
    (local.set $H (i32.load offset=36 (local.get $job)))
    (local.set $W (i32.load offset=40 (local.get $job)))
    (local.set $OH (i32.load offset=44 (local.get $job)))
    (local.set $OW (i32.load offset=48 (local.get $job)))
    (local.set $p (i32.mul (local.get $t) (i32.load offset=64 (local.get $job))))
    (local.set $p1 (call $min (i32.load offset=32 (local.get $job)) (i32.add (local.get $p) (i32.load offset=64 (local.get $job)))))
    (local.set $inB (i32.shl (i32.mul (local.get $H) (local.get $W)) (i32.const 2)))
    (local.set $outB (i32.shl (i32.mul (local.get $OH) (local.get $OW)) (i32.const 2)))
    (local.set $x (i32.add (i32.load offset=56 (local.get $job)) (i32.mul (local.get $p) (local.get $inB))))
    (local.set $y (i32.add (i32.load offset=60 (local.get $job)) (i32.mul (local.get $p) (local.get $outB))))
    (local.set $T (i32.add (local.get $scr) (global.get $SCR_FREE)))
    (local.set $ts (i32.load offset=76 (local.get $job)))
    (local.set $buf (i32.add (local.get $T) (i32.load offset=84 (local.get $job))))
    (loop $planes
      (if (i32.eqz (i32.load offset=52 (local.get $job)))
        (then
          (call $rs_horizontal (local.get $x) (i32.shl (local.get $W) (i32.const 2)) (local.get $T) (local.get $ts) (local.get $OW)
                               (local.get $H) (i32.load offset=72 (local.get $job)) (i32.load offset=80 (local.get $job)) (i32.const 0))
          (call $rs_vertical (local.get $T) (local.get $ts) (local.get $y) (i32.shl (local.get $OW) (i32.const 2)) (local.get $OW)
                             (local.get $OH) (i32.load offset=68 (local.get $job)) (local.get $buf)))
        (else
          (call $rs_vertical (local.get $x) (i32.shl (local.get $W) (i32.const 2)) (local.get $T) (local.get $ts) (local.get $W)
                             (local.get $OH) (i32.load offset=68 (local.get $job)) (i32.const 0))
          (call $rs_horizontal (local.get $T) (local.get $ts) (local.get $y) (i32.shl (local.get $OW) (i32.const 2)) (local.get $OW)
                               (local.get $OH) (i32.load offset=72 (local.get $job)) (i32.load offset=80 (local.get $job)) (local.get $buf))))
      (local.set $x (i32.add (local.get $x) (local.get $inB)))
      (local.set $y (i32.add (local.get $y) (local.get $outB)))
      (br_if $planes (i32.lt_s (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $p1)))))
  ;; kinds 21 and 22, softmax cross-entropy with int targets along axis 1 (the training loss):
  ;; logits x viewed as [N, C, S] (S = the spatial positions, 1 for [N, C]), targets and the
  ;; per-position outputs as [N, S]. A target t is used when it is an integer in [0, C) other than
  ;; ignoreIndex; any other position (ignored, or out of range, which crossEntropy rejects beforehand
  ;; whenever the targets' values are known on the host) gets loss 0 and gradient 0, whatever its logits.
  ;; Forward (kind 21): m = max_c x, s = Σ_c e^(x − m) (compensated f32 sums, to ~C²·2^-48 relative),
  ;; lse = m + ln s in f64 rounded to f32 (as kind 10's log-softmax statistics, with their own e^x:
  ;; $ce_exp6), loss = lse − x[t] (the composite's −(x[t] − lse) bits); lse is kept for the backward. Backward (kind 22): dx = e^(x − lse)·g − [c = t]·g (the composite's dy − e^y·Σdy
  ;; bits for the same e^y). A unit is 8 neighbouring positions of one n (two vectors; the last unit of
  ;; a row may hold fewer, its extra lanes read cells past the row and are never stored), and one call
  ;; runs a task's whole run of units, so the exponential's constants stay out of the inner loops.
  ;; Everything is per lane: x[t] is picked up in the max pass (x & [t = c], OR-ed over the classes)
  ;; and the target's −g is subtracted in the class loop ([t = c]·g), so no scalar loop remains. The max
  ;; uses f32x4.pmax (one instruction; it may drop a NaN, but a NaN cell still makes its e^(x − m),
  ;; and so s, lse and the loss NaN, as do +Inf cells and rows of only −Inf: x − m is NaN there).
  ;;   kind 21: 8 N  9 C  10 S  11 units per task  12 x  13 target  14 loss  15 lse  16 units  17 units per n  18 ignoreIndex (f32)
  ;;   kind 22: 8 N  9 C  10 S  11 units per task  12 x  13 target  14 lse  15 g  16 dx  17 units  18 units per n  19 ignoreIndex (f32)

  ;; e^w for w <= 0 or NaN (x − max, x − lse): w clamped at −87.3 (2^k stays normal: k >= −126), so
  ;; −Inf and w < −87.3 give ~1.2e-38, not 0, which moves no f32 sum of a row holding a 1 and no
  ;; gradient beyond 1e-38·g; NaN stays NaN (pmax keeps a NaN first operand). w = k·ln2 + r with one
  ;; f32 ln 2 (its rounding, ~|w|·2^-25 of e^w, is of the order of w's own from x − m), e^r by the
  ;; degree-5 minimax polynomial of $gelu_exp (relative error 1.1e-7 on |r| <= ln2/2), 2^k from the
  ;; low bits of k + (1.5·2²³ + 127), as $vexp_neg.
  ;; @inline
  (func $ce_exp (param $w v128) (result v128)
    (local $k v128) (local $r v128) (local $r2 v128) (local $c v128)
    (local.set $c (f32x4.pmax (local.get $w) (v128.const f32x4 -87.3 -87.3 -87.3 -87.3)))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $c) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))))
    (local.set $r (f32x4.sub (local.get $c) (f32x4.mul (local.get $k) (v128.const f32x4 0.693147182 0.693147182 0.693147182 0.693147182))))
    (local.set $r2 (f32x4.mul (local.get $r) (local.get $r)))
    ;; (1 + c1·r) + r²·((c2 + c3·r) + r²·(c4 + c5·r)): Estrin's order, a shorter chain than Horner's
    (f32x4.mul
      (f32x4.add
        (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $r) (v128.const f32x4 0.99999988 0.99999988 0.99999988 0.99999988)))
        (f32x4.mul (local.get $r2)
          (f32x4.add
            (f32x4.add (v128.const f32x4 0.49999145 0.49999145 0.49999145 0.49999145) (f32x4.mul (local.get $r) (v128.const f32x4 0.16667184 0.16667184 0.16667184 0.16667184)))
            (f32x4.mul (local.get $r2)
              (f32x4.add (v128.const f32x4 4.1898414e-2 4.1898414e-2 4.1898414e-2 4.1898414e-2) (f32x4.mul (local.get $r) (v128.const f32x4 8.3178375e-3 8.3178375e-3 8.3178375e-3 8.3178375e-3)))))))
      (i32x4.shl (f32x4.add (local.get $k) (v128.const f32x4 12583039 12583039 12583039 12583039)) (i32.const 23))))

  ;; $ce_exp with a degree-6 polynomial (minimax, relative error 3.7e-9 on |r| <= ln2/2; ~1 ulp in
  ;; f32 with the rounding): the forward's Σ e^(x − m) is exact to ~2^-48 (compensated), so lse's
  ;; error is the terms' weighted error, 1.2 ulp of lse at most with the degree-5 polynomial and
  ;; 0.56 with this one (the old degree-7 exponential: 0.63), for ~8 % of the forward's time. The
  ;; backward keeps degree 5: its e^(x − lse) carries lse's rounding, 0.5 ulp of lse in the exponent.
  ;; @inline
  (func $ce_exp6 (param $w v128) (result v128)
    (local $k v128) (local $r v128) (local $r2 v128) (local $c v128)
    (local.set $c (f32x4.pmax (local.get $w) (v128.const f32x4 -87.3 -87.3 -87.3 -87.3)))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $c) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))))
    (local.set $r (f32x4.sub (local.get $c) (f32x4.mul (local.get $k) (v128.const f32x4 0.693147182 0.693147182 0.693147182 0.693147182))))
    (local.set $r2 (f32x4.mul (local.get $r) (local.get $r)))
    (f32x4.mul
      (f32x4.add
        (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $r))
        (f32x4.mul (local.get $r2)
          (f32x4.add
            (f32x4.add (v128.const f32x4 0.49999994 0.49999994 0.49999994 0.49999994) (f32x4.mul (local.get $r) (v128.const f32x4 0.16666432 0.16666432 0.16666432 0.16666432)))
            (f32x4.mul (local.get $r2)
              (f32x4.add
                (f32x4.add (v128.const f32x4 4.1667964e-2 4.1667964e-2 4.1667964e-2 4.1667964e-2) (f32x4.mul (local.get $r) (v128.const f32x4 8.3742002e-3 8.3742002e-3 8.3742002e-3 8.3742002e-3)))
                (f32x4.mul (local.get $r2) (v128.const f32x4 1.3846055e-3 1.3846055e-3 1.3846055e-3 1.3846055e-3)))))))
      (i32x4.shl (f32x4.add (local.get $k) (v128.const f32x4 12583039 12583039 12583039 12583039)) (i32.const 23))))

  ;; ln of both f64 lanes, for s >= 1 or NaN (a unit's Σ e^(x − m)), to be expanded in the task loops
  ;; (a call there would spill every live vector register per unit): s = 2^e·f with f in [√½, √2)
  ;; from the bits (e = (bits(s) − bits(√½)) >> 52, f's bits = bits(s) − e << 52), ln f = 2·atanh(t),
  ;; t = (f − 1)/(f + 1), |t| <= 0.172, the series cut after t¹¹ (truncation < 2e-11, far below
  ;; the f32 rounding of lse), its even part in Estrin's order. NaN gives NaN (through s − s).
  ;; @inline
  (func $ce_ln2 (param $s v128) (result v128)
    (local $i v128) (local $f v128) (local $t v128) (local $u v128) (local $u2 v128) (local $p v128)
    (local.set $i (i64x2.shr_u (i64x2.sub (local.get $s) (v128.const i64x2 0x3FE6A09E667F3BCD 0x3FE6A09E667F3BCD)) (i32.const 52)))
    (local.set $f (i64x2.sub (local.get $s) (i64x2.shl (local.get $i) (i32.const 52))))
    (local.set $t (f64x2.div (f64x2.sub (local.get $f) (v128.const f64x2 1 1)) (f64x2.add (local.get $f) (v128.const f64x2 1 1))))
    (local.set $u (f64x2.mul (local.get $t) (local.get $t)))
    (local.set $u2 (f64x2.mul (local.get $u) (local.get $u)))
    ;; p = u/3 + u²/5 + ... + u⁵/11
    (local.set $p (f64x2.add
      (f64x2.add (f64x2.add (v128.const f64x2 0.3333333333333333 0.3333333333333333) (f64x2.mul (local.get $u) (v128.const f64x2 0.2 0.2)))
                 (f64x2.mul (local.get $u2) (f64x2.add (v128.const f64x2 0.14285714285714285 0.14285714285714285)
                                                       (f64x2.mul (local.get $u) (v128.const f64x2 0.1111111111111111 0.1111111111111111)))))
      (f64x2.mul (f64x2.mul (local.get $u2) (local.get $u2)) (v128.const f64x2 0.09090909090909091 0.09090909090909091))))
    (local.set $t (f64x2.add (local.get $t) (local.get $t)))
    (f64x2.add
      (f64x2.add
        (f64x2.mul (f64x2.convert_low_i32x4_s (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11 (local.get $i) (local.get $i)))
                   (v128.const f64x2 0.6931471805599453 0.6931471805599453))
        (f64x2.add (local.get $t) (f64x2.mul (local.get $t) (f64x2.mul (local.get $u) (local.get $p)))))
      (f64x2.sub (local.get $s) (local.get $s))))

  ;; per lane, whether the target value t is a class: an integer in [0, C) other than ignoreIndex
  ;; @inline
  (func $ce_valid4 (param $t v128) (param $Cv v128) (param $ign v128) (result v128)
    (v128.and
      (v128.and (f32x4.ge (local.get $t) (v128.const f32x4 0 0 0 0)) (f32x4.lt (local.get $t) (local.get $Cv)))
      (v128.and (f32x4.ne (local.get $t) (local.get $ign)) (f32x4.eq (f32x4.trunc (local.get $t)) (local.get $t)))))

  (func $task_ce_fwd (param $job i32) (param $t i32)
    (local $C i32) (local $S i32) (local $S4 i32) (local $G i32) (local $u i32) (local $u1 i32) (local $n i32) (local $s i32)
    (local $nv i32) (local $xb i32) (local $p i32) (local $end i32) (local $tb i32) (local $q i32)
    (local $Cv v128) (local $ign v128) (local $tA v128) (local $tB v128) (local $cls v128) (local $xtA v128) (local $xtB v128)
    (local $mA v128) (local $mB v128) (local $loA v128) (local $hiA v128) (local $loB v128) (local $hiB v128) (local $v v128) (local $w v128)
    (local $ra v128) (local $rb v128)
    (local.set $C (i32.load offset=36 (local.get $job)))
    (local.set $S (i32.load offset=40 (local.get $job)))
    (local.set $S4 (i32.shl (local.get $S) (i32.const 2)))
    (local.set $G (i32.load offset=68 (local.get $job)))
    (local.set $Cv (f32x4.splat (f32.convert_i32_u (local.get $C))))
    (local.set $ign (f32x4.splat (f32.load offset=72 (local.get $job))))
    (local.set $u (i32.mul (local.get $t) (i32.load offset=44 (local.get $job))))
    (local.set $u1 (call $min (i32.load offset=64 (local.get $job)) (i32.add (local.get $u) (i32.load offset=44 (local.get $job)))))
    (if (i32.ge_s (local.get $u) (local.get $u1)) (then (return)))
    ;; the first unit's n and position; later units step s by 8, to the next n at the row's end
    (local.set $n (i32.div_u (local.get $u) (local.get $G)))
    (local.set $s (i32.shl (i32.sub (local.get $u) (i32.mul (local.get $n) (local.get $G))) (i32.const 3)))
    (loop $units
      (local.set $nv (i32.sub (local.get $S) (local.get $s)))
      (local.set $nv (select (i32.const 8) (local.get $nv) (i32.gt_s (local.get $nv) (i32.const 8))))
      (local.set $tb (i32.shl (i32.add (i32.mul (local.get $n) (local.get $S)) (local.get $s)) (i32.const 2)))
      (local.set $xb (i32.add (i32.load offset=48 (local.get $job))
        (i32.shl (i32.add (i32.mul (i32.mul (local.get $n) (local.get $C)) (local.get $S)) (local.get $s)) (i32.const 2))))
      (local.set $end (i32.add (local.get $xb) (i32.mul (local.get $C) (local.get $S4))))
      (local.set $q (i32.add (i32.load offset=52 (local.get $job)) (local.get $tb)))
      (local.set $tA (v128.load (local.get $q)))
      (local.set $tB (v128.load offset=16 (local.get $q)))
      ;; m = max over the classes (per lane), and x[t] (0 where t is no class)
      (local.set $mA (v128.load (local.get $xb)))
      (local.set $mB (v128.load offset=16 (local.get $xb)))
      (local.set $xtA (v128.and (local.get $mA) (f32x4.eq (local.get $tA) (v128.const f32x4 0 0 0 0))))
      (local.set $xtB (v128.and (local.get $mB) (f32x4.eq (local.get $tB) (v128.const f32x4 0 0 0 0))))
      (local.set $cls (v128.const f32x4 1 1 1 1))
      (local.set $p (i32.add (local.get $xb) (local.get $S4)))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $w (v128.load offset=16 (local.get $p)))
        (local.set $mA (f32x4.pmax (local.get $mA) (local.get $v)))
        (local.set $mB (f32x4.pmax (local.get $mB) (local.get $w)))
        (local.set $xtA (v128.or (local.get $xtA) (v128.and (local.get $v) (f32x4.eq (local.get $tA) (local.get $cls)))))
        (local.set $xtB (v128.or (local.get $xtB) (v128.and (local.get $w) (f32x4.eq (local.get $tB) (local.get $cls)))))
        (local.set $cls (f32x4.add (local.get $cls) (v128.const f32x4 1 1 1 1)))
        (local.set $p (i32.add (local.get $p) (local.get $S4)))
        (br $l1)))
      ;; s = Σ e^(x − m) per lane, compensated: f32 sums that start at 1 (so each term, <= 1, is the
      ;; smaller addend and Fast2Sum's error term is exact) and the f32 sums of those errors; then
      ;; (sum − 1) + errors in f64, within ~C²·2^-48 of the exact sum
      (local.set $loA (v128.const f32x4 1 1 1 1))
      (local.set $loB (v128.const f32x4 1 1 1 1))
      (local.set $hiA (v128.const i64x2 0 0))
      (local.set $hiB (v128.const i64x2 0 0))
      (local.set $p (local.get $xb))
      (loop $l2
        (local.set $v (call $ce_exp6 (f32x4.sub (v128.load (local.get $p)) (local.get $mA))))
        (local.set $w (call $ce_exp6 (f32x4.sub (v128.load offset=16 (local.get $p)) (local.get $mB))))
        (local.set $ra (f32x4.add (local.get $loA) (local.get $v)))
        (local.set $rb (f32x4.add (local.get $loB) (local.get $w)))
        (local.set $hiA (f32x4.add (local.get $hiA) (f32x4.sub (local.get $v) (f32x4.sub (local.get $ra) (local.get $loA)))))
        (local.set $hiB (f32x4.add (local.get $hiB) (f32x4.sub (local.get $w) (f32x4.sub (local.get $rb) (local.get $loB)))))
        (local.set $loA (local.get $ra))
        (local.set $loB (local.get $rb))
        (br_if $l2 (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $S4))) (local.get $end))))
      ;; lanes 0,1 and 2,3 as f64 pairs: (s − 1) + c
      (local.set $ra (local.get $loA))
      (local.set $rb (local.get $hiA))
      (local.set $loA (f64x2.add (f64x2.sub (f64x2.promote_low_f32x4 (local.get $ra)) (v128.const f64x2 1 1)) (f64x2.promote_low_f32x4 (local.get $rb))))
      (local.set $hiA (f64x2.add (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $ra) (local.get $ra))) (v128.const f64x2 1 1))
                                 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $rb) (local.get $rb)))))
      (local.set $ra (local.get $loB))
      (local.set $rb (local.get $hiB))
      (local.set $loB (f64x2.add (f64x2.sub (f64x2.promote_low_f32x4 (local.get $ra)) (v128.const f64x2 1 1)) (f64x2.promote_low_f32x4 (local.get $rb))))
      (local.set $hiB (f64x2.add (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $ra) (local.get $ra))) (v128.const f64x2 1 1))
                                 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $rb) (local.get $rb)))))
      ;; lse = m + ln s (f32, as $lse4), stored for the backward; loss = lse − x[t] where t is a class
      (local.set $mA (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4 (local.get $mA)) (call $ce_ln2 (local.get $loA))))
        (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $mA) (local.get $mA)))
                                            (call $ce_ln2 (local.get $hiA))))))
      (local.set $mB (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4 (local.get $mB)) (call $ce_ln2 (local.get $loB))))
        (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $mB) (local.get $mB)))
                                            (call $ce_ln2 (local.get $hiB))))))
      (local.set $xtA (v128.and (call $ce_valid4 (local.get $tA) (local.get $Cv) (local.get $ign)) (f32x4.sub (local.get $mA) (local.get $xtA))))
      (local.set $xtB (v128.and (call $ce_valid4 (local.get $tB) (local.get $Cv) (local.get $ign)) (f32x4.sub (local.get $mB) (local.get $xtB))))
      (local.set $q (i32.add (i32.load offset=60 (local.get $job)) (local.get $tb)))
      (local.set $p (i32.add (i32.load offset=56 (local.get $job)) (local.get $tb)))
      (if (i32.eq (local.get $nv) (i32.const 8))
        (then
          (v128.store (local.get $q) (local.get $mA))
          (v128.store offset=16 (local.get $q) (local.get $mB))
          (v128.store (local.get $p) (local.get $xtA))
          (v128.store offset=16 (local.get $p) (local.get $xtB)))
        (else
          (call $store_lanes (local.get $q) (local.get $mA) (local.get $nv))
          (call $store_lanes (i32.add (local.get $q) (i32.const 16)) (local.get $mB) (i32.sub (local.get $nv) (i32.const 4)))
          (call $store_lanes (local.get $p) (local.get $xtA) (local.get $nv))
          (call $store_lanes (i32.add (local.get $p) (i32.const 16)) (local.get $xtB) (i32.sub (local.get $nv) (i32.const 4)))))
      (if (i32.ge_s (local.tee $s (i32.add (local.get $s) (i32.const 8))) (local.get $S))
        (then
          (local.set $s (i32.const 0))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))))
      (br_if $units (i32.lt_s (local.tee $u (i32.add (local.get $u) (i32.const 1))) (local.get $u1)))))

  (func $task_ce_bwd (param $job i32) (param $t i32)
    (local $C i32) (local $S i32) (local $S4 i32) (local $G i32) (local $u i32) (local $u1 i32) (local $n i32) (local $s i32)
    (local $nv i32) (local $xb i32) (local $ob i32) (local $p i32) (local $end i32) (local $tb i32) (local $a i32)
    (local $Cv v128) (local $ign v128) (local $cls v128) (local $tA v128) (local $tB v128)
    (local $okA v128) (local $okB v128) (local $lA v128) (local $lB v128) (local $gA v128) (local $gB v128) (local $hA v128) (local $hB v128)
    (local.set $C (i32.load offset=36 (local.get $job)))
    (local.set $S (i32.load offset=40 (local.get $job)))
    (local.set $S4 (i32.shl (local.get $S) (i32.const 2)))
    (local.set $G (i32.load offset=72 (local.get $job)))
    (local.set $Cv (f32x4.splat (f32.convert_i32_u (local.get $C))))
    (local.set $ign (f32x4.splat (f32.load offset=76 (local.get $job))))
    (local.set $u (i32.mul (local.get $t) (i32.load offset=44 (local.get $job))))
    (local.set $u1 (call $min (i32.load offset=68 (local.get $job)) (i32.add (local.get $u) (i32.load offset=44 (local.get $job)))))
    (if (i32.ge_s (local.get $u) (local.get $u1)) (then (return)))
    (local.set $n (i32.div_u (local.get $u) (local.get $G)))
    (local.set $s (i32.shl (i32.sub (local.get $u) (i32.mul (local.get $n) (local.get $G))) (i32.const 3)))
    (loop $units
      (local.set $nv (i32.sub (local.get $S) (local.get $s)))
      (local.set $nv (select (i32.const 8) (local.get $nv) (i32.gt_s (local.get $nv) (i32.const 8))))
      (local.set $tb (i32.shl (i32.add (i32.mul (local.get $n) (local.get $S)) (local.get $s)) (i32.const 2)))
      (local.set $p (i32.shl (i32.add (i32.mul (i32.mul (local.get $n) (local.get $C)) (local.get $S)) (local.get $s)) (i32.const 2)))
      (local.set $xb (i32.add (i32.load offset=48 (local.get $job)) (local.get $p)))
      (local.set $ob (i32.add (i32.load offset=64 (local.get $job)) (local.get $p)))
      (local.set $end (i32.add (local.get $xb) (i32.mul (local.get $C) (local.get $S4))))
      ;; per lane: the target, whether it is a class (else the lane's gradient is 0 in every class:
      ;; masked, so that NaN logits of an ignored position give 0 too), its lse and g, and h = g where
      ;; t is a class (subtracted in the target's class)
      (local.set $a (i32.add (i32.load offset=52 (local.get $job)) (local.get $tb)))
      (local.set $tA (v128.load (local.get $a)))
      (local.set $tB (v128.load offset=16 (local.get $a)))
      (local.set $okA (call $ce_valid4 (local.get $tA) (local.get $Cv) (local.get $ign)))
      (local.set $okB (call $ce_valid4 (local.get $tB) (local.get $Cv) (local.get $ign)))
      (local.set $a (i32.add (i32.load offset=56 (local.get $job)) (local.get $tb)))
      (local.set $lA (v128.load (local.get $a)))
      (local.set $lB (v128.load offset=16 (local.get $a)))
      (local.set $a (i32.add (i32.load offset=60 (local.get $job)) (local.get $tb)))
      (local.set $gA (v128.load (local.get $a)))
      (local.set $gB (v128.load offset=16 (local.get $a)))
      (local.set $hA (v128.and (local.get $okA) (local.get $gA)))
      (local.set $hB (v128.and (local.get $okB) (local.get $gB)))
      ;; dx = e^(x − lse)·g − [c = t]·g in every class (a full unit stores whole vectors, the last one
      ;; lane by lane); fl(fl(e·g) − g) at the target, e·g − (+0) = e·g elsewhere
      (local.set $p (local.get $xb))
      (local.set $a (local.get $ob))
      (local.set $cls (v128.const f32x4 0 0 0 0))
      (if (i32.eq (local.get $nv) (i32.const 8))
        (then
          (loop $l1
            (v128.store (local.get $a) (f32x4.sub
              (v128.and (local.get $okA) (f32x4.mul (call $ce_exp (f32x4.sub (v128.load (local.get $p)) (local.get $lA))) (local.get $gA)))
              (v128.and (local.get $hA) (f32x4.eq (local.get $tA) (local.get $cls)))))
            (v128.store offset=16 (local.get $a) (f32x4.sub
              (v128.and (local.get $okB) (f32x4.mul (call $ce_exp (f32x4.sub (v128.load offset=16 (local.get $p)) (local.get $lB))) (local.get $gB)))
              (v128.and (local.get $hB) (f32x4.eq (local.get $tB) (local.get $cls)))))
            (local.set $cls (f32x4.add (local.get $cls) (v128.const f32x4 1 1 1 1)))
            (local.set $a (i32.add (local.get $a) (local.get $S4)))
            (br_if $l1 (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $S4))) (local.get $end)))))
        (else
          (loop $l2
            (call $store_lanes (local.get $a) (f32x4.sub
              (v128.and (local.get $okA) (f32x4.mul (call $ce_exp (f32x4.sub (v128.load (local.get $p)) (local.get $lA))) (local.get $gA)))
              (v128.and (local.get $hA) (f32x4.eq (local.get $tA) (local.get $cls)))) (local.get $nv))
            (call $store_lanes (i32.add (local.get $a) (i32.const 16)) (f32x4.sub
              (v128.and (local.get $okB) (f32x4.mul (call $ce_exp (f32x4.sub (v128.load offset=16 (local.get $p)) (local.get $lB))) (local.get $gB)))
              (v128.and (local.get $hB) (f32x4.eq (local.get $tB) (local.get $cls)))) (i32.sub (local.get $nv) (i32.const 4)))
            (local.set $cls (f32x4.add (local.get $cls) (v128.const f32x4 1 1 1 1)))
            (local.set $a (i32.add (local.get $a) (local.get $S4)))
            (br_if $l2 (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $S4))) (local.get $end))))))
      (if (i32.ge_s (local.tee $s (i32.add (local.get $s) (i32.const 8))) (local.get $S))
        (then
          (local.set $s (i32.const 0))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))))
      (br_if $units (i32.lt_s (local.tee $u (i32.add (local.get $u) (i32.const 1))) (local.get $u1)))))

  ;; kinds 25 and 26, batch normalisation in training (GpuBackend.batchNormForward / Backward): x
  ;; [N, C, inner], channel c's N·inner values are N rows of `inner` floats, C·inner apart. A task is
  ;; a run of whole channels, so every thread count gives the same bits.
  ;; Statistics two-pass, sums in f64: μ = Σx / n, then σ² = Σ d² / n with d = x − μ (biased). A
  ;; one-pass Σx² − nμ² loses every digit when |μ| ≫ σ; the second pass reads a channel the first
  ;; has just brought into cache. d is formed in f32 as (x − μhi) − μlo, μhi = f32(μ) and μlo =
  ;; f32(μ − μhi): x − μhi is exact where x is near μ (Sterbenz), so d keeps its f32 precision
  ;; under any offset (x − f32(μ), as the composite forms it, is off by up to half an ulp of μ).
  ;; d², d·dy are exact in f64 and summed in f64 (f32 products would flush σ² below 2⁻¹²⁶ to
  ;; subnormals, and cost only one operation per 4 values less).
  ;; The maps are f32x4 (y = d·s + b; dx = k·(d·P + dy + R), coefficients per channel from f64;
  ;; k·rstd²·S2/n as one coefficient would overflow f32 where σ is tiny, rstd²·S2/n ~ rstd does not).
  ;; Both kinds compute μ and σ² with the same functions in the same order, so the backward's are
  ;; the forward's bits and no statistic need be saved in between.

  ;; Σ x over a channel's N rows of inner4 bytes, `stride` bytes apart (4 f64 lanes, then a scalar tail
  ;; per row, as kind 9).
  (func $bn_sum (param $x i32) (param $stride i32) (param $N i32) (param $inner4 i32) (result f64)
    (local $nv i32) (local $k i32) (local $v v128) (local $s0 v128) (local $s1 v128) (local $s f64)
    (local.set $nv (i32.and (local.get $inner4) (i32.const -16)))
    (loop $rows
      (local.set $k (i32.const 0))
      (if (local.get $nv)
        (then
          (loop $vecs
            (local.set $v (v128.load (i32.add (local.get $x) (local.get $k))))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $v))))
            (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
            (br_if $vecs (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $nv))))))
      (block $done
        (loop $tail
          (br_if $done (i32.ge_u (local.get $k) (local.get $inner4)))
          (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $k))))))
          (local.set $k (i32.add (local.get $k) (i32.const 4)))
          (br $tail)))
      (local.set $x (i32.add (local.get $x) (local.get $stride)))
      (br_if $rows (local.tee $N (i32.sub (local.get $N) (i32.const 1)))))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (f64.add (local.get $s) (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0)))))

  ;; Σ d·y with d = (x − mh) − ml (f32; the product and sum in f64) over a channel laid out as
  ;; $bn_sum's: the backward's Σ dy·d (y = dy).
  (func $bn_dot (param $x i32) (param $y i32) (param $stride i32) (param $N i32) (param $inner4 i32) (param $mh f32) (param $ml f32) (result f64)
    (local $nv i32) (local $k i32) (local $v v128) (local $w v128) (local $h v128) (local $l v128)
    (local $s0 v128) (local $s1 v128) (local $s f64)
    (local.set $nv (i32.and (local.get $inner4) (i32.const -16)))
    (local.set $h (f32x4.splat (local.get $mh)))
    (local.set $l (f32x4.splat (local.get $ml)))
    (loop $rows
      (local.set $k (i32.const 0))
      (if (local.get $nv)
        (then
          (loop $vecs
            (local.set $v (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $h)) (local.get $l)))
            (local.set $w (v128.load (i32.add (local.get $y) (local.get $k))))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (f64x2.promote_low_f32x4 (local.get $w)))))
            (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))))
            (br_if $vecs (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $nv))))))
      (block $done
        (loop $tail
          (br_if $done (i32.ge_u (local.get $k) (local.get $inner4)))
          (local.set $s (f64.add (local.get $s) (f64.mul
            (f64.promote_f32 (f32.sub (f32.sub (f32.load (i32.add (local.get $x) (local.get $k))) (local.get $mh)) (local.get $ml)))
            (f64.promote_f32 (f32.load (i32.add (local.get $y) (local.get $k)))))))
          (local.set $k (i32.add (local.get $k) (i32.const 4)))
          (br $tail)))
      (local.set $x (i32.add (local.get $x) (local.get $stride)))
      (local.set $y (i32.add (local.get $y) (local.get $stride)))
      (br_if $rows (local.tee $N (i32.sub (local.get $N) (i32.const 1)))))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (f64.add (local.get $s) (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0)))))

  ;; Σ d² with d = (x − mh) − ml, as $bn_dot.
  (func $bn_sq (param $x i32) (param $stride i32) (param $N i32) (param $inner4 i32) (param $mh f32) (param $ml f32) (result f64)
    (local $nv i32) (local $k i32) (local $v v128) (local $w v128) (local $h v128) (local $l v128)
    (local $s0 v128) (local $s1 v128) (local $s f64) (local $d f64)
    (local.set $nv (i32.and (local.get $inner4) (i32.const -16)))
    (local.set $h (f32x4.splat (local.get $mh)))
    (local.set $l (f32x4.splat (local.get $ml)))
    (loop $rows
      (local.set $k (i32.const 0))
      (if (local.get $nv)
        (then
          (loop $vecs
            (local.set $v (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $h)) (local.get $l)))
            (local.set $w (f64x2.promote_low_f32x4 (local.get $v)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $w) (local.get $w))))
            (local.set $w (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
            (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $w) (local.get $w))))
            (br_if $vecs (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $nv))))))
      (block $done
        (loop $tail
          (br_if $done (i32.ge_u (local.get $k) (local.get $inner4)))
          (local.set $d (f64.promote_f32 (f32.sub (f32.sub (f32.load (i32.add (local.get $x) (local.get $k))) (local.get $mh)) (local.get $ml))))
          (local.set $s (f64.add (local.get $s) (f64.mul (local.get $d) (local.get $d))))
          (local.set $k (i32.add (local.get $k) (i32.const 4)))
          (br $tail)))
      (local.set $x (i32.add (local.get $x) (local.get $stride)))
      (br_if $rows (local.tee $N (i32.sub (local.get $N) (i32.const 1)))))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (f64.add (local.get $s) (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0)))))

  ;; o = d·P + R (y = 0) or ((d·P + y) + R)·Q (y ≠ 0) with d = (x − mh) − ml, in f32, over a channel.
  (func $bn_map (param $x i32) (param $y i32) (param $o i32) (param $stride i32) (param $N i32) (param $inner4 i32)
    (param $mh f32) (param $ml f32) (param $P f32) (param $Q f32) (param $R f32)
    (local $nv i32) (local $k i32) (local $h v128) (local $l v128) (local $p v128) (local $q v128) (local $r v128) (local $d f32)
    (local.set $nv (i32.and (local.get $inner4) (i32.const -16)))
    (local.set $h (f32x4.splat (local.get $mh)))
    (local.set $l (f32x4.splat (local.get $ml)))
    (local.set $p (f32x4.splat (local.get $P)))
    (local.set $q (f32x4.splat (local.get $Q)))
    (local.set $r (f32x4.splat (local.get $R)))
    (loop $rows
      (local.set $k (i32.const 0))
      (if (local.get $y)
        (then
          (if (local.get $nv)
            (then
              (loop $vecs2
                (v128.store (i32.add (local.get $o) (local.get $k)) (f32x4.mul (f32x4.add (f32x4.add
                  (f32x4.mul (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $h)) (local.get $l)) (local.get $p))
                  (v128.load (i32.add (local.get $y) (local.get $k)))) (local.get $r)) (local.get $q)))
                (br_if $vecs2 (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $nv))))))
          (block $done2
            (loop $tail2
              (br_if $done2 (i32.ge_u (local.get $k) (local.get $inner4)))
              (local.set $d (f32.sub (f32.sub (f32.load (i32.add (local.get $x) (local.get $k))) (local.get $mh)) (local.get $ml)))
              (f32.store (i32.add (local.get $o) (local.get $k)) (f32.mul (f32.add (f32.add
                (f32.mul (local.get $d) (local.get $P))
                (f32.load (i32.add (local.get $y) (local.get $k)))) (local.get $R)) (local.get $Q)))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br $tail2)))
          (local.set $y (i32.add (local.get $y) (local.get $stride))))
        (else
          (if (local.get $nv)
            (then
              (loop $vecs1
                (v128.store (i32.add (local.get $o) (local.get $k)) (f32x4.add
                  (f32x4.mul (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $h)) (local.get $l)) (local.get $p))
                  (local.get $r)))
                (br_if $vecs1 (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $nv))))))
          (block $done1
            (loop $tail1
              (br_if $done1 (i32.ge_u (local.get $k) (local.get $inner4)))
              (local.set $d (f32.sub (f32.sub (f32.load (i32.add (local.get $x) (local.get $k))) (local.get $mh)) (local.get $ml)))
              (f32.store (i32.add (local.get $o) (local.get $k)) (f32.add (f32.mul (local.get $d) (local.get $P)) (local.get $R)))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br $tail1)))))
      (local.set $x (i32.add (local.get $x) (local.get $stride)))
      (local.set $o (i32.add (local.get $o) (local.get $stride)))
      (br_if $rows (local.tee $N (i32.sub (local.get $N) (i32.const 1))))))

  ;; kind 25, batch-norm forward: per channel c, μ and σ² (two-pass), rstd = 1/√(σ² + eps) (f64),
  ;; y = d·f32(rstd·w[c]) + b[c]; mean[c] = f32(μ), var[c] = f32(σ²).
  ;;   8 N  9 C  10 inner  11 channels per task  12 x  13 w  14 b  15 y  16 mean  17 var  18-19 eps (f64)
  (func $task_bn_fwd (param $job i32) (param $t i32)
    (local $N i32) (local $C i32) (local $inner4 i32) (local $stride i32) (local $c i32) (local $c1 i32) (local $x i32) (local $c4 i32)
    (local $n f64) (local $mu f64) (local $var f64) (local $mh f32) (local $ml f32)
    (local.set $N (i32.load offset=32 (local.get $job)))
    (local.set $C (i32.load offset=36 (local.get $job)))
    (local.set $inner4 (i32.shl (i32.load offset=40 (local.get $job)) (i32.const 2)))
    (local.set $stride (i32.mul (local.get $C) (local.get $inner4)))
    (local.set $n (f64.convert_i32_u (i32.mul (local.get $N) (i32.load offset=40 (local.get $job)))))
    (local.set $c (i32.mul (local.get $t) (i32.load offset=44 (local.get $job))))
    (local.set $c1 (call $min (local.get $C) (i32.add (local.get $c) (i32.load offset=44 (local.get $job)))))
    (loop $channels
      (local.set $x (i32.add (i32.load offset=48 (local.get $job)) (i32.mul (local.get $c) (local.get $inner4))))
      (local.set $c4 (i32.shl (local.get $c) (i32.const 2)))
      (local.set $mu (f64.div (call $bn_sum (local.get $x) (local.get $stride) (local.get $N) (local.get $inner4)) (local.get $n)))
      (local.set $mh (f32.demote_f64 (local.get $mu)))
      (local.set $ml (f32.demote_f64 (f64.sub (local.get $mu) (f64.promote_f32 (local.get $mh)))))
      (local.set $var (f64.div (call $bn_sq (local.get $x) (local.get $stride) (local.get $N) (local.get $inner4) (local.get $mh) (local.get $ml)) (local.get $n)))
      (call $bn_map (local.get $x) (i32.const 0)
        (i32.add (i32.load offset=60 (local.get $job)) (i32.mul (local.get $c) (local.get $inner4)))
        (local.get $stride) (local.get $N) (local.get $inner4) (local.get $mh) (local.get $ml)
        (f32.demote_f64 (f64.div
          (f64.promote_f32 (f32.load (i32.add (i32.load offset=52 (local.get $job)) (local.get $c4))))
          (f64.sqrt (f64.add (local.get $var) (f64.load offset=72 (local.get $job))))))
        (f32.const 0)
        (f32.load (i32.add (i32.load offset=56 (local.get $job)) (local.get $c4))))
      (f32.store (i32.add (i32.load offset=64 (local.get $job)) (local.get $c4)) (local.get $mh))
      (f32.store (i32.add (i32.load offset=68 (local.get $job)) (local.get $c4)) (f32.demote_f64 (local.get $var)))
      (br_if $channels (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $c1)))))

  ;; kind 26, batch-norm backward (training: μ and σ² depend on x). Per channel, μ, σ² as kind 25
  ;; computes them, rstd = 1/√(σ² + eps), S1 = Σ dy, S2 = Σ dy·d, k = w[c]·rstd (f64):
  ;;   dx = k·((d·P + dy) + R), P = −rstd²·S2/n, R = −S1/n (f32);  dw[c] = rstd·S2;  db[c] = S1.
  ;;   8 N  9 C  10 inner  11 channels per task  12 x  13 dy  14 w  15 dx  16 dw  17 db  18-19 eps (f64)
  (func $task_bn_bwd (param $job i32) (param $t i32)
    (local $N i32) (local $C i32) (local $inner4 i32) (local $stride i32) (local $c i32) (local $c1 i32) (local $c4 i32)
    (local $x i32) (local $dy i32)
    (local $n f64) (local $mu f64) (local $var f64) (local $rstd f64) (local $k f64) (local $s1 f64) (local $s2 f64)
    (local $mh f32) (local $ml f32)
    (local.set $N (i32.load offset=32 (local.get $job)))
    (local.set $C (i32.load offset=36 (local.get $job)))
    (local.set $inner4 (i32.shl (i32.load offset=40 (local.get $job)) (i32.const 2)))
    (local.set $stride (i32.mul (local.get $C) (local.get $inner4)))
    (local.set $n (f64.convert_i32_u (i32.mul (local.get $N) (i32.load offset=40 (local.get $job)))))
    (local.set $c (i32.mul (local.get $t) (i32.load offset=44 (local.get $job))))
    (local.set $c1 (call $min (local.get $C) (i32.add (local.get $c) (i32.load offset=44 (local.get $job)))))
    (loop $channels
      (local.set $x (i32.add (i32.load offset=48 (local.get $job)) (i32.mul (local.get $c) (local.get $inner4))))
      (local.set $dy (i32.add (i32.load offset=52 (local.get $job)) (i32.mul (local.get $c) (local.get $inner4))))
      (local.set $c4 (i32.shl (local.get $c) (i32.const 2)))
      (local.set $mu (f64.div (call $bn_sum (local.get $x) (local.get $stride) (local.get $N) (local.get $inner4)) (local.get $n)))
      (local.set $mh (f32.demote_f64 (local.get $mu)))
      (local.set $ml (f32.demote_f64 (f64.sub (local.get $mu) (f64.promote_f32 (local.get $mh)))))
      (local.set $var (f64.div (call $bn_sq (local.get $x) (local.get $stride) (local.get $N) (local.get $inner4) (local.get $mh) (local.get $ml)) (local.get $n)))
      (local.set $rstd (f64.div (f64.const 1) (f64.sqrt (f64.add (local.get $var) (f64.load offset=72 (local.get $job))))))
      (local.set $s1 (call $bn_sum (local.get $dy) (local.get $stride) (local.get $N) (local.get $inner4)))
      (local.set $s2 (call $bn_dot (local.get $x) (local.get $dy) (local.get $stride) (local.get $N) (local.get $inner4) (local.get $mh) (local.get $ml)))
      (local.set $k (f64.mul (local.get $rstd) (f64.promote_f32 (f32.load (i32.add (i32.load offset=56 (local.get $job)) (local.get $c4))))))
      (call $bn_map (local.get $x) (local.get $dy)
        (i32.add (i32.load offset=60 (local.get $job)) (i32.mul (local.get $c) (local.get $inner4)))
        (local.get $stride) (local.get $N) (local.get $inner4) (local.get $mh) (local.get $ml)
        (f32.demote_f64 (f64.neg (f64.div (f64.mul (f64.mul (local.get $rstd) (local.get $rstd)) (local.get $s2)) (local.get $n))))
        (f32.demote_f64 (local.get $k))
        (f32.demote_f64 (f64.neg (f64.div (local.get $s1) (local.get $n)))))
      (f32.store (i32.add (i32.load offset=64 (local.get $job)) (local.get $c4)) (f32.demote_f64 (f64.mul (local.get $rstd) (local.get $s2))))
      (f32.store (i32.add (i32.load offset=68 (local.get $job)) (local.get $c4)) (f32.demote_f64 (local.get $s1)))
      (br_if $channels (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $c1)))))

  ;; ---------------------------------------------------------------------------------------------
  ;; kind 24, fork: two independent jobs (already laid out, each with its own header) run as one, so
  ;; their tasks share one counter and the threads that come: tasks 0..nA−1 are job A's, the rest job
  ;; B's (each thread runs one task at a time, so both may point at the same per-thread scratch).
  ;; Used for a convolution's two gradients (WasmKernels.conv2dBackward), each of which alone is often
  ;; too small to be worth waking a second thread for.
  ;;   8 job A  9 job B  10 tasks of A
  (func $task_fork (param $job i32) (param $t i32) (param $tid i32)
    (if (i32.lt_u (local.get $t) (i32.load offset=40 (local.get $job)))
      (then (call $task (i32.load offset=32 (local.get $job)) (local.get $t) (local.get $tid)))
      (else (call $task (i32.load offset=36 (local.get $job)) (i32.sub (local.get $t) (i32.load offset=40 (local.get $job))) (local.get $tid)))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Task t of a job, on thread tid (whose scratch it uses).
  (func $task (param $job i32) (param $t i32) (param $tid i32)
    (local $scr i32)
    (local.set $scr (i32.add (i32.load offset=12 (local.get $job)) (i32.mul (local.get $tid) (i32.load offset=16 (local.get $job)))))
    (block $dispatched
      (block $k26 (block $k25 (block $k24 (block $k23 (block $k22 (block $k21 (block $k20 (block $k19 (block $k18 (block $k17 (block $k16 (block $k15 (block $k14
      (block $k13 (block $k12 (block $k11 (block $k10 (block $k9 (block $k8 (block $k7 (block $k6 (block $k5 (block $k4 (block $k3 (block $k2 (block $k1
        (br_table $dispatched $k1 $k2 $k3 $k4 $k5 $k6 $k7 $k8 $k9 $k10 $k11 $k12 $k13 $k14 $k15 $k16 $k17 $k18 $k19 $k20 $k21 $k22 $k23 $k24 $k25 $k26 $dispatched (i32.load (local.get $job))))
        (call $task_gemm (local.get $job) (local.get $t) (local.get $scr))
        (br $dispatched))
        (call $task_conv_fwd (local.get $job) (local.get $t) (local.get $scr))
        (br $dispatched))
        (call $task_conv_bwd_input (local.get $job) (local.get $t) (local.get $scr))
        (br $dispatched))
        (call $task_conv_bwd_weight (local.get $job) (local.get $t) (local.get $scr))
        (br $dispatched))
        (call $task_dw_fwd (local.get $job) (local.get $t) (local.get $scr))
        (br $dispatched))
        (call $task_dw_bwd_weight (local.get $job) (local.get $t) (local.get $scr))
        (br $dispatched))
        (call $task_channel_affine (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_gelu (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_sum_rows (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_softmax (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_softmax_bwd (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_binary (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_unary (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_dot (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_normalize (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_gather (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_scatter_add (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_strided (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_ssa_logits (local.get $job) (local.get $t) (local.get $scr))
        (br $dispatched))
        (call $task_adamw (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_ce_fwd (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_ce_bwd (local.get $job) (local.get $t))
        (br $dispatched))
        (call $task_resample (local.get $job) (local.get $t) (local.get $scr))
        (br $dispatched))
        (call $task_fork (local.get $job) (local.get $t) (local.get $tid))
        (br $dispatched))
        (call $task_bn_fwd (local.get $job) (local.get $t))
        (br $dispatched))
      (call $task_bn_bwd (local.get $job) (local.get $t))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Called directly (not a job), on the calling thread: dst[i] = (…((src[i] + src[n + i]) + src[2n + i])
  ;; …) + src[(count − 1)·n + i] for i < n, in that order with f32 rounding after each add. Kind 4's
  ;; per-image-chunk partial sums of dW, added after its job (bytes: src, dst; n floats per chunk).
  (func (export "sum_chunks") (param $src i32) (param $n i32) (param $count i32) (param $dst i32)
    (local $i i32) (local $c i32) (local $p i32) (local $acc v128) (local $a f32) (local $n4 i32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $n4)))
      (loop $vec
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $acc (v128.load (local.get $p)))
        (local.set $c (i32.const 1))
        (block $cdone
          (br_if $cdone (i32.ge_u (local.get $c) (local.get $count)))
          (loop $chunks
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $p))))
            (br_if $chunks (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $count)))))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))) (local.get $acc))
        (br_if $vec (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $n4)))))
    (block $sdone
      (br_if $sdone (i32.ge_u (local.get $i) (local.get $n)))
      (loop $scalar
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $a (f32.load (local.get $p)))
        (local.set $c (i32.const 1))
        (block $cdone
          (br_if $cdone (i32.ge_u (local.get $c) (local.get $count)))
          (loop $chunks
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $a (f32.add (local.get $a) (f32.load (local.get $p))))
            (br_if $chunks (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $count)))))
        (f32.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))) (local.get $a))
        (br_if $scalar (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Job runner: the caller's thread and any workers call this with the same job; each takes tasks
  ;; from the shared counter until there are none left.
  (func (export "run") (param $job i32) (param $tid i32)
    (local $n i32) (local $t i32)
    (local.set $n (i32.load offset=4 (local.get $job)))
    (block $done
      (loop $next
        (local.set $t (i32.atomic.rmw.add offset=8 (local.get $job) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $t) (local.get $n)))
        (call $task (local.get $job) (local.get $t) (local.get $tid))
        (br $next))))
)
