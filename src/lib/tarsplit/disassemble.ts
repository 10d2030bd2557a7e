// Disassembly of a tar stream into tar-split entries (formats.md §5.4), following tar-split
// v0.11 (the version Docker 20.10 vendors). Push-based: write() chunks, end() at EOF.
// Hand-written because a disassembler needs every raw byte outside file payloads (headers, PAX
// and GNU long-name blocks, padding) and tar-stream hides those.
import { Crc64 } from '../crc64/crc64.js';
import { BLOCK, padding } from '../tar/header.js';
import { checksumOk, HEADER_ONLY, parseNumber, PendingMeta, TarFormatError } from '../tar/parse.js';
import { FILE_TYPE, SEGMENT_TYPE, type Entry } from './entry.js';

type NewEntry = Entry extends infer E ? (E extends Entry ? Omit<E, 'position'> : never) : never;

export { TarFormatError };

const REMAINDER_CHUNK = 1 << 20;

type State = 'header' | 'meta' | 'payload' | 'skip' | 'zero2' | 'remainder';

export class TarDisassembler {
  private state: State = 'header';
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private raw: Buffer[] = [];
  private need = BLOCK;
  private meta?: { type: number; size: number };
  private metaState = new PendingMeta();
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
      this.metaState.add(this.meta!.type, block.subarray(0, this.meta!.size));
      return this.expect('header', BLOCK);
    }
    if (block.every((c) => c === 0)) return this.expect('zero2', BLOCK);
    const type = block[156]!;
    if (type === 0x78 || type === 0x4c || type === 0x4b) {
      if (!checksumOk(block)) throw new TarFormatError('invalid tar header checksum');
      const size = parseNumber(block.subarray(124, 136));
      this.meta = { type, size };
      return this.expect('meta', size + padding(size));
    }
    const { name, size } = this.metaState.header(block);
    this.segment(Buffer.concat(this.raw));
    this.raw = [];
    const payload = HEADER_ONLY.has(type) ? 0 : size;
    this.meta = { type, size: payload };
    this.cur = { name, size, left: payload, crc: new Crc64() };
    if (payload === 0) this.finishFile();
    else this.state = 'payload';
  }
}
