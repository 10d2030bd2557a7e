// Times set by cas-migrate are exact to the nanosecond, through the native addon and through the
// portable path alike: files, directories, symlinks (their own times), names that are not
// UTF-8, pre-1970 times, atime ≠ mtime. Node's own lutimes is shown to lose the digits, so the
// checks here could fail.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, lutimesSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimes, setTimesPortable } from '../../src/lib/fs/times.js';
import { copyMeta } from '../../src/lib/fs/copy.js';
import { native } from '../../src/lib/native/native.js';

let work: string;
before(() => {
  work = mkdtempSync('/tmp/cas-times-');
});
after(() => rmSync(work, { recursive: true, force: true }));

// (atime, mtime): a double holds ≈ 0.24 µs at this epoch, and libuv cuts to whole µs
const CASES: Array<[bigint, bigint]> = [
  [1448013550_284393300n, 1448013550_284393300n],
  [1448013550_000000001n, 1446330000_999999999n],
  [1733011200_123456000n, 1733011200_123456000n], // whole µs: the portable path's fast case
  [-1_500000001n, -86400_000000007n], // before 1970
  [0n, 0n],
];

function entries(dir: string): Array<string | Buffer> {
  mkdirSync(dir);
  writeFileSync(join(dir, 'file'), 'x');
  mkdirSync(join(dir, 'dir'));
  symlinkSync('/nowhere', join(dir, 'link'));
  const raw = Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x6e, 0xe9, 0xff])]); // "n\xe9\xff": not UTF-8
  writeFileSync(raw, 'y');
  return [join(dir, 'file'), join(dir, 'dir'), join(dir, 'link'), raw];
}

for (const [name, set] of [['native addon', setTimes], ['portable path', setTimesPortable]] as const) {
  test(`${name}: atime and mtime land to the nanosecond on files, dirs, symlinks and non-UTF-8 names`, () => {
    if (name === 'native addon') assert.ok(native?.lutimens, 'the addon is built on this machine kind');
    const paths = entries(join(work, name.replace(' ', '-')));
    for (const p of paths) {
      for (const [a, m] of CASES) {
        set(p, a, m);
        const st = lstatSync(p, { bigint: true });
        assert.deepEqual([st.atimeNs, st.mtimeNs], [a, m], `${p.toString()} ${a} ${m}`);
      }
    }
    // the symlink's own times were set, not its (absent) target's
    assert.ok(lstatSync(paths[2]!).isSymbolicLink());
  });
}

test('Node\'s lutimes alone would lose the sub-microsecond digits (what the two paths above avoid)', () => {
  const p = join(work, 'plain');
  writeFileSync(p, '');
  lutimesSync(p, 1448013550.2843933, 1448013550.2843933);
  assert.notEqual(lstatSync(p, { bigint: true }).mtimeNs, 1448013550_284393300n);
});

test('an error names the path and the errno', () => {
  assert.throws(() => setTimes(join(work, 'missing'), 1n, 1n), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && String(e.path).endsWith('missing'));
  assert.throws(() => setTimesPortable(join(work, 'missing'), 1n, 1n));
});

test('copyMeta carries a directory\'s times to the nanosecond', async () => {
  const src = join(work, 'src-dir'), dst = join(work, 'dst-dir');
  mkdirSync(src);
  mkdirSync(dst);
  setTimes(src, 1448013550_284393301n, 1448013550_284393300n);
  await copyMeta(Buffer.from(src), Buffer.from(dst), lstatSync(src, { bigint: true }));
  const st = lstatSync(dst, { bigint: true });
  assert.deepEqual([st.atimeNs, st.mtimeNs], [1448013550_284393301n, 1448013550_284393300n]);
});
