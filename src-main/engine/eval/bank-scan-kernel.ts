/**
 * One instance of the scan kernel (bank-scan-kernel.wat) and the layout of its memory:
 *
 *   codes    paddedRows × stride int8 (row-major; zero past the dimension)
 *   scale, res, norm   paddedRows float32 each
 *   stage    float32 rows being coded (code()), when the dimension is a multiple of 4
 *   then per lane (a thread scanning part of the rows; lane 0 is the searching thread):
 *     qcodes   maxQueries × stride int16
 *     params   maxQueries × 32 bytes (sq, alpha, beta, gamma, threshold as float32)
 *     out      outCapacity × 16 bytes (query, row, lower, upper)
 *     sums     outCapacity × 4 bytes (the kernel's int32 products, rows × queries of a call)
 *
 * The memory is a shared WebAssembly memory (a SharedArrayBuffer), sized once when the
 * instance is made and never grown, so views stay valid and a helper thread can make its
 * own instance over the same memory (BankScanKernel.attach). Rows are padded to a multiple
 * of 4 with res = NaN, which the kernel never writes out.
 */
import { BANK_SCAN_WASM_BASE64 } from './bank-scan-wasm.ts';

export const PARAM_BYTES = 32;
export const OUT_ENTRY_BYTES = 16;
/** Lanes laid out: the searching thread and one helper (a 2-core machine's worth). */
export const SCAN_LANES = 2;
const PAGE = 65536;
/** Bytes of float rows staged per call of the coder. */
const STAGE_BYTES = 4 * 1024 * 1024;
/** A 32-bit WebAssembly memory holds at most 4 GiB. */
const MAX_PAGES = 65536;

type CodeFn = (src: number, dim: number, rows: number, codes: number, stride: number, scale: number, res: number, norm: number) => void;
type ScanFn = (
  codes: number, stride: number, scale: number, res: number, norm: number,
  rowStart: number, rowEnd: number, q: number, qStride: number, nq: number, params: number, out: number, sums: number,
) => number;

let compiled: WebAssembly.Module | null = null;

function scanModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(BANK_SCAN_WASM_BASE64, 'base64'));
  return compiled;
}

export class BankScanError extends Error {
  override readonly name = 'BankScanError';
}

const align = (n: number) => Math.ceil(n / 64) * 64;

/** What fixes the layout: a helper given these and the memory addresses the same bytes. */
export interface BankScanShape {
  rows: number;
  /** Floats per bank row. */
  dim: number;
  /** Bytes between rows' codes: a multiple of 16. */
  stride: number;
  maxQueries: number;
  outCapacity: number;
}

interface Lane {
  qcodes: number;
  params: number;
  out: number;
  sums: number;
}

export class BankScanKernel {
  readonly paddedRows: number;
  readonly rows: number;
  readonly dim: number;
  readonly stride: number;
  /** Rows the coder takes per call; 0 when the dimension is not a multiple of 4 (bank-codes.ts codes those). */
  readonly stageRows: number;
  readonly maxQueries: number;
  readonly outCapacity: number;
  private memory: WebAssembly.Memory | null;
  private readonly scanFn: ScanFn;
  private readonly codeFn: CodeFn;
  private readonly at: { codes: number; scale: number; res: number; norm: number; stage: number; lanes: Lane[]; end: number };

  /** A kernel over a new memory sized for `shape` (padded rows already marked). */
  constructor(shape: BankScanShape);
  /** A kernel over an existing memory laid out for `shape` (a helper thread's view). */
  constructor(shape: BankScanShape, memory: WebAssembly.Memory);
  constructor(shape: BankScanShape, memory?: WebAssembly.Memory) {
    const { rows, dim, stride, maxQueries, outCapacity } = shape;
    if (stride < 16 || stride % 16 !== 0) throw new BankScanError(`code stride must be a positive multiple of 16, got ${stride}`);
    if (!Number.isInteger(dim) || dim < 1 || dim > stride) throw new BankScanError(`dimension ${dim} does not fit a code stride of ${stride}`);
    this.rows = rows;
    this.dim = dim;
    this.stageRows = dim % 4 === 0 ? Math.max(1, Math.min(rows, Math.floor(STAGE_BYTES / (dim * 4)))) : 0;
    this.stride = stride;
    this.maxQueries = maxQueries;
    this.outCapacity = outCapacity;
    this.paddedRows = Math.ceil(rows / 4) * 4;
    const codes = 0;
    const scale = align(codes + this.paddedRows * stride);
    const res = align(scale + this.paddedRows * 4);
    const norm = align(res + this.paddedRows * 4);
    const stage = align(norm + this.paddedRows * 4);
    let next = align(stage + this.stageRows * dim * 4);
    const lanes: Lane[] = [];
    for (let l = 0; l < SCAN_LANES; l++) {
      const qcodes = next;
      const params = align(qcodes + maxQueries * stride * 2);
      const out = align(params + maxQueries * PARAM_BYTES);
      const sums = align(out + outCapacity * OUT_ENTRY_BYTES);
      next = align(sums + outCapacity * 4);
      lanes.push({ qcodes, params, out, sums });
    }
    this.at = { codes, scale, res, norm, stage, lanes, end: next };
    const pages = Math.max(1, Math.ceil(next / PAGE));
    if (pages > MAX_PAGES) {
      throw new BankScanError(`a bank of ${rows} rows of ${stride} codes needs ${Math.ceil(next / 1e6)} MB of codes, more than a WebAssembly memory holds (4 GiB)`);
    }
    let mem = memory;
    if (mem) {
      if (mem.buffer.byteLength < pages * PAGE) throw new BankScanError(`the shared scan memory holds ${mem.buffer.byteLength} bytes; the layout needs ${pages * PAGE}`);
    } else {
      try {
        mem = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
      } catch (err) {
        throw new BankScanError(`could not reserve ${Math.ceil(next / 1e6)} MB for the codes of a bank of ${rows} rows: ${err instanceof Error ? err.message : String(err)}`);
      }
      // Padded rows: never written out.
      new Float32Array(mem.buffer, res, this.paddedRows).fill(NaN, rows);
    }
    const instance = new WebAssembly.Instance(scanModule(), { env: { memory: mem } });
    this.memory = mem;
    this.scanFn = instance.exports.scan as ScanFn;
    this.codeFn = instance.exports.code as CodeFn;
  }

