// Go encoding/json byte rules (formats.md §3.4) and Go time re-serialisation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactRaw, goString, GoMap, GoStruct, marshal, Raw } from '../../src/lib/gojson/encode.js';
import { parseRawObject } from '../../src/lib/gojson/rawmap.js';
import { goTimeReformat } from '../../src/lib/gojson/time.js';

test('strings escape <>& U+2028/9 and controls as Go does, not as JSON.stringify', () => {
  assert.equal(goString('a<b>&c'), '"a\\u003cb\\u003e\\u0026c"');
  assert.equal(goString('\u2028\u2029'), '"\\u2028\\u2029"');
  assert.equal(goString('\b\f\n\r\t\x01"\\'), '"\\u0008\\u000c\\n\\r\\t\\u0001\\"\\\\"');
  assert.equal(goString('café ✓'), '"café ✓"');
  assert.equal(goString('\ud800x'), '"\ufffdx"');
});

test('raw values are compacted and HTML-escaped but keep their spelling', () => {
  const raw = Buffer.from('{ "a" : [1.0E+2, "\\u00e9\\/ <x> & y" ,\n true ] ,"s":"\u2028"}');
  assert.equal(compactRaw(raw).toString(), '{"a":[1.0E+2,"\\u00e9\\/ \\u003cx\\u003e \\u0026 y",true],"s":"\\u2028"}');
});

test('maps sort keys byte-wise (upper case first); structs keep field order; no trailing newline', () => {
  const m = new GoMap(new Map<string, never>([['b', 1 as never], ['Size', 2 as never], ['a', new Raw(Buffer.from(' null ')) as never]]));
  assert.equal(marshal(m).toString(), '{"Size":2,"a":null,"b":1}');
  assert.equal(marshal(new GoStruct([['z', true], ['a', [null, 'x']]])).toString(), '{"z":true,"a":[null,"x"]}');
});

test('a raw object decodes with the last duplicate key winning and values as original bytes', () => {
  const m = parseRawObject(Buffer.from('{"k":1,"x":{"y" : 2.50},"k":"last","\\u0041":true}'));
  assert.deepEqual([...m.keys()], ['x', 'k', 'A']);
  assert.equal(m.get('x')!.toString(), '{"y" : 2.50}');
  assert.equal(m.get('k')!.toString(), '"last"');
  assert.throws(() => parseRawObject(Buffer.from('{"a":1,}')));
  assert.throws(() => parseRawObject(Buffer.from('[1]')));
});

test('times are re-serialised like Go time.Time: trailing zeros trimmed, zero offset as Z', () => {
  assert.equal(goTimeReformat('2015-10-31T22:22:54.690851950Z'), '2015-10-31T22:22:54.69085195Z');
  assert.equal(goTimeReformat('2015-10-31T22:22:54.000Z'), '2015-10-31T22:22:54Z');
  assert.equal(goTimeReformat('2015-10-31T22:22:54.1234567891234+00:00'), '2015-10-31T22:22:54.123456789Z');
  assert.equal(goTimeReformat('2015-10-31T22:22:54+02:00'), '2015-10-31T22:22:54+02:00');
  assert.throws(() => goTimeReformat('2015-02-30T00:00:00Z'));
  assert.throws(() => goTimeReformat('yesterday'));
});
