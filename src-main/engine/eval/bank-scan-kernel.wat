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