  /**
   * Codes `count` rows of `block` (row-major, from its start) as bank rows firstRow.. with the
   * SIMD coder (stageRows > 0 only); the same codes and bounds bank-codes.ts defines.
   */
  codeRows(block: Float32Array, count: number, firstRow: number): void {
    const b = this.buffer();
    if (this.stageRows === 0) throw new BankScanError(`the coder takes dimensions that are multiples of 4, not ${this.dim}`);
    if (firstRow < 0 || firstRow + count > this.rows || block.length < count * this.dim) {
      throw new BankScanError(`cannot code rows [${firstRow}, ${firstRow + count}) of ${this.rows} from ${block.length} floats`);
    }
    const stage = new Float32Array(b, this.at.stage, this.stageRows * this.dim);
    const a = this.at;
    for (let done = 0; done < count; ) {
      const n = Math.min(this.stageRows, count - done);
      stage.set(block.subarray(done * this.dim, (done + n) * this.dim));
      const row = firstRow + done;
      this.codeFn(a.stage, this.dim, n, a.codes + row * this.stride, this.stride, a.scale + row * 4, a.res + row * 4, a.norm + row * 4);
      done += n;
    }
  }

  get shape(): BankScanShape {
    return { rows: this.rows, dim: this.dim, stride: this.stride, maxQueries: this.maxQueries, outCapacity: this.outCapacity };
  }

  /** The shared memory (for a helper thread). */
  get sharedMemory(): WebAssembly.Memory {
    const m = this.memory;
    if (!m) throw new BankScanError('the scan kernel was disposed');
    return m;
  }

  /** Bytes of memory the instance holds. */
  get bytes(): number {
    return this.memory?.buffer.byteLength ?? 0;
  }

  bankViews(): { codes: Int8Array; scale: Float32Array; res: Float32Array; norm: Float32Array } {
    const b = this.buffer();
    return {
      codes: new Int8Array(b, this.at.codes, this.paddedRows * this.stride),
      scale: new Float32Array(b, this.at.scale, this.paddedRows),
      res: new Float32Array(b, this.at.res, this.paddedRows),
      norm: new Float32Array(b, this.at.norm, this.paddedRows),
    };
  }

  /** A lane's query q int16 codes at [q·stride, (q+1)·stride); its parameters at [8q, 8q + 5). */
  queryViews(lane = 0): { qcodes: Int16Array; params: Float32Array } {
    const b = this.buffer();
    const at = this.lane(lane);
    return {
      qcodes: new Int16Array(b, at.qcodes, this.maxQueries * this.stride),
      params: new Float32Array(b, at.params, (this.maxQueries * PARAM_BYTES) / 4),
    };
  }

  /** A lane's first `n` entries written out: entry e is ints[4e] query, ints[4e+1] row, floats[4e+2] lower, floats[4e+3] upper. */
  outViews(n: number, lane = 0): { ints: Int32Array; floats: Float32Array } {
    const b = this.buffer();
    const at = this.lane(lane);
    return { ints: new Int32Array(b, at.out, n * 4), floats: new Float32Array(b, at.out, n * 4) };
  }

  /**
   * Runs a lane's queries [0, nq) over rows [start, end) (multiples of 4 within paddedRows)
   * and returns how many entries it wrote out. (end − start) × nq must not exceed outCapacity.
   */
  scan(start: number, end: number, nq: number, lane = 0): number {
    this.buffer();
    const at = this.lane(lane);
    if (start % 4 !== 0 || end % 4 !== 0 || start < 0 || end > this.paddedRows || start > end) {
      throw new BankScanError(`scan rows [${start}, ${end}) must be multiples of 4 within [0, ${this.paddedRows}]`);
    }
    if (nq < 0 || nq > this.maxQueries) throw new BankScanError(`scan of ${nq} queries; at most ${this.maxQueries}`);
    if ((end - start) * nq > this.outCapacity) throw new BankScanError(`scan of ${end - start} rows × ${nq} queries could write more than ${this.outCapacity} entries`);
    const a = this.at;
    return this.scanFn(a.codes, this.stride, a.scale, a.res, a.norm, start, end, at.qcodes, this.stride * 2, nq, at.params, at.out, at.sums);
  }

  dispose(): void {
    this.memory = null;
  }

  private lane(lane: number): Lane {
    const at = this.at.lanes[lane];
    if (!at) throw new BankScanError(`scan lane ${lane} is not one of the ${SCAN_LANES} laid out`);
    return at;
  }

  private buffer(): ArrayBufferLike {
    if (!this.memory) throw new BankScanError('the scan kernel was disposed');
    return this.memory.buffer;
  }
}
