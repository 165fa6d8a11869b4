/**
 * The container of torch's zip serialisation (what torch.save writes since 1.6): an
 * uncompressed zip whose records are `<archive>/data.pkl`, `<archive>/byteorder`,
 * `<archive>/data/<key>` per storage and `<archive>/version`, each record's data starting at
 * a multiple of 64 bytes as torch aligns them (padding in a local-header extra field).
 * Written by hand because the few lines it takes give that alignment, which general zip
 * libraries do not. Zip64 is not written: a file of 4 GiB or more is refused.
 */
import { crc32 } from 'node:zlib';
import { writeFileAtomic, type WrittenFile } from './atomic-file.ts';
import { encodeTorchPickle, type PthDict } from './torch-pickle-writer.ts';

const ALIGN = 64;
/** Torch's reader accepts format versions up to this one; 3 is what torch ≥ 1.6 writes. */
const FORMAT_VERSION = '3\n';
const LIMIT = 0xffffffff;

export class TorchZipWriteError extends Error {
  override readonly name = 'TorchZipWriteError';
}

interface Record {
  name: string;
  chunks: readonly Uint8Array[];
}

/** The zip's bytes as chunks (data chunks are the caller's buffers, not copies). */
export function torchZipChunks(records: readonly Record[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const r of records) {
    const name = Buffer.from(r.name, 'utf8');
    const size = r.chunks.reduce((a, c) => a + c.length, 0);
    const crc = r.chunks.reduce((acc, c) => crc32(c, acc), 0) >>> 0;
    // Extra field 'FB' (0x4246) of padding so the data starts on a 64-byte boundary.
    const base = offset + 30 + name.length;
    let pad = (ALIGN - ((base + 4) % ALIGN)) % ALIGN;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x4246, 0);
    extra.writeUInt16LE(pad, 2);
    pad += 4;
    if (offset + 30 + name.length + pad + size > LIMIT) {
      throw new TorchZipWriteError(`the checkpoint would exceed 4 GiB (zip64 is not written); record ${r.name} ends past it`);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date: 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    out.push(local, name, extra, ...r.chunks);

    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4); // made by
    cd.writeUInt16LE(20, 6); // needed
    cd.writeUInt16LE(0x21, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(size, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    offset += 30 + name.length + extra.length + size;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  if (offset + cdSize > LIMIT) throw new TorchZipWriteError('the checkpoint would exceed 4 GiB (zip64 is not written)');
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(records.length, 8);
  eocd.writeUInt16LE(records.length, 10);
  eocd.writeUInt32LE(cdSize, 12);
  eocd.writeUInt32LE(offset, 16);
  if (records.length > 0xffff) throw new TorchZipWriteError(`${records.length} records need zip64, which is not written`);
  out.push(...central, eocd);
  return out;
}

/**
 * Writes `root` as a torch zip checkpoint at `path` (atomically), loadable with
 * `torch.load(path, weights_only=True)`. `archive` is the records' folder name.
 */
export function writeTorchZip(path: string, root: PthDict, archive = 'archive'): WrittenFile {
  const { pickle, storages } = encodeTorchPickle(root);
  const records: Record[] = [
    { name: `${archive}/data.pkl`, chunks: [pickle] },
    { name: `${archive}/byteorder`, chunks: [Buffer.from('little')] },
    ...storages.map((s) => ({ name: `${archive}/data/${s.key}`, chunks: [s.bytes] })),
    { name: `${archive}/version`, chunks: [Buffer.from(FORMAT_VERSION)] },
  ];
  return writeFileAtomic(path, torchZipChunks(records));
}
