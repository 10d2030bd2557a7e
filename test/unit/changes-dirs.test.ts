// Docker 1.10's ChangesDirs rules on real trees (formats.md §2.5), the quirks included, and the
// headers a stored tar-split yields for rebuilding a layer from a full tree.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTree, archive, type Op } from '../helpers/layer-tree.js';
import { cloneTree } from '../helpers/full-tree.js';
import { changesDirs } from '../../src/lib/archive/changes.js';
import { headersOf, type SplitHeader } from '../../src/lib/tarsplit/headers.js';
import { openTarSplit, readEntries } from '../../src/lib/tarsplit/reader.js';
import { CAP_NET_BIND } from '../../samples/sample-spec.js';

let work: string;
before(() => {
  work = mkdtempSync('/tmp/cas-changes-');
});
after(() => rmSync(work, { recursive: true, force: true }));

const T = 1446330000;
const parentOps: Op[] = [
  { dir: 'a' }, { file: 'a/keep', content: 'k' }, { dir: 'a-b' }, { file: 'a-b/x', content: 'x' },
  { file: 'grow', content: 'small' }, { file: 'gone', content: 'bye' }, { dir: 'tree/deep' }, { file: 'tree/deep/f', content: 'f' },
  { file: 'cap', content: 'c' }, { file: 'retimed', content: 'r' }, { file: 'nsonly', content: 'n' },
  { file: 'perm', content: 'p', mode: 0o644 }, { file: 'owner', content: 'o' },
];

function trees(copy: 'overlay' | 'vfs') {
  const parent = join(work, `${copy}-parent`), child = join(work, `${copy}-child`);
  buildTree(parent, parentOps);
  cloneTree(parent, child, copy);
  execFileSync('mknod', ['-m', '600', join(parent, 'blk'), 'b', '7', '0']);
  execFileSync('mknod', ['-m', '600', join(child, 'blk'), 'b', '7', '0']);
  utimesSync(join(parent, 'blk'), T, T);
  utimesSync(join(child, 'blk'), T + 50, T + 50); // a block device's time is never compared (S_IFDIR bit quirk)
  // Changes in the child, as a layer would make them (new inodes for changed files).
  rmSync(join(child, 'grow'));
  writeFileSync(join(child, 'grow'), 'bigger now');
  utimesSync(join(child, 'grow'), T, T);
  rmSync(join(child, 'gone'));
  rmSync(join(child, 'tree'), { recursive: true });
  writeFileSync(join(child, 'a/new'), 'n');
  utimesSync(join(child, 'a/new'), T, T);
  utimesSync(join(child, 'a'), T + 99, T + 99); // directory mtimes are ignored
  rmSync(join(child, 'cap'));
  writeFileSync(join(child, 'cap'), 'c');
  execFileSync('setfattr', ['-n', 'security.capability', '-v', '0x' + CAP_NET_BIND, join(child, 'cap')]);
  utimesSync(join(child, 'cap'), T, T);
  rmSync(join(child, 'retimed'));
  writeFileSync(join(child, 'retimed'), 'r');
  utimesSync(join(child, 'retimed'), T + 1, T + 1);
  rmSync(join(child, 'nsonly'));
  writeFileSync(join(child, 'nsonly'), 'n');
  utimesSync(join(child, 'nsonly'), T + 0.25, T + 0.25); // zero ns on one side: the same time
  execFileSync('chmod', ['600', join(child, 'perm')]); // vfs: own inode; overlay: a hardlink shared with the parent
  return { parent, child };
}

const expected = [
  'modify a', 'add a/new', 'modify cap', 'delete gone', 'modify grow', 'modify retimed', 'delete tree',
];

test('vfs copies: every name compared; directory mtimes, block-device times and ns-only differences ignored; ancestors emitted; byte order', async () => {
  const { parent, child } = trees('vfs');
  execFileSync('chown', ['1:1', join(child, 'owner')]);
  const got = (await changesDirs(child, parent)).map((c) => `${c.kind} ${c.path}`);
  assert.deepEqual(got, [...expected, 'modify owner', 'modify perm'].sort((x, y) => Buffer.compare(Buffer.from(x.split(' ')[1]!), Buffer.from(y.split(' ')[1]!))));
});

test('overlay (v1) hardlinked trees give the same changes; a chmod through a shared inode shows in neither tree', async () => {
  const { parent, child } = trees('overlay');
  // chmod on a hardlinked file changes the parent's view too, so it is no change of this layer.
  const got = (await changesDirs(child, parent)).map((c) => `${c.kind} ${c.path}`);
  assert.deepEqual(got, expected);
});

test('the headers of a tar-split: names, types, modes, owners, link targets and xattrs of every entry', async () => {
  const dir = join(work, 'hdr');
  buildTree(dir, [
    { file: 'big', content: Buffer.alloc(70_000, 1), mode: 0o640, uid: 7, gid: 8 }, { hardlink: 'big-again', target: 'big' },
    { symlink: 'to-big', target: 'big' }, { file: 'x'.repeat(120), content: 'long name' }, { chardev: 'null', major: 1, minor: 3 },
    { file: 'capped', content: 'c' }, { xattr: 'capped', name: 'security.capability', hex: CAP_NET_BIND }, { whiteout: 'gone' },
  ]);
  for (const w of ['gnu', 'gnu-pax', 'bsdtar', 'python'] as const) { // python's tarfile and plain GNU format keep no xattrs
    const tar = join(work, `hdr-${w}.tar`), ts = join(work, `hdr-${w}.json.gz`);
    archive(dir, tar, w);
    execFileSync('tar-split', ['disasm', '--no-stdout', '--output', ts, tar], { stdio: 'ignore' });
    const input = openTarSplit(ts);
    const hs = new Map<string, SplitHeader>();
    for await (const h of headersOf(readEntries(input))) hs.set(h.rawName.toString('latin1').replace(/^\.\//, ''), h);
    const get = (n: string) => hs.get(n) ?? assert.fail(`${w}: no ${n} in ${[...hs.keys()].join(',')}`);
    // Which of the two names carries the data is the writer's walk order.
    const [file, link] = get('big').typeflag === 0x30 ? ['big', 'big-again'] : ['big-again', 'big'];
    assert.deepEqual([get(file).mode & 0o7777, get(file).uid, get(file).gid, get(file).size, get(file).typeflag], [0o640, 7, 8, 70_000, 0x30], w);
    assert.equal(get(link).typeflag, 0x31, w);
    assert.match(get(link).linkname, new RegExp(`^(\\./)?${file}$`), w);
    assert.deepEqual([get('to-big').typeflag, get('to-big').linkname], [0x32, 'big'], w);
    assert.equal(get('x'.repeat(120)).name.replace(/^\.\//, ''), 'x'.repeat(120), w);
    assert.deepEqual([get('null').typeflag, get('null').devmajor, get('null').devminor], [0x33, 1, 3], w);
    if (w === 'gnu-pax' || w === 'bsdtar') assert.equal(get('capped').xattrs.get('security.capability')?.toString('hex'), CAP_NET_BIND, w);
    assert.ok(hs.has('.wh.gone'), w);
  }
});
