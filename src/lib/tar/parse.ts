// Reading tar headers: numbers (octal or base-256), the checksum, PAX records and the meta
// entries (PAX 'x', GNU long name 'L' / long link 'K') that change the header after them.
// Shared by the tar-split disassembler and the header walk over a stored tar-split.
import { BLOCK, padding } from './header.js';

export class TarFormatError extends Error {}

export const TYPE_GNU_LONGNAME = 0x4c; // 'L'
export const TYPE_GNU_LONGLINK = 0x4b; // 'K'
export const TYPE_PAX_HEADER = 0x78; // 'x'
export const TYPE_PAX_GLOBAL = 0x67; // 'g'
export const META_TYPES = new Set([TYPE_PAX_HEADER, TYPE_GNU_LONGNAME, TYPE_GNU_LONGLINK]);
/** Types whose size field carries no payload in Go ≥ 1.10's reader. */
export const HEADER_ONLY = new Set([0x31, 0x32, 0x33, 0x34, 0x35, 0x36]);

export function parseNumber(b: Buffer): number {
  if (b[0]! & 0x80) {
    let v = BigInt(b[0]! & 0x7f);
    for (let i = 1; i < b.length; i++) v = (v << 8n) | BigInt(b[i]!);
    return Number(v);
  }
  const s = b.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`invalid octal number ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

export function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.toString('latin1', 0, z < 0 ? b.length : z);
}

export function checksumOk(h: Buffer): boolean {
  const want = parseNumber(h.subarray(148, 156));
  let unsigned = 0, signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return want === unsigned || want === signed;
}

/** PAX records; values are latin1 strings so binary xattr values keep every byte. */
export function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(data.toString('latin1', i, sp));
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length) throw new TarFormatError('invalid PAX record');
    const rec = data.toString('latin1', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/** What a header says, after the meta entries before it were applied. Strings are latin1. */
export interface ParsedHeader {
  name: string;
  linkname: string;
  typeflag: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  /** mtime to the nanosecond (a PAX "mtime" record carries the fraction). */
  mtimeNs: bigint;
  /** A PAX "atime" record, to the nanosecond, when there is one. */
  atimeNs?: bigint;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Buffer>;
}

/** Meta state collected from 'x'/'L'/'K' entries, applied to the next real header. */
export class PendingMeta {
  pax = new Map<string, string>();
  longName?: string;
  longLink?: string;

  add(type: number, data: Buffer): void {
    if (type === TYPE_PAX_HEADER) for (const [k, v] of parsePax(data)) this.pax.set(k, v);
    else if (type === TYPE_GNU_LONGNAME) this.longName = cstr(data);
    else if (type === TYPE_GNU_LONGLINK) this.longLink = cstr(data);
  }

  /** Parse a real header block and consume the pending meta. */
  header(block: Buffer): ParsedHeader {
    if (!checksumOk(block)) throw new TarFormatError('invalid tar header checksum');
    let name = cstr(block.subarray(0, 100));
    let linkname = cstr(block.subarray(157, 257));
    if (block.toString('latin1', 257, 263) === 'ustar\0') {
      const prefix = cstr(block.subarray(345, 500));
      if (prefix) name = prefix + '/' + name;
    }
    if (this.longName !== undefined) name = this.longName;
    if (this.longLink !== undefined) linkname = this.longLink;
    const pax = this.pax;
    if (pax.has('path')) name = pax.get('path')!;
    if (pax.has('linkpath')) linkname = pax.get('linkpath')!;
    const num = (key: string, off: number, len: number) => (pax.has(key) ? Math.trunc(Number(pax.get(key))) : parseNumber(block.subarray(off, off + len)));
    const xattrs = new Map<string, Buffer>();
    for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice('SCHILY.xattr.'.length), Buffer.from(v, 'latin1'));
    const mtimeNs = pax.has('mtime') ? paxTimeNs(pax.get('mtime')!) : BigInt(parseNumber(block.subarray(136, 148))) * 1_000_000_000n;
    const h: ParsedHeader = {
      name, linkname, typeflag: block[156]!, mode: parseNumber(block.subarray(100, 108)), uid: num('uid', 108, 8), gid: num('gid', 116, 8),
      size: num('size', 124, 12), mtime: num('mtime', 136, 12), mtimeNs, atimeNs: pax.has('atime') ? paxTimeNs(pax.get('atime')!) : undefined, devmajor: parseNumber(block.subarray(329, 337)), devminor: parseNumber(block.subarray(337, 345)), xattrs,
    };
    this.pax = new Map();
    this.longName = this.longLink = undefined;
    return h;
  }
}

/**
 * A PAX time record as Go's archive/tar reads it (parsePAXTime): whole seconds, then up to nine
 * digits of fraction (padded or cut on the right), the fraction added even to negative seconds.
 * Unparsable text gives 0, where Go would refuse the header: such a header never reaches here
 * from a tar-split that Go wrote.
 */
export function paxTimeNs(text: string): bigint {
  const m = /^([+-]?\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) return 0n;
  const frac = (m[2] ?? '').slice(0, 9).padEnd(9, '0');
  return BigInt(m[1]!) * 1_000_000_000n + BigInt(frac);
}

/** Bytes of payload that follow a header of this type and size, without padding. */
export const payloadSize = (typeflag: number, size: number): number => (HEADER_ONLY.has(typeflag) ? 0 : size);

export { padding };
