// The tar headers recorded in a tar-split stream, without the payloads: what a layer tar holds,
// entry by entry, read from the segments that precede each file entry. Used to rebuild a
// layer's own entries from a full tree (the overlay and vfs drivers keep no per-layer diff).
import { BLOCK } from '../tar/header.js';
import { META_TYPES, padding, parseNumber, payloadSize, PendingMeta, TarFormatError, type ParsedHeader } from '../tar/parse.js';
import { FILE_TYPE, type Entry } from './entry.js';

export interface SplitHeader extends ParsedHeader {
  /** The entry's name bytes as tar-split recorded them (authoritative for the path). */
  rawName: Buffer;
}

export async function* headersOf(entries: AsyncIterable<Entry>): AsyncGenerator<SplitHeader> {
  let raw: Buffer[] = [];
  let skip = 0; // padding after the previous entry's payload, at the start of the next segment
  for await (const e of entries) {
    if (e.type !== FILE_TYPE) {
      if (e.payload) raw.push(e.payload);
      continue;
    }
    const bytes = Buffer.concat(raw);
    raw = [];
    const meta = new PendingMeta();
    let off = skip;
    let h: ParsedHeader | undefined;
    while (off + BLOCK <= bytes.length) {
      const block = bytes.subarray(off, off + BLOCK);
      const type = block[156]!;
      off += BLOCK;
      if (META_TYPES.has(type)) {
        const size = parseNumber(block.subarray(124, 136));
        meta.add(type, bytes.subarray(off, off + size));
        off += size + padding(size);
        continue;
      }
      h = meta.header(block);
      break;
    }
    if (!h || off !== bytes.length) throw new TarFormatError(`${JSON.stringify(e.name.toString('latin1'))}: the tar-split segments before this entry do not end in its header`);
    skip = padding(payloadSize(h.typeflag, h.size));
    yield { ...h, rawName: e.name };
  }
}
