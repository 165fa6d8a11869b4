/**
 * One instance of the scan kernel (bank-scan-kernel.wat) and the layout of its memory:
 *
 *   codes    paddedRows × stride int8 (row-major; zero past the dimension)
 *   scale, res, norm   paddedRows float32 each
 *   qcodes   maxQueries × stride int16
 *   params   maxQueries × 32 bytes (sq, alpha, beta, gamma, threshold as float32)
 *   out      outCapacity × 16 bytes (query, row, lower, upper)
 *
 * The memory is sized once, when the instance is made (views stay valid: it never grows
 * after). Rows are padded to a multiple of 4 with res = NaN, which the kernel never writes out.
 */
import { BANK_SCAN_WASM_BASE64 } from './bank-scan-wasm.ts';

export const PARAM_BYTES = 32;
export const OUT_ENTRY_BYTES = 16;
const PAGE = 65536;
/** A 32-bit WebAssembly memory holds at most 4 GiB. */
const MAX_BYTES = 65536 * PAGE;

type ScanFn = (
  codes: number, stride: number, scale: number, res: number, norm: number,
  rowStart: number, rowEnd: number, q: number, qStride: number, nq: number, params: number, out: number,
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

export class BankScanKernel {
  readonly paddedRows: number;
  private memory: WebAssembly.Memory | null;
  private readonly scanFn: ScanFn;
  private readonly at: { codes: number; scale: number; res: number; norm: number; qcodes: number; params: number; out: number; end: number };

  constructor(
    readonly rows: number,
    /** Bytes between rows' codes: a multiple of 16. */
    readonly stride: number,
    readonly maxQueries: number,
    readonly outCapacity: number,
  ) {
    if (stride < 16 || stride % 16 !== 0) throw new BankScanError(`code stride must be a positive multiple of 16, got ${stride}`);
    this.paddedRows = Math.ceil(rows / 4) * 4;
    const codes = 0;
    const scale = align(codes + this.paddedRows * stride);
    const res = align(scale + this.paddedRows * 4);
    const norm = align(res + this.paddedRows * 4);
    const qcodes = align(norm + this.paddedRows * 4);
    const params = align(qcodes + maxQueries * stride * 2);
    const out = align(params + maxQueries * PARAM_BYTES);
    const end = out + outCapacity * OUT_ENTRY_BYTES;
    if (end > MAX_BYTES) {
      throw new BankScanError(`a bank of ${rows} rows of ${stride} codes needs ${Math.ceil(end / 1e6)} MB of codes, more than a WebAssembly memory holds (4 GiB)`);
    }
    this.at = { codes, scale, res, norm, qcodes, params, out, end };
    const instance = new WebAssembly.Instance(scanModule(), {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    const pages = Math.ceil(end / PAGE) - memory.buffer.byteLength / PAGE;
    if (pages > 0) {
      try {
        memory.grow(pages);
      } catch (err) {
        throw new BankScanError(`could not reserve ${Math.ceil(end / 1e6)} MB for the codes of a bank of ${rows} rows: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.memory = memory;
    this.scanFn = instance.exports.scan as ScanFn;
    // Padded rows: never written out.
    new Float32Array(memory.buffer, res, this.paddedRows).fill(NaN, rows);
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

  /** Query q's int16 codes at [q·stride, (q+1)·stride); its parameters at [8q, 8q + 5). */
  queryViews(): { qcodes: Int16Array; params: Float32Array } {
    const b = this.buffer();
    return {
      qcodes: new Int16Array(b, this.at.qcodes, this.maxQueries * this.stride),
      params: new Float32Array(b, this.at.params, (this.maxQueries * PARAM_BYTES) / 4),
    };
  }

  /** The first `n` entries written out: entry e is ints[4e] query, ints[4e+1] row, floats[4e+2] lower, floats[4e+3] upper. */
  outViews(n: number): { ints: Int32Array; floats: Float32Array } {
    const b = this.buffer();
    return { ints: new Int32Array(b, this.at.out, n * 4), floats: new Float32Array(b, this.at.out, n * 4) };
  }

  /**
   * Runs queries [0, nq) over rows [start, end) (multiples of 4 within paddedRows) and returns
   * how many entries it wrote out. (end − start) × nq must not exceed outCapacity.
   */
  scan(start: number, end: number, nq: number): number {
    this.buffer();
    if (start % 4 !== 0 || end % 4 !== 0 || start < 0 || end > this.paddedRows || start > end) {
      throw new BankScanError(`scan rows [${start}, ${end}) must be multiples of 4 within [0, ${this.paddedRows}]`);
    }
    if (nq < 0 || nq > this.maxQueries) throw new BankScanError(`scan of ${nq} queries; at most ${this.maxQueries}`);
    if ((end - start) * nq > this.outCapacity) throw new BankScanError(`scan of ${end - start} rows × ${nq} queries could write more than ${this.outCapacity} entries`);
    const a = this.at;
    return this.scanFn(a.codes, this.stride, a.scale, a.res, a.norm, start, end, a.qcodes, this.stride * 2, nq, a.params, a.out);
  }

  dispose(): void {
    this.memory = null;
  }

  private buffer(): ArrayBuffer {
    if (!this.memory) throw new BankScanError('the scan kernel was disposed');
    return this.memory.buffer;
  }
}
