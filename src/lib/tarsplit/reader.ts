// Streaming reader of a gzip'd tar-split JSON-lines file. Memory stays bounded: the gzip stream
// is consumed in chunks and a single line may not exceed maxLine bytes (a gzip bomb or a
// multi-GB line fails instead of exhausting memory).
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createGunzip, gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { goClean, latin1 } from '../fs/gopath.js';
import { FILE_TYPE, SEGMENT_TYPE, type Entry } from './entry.js';

export class TarSplitFormatError extends Error {}

export const DEFAULT_MAX_LINE = 64 * 1024 * 1024;

/**
 * Go's StdEncoding, strictly: Node's decoder skips characters outside the alphabet and stops at
 * "=", so any such character shows as a shorter result; the URL-safe "-" and "_", which Node
 * accepts, are looked for. (A regular expression over every ≈ 700-character header payload was
 * 12% of parsing a tar-split.) Like Go, \r and \n are skipped.
 */
function decodeB64(v: unknown, what: string): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' && (v.includes('\n') || v.includes('\r'))) v = v.replace(/[\r\n]/g, ''); // Go skips them
  if (typeof v !== 'string' || v.length % 4 !== 0) throw new TarSplitFormatError(`${what} is not standard base64`);
  const b = Buffer.from(v, 'base64');
  const pad = v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0;
  if (b.length !== (v.length / 4) * 3 - pad || v.includes('-') || v.includes('_')) throw new TarSplitFormatError(`${what} is not standard base64`);
  return b;
}

// Go's decoder matches keys case-insensitively when there is no exact match.
function field(o: Record<string, unknown>, key: string): unknown {
  if (key in o) return o[key];
  for (const k of Object.keys(o)) if (k.toLowerCase() === key) return o[k];
  return undefined;
}

export function parseEntryLine(line: string): Entry {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    throw new TarSplitFormatError(`invalid JSON line: ${(e as Error).message}`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new TarSplitFormatError('entry is not an object');
  const rec = o as Record<string, unknown>;
  const type = field(rec, 'type');
  const position = Number(field(rec, 'position') ?? 0);
  const payload = decodeB64(field(rec, 'payload'), 'payload');
  if (type === SEGMENT_TYPE) return { type: SEGMENT_TYPE, payload, position };
  if (type !== FILE_TYPE) throw new TarSplitFormatError(`unknown entry type ${JSON.stringify(type)}`);
  const size = field(rec, 'size') ?? 0;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new TarSplitFormatError('invalid size');
  const raw = decodeB64(field(rec, 'name_raw'), 'name_raw');
  const nameText = field(rec, 'name') ?? '';
  if (typeof nameText !== 'string') throw new TarSplitFormatError('name is not a string');
  const name = raw && raw.length > 0 ? raw : Buffer.from(nameText, 'utf8');
  if (payload !== null && payload.length !== 8) throw new TarSplitFormatError('file payload is not an 8-byte CRC-64');
  return { type: FILE_TYPE, name, size, payload, position };
}

/**
 * The entry of one line, with tar-split's unpacker rules: a second file of the same cleaned name
 * is an error (`isNew` records the name and says whether it is new); a final line without
 * newline (`last`) that is blank or not valid JSON is ignored (a truncated tail).
 */
export function lineEntry(line: Buffer, last: boolean, isNew: (cleaned: string) => boolean): Entry | undefined {
  const text = line.toString('utf8');
  if (last && text.trim() === '') return undefined;
  let e: Entry;
  try {
    e = parseEntryLine(text);
  } catch (err) {
    if (last) return undefined;
    throw err;
  }
  if (e.type === FILE_TYPE && !isNew(goClean(latin1(e.name)))) throw new TarSplitFormatError(`duplicates of file paths not supported: ${JSON.stringify(e.name.toString('utf8'))}`);
  return e;
}

export const lineTooLong = (maxLine: number) => new TarSplitFormatError(`a line exceeds ${maxLine} bytes`);

/** Entries of a tar-split stream (lineEntry's rules), one line at a time. */
export async function* readEntries(input: Readable, maxLine = DEFAULT_MAX_LINE): AsyncGenerator<Entry> {
  const seen = new Set<string>();
  const isNew = (c: string) => !seen.has(c) && !!seen.add(c);
  let pending: Buffer[] = [];
  let pendingLen = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const part = chunk.subarray(start, nl);
      const line = pending.length ? Buffer.concat([...pending, part]) : part;
      pending = [];
      pendingLen = 0;
      if (line.length > maxLine) throw lineTooLong(maxLine);
      const e = lineEntry(line, false, isNew);
      if (e) yield e;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(Buffer.from(chunk.subarray(start)));
      pendingLen += chunk.length - start;
      if (pendingLen > maxLine) throw lineTooLong(maxLine);
    }
  }
  if (pendingLen) {
    const e = lineEntry(Buffer.concat(pending), true, isNew);
    if (e) yield e;
  }
}

const SMALL_COMPRESSED = 64 << 10;
const SMALL_EXPANDED = 4 << 20;
/** Gunzip output chunks of the streaming path: fewer, larger chunks to split into lines. */
const STREAM_CHUNK = 256 << 10;

/**
 * Open a tar-data.json.gz / tar-split.json.gz file (gzip members may be concatenated). Small
 * files are read and gunzipped in one call (a stream pair per file dominated roots of many small
 * layers); the expansion is capped, so a gzip bomb falls back to the bounded streaming path.
 * Larger ones stream: one call for a 1 MB tar-data of 20 000 files made a 23 MB buffer whose
 * fresh pages alone cost ≈ 100 ms (docs/performance.md).
 */
export function openTarSplit(path: string | Buffer): Readable {
  try {
    if (statSync(path).size <= SMALL_COMPRESSED) return Readable.from([gunzipSync(readFileSync(path), { maxOutputLength: SMALL_EXPANDED })]);
  } catch (e) {
    if (!(e instanceof RangeError) && (e as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') return Readable.from((async function* () { throw e; })());
  }
  return openTarSplitStream(path);
}

function openTarSplitStream(path: string | Buffer): Readable {
  const gunzip = createGunzip({ chunkSize: STREAM_CHUNK });
  const src = createReadStream(path);
  src.on('error', (e) => gunzip.destroy(e));
  return src.pipe(gunzip);
}
