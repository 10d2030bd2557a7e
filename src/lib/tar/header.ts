// Tar headers byte-for-byte as Go 1.5's archive/tar writer produced them (formats.md §2.6).
// Hand-written because no library reproduces Go's choices: type bits in the mode field,
// empty uname/gname, sticky GNU magic after a base-256 number, the USTAR prefix split, and
// PAX only for long/non-ASCII strings and xattrs. Where Go 1.5 was non-deterministic (PID in the
// PAX header name, map order of PAX records) we use Go 1.6's choices: "PaxHeaders.0" and sorted
// keys (docs/formats.md of this project).

export const BLOCK = 512;

export const TYPE_REG = 0x30; // '0'
export const TYPE_LINK = 0x31; // '1'
export const TYPE_SYMLINK = 0x32; // '2'
export const TYPE_CHAR = 0x33; // '3'
export const TYPE_BLOCK = 0x34; // '4'
export const TYPE_DIR = 0x35; // '5'
export const TYPE_FIFO = 0x36; // '6'
export const TYPE_OLDREG = 0x00; // sockets and whiteouts in Docker 1.10 tars
export const TYPE_PAX = 0x78; // 'x'

export interface TarHeader {
  /** Name bytes as a latin1 string (so any byte survives). */
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (sub-second part already dropped). */
  mtime: number;
  typeflag: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** PAX SCHILY.xattr.* records: name → raw value. */
  xattrs?: Map<string, Buffer>;
}

const isAscii = (s: string): boolean => /^[\x00-\x7f]*$/.test(s);

function putString(block: Buffer, off: number, len: number, s: string): void {
  block.write(s, off, Math.min(len, s.length), 'latin1');
}

/** Go's fitsInOctal: n-1 octal digits plus a NUL. */
function fitsInOctal(n: number, x: number): boolean {
  return x >= 0 && (n >= 22 || x < 2 ** ((n - 1) * 3));
}

function putOctal(block: Buffer, off: number, len: number, x: number): void {
  putString(block, off, len, x.toString(8).padStart(len - 1, '0'));
}

/** One tar archive's worth of header writing (the GNU-magic switch is sticky per archive). */
export class GoTarHeaderWriter {
  private usedBinary = false;

  private numeric(block: Buffer, off: number, len: number, x: number): void {
    if (fitsInOctal(len, x)) return putOctal(block, off, len, x);
    this.usedBinary = true;
    let v = BigInt(x);
    for (let i = len - 1; i > 0; i--) {
      block[off + i] = Number(v & 0xffn);
      v >>= 8n;
    }
    block[off] = 0x80;
  }

  /** Encode a header (and its PAX extended header when needed) into 512-byte blocks. */
  encode(h: TarHeader): Buffer {
    const pax = new Map<string, string>();
    const block = this.block(h, pax, true);
    if (pax.size === 0) return block;
    return Buffer.concat([this.paxBlocks(h, pax), block]);
  }

  private str(block: Buffer, off: number, len: number, s: string, paxKey: string | null, pax: Map<string, string>): void {
    if (paxKey !== null && (s.length > len || !isAscii(s))) {
      pax.set(paxKey, s);
      return;
    }
    putString(block, off, len, s);
  }

  private block(h: TarHeader, pax: Map<string, string>, allowPax: boolean): Buffer {
    const b = Buffer.alloc(BLOCK);
    this.str(b, 0, 100, h.name, allowPax ? 'path' : null, pax);
    putOctal(b, 100, 8, h.mode);
    this.numeric(b, 108, 8, h.uid);
    this.numeric(b, 116, 8, h.gid);
    this.numeric(b, 124, 12, h.size);
    const mtime = h.mtime < 0 || h.mtime > 2 ** 33 - 1 ? 0 : h.mtime;
    this.numeric(b, 136, 12, mtime);
    b[156] = h.typeflag;
    this.str(b, 157, 100, h.linkname, allowPax ? 'linkpath' : null, pax);
    b.write('ustar\x0000', 257, 'latin1');
    // uname/gname are always empty in Docker 1.10 tars (Go 1.5 did not look names up).
    this.numeric(b, 329, 8, h.devmajor);
    this.numeric(b, 337, 8, h.devminor);
    if (this.usedBinary) b.write('ustar  \x00', 257, 'latin1');

    if (allowPax && pax.size === 1 && pax.has('path')) {
      const split = splitUstarPath(h.name);
      if (split) {
        pax.delete('path');
        putString(b, 0, 100, split.suffix);
        putString(b, 345, 155, split.prefix);
        if (split.prefix.length > 0 && !this.usedBinary) b.write('ustar\x00', 257, 'latin1');
      }
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
    putString(b, 148, 7, sum.toString(8).padStart(6, '0'));
    b[154] = 0;
    b[155] = 0x20;
    if (allowPax && h.xattrs) for (const [k, v] of h.xattrs) pax.set('SCHILY.xattr.' + k, v.toString('latin1'));
    return b;
  }

  private paxBlocks(h: TarHeader, pax: Map<string, string>): Buffer {
    const keys = [...pax.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
    const body = Buffer.concat(keys.map((k) => paxRecord(k, pax.get(k)!)));
    const slash = h.name.lastIndexOf('/');
    const dir = h.name.slice(0, slash + 1), file = h.name.slice(slash + 1);
    let name = joinClean(dir, 'PaxHeaders.0', file).replace(/[^\x00-\x7f]/g, '');
    if (name.length > 100) name = name.slice(0, 100);
    const ext: TarHeader = {
      name, mode: 0, uid: 0, gid: 0, size: body.length, mtime: h.mtime, typeflag: TYPE_PAX,
      linkname: '', devmajor: 0, devminor: 0,
    };
    const header = this.block(ext, new Map(), false);
    return Buffer.concat([header, body, Buffer.alloc(padding(body.length))]);
  }
}

export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** "<len> key=value\n" where len counts the whole record (Go's paxHeader). */
function paxRecord(k: string, v: string): Buffer {
  const msgLen = Buffer.byteLength(k, 'latin1') + 1 + Buffer.byteLength(v, 'latin1');
  let size = msgLen + 2;
  size += String(size).length;
  if (String(size).length + 2 + msgLen !== size) size = String(size).length + 2 + msgLen;
  return Buffer.from(`${size} ${k}=${v}\n`, 'latin1');
}

/** path.Join for the PAX header name: join with '/', then clean. */
function joinClean(...parts: string[]): string {
  const joined = parts.filter((p) => p !== '').join('/');
  const out: string[] = [];
  for (const c of joined.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else out.push(c);
  }
  return (joined.startsWith('/') ? '/' : '') + out.join('/');
}

function splitUstarPath(name: string): { prefix: string; suffix: string } | undefined {
  let length = name.length;
  if (length <= 100 || !isAscii(name)) return undefined;
  if (length > 156) length = 156;
  else if (name[length - 1] === '/') length--;
  const i = name.slice(0, length).lastIndexOf('/');
  const nlen = name.length - i - 1;
  if (i <= 0 || nlen > 100 || nlen === 0 || i > 155) return undefined;
  return { prefix: name.slice(0, i), suffix: name.slice(i + 1) };
}
