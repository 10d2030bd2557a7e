// Disassembly of a tar stream into tar-split entries (formats.md §5.4), following tar-split
// v0.11 (the version Docker 20.10 vendors). Push-based: write() chunks, end() at EOF.
// Hand-written because a disassembler needs every raw byte outside file payloads (headers, PAX
// and GNU long-name blocks, padding) and tar-stream hides those.
import { Crc64 } from '../crc64/crc64.js';
import { BLOCK, padding } from '../tar/header.js';
import { FILE_TYPE, SEGMENT_TYPE, type Entry } from './entry.js';

type NewEntry = Entry extends infer E ? (E extends Entry ? Omit<E, 'position'> : never) : never;

export class TarFormatError extends Error {}

// Types whose size field carries no payload in Go ≥ 1.10's reader.
const HEADER_ONLY = new Set([0x31, 0x32, 0x33, 0x34, 0x35, 0x36]);
const REMAINDER_CHUNK = 1 << 20;

function parseNumber(b: Buffer): number {
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

function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.toString('latin1', 0, z < 0 ? b.length : z);
}

function checksumOk(h: Buffer): boolean {
  const want = parseNumber(h.subarray(148, 156));
  let unsigned = 0, signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return want === unsigned || want === signed;
}

function parsePax(data: Buffer): Map<string, string> {
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

type State = 'header' | 'meta' | 'payload' | 'skip' | 'zero2' | 'remainder';

export class TarDisassembler {
  private state: State = 'header';
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private raw: Buffer[] = [];
  private need = BLOCK;
  private meta?: { type: number; size: number };
  private pax = new Map<string, string>();
  private longName?: string;
  private cur?: { name: string; size: number; left: number; crc: Crc64 };
  private remainder: Buffer[] = [];
  private remainderLen = 0;
  size = 0;

  constructor(private readonly emit: (e: NewEntry) => void) {}

  write(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.state === 'remainder') {
        this.addRemainder(chunk.subarray(off));
        return;
      }
      if (this.state === 'payload') {
        const n = Math.min(this.cur!.left, chunk.length - off);
        this.cur!.crc.update(chunk.subarray(off, off + n));
        this.cur!.left -= n;
        off += n;
        if (this.cur!.left === 0) this.finishFile();
        continue;
      }
      const n = Math.min(this.need - this.pendingLen, chunk.length - off);
      this.pending.push(chunk.subarray(off, off + n));
      this.pendingLen += n;
      off += n;
      if (this.pendingLen === this.need) {
        const block = Buffer.concat(this.pending);
        this.pending = [];
        this.pendingLen = 0;
        this.onBlock(block);
      }
    }
  }

  end(): void {
    if (this.state === 'payload' || this.state === 'meta' || this.state === 'skip' || this.pendingLen > 0)
      throw new TarFormatError('unexpected end of tar stream');
    if (this.state !== 'remainder') this.segment(Buffer.concat(this.raw));
    if (this.remainderLen) this.segment(Buffer.concat(this.remainder));
    this.emit({ type: SEGMENT_TYPE, payload: Buffer.alloc(0) });
  }

  private segment(b: Buffer): void {
    this.emit({ type: SEGMENT_TYPE, payload: b });
  }

  private addRemainder(b: Buffer): void {
    this.remainder.push(Buffer.from(b));
    this.remainderLen += b.length;
    while (this.remainderLen >= REMAINDER_CHUNK) {
      const all = Buffer.concat(this.remainder);
      this.segment(all.subarray(0, REMAINDER_CHUNK));
      this.remainder = [all.subarray(REMAINDER_CHUNK)];
      this.remainderLen = all.length - REMAINDER_CHUNK;
    }
  }

  private finishFile(): void {
    const c = this.cur!;
    this.size += c.size;
    this.emit({ type: FILE_TYPE, name: Buffer.from(c.name, 'latin1'), size: c.size, payload: c.size > 0 ? c.crc.digest() : null });
    this.cur = undefined;
    const pad = padding(this.meta!.size);
    this.expect(pad > 0 ? 'skip' : 'header', pad || BLOCK);
  }

  private expect(state: State, need: number): void {
    this.state = state;
    this.need = need;
  }

  private onBlock(block: Buffer): void {
    this.raw.push(block);
    if (this.state === 'skip') return this.expect('header', BLOCK);
    if (this.state === 'zero2') {
      if (!block.every((c) => c === 0)) throw new TarFormatError('invalid end-of-archive marker');
      this.segment(Buffer.concat(this.raw));
      this.raw = [];
      this.state = 'remainder';
      return;
    }
    if (this.state === 'meta') {
      const data = block.subarray(0, this.meta!.size);
      if (this.meta!.type === 0x78) for (const [k, v] of parsePax(data)) this.pax.set(k, v);
      else if (this.meta!.type === 0x4c) this.longName = cstr(data);
      else if (this.meta!.type === 0x4b) this.pax.set('linkpath', cstr(data));
      return this.expect('header', BLOCK);
    }
    if (block.every((c) => c === 0)) return this.expect('zero2', BLOCK);
    if (!checksumOk(block)) throw new TarFormatError('invalid tar header checksum');
    const type = block[156]!;
    let size = parseNumber(block.subarray(124, 136));
    if (type === 0x78 || type === 0x4c || type === 0x4b) {
      this.meta = { type, size };
      return this.expect('meta', size + padding(size));
    }
    let name = cstr(block.subarray(0, 100));
    const magic = block.toString('latin1', 257, 263);
    if (magic === 'ustar\0') {
      const prefix = cstr(block.subarray(345, 500));
      if (prefix) name = prefix + '/' + name;
    }
    if (this.longName !== undefined) name = this.longName;
    if (this.pax.has('path')) name = this.pax.get('path')!;
    if (this.pax.has('size')) size = Number(this.pax.get('size'));
    this.pax.clear();
    this.longName = undefined;
    this.segment(Buffer.concat(this.raw));
    this.raw = [];
    const payload = HEADER_ONLY.has(type) ? 0 : size;
    this.meta = { type, size: payload };
    this.cur = { name, size, left: payload, crc: new Crc64() };
    if (payload === 0) this.finishFile();
    else this.state = 'payload';
  }
}
