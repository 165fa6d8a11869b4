;; First pass of the gallery's exact search (bank-search.ts): int8 bank rows against int16
;; query codes with WebAssembly SIMD, one interval [lower, upper] per row that is sure to
;; hold the row's exact similarity, and only the rows whose upper end reaches the query's
;; current threshold written out. bank-search.ts keeps the threshold (the k-th best lower
;; end so far) and re-ranks the rows written out with exact float products.
;;
;; Assembled by scripts/build-bank-scan-kernel.mjs (the `wabt` package) into
;; bank-scan-wasm.ts; a unit test checks that file is this source assembled.
;;
;; scan(codes, stride, scale, res, norm, rowStart, rowEnd, q, qStride, nq, params, out, sums) -> written
;;   codes     byte address of row 0's int8 codes; rows are `stride` bytes apart (stride a
;;             multiple of 16, at least 16; codes past the dimension are 0)
;;   scale, res, norm   f32 per row (row r at +4r): the row's code scale, an upper bound of
;;             ||x - x̂|| and of ||x̂|| (x̂ = scale · codes)
;;   rowStart, rowEnd   rows [rowStart, rowEnd), both multiples of 4 (the caller pads the bank
;;             to 4 rows; padded rows have res = NaN, so they are never written out)
;;   q         byte address of query 0's int16 codes, queries `qStride` bytes apart (2 × stride)
;;   params    per query 32 bytes: f32 sq (query code scale), alpha, beta, gamma, threshold
;;   out       per row written out 16 bytes: i32 query, i32 row, f32 lower, f32 upper
;;   sums      scratch for (rowEnd − rowStart) × nq int32 products
;; Two phases: $dots computes every product, 4 rows at a time, each row's codes widened once
;; and multiplied by two queries at a time (the widening costs about as much as a product);
;; $select turns them into intervals and writes out the rows that reach the threshold.
;; A row's interval: A ± (alpha·res + beta·norm + gamma), A = dot(codes) · sq · scale.
;; A row is written out when its upper end >= threshold (never when it is NaN).
(module
  ;; Shared, so that two threads can scan halves of one bank (bank-scan-helper.ts).
  (import "env" "memory" (memory 1 65536 shared))

  ;; The int32 products of queries [0, nq) with rows [rowStart, rowEnd): query i, row r at
  ;; sums + 4·(i·(rowEnd − rowStart) + r − rowStart).
  (func $dots
    (param $codes i32) (param $stride i32) (param $rowStart i32) (param $rowEnd i32)
    (param $q i32) (param $qStride i32) (param $nq i32) (param $sums i32)
    (local $span i32) (local $qi i32) (local $qa i32) (local $qo i32) (local $row i32) (local $o i32) (local $so i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $x v128) (local $lo v128) (local $hi v128)
    (local $qalo v128) (local $qahi v128) (local $qblo v128) (local $qbhi v128)
    (local $u v128) (local $v v128)
    (local.set $span (i32.shl (i32.sub (local.get $rowEnd) (local.get $rowStart)) (i32.const 2)))
    (local.set $row (local.get $rowStart))
    (local.set $p0 (i32.add (local.get $codes) (i32.mul (local.get $rowStart) (local.get $stride))))
    (local.set $so (local.get $sums))
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $row) (local.get $rowEnd)))
        (local.set $p1 (i32.add (local.get $p0) (local.get $stride)))
        (local.set $p2 (i32.add (local.get $p1) (local.get $stride)))
        (local.set $p3 (i32.add (local.get $p2) (local.get $stride)))
        (local.set $qi (i32.const 0))
        ;; Queries two at a time.
        (block $pdone
          (loop $ploop
            (br_if $pdone (i32.gt_u (i32.add (local.get $qi) (i32.const 2)) (local.get $nq)))
            (local.set $qa (i32.add (local.get $q) (i32.mul (local.get $qi) (local.get $qStride))))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0))
            (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $b0 (v128.const i32x4 0 0 0 0))
            (local.set $b1 (v128.const i32x4 0 0 0 0))
            (local.set $b2 (v128.const i32x4 0 0 0 0))
            (local.set $b3 (v128.const i32x4 0 0 0 0))
            (local.set $o (i32.const 0))
            (local.set $qo (local.get $qa))
            ;; 16 codes of 4 rows per step: int8 widened to int16, multiplied and summed in
            ;; pairs into int32 (|code| <= 127, so no sum can overflow below 2^16 dimensions).
            (loop $dloop
              (local.set $qalo (v128.load (local.get $qo)))
              (local.set $qahi (v128.load offset=16 (local.get $qo)))
              (local.set $qblo (v128.load (i32.add (local.get $qo) (local.get $qStride))))
              (local.set $qbhi (v128.load offset=16 (i32.add (local.get $qo) (local.get $qStride))))
              (local.set $x (v128.load (i32.add (local.get $p0) (local.get $o))))
              (local.set $lo (i16x8.extend_low_i8x16_s (local.get $x)))
              (local.set $hi (i16x8.extend_high_i8x16_s (local.get $x)))
              (local.set $a0 (i32x4.add (local.get $a0) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (local.get $qalo)) (i32x4.dot_i16x8_s (local.get $hi) (local.get $qahi)))))
              (local.set $b0 (i32x4.add (local.get $b0) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (local.get $qblo)) (i32x4.dot_i16x8_s (local.get $hi) (local.get $qbhi)))))
              (local.set $x (v128.load (i32.add (local.get $p1) (local.get $o))))
              (local.set $lo (i16x8.extend_low_i8x16_s (local.get $x)))
              (local.set $hi (i16x8.extend_high_i8x16_s (local.get $x)))
              (local.set $a1 (i32x4.add (local.get $a1) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (local.get $qalo)) (i32x4.dot_i16x8_s (local.get $hi) (local.get $qahi)))))
              (local.set $b1 (i32x4.add (local.get $b1) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (local.get $qblo)) (i32x4.dot_i16x8_s (local.get $hi) (local.get $qbhi)))))
              (local.set $x (v128.load (i32.add (local.get $p2) (local.get $o))))
              (local.set $lo (i16x8.extend_low_i8x16_s (local.get $x)))
              (local.set $hi (i16x8.extend_high_i8x16_s (local.get $x)))
              (local.set $a2 (i32x4.add (local.get $a2) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (local.get $qalo)) (i32x4.dot_i16x8_s (local.get $hi) (local.get $qahi)))))
              (local.set $b2 (i32x4.add (local.get $b2) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (local.get $qblo)) (i32x4.dot_i16x8_s (local.get $hi) (local.get $qbhi)))))
              (local.set $x (v128.load (i32.add (local.get $p3) (local.get $o))))
              (local.set $lo (i16x8.extend_low_i8x16_s (local.get $x)))
              (local.set $hi (i16x8.extend_high_i8x16_s (local.get $x)))
              (local.set $a3 (i32x4.add (local.get $a3) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (local.get $qalo)) (i32x4.dot_i16x8_s (local.get $hi) (local.get $qahi)))))
              (local.set $b3 (i32x4.add (local.get $b3) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (local.get $qblo)) (i32x4.dot_i16x8_s (local.get $hi) (local.get $qbhi)))))
              (local.set $qo (i32.add (local.get $qo) (i32.const 32)))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))
              (br_if $dloop (i32.lt_u (local.get $o) (local.get $stride))))
            (local.set $u (i32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $a0) (local.get $a1))
              (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
            (local.set $v (i32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $a2) (local.get $a3))
              (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
            (v128.store (i32.add (local.get $so) (i32.mul (local.get $qi) (local.get $span))) (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u) (local.get $v))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u) (local.get $v))))
            (local.set $u (i32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $b0) (local.get $b1))
              (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $b0) (local.get $b1))))
            (local.set $v (i32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $b2) (local.get $b3))
              (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $b2) (local.get $b3))))
            (v128.store (i32.add (local.get $so) (i32.mul (i32.add (local.get $qi) (i32.const 1)) (local.get $span))) (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u) (local.get $v))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u) (local.get $v))))
            (local.set $qi (i32.add (local.get $qi) (i32.const 2)))
            (br $ploop)))
        ;; The last query of an odd count.
        (if (i32.lt_u (local.get $qi) (local.get $nq))
          (then
            (local.set $qa (i32.add (local.get $q) (i32.mul (local.get $qi) (local.get $qStride))))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0))
            (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $o (i32.const 0))
            (local.set $qo (local.get $qa))
            (loop $sloop
              (local.set $qalo (v128.load (local.get $qo)))
              (local.set $qahi (v128.load offset=16 (local.get $qo)))
              (local.set $x (v128.load (i32.add (local.get $p0) (local.get $o))))
              (local.set $lo (i16x8.extend_low_i8x16_s (local.get $x)))
              (local.set $hi (i16x8.extend_high_i8x16_s (local.get $x)))
              (local.set $a0 (i32x4.add (local.get $a0) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (local.get $qalo)) (i32x4.dot_i16x8_s (local.get $hi) (local.get $qahi)))))
              (local.set $x (v128.load (i32.add (local.get $p1) (local.get $o))))
              (local.set $lo (i16x8.extend_low_i8x16_s (local.get $x)))
              (local.set $hi (i16x8.extend_high_i8x16_s (local.get $x)))
              (local.set $a1 (i32x4.add (local.get $a1) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (local.get $qalo)) (i32x4.dot_i16x8_s (local.get $hi) (local.get $qahi)))))
              (local.set $x (v128.load (i32.add (local.get $p2) (local.get $o))))
              (local.set $lo (i16x8.extend_low_i8x16_s (local.get $x)))
              (local.set $hi (i16x8.extend_high_i8x16_s (local.get $x)))
              (local.set $a2 (i32x4.add (local.get $a2) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (local.get $qalo)) (i32x4.dot_i16x8_s (local.get $hi) (local.get $qahi)))))
              (local.set $x (v128.load (i32.add (local.get $p3) (local.get $o))))
              (local.set $lo (i16x8.extend_low_i8x16_s (local.get $x)))
              (local.set $hi (i16x8.extend_high_i8x16_s (local.get $x)))
              (local.set $a3 (i32x4.add (local.get $a3) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (local.get $qalo)) (i32x4.dot_i16x8_s (local.get $hi) (local.get $qahi)))))
              (local.set $qo (i32.add (local.get $qo) (i32.const 32)))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))
              (br_if $sloop (i32.lt_u (local.get $o) (local.get $stride))))
            (local.set $u (i32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $a0) (local.get $a1))
              (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
            (local.set $v (i32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $a2) (local.get $a3))
              (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
            (v128.store (i32.add (local.get $so) (i32.mul (local.get $qi) (local.get $span))) (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u) (local.get $v))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u) (local.get $v))))))
        (local.set $row (i32.add (local.get $row) (i32.const 4)))
        (local.set $so (i32.add (local.get $so) (i32.const 16)))
        (local.set $p0 (i32.add (local.get $p0) (i32.shl (local.get $stride) (i32.const 2))))
        (br $rloop))))

  ;; code(src, dim, rows, codes, stride, scale, res, norm): codes `rows` float32 rows (at src,
  ;; `dim` floats apart, dim a multiple of 4) into int8 codes (`stride` bytes apart) with the
  ;; per-row scale, res and norm of bank-codes.ts. The residual and norm are summed in float64
  ;; and rounded up to float32, so each is an upper bound; a row with a NaN, an infinity or a
  ;; value above 1e15 gets zero codes, scale 0, res NaN and norm 0 (bank-codes.ts: irregular).
  (func (export "code")
    (param $src i32) (param $dim i32) (param $rows i32) (param $codes i32) (param $stride i32)
    (param $scale i32) (param $res i32) (param $norm i32)
    (local $r i32) (local $p i32) (local $end i32) (local $c i32) (local $d i32)
    (local $mx v128) (local $x v128) (local $ci v128) (local $inv v128) (local $s64 v128)
    (local $back v128) (local $diff v128) (local $rs v128) (local $ns v128)
    (local $max f32) (local $sc f32) (local $rsum f64) (local $nsum f64)
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $p (i32.add (local.get $src) (i32.shl (i32.mul (local.get $r) (local.get $dim)) (i32.const 2))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $dim) (i32.const 2))))
        (local.set $c (i32.add (local.get $codes) (i32.mul (local.get $r) (local.get $stride))))
        ;; The largest magnitude (NaN propagates through f32x4.max).
        (local.set $mx (v128.const f32x4 0 0 0 0))
        (local.set $d (local.get $p))
        (block $mdone
          (loop $mloop
            (br_if $mdone (i32.ge_u (local.get $d) (local.get $end)))
            (local.set $mx (f32x4.max (local.get $mx) (f32x4.abs (v128.load (local.get $d)))))
            (local.set $d (i32.add (local.get $d) (i32.const 16)))
            (br $mloop)))
        (local.set $max (f32.max
          (f32.max (f32x4.extract_lane 0 (local.get $mx)) (f32x4.extract_lane 1 (local.get $mx)))
          (f32.max (f32x4.extract_lane 2 (local.get $mx)) (f32x4.extract_lane 3 (local.get $mx)))))
        (if (i32.eqz (f32.le (local.get $max) (f32.const 1e15)))
          (then
            ;; Irregular: zero codes, res NaN.
            (memory.fill (local.get $c) (i32.const 0) (local.get $dim))
            (f32.store (i32.add (local.get $scale) (i32.shl (local.get $r) (i32.const 2))) (f32.const 0))
            (f32.store (i32.add (local.get $res) (i32.shl (local.get $r) (i32.const 2))) (f32.const nan))
            (f32.store (i32.add (local.get $norm) (i32.shl (local.get $r) (i32.const 2))) (f32.const 0)))
          (else
            (local.set $sc (f32.div (local.get $max) (f32.const 127)))
            ;; A scale of 0 (a zero or subnormal row) codes every value as 0.
            (local.set $inv (f32x4.splat (select (f32.div (f32.const 1) (local.get $sc)) (f32.const 0) (f32.gt (local.get $sc) (f32.const 0)))))
            (local.set $s64 (f64x2.splat (f64.promote_f32 (local.get $sc))))
            (local.set $rs (v128.const f64x2 0 0))
            (local.set $ns (v128.const f64x2 0 0))
            (local.set $d (local.get $p))
            (block $cdone
              (loop $cloop
                (br_if $cdone (i32.ge_u (local.get $d) (local.get $end)))
                (local.set $x (v128.load (local.get $d)))
                ;; Codes: round(x / scale), clamped to [-127, 127] (a NaN product saturates to 0).
                (local.set $ci (i32x4.max_s (i32x4.min_s
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (local.get $x) (local.get $inv))))
                  (v128.const i32x4 127 127 127 127)) (v128.const i32x4 -127 -127 -127 -127)))
                (i32.store (local.get $c) (i32x4.extract_lane 0
                  (i8x16.narrow_i16x8_s (i16x8.narrow_i32x4_s (local.get $ci) (local.get $ci)) (v128.const i32x4 0 0 0 0))))
                ;; Residual and norm of the codes, in float64: scale · code is exact there.
                (local.set $back (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $ci)) (local.get $s64)))
                (local.set $diff (f64x2.sub (f64x2.promote_low_f32x4 (local.get $x)) (local.get $back)))
                (local.set $rs (f64x2.add (local.get $rs) (f64x2.mul (local.get $diff) (local.get $diff))))
                (local.set $ns (f64x2.add (local.get $ns) (f64x2.mul (local.get $back) (local.get $back))))
                (local.set $back (f64x2.mul
                  (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $ci) (local.get $ci)))
                  (local.get $s64)))
                (local.set $diff (f64x2.sub
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
                  (local.get $back)))
                (local.set $rs (f64x2.add (local.get $rs) (f64x2.mul (local.get $diff) (local.get $diff))))
                (local.set $ns (f64x2.add (local.get $ns) (f64x2.mul (local.get $back) (local.get $back))))
                (local.set $d (i32.add (local.get $d) (i32.const 16)))
                (local.set $c (i32.add (local.get $c) (i32.const 4)))
                (br $cloop)))
            (local.set $rsum (f64.add (f64x2.extract_lane 0 (local.get $rs)) (f64x2.extract_lane 1 (local.get $rs))))
            (local.set $nsum (f64.add (f64x2.extract_lane 0 (local.get $ns)) (f64x2.extract_lane 1 (local.get $ns))))
            (f32.store (i32.add (local.get $scale) (i32.shl (local.get $r) (i32.const 2))) (local.get $sc))
            ;; Rounded up: float32 rounds by at most 2^-24 of the value (the factor adds 2^-20), or
            ;; by half a subnormal step (2^-149 is a whole one).
            (f32.store (i32.add (local.get $res) (i32.shl (local.get $r) (i32.const 2)))
              (f32.demote_f64 (f64.add (f64.mul (f64.sqrt (local.get $rsum)) (f64.const 1.00000095367431640625)) (f64.const 0x1p-149))))
            (f32.store (i32.add (local.get $norm) (i32.shl (local.get $r) (i32.const 2)))
              (f32.demote_f64 (f64.add (f64.mul (f64.sqrt (local.get $nsum)) (f64.const 1.00000095367431640625)) (f64.const 0x1p-149))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop))))

  (func (export "scan")
    (param $codes i32) (param $stride i32) (param $scale i32) (param $res i32) (param $norm i32)
    (param $rowStart i32) (param $rowEnd i32) (param $q i32) (param $qStride i32) (param $nq i32)
    (param $params i32) (param $out i32) (param $sums i32) (result i32)
    (local $n i32) (local $qi i32) (local $pp i32) (local $row i32) (local $mo i32) (local $e i32) (local $w i32)
    (local $sq v128) (local $alpha v128) (local $beta v128) (local $gamma v128) (local $thr v128)
    (local $A v128) (local $B v128) (local $U v128) (local $L v128) (local $mask v128)
    (call $dots (local.get $codes) (local.get $stride) (local.get $rowStart) (local.get $rowEnd)
      (local.get $q) (local.get $qStride) (local.get $nq) (local.get $sums))
    (local.set $w (local.get $sums))
    (block $qdone
      (loop $qloop
        (br_if $qdone (i32.ge_u (local.get $qi) (local.get $nq)))
        (local.set $pp (i32.add (local.get $params) (i32.shl (local.get $qi) (i32.const 5))))
        (local.set $sq (f32x4.splat (f32.load (local.get $pp))))
        (local.set $alpha (f32x4.splat (f32.load offset=4 (local.get $pp))))
        (local.set $beta (f32x4.splat (f32.load offset=8 (local.get $pp))))
        (local.set $gamma (f32x4.splat (f32.load offset=12 (local.get $pp))))
        (local.set $thr (f32x4.splat (f32.load offset=16 (local.get $pp))))
        (local.set $row (local.get $rowStart))
        (block $rdone
          (loop $rloop
            (br_if $rdone (i32.ge_u (local.get $row) (local.get $rowEnd)))
            (local.set $mo (i32.shl (local.get $row) (i32.const 2)))
            (local.set $A (f32x4.mul
              (f32x4.convert_i32x4_s (v128.load (local.get $w)))
              (f32x4.mul (local.get $sq) (v128.load (i32.add (local.get $scale) (local.get $mo))))))
            (local.set $B (f32x4.add
              (f32x4.add
                (f32x4.mul (local.get $alpha) (v128.load (i32.add (local.get $res) (local.get $mo))))
                (f32x4.mul (local.get $beta) (v128.load (i32.add (local.get $norm) (local.get $mo)))))
              (local.get $gamma)))
            (local.set $U (f32x4.add (local.get $A) (local.get $B)))
            (local.set $mask (f32x4.ge (local.get $U) (local.get $thr)))
            (if (v128.any_true (local.get $mask))
              (then
                (local.set $L (f32x4.sub (local.get $A) (local.get $B)))
                (if (i32x4.extract_lane 0 (local.get $mask))
                  (then
                    (local.set $e (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 4))))
                    (i32.store (local.get $e) (local.get $qi))
                    (i32.store offset=4 (local.get $e) (local.get $row))
                    (f32.store offset=8 (local.get $e) (f32x4.extract_lane 0 (local.get $L)))
                    (f32.store offset=12 (local.get $e) (f32x4.extract_lane 0 (local.get $U)))
                    (local.set $n (i32.add (local.get $n) (i32.const 1)))))
                (if (i32x4.extract_lane 1 (local.get $mask))
                  (then
                    (local.set $e (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 4))))
                    (i32.store (local.get $e) (local.get $qi))
                    (i32.store offset=4 (local.get $e) (i32.add (local.get $row) (i32.const 1)))
                    (f32.store offset=8 (local.get $e) (f32x4.extract_lane 1 (local.get $L)))
                    (f32.store offset=12 (local.get $e) (f32x4.extract_lane 1 (local.get $U)))
                    (local.set $n (i32.add (local.get $n) (i32.const 1)))))
                (if (i32x4.extract_lane 2 (local.get $mask))
                  (then
                    (local.set $e (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 4))))
                    (i32.store (local.get $e) (local.get $qi))
                    (i32.store offset=4 (local.get $e) (i32.add (local.get $row) (i32.const 2)))
                    (f32.store offset=8 (local.get $e) (f32x4.extract_lane 2 (local.get $L)))
                    (f32.store offset=12 (local.get $e) (f32x4.extract_lane 2 (local.get $U)))
                    (local.set $n (i32.add (local.get $n) (i32.const 1)))))
                (if (i32x4.extract_lane 3 (local.get $mask))
                  (then
                    (local.set $e (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 4))))
                    (i32.store (local.get $e) (local.get $qi))
                    (i32.store offset=4 (local.get $e) (i32.add (local.get $row) (i32.const 3)))
                    (f32.store offset=8 (local.get $e) (f32x4.extract_lane 3 (local.get $L)))
                    (f32.store offset=12 (local.get $e) (f32x4.extract_lane 3 (local.get $U)))
                    (local.set $n (i32.add (local.get $n) (i32.const 1)))))))
            (local.set $row (i32.add (local.get $row) (i32.const 4)))
            (local.set $w (i32.add (local.get $w) (i32.const 16)))
            (br $rloop)))
        (local.set $qi (i32.add (local.get $qi) (i32.const 1)))
        (br $qloop)))
    (local.get $n)))
