/**
 * Test helper: writes pickles the way Python 2's cPickle (protocol 2) wrote the official
 * CIFAR "python version" files — str as SHORT_BINSTRING/BINSTRING, numpy arrays through
 * numpy.core.multiarray._reconstruct + BUILD with the raw bytes. Only what the tests need.
 */
export type Py2 =
  | { t: 'int'; v: number }
  | { t: 'str'; v: string | Uint8Array }
  | { t: 'list'; v: Py2[] }
  | { t: 'dict'; v: [string, Py2][] }
  | { t: 'u8array'; shape: number[]; data: Uint8Array };

export const int = (v: number): Py2 => ({ t: 'int', v });
export const str = (v: string | Uint8Array): Py2 => ({ t: 'str', v });
export const list = (v: Py2[]): Py2 => ({ t: 'list', v });
export const dict = (v: [string, Py2][]): Py2 => ({ t: 'dict', v });
export const u8array = (shape: number[], data: Uint8Array): Py2 => ({ t: 'u8array', shape, data });

class Writer {
  private readonly parts: Uint8Array[] = [];
  private memo = 1;
  byte(...b: number[]): void {
    this.parts.push(Uint8Array.from(b));
  }
  raw(b: Uint8Array): void {
    this.parts.push(b);
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.raw(b);
  }
  ascii(s: string): void {
    this.raw(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  }
  put(): void {
    this.byte(0x71, this.memo++ & 0xff); // BINPUT
  }
  str(v: string | Uint8Array): void {
    const b = typeof v === 'string' ? Uint8Array.from(Buffer.from(v, 'latin1')) : v;
    if (b.length < 256) this.byte(0x55, b.length); // SHORT_BINSTRING
    else {
      this.byte(0x54); // BINSTRING
      this.u32(b.length);
    }
    this.raw(b);
    this.put();
  }
  int(v: number): void {
    if (v >= 0 && v < 256) this.byte(0x4b, v); // BININT1
    else if (v >= 0 && v < 65536) this.byte(0x4d, v & 0xff, v >> 8); // BININT2
    else {
      this.byte(0x4a); // BININT
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, v, true);
      this.raw(b);
    }
  }
  global(module: string, name: string): void {
    this.byte(0x63);
    this.ascii(`${module}\n${name}\n`);
    this.put();
  }
  value(x: Py2): void {
    switch (x.t) {
      case 'int': this.int(x.v); break;
      case 'str': this.str(x.v); break;
      case 'list':
        this.byte(0x5d); // EMPTY_LIST
        this.put();
        if (x.v.length) {
          this.byte(0x28); // MARK
          for (const e of x.v) this.value(e);
          this.byte(0x65); // APPENDS
        }
        break;
      case 'dict':
        this.byte(0x7d); // EMPTY_DICT
        this.put();
        this.byte(0x28);
        for (const [k, v] of x.v) {
          this.str(k);
          this.value(v);
        }
        this.byte(0x75); // SETITEMS
        break;
      case 'u8array':
        this.global('numpy.core.multiarray', '_reconstruct');
        this.global('numpy', 'ndarray');
        this.byte(0x4b, 0, 0x85); // BININT1 0, TUPLE1
        this.str('b');
        this.byte(0x87, 0x52); // TUPLE3, REDUCE
        this.put();
        this.byte(0x28); // MARK: state tuple (1, shape, dtype, False, data)
        this.int(1);
        for (const d of x.shape) this.int(d);
        this.byte(x.shape.length === 1 ? 0x85 : x.shape.length === 2 ? 0x86 : 0x87);
        this.global('numpy', 'dtype');
        this.str('u1');
        this.byte(0x4b, 0, 0x4b, 1, 0x87, 0x52); // (0, 1) TUPLE3 REDUCE
        this.put();
        this.byte(0x28); // dtype state (3, '|', None, None, None, -1, -1, 0)
        this.int(3);
        this.str('|');
        this.byte(0x4e, 0x4e, 0x4e);
        this.byte(0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff);
        this.int(0);
        this.byte(0x74, 0x62); // TUPLE, BUILD
        this.byte(0x89); // NEWFALSE
        this.str(x.data);
        this.byte(0x74, 0x62); // TUPLE, BUILD
        break;
    }
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

export function py2Pickle(x: Py2): Uint8Array {
  const w = new Writer();
  w.byte(0x80, 0x02); // PROTO 2
  w.value(x);
  w.byte(0x2e); // STOP
  return w.bytes();
}

/** A CIFAR python batch dict as cPickle wrote it. `planar` is N × 3072 (R plane, G, B). */
export function cifarPythonBatch(planar: Uint8Array, labels: number[], kind: 'cifar10' | 'cifar100'): Uint8Array {
  const n = labels.length;
  const entries: [string, Py2][] = [
    ['batch_label', str('training batch 1 of 1')],
    [kind === 'cifar10' ? 'labels' : 'fine_labels', list(labels.map(int))],
    ['data', u8array([n, 3072], planar)],
    ['filenames', list(labels.map((_, i) => str(`img_${i}.png`)))],
  ];
  if (kind === 'cifar100') entries.push(['coarse_labels', list(labels.map((l) => int(l % 20)))]);
  return py2Pickle(dict(entries));
}
