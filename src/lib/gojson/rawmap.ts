// Decode a JSON object into key → raw value bytes, as Go's map[string]*json.RawMessage does:
// values keep their original bytes, duplicate keys resolve to the last one. JSON.parse cannot do
// this (it re-spells numbers and strings), so a small byte scanner finds the value boundaries.

export class JsonSyntaxError extends Error {}

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

class Scanner {
  i = 0;
  constructor(readonly b: Buffer) {}

  ws(): void {
    while (isWs(this.b[this.i])) this.i++;
  }

  fail(what: string): never {
    throw new JsonSyntaxError(`invalid JSON at byte ${this.i}: ${what}`);
  }

  expect(c: number): void {
    if (this.b[this.i] !== c) this.fail(`expected '${String.fromCharCode(c)}'`);
    this.i++;
  }

  string(): void {
    this.expect(0x22);
    for (;;) {
      const c = this.b[this.i++];
      if (c === undefined) this.fail('unterminated string');
      if (c === 0x22) return;
      if (c < 0x20) this.fail('control character in string');
      if (c === 0x5c) {
        const e = this.b[this.i++];
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            const h = this.b[this.i++];
            if (h === undefined || !/[0-9a-fA-F]/.test(String.fromCharCode(h))) this.fail('bad \\u escape');
          }
        } else if (e === undefined || !'"\\/bfnrt'.includes(String.fromCharCode(e))) this.fail('bad escape');
      }
    }
  }

  literal(): void {
    const start = this.i;
    while (this.i < this.b.length && /[-+.0-9a-zA-Z]/.test(String.fromCharCode(this.b[this.i]!))) this.i++;
    const text = this.b.toString('latin1', start, this.i);
    if (!/^(true|false|null|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?)$/.test(text)) this.fail(`bad literal '${text}'`);
  }

  value(depth = 0): void {
    if (depth > 10000) this.fail('nesting too deep');
    this.ws();
    const c = this.b[this.i];
    if (c === 0x22) this.string();
    else if (c === 0x7b) {
      this.i++;
      this.ws();
      if (this.b[this.i] === 0x7d) {
        this.i++;
        return;
      }
      for (;;) {
        this.ws();
        this.string();
        this.ws();
        this.expect(0x3a);
        this.value(depth + 1);
        this.ws();
        if (this.b[this.i] === 0x2c) {
          this.i++;
          continue;
        }
        this.expect(0x7d);
        return;
      }
    } else if (c === 0x5b) {
      this.i++;
      this.ws();
      if (this.b[this.i] === 0x5d) {
        this.i++;
        return;
      }
      for (;;) {
        this.value(depth + 1);
        this.ws();
        if (this.b[this.i] === 0x2c) {
          this.i++;
          continue;
        }
        this.expect(0x5d);
        return;
      }
    } else if (c === undefined) this.fail('unexpected end');
    else this.literal();
  }
}

/** Validate that `b` is exactly one JSON value (surrounding whitespace allowed). */
export function validateJson(b: Buffer): void {
  const s = new Scanner(b);
  s.value();
  s.ws();
  if (s.i !== b.length) s.fail('trailing data');
}

/** Parse a JSON object into an insertion-ordered map of unescaped key → raw value bytes. */
export function parseRawObject(b: Buffer): Map<string, Buffer> {
  validateJson(b);
  const s = new Scanner(b);
  s.ws();
  if (b[s.i] !== 0x7b) s.fail('expected an object');
  s.i++;
  const out = new Map<string, Buffer>();
  s.ws();
  if (b[s.i] === 0x7d) return out;
  for (;;) {
    s.ws();
    const ks = s.i;
    s.string();
    // Key unescaping: JSON.parse of a validated JSON string gives the same text as Go's unquote
    // (invalid UTF-8 bytes become U+FFFD in both).
    const key = JSON.parse(b.toString('utf8', ks, s.i)) as string;
    s.ws();
    s.expect(0x3a);
    s.ws();
    const vs = s.i;
    s.value();
    out.delete(key); // last duplicate wins, as in a Go map
    out.set(key, b.subarray(vs, s.i));
    s.ws();
    if (b[s.i] === 0x2c) {
      s.i++;
      continue;
    }
    s.expect(0x7d);
    return out;
  }
}
