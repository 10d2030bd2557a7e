// Go encoding/json-compatible serialisation.
//
// Written by hand because Docker hashes the bytes Go produced: JSON.stringify differs (it does not
// escape < > & U+2028 U+2029, writes \b \f, and has no notion of "raw values" that keep their
// original spelling). Rules: formats.md §3.4.

const HEX = '0123456789abcdef';

/** Go's encodeState.string with HTML escaping, for a JS string (already decoded). */
export function goString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26) continue;
      if (c === 0x22) rep = '\\"';
      else if (c === 0x5c) rep = '\\\\';
      else if (c === 0x0a) rep = '\\n';
      else if (c === 0x0d) rep = '\\r';
      else if (c === 0x09) rep = '\\t';
      else rep = '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
    } else if (c === 0x2028) rep = '\\u2028';
    else if (c === 0x2029) rep = '\\u2029';
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      rep = '\ufffd'; // lone surrogate: Go would have decoded it as U+FFFD
    } else if (c >= 0xdc00 && c <= 0xdfff) rep = '\ufffd';
    else continue;
    out += s.slice(start, i) + rep;
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}

/** Go's string encoding applied to raw bytes (a Go string may hold invalid UTF-8: one \ufffd per bad byte). */
export function goStringBytes(b: Buffer): string {
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(b);
  return goString(decoded);
}

const LT = Buffer.from('\\u003c');
const GT = Buffer.from('\\u003e');
const AMP = Buffer.from('\\u0026');
const LS = Buffer.from('\\u2028');
const PS = Buffer.from('\\u2029');

/**
 * Go's compact(dst, src, escape=true): what json.Marshal does to a json.RawMessage. Whitespace
 * outside strings goes; < > & and U+2028/9 are escaped; everything else keeps its spelling.
 * The input must already be valid JSON (the caller parsed it).
 */
export function compactRaw(src: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (inString) {
      if (c === 0x5c) {
        i++;
        continue;
      }
      if (c === 0x22) {
        inString = false;
        continue;
      }
      let rep: Buffer | undefined;
      let skip = 0;
      if (c === 0x3c) rep = LT;
      else if (c === 0x3e) rep = GT;
      else if (c === 0x26) rep = AMP;
      else if (c === 0xe2 && src[i + 1] === 0x80 && (src[i + 2] === 0xa8 || src[i + 2] === 0xa9)) {
        rep = src[i + 2] === 0xa8 ? LS : PS;
        skip = 2;
      }
      if (rep) {
        parts.push(src.subarray(start, i), rep);
        i += skip;
        start = i + 1;
      }
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      parts.push(src.subarray(start, i));
      start = i + 1;
    }
  }
  parts.push(src.subarray(start));
  return Buffer.concat(parts);
}

/** A value that serialises as the given bytes (already Go-encoded). */
export class Raw {
  private compact?: Buffer;
  constructor(readonly bytes: Buffer) {}

  /**
   * The bytes as json.Marshal writes a RawMessage, computed once: an image config carries the
   * history entries of every ancestor, so a chain of n images marshals n²/2 of them (100 layers:
   * 5 050 compactions, ≈ 17 ms of the configs stage before).
   */
  compacted(): Buffer {
    return (this.compact ??= compactRaw(this.bytes));
  }
}

export type GoValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Raw
  | GoValue[]
  | GoMap
  | GoStruct;

/** A Go map: keys are sorted byte-wise on output. */
export class GoMap {
  constructor(readonly entries: Map<string, GoValue>) {}
}

/** A Go struct: fields in declaration order, already filtered for omitempty by the caller. */
export class GoStruct {
  constructor(readonly fields: Array<[string, GoValue]>) {}
}

export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** json.Marshal: compact, no trailing newline. */
export function marshal(v: GoValue): Buffer {
  const out: Array<string | Buffer> = [];
  encode(v, out);
  return Buffer.concat(out.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

function encode(v: GoValue, out: Array<string | Buffer>): void {
  if (v === null) out.push('null');
  else if (typeof v === 'boolean') out.push(v ? 'true' : 'false');
  else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error('gojson: only integers are supported');
    out.push(String(v));
  } else if (typeof v === 'bigint') out.push(v.toString());
  else if (typeof v === 'string') out.push(goString(v));
  else if (v instanceof Raw) out.push(v.compacted());
  else if (Array.isArray(v)) {
    out.push('[');
    v.forEach((e, i) => {
      if (i) out.push(',');
      encode(e, out);
    });
    out.push(']');
  } else if (v instanceof GoMap) {
    const keys = [...v.entries.keys()].sort(compareUtf8);
    out.push('{');
    keys.forEach((k, i) => {
      if (i) out.push(',');
      out.push(goString(k), ':');
      encode(v.entries.get(k)!, out);
    });
    out.push('}');
  } else {
    out.push('{');
    v.fields.forEach(([k, e], i) => {
      if (i) out.push(',');
      out.push(goString(k), ':');
      encode(e, out);
    });
    out.push('}');
  }
}
