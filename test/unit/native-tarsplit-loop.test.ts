// Path A's native loop (native/tsassemble.c via assemble-native.ts) against the portable path
// (reader.ts + assemble.ts) on a layer written by GNU tar and described by Go's tar-split: the
// same tar stream, size and file count, or the same error, for Go's own spelling of the lines
// (all taken on by the loop) and for spellings and trees it must leave to JavaScript.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { native } from '../../src/lib/native/native.js';
import { ConfinedRoot } from '../../src/lib/fs/confined.js';
import { assemble } from '../../src/lib/tarsplit/assemble.js';
import { assembleNative } from '../../src/lib/tarsplit/assemble-native.js';
import { openTarSplit, readEntries } from '../../src/lib/tarsplit/reader.js';
import { archive, buildTree, extractAufs, type Op } from '../helpers/layer-tree.js';

let work: string, tar: string, goLines: string[];
const ORIGINAL = 'orig-tree';

const OPS: Op[] = [
  { file: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
  { file: 'empty' },
  { file: 'srv/café/naïve.txt', content: 'unicode\n' },
  { file: 'srv/😀/astral', content: 'outside the BMP\n' },
  { file: 'tab\tand&<name>"q"\\', content: 'escapes in JSON\n' },
  { file: 'usr/lib/big.bin', content: randomBytes((3 << 20) + 5) }, // more than the loop reads itself
  { fifo: 'run/fifo' },
  { symlink: 'lib', target: 'usr/lib' },
  ...Array.from({ length: 400 }, (_, i): Op => ({ file: `usr/share/d${i % 9}/f${i}`, content: randomBytes((i * 977) % 9000) })),
];

before(() => {
  work = mkdtempSync('/tmp/cas-native-loop-');
  const tree = join(work, 'tree');
  buildTree(tree, OPS);
  writeFileSync(Buffer.concat([Buffer.from(tree + '/raw-'), Buffer.from([0xff, 0xfe])]), 'raw name\n');
  tar = join(work, 'layer.tar');
  archive(tree, tar, 'gnu-pax', true);
  const out = join(work, 'go.json.gz');
  execFileSync('tar-split', ['disasm', '--no-stdout', '--output', out, tar], { stdio: 'ignore' });
  goLines = gunzipSync(readFileSync(out)).toString('utf8').split('\n').slice(0, -1);
  extractAufs(tar, join(work, ORIGINAL));
});
after(() => rmSync(work, { recursive: true, force: true }));

type Outcome = { sha: string; size: number; bytes: number; files: number } | { error: string };

async function both(text: string, dir = ORIGINAL): Promise<{ native: Outcome; portable: Outcome; handed: number }> {
  const file = join(work, 'case.json.gz');
  writeFileSync(file, gzipSync(text));
  const run = async (f: (sink: (c: Buffer) => void) => Promise<{ size: number; bytes: number; files: number; handed?: number }>) => {
    const sha = createHash('sha256');
    try {
      const r = await f((c) => void sha.update(c));
      return { outcome: { sha: sha.digest('hex'), size: r.size, bytes: r.bytes, files: r.files }, handed: r.handed ?? 0 };
    } catch (e) {
      return { outcome: { error: (e as Error).message }, handed: -1 };
    }
  };
  const root = join(work, dir);
  const n = await run((sink) => assembleNative(native!, openTarSplit(file), new ConfinedRoot(root), sink));
  const p = await run((sink) => assemble(readEntries(openTarSplit(file)), new ConfinedRoot(root), sink));
  return { native: n.outcome, portable: p.outcome, handed: n.handed };
}

const lines = (ls: string[]) => ls.map((l) => l + '\n').join('');
/** Go's lines with one changed: the first file line whose name matches. */
function withLine(match: (o: Record<string, unknown>) => boolean, change: (line: string, o: Record<string, unknown>) => string): string {
  let done = false;
  const out = goLines.map((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    if (done || !match(o)) return l;
    done = true;
    return change(l, o);
  });
  assert.ok(done, 'no line matched');
  return lines(out);
}
const named = (name: string) => (o: Record<string, unknown>) => o.type === 1 && o.name === name;

test("the native loop takes on every line of Go's own tar-split but the big file's, and gives the archive's bytes", async () => {
  assert.ok(native, 'the addon is not built');
  const r = await both(lines(goLines));
  const want = createHash('sha256').update(readFileSync(tar)).digest('hex');
  assert.equal((r.native as { sha: string }).sha, want);
  assert.deepEqual(r.native, r.portable);
  assert.equal(r.handed, 1); // usr/lib/big.bin, streamed by readahead.ts
  assert.ok((r.native as { files: number }).files > 400);
});

test('files the page cache holds in part or not at all are read whole: what is cached at once, the rest after the advice', async () => {
  assert.ok(native, 'the addon is not built');
  execFileSync('sync');
  // Pages dropped with POSIX_FADV_DONTNEED (Python's os.posix_fadvise; the data is on disk, so
  // the kernel lets them go): the whole of some files, the second page of others, so the loop's
  // first read (RWF_NOWAIT) stops short, at the start or in the middle, and the second pass must
  // go on from where it stopped.
  const drops: Array<[string, number, number]> = [];
  for (let i = 0; i < 400; i += 3) {
    const size = (i * 977) % 9000;
    drops.push([join(work, ORIGINAL, `usr/share/d${i % 9}/f${i}`), size > 4096 && i % 2 ? 4096 : 0, size > 4096 && i % 2 ? 4096 : 0]);
  }
  const partly = drops.filter(([, at]) => at > 0).length;
  assert.ok(partly > 20);
  const script = 'import json, os, sys\nfor path, at, n in json.load(sys.stdin):\n    fd = os.open(path, os.O_RDONLY)\n    os.posix_fadvise(fd, at, n, os.POSIX_FADV_DONTNEED)\n    os.close(fd)\n';
  execFileSync('python3', ['-c', script], { input: JSON.stringify(drops) });
  const r = await both(lines(goLines));
  assert.equal((r.native as { sha: string }).sha, createHash('sha256').update(readFileSync(tar)).digest('hex'));
  assert.deepEqual(r.native, r.portable);
  // Read by the loop itself: a file it got wrong would fail its CRC there and be read again by
  // JavaScript (which reads it right), so only this count shows it.
  assert.equal(r.handed, 1);
});

const SPELLINGS: Array<[string, string, () => string]> = [
  // [what, expect: 'taken' (the loop reads it itself) | 'handed' (left to JavaScript), the text]
  ['keys in another order, with blanks', 'taken', () => lines(goLines.map((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    return ' { ' + Object.keys(o).reverse().map((k) => `"${k}" :\t${JSON.stringify(o[k])}`).join(' , ') + ' }\r';
  }))],
  ['every character of a name escaped, astral ones as surrogate pairs', 'taken', () => withLine(named('srv/😀/astral'), (_, o) =>
    JSON.stringify(o).replace(/"name":"[^"]*"/, '"name":"' + Array.from({ length: 'srv/😀/astral'.length }, (_, i) => '\\u' + 'srv/😀/astral'.charCodeAt(i).toString(16).padStart(4, '0')).join('') + '"'))],
  ['escaped slashes in a name', 'taken', () => withLine(named('etc/passwd'), (l) => l.replace('etc/passwd', 'etc\\/passwd'))],
  ['a name given as name_raw although it is UTF-8', 'taken', () => withLine(named('etc/passwd'), (l) => l.replace('"name":"etc/passwd"', `"name_raw":"${Buffer.from('etc/passwd').toString('base64')}"`))],
  ['a lone surrogate in a name', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace('etc/passwd', 'etc/passwd\\ud800'))],
  ['an escaped key', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace('"size"', '"\\u0073ize"'))],
  ['a key in capitals (Go matches it, case-insensitively)', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace('"name"', '"Name"'))],
  ['an unknown key', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace('{', '{"mode":420,'))],
  ['a repeated key', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace('"size"', '"position":1,"size"'))],
  ['a type spelled 1.0', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace('"type":1', '"type":1.0'))],
  ['a position that is a string', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace(/"position":\d+/, '"position":"x"'))],
  ['a raw invalid UTF-8 byte in a name', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace('etc/passwd', 'etc/passwd\udcff'))],
  ['a NUL escaped into a name', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace('etc/passwd', 'etc/passwd\\u0000'))],
  ['a name climbing out with ..', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace('etc/passwd', '../../etc/passwd'))],
  ['a file listed twice', 'handed', () => { const i = goLines.findIndex((l) => l.includes('"name":"etc/passwd"')); return lines([...goLines.slice(0, i + 1), goLines[i]!.replace('etc/passwd', 'etc/./passwd'), ...goLines.slice(i + 1)]); }],
  ['a null payload for a file with bytes', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace(/"payload":"[^"]*"/, '"payload":null'))],
  ['a CRC of 7 bytes for an empty file', 'handed', () => withLine(named('empty'), (l) => l.replace(/"payload":null/, `"payload":"${Buffer.alloc(7).toString('base64')}"`))],
  ['a CRC that is not base64 for an empty file', 'handed', () => withLine(named('empty'), (l) => l.replace(/"payload":null/, '"payload":"AAAA*AAAAAA="'))],
  ['a CRC of 7 bytes', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace(/"payload":"[^"]*"/, `"payload":"${Buffer.alloc(7).toString('base64')}"`))],
  ['a wrong CRC', 'handed', () => withLine(named('etc/passwd'), (l) => l.replace(/"payload":"[^"]*"/, `"payload":"${Buffer.alloc(8, 7).toString('base64')}"`))],
  ['URL-safe base64 in a payload', 'handed', () => withLine((o) => o.type === 2 && typeof o.payload === 'string' && o.payload.includes('/'), (l) => l.replace(/\//g, '_'))],
  ['an empty line', 'handed', () => lines([...goLines.slice(0, 5), '', ...goLines.slice(5)])],
  ['a truncated last line without newline (dropped by both)', 'taken', () => lines(goLines) + '{"type":1,"name":"zz'],
  ['a last line without newline that is whole', 'handed', () => lines(goLines).slice(0, -1)],
];

for (const [what, expect, text] of SPELLINGS) {
  test(`the native loop and the portable path agree on ${what}`, async () => {
    const r = await both(text());
    assert.deepEqual(r.native, r.portable);
    if (expect === 'taken') assert.equal(r.handed, 1, 'only the big file should be left to JavaScript');
    else if (r.handed >= 0) assert.ok(r.handed > 1, 'the line should have been left to JavaScript');
  });
}

const TREES: Array<[string, (dir: string) => void]> = [
  ['a missing file', (d) => unlinkSync(join(d, 'usr/share/d3/f3'))],
  ['a file that grew', (d) => writeFileSync(join(d, 'usr/share/d4/f4'), 'longer than it was ' + 'x'.repeat(9000))],
  ['a file changed in place', (d) => { const f = join(d, 'usr/share/d5/f5'); const b = readFileSync(f); b[0]! ^= 1; writeFileSync(f, b); }],
  ['a file swapped for a symlink', (d) => { unlinkSync(join(d, 'etc/passwd')); symlinkSync('/etc/passwd', join(d, 'etc/passwd')); }],
  ['a directory swapped for a symlink out of the layer', (d) => { rmSync(join(d, 'usr/share/d1'), { recursive: true }); symlinkSync(work, join(d, 'usr/share/d1')); }],
  ['a file swapped for a FIFO', (d) => { unlinkSync(join(d, 'usr/share/d2/f2')); execFileSync('mkfifo', [join(d, 'usr/share/d2/f2')]); }],
  ['a file swapped for a directory', (d) => { unlinkSync(join(d, 'usr/share/d6/f6')); mkdirSync(join(d, 'usr/share/d6/f6')); }],
  ['a directory swapped for a file', (d) => { rmSync(join(d, 'srv/café'), { recursive: true }); writeFileSync(join(d, 'srv/café'), ''); }],
];

for (const [what, change] of TREES) {
  test(`the native loop gives the portable path's error for ${what}`, async () => {
    const dir = `tree-${TREES.findIndex(([w]) => w === what)}`;
    execFileSync('cp', ['-a', join(work, ORIGINAL), join(work, dir)]);
    change(join(work, dir));
    const r = await both(lines(goLines), dir);
    assert.ok('error' in r.portable, 'the portable path should have failed');
    assert.deepEqual(r.native, r.portable);
  });
}
