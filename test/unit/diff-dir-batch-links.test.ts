// With the addon, the aufs walk links a directory's plain entries many names a call
// (lib/fs/link-batch.ts, native/links.c); without it, one linkSync each. Both must build the same
// diff dir: the same names (bytes kept), every non-directory the legacy file's own inode, the same
// counts; and a name the batch cannot link comes back to the per-entry code.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AufsDriver } from '../../src/legacy-drivers/aufs.js';
import { batchLinking, linkBatch } from '../../src/lib/fs/link-batch.js';
import { archive, buildTree, extractAufs, type Op } from '../helpers/layer-tree.js';

const AUFS_JS = fileURLToPath(new URL('../../src/legacy-drivers/aufs.js', import.meta.url));
const FILES = 700; // several batches in one directory (the walk flushes every 256 entries)
let work: string, root: string;

before(() => {
  work = mkdtempSync('/tmp/cas-batchlinks-');
  root = join(work, 'docker');
  const ops: Op[] = [{ dir: 'many' }, { dir: 'deep/a/b' }];
  for (let i = 0; i < FILES; i++) ops.push({ file: `many/f${String(i).padStart(4, '0')}`, content: `${i}\n` });
  ops.push(
    { file: 'deep/a/b/leaf', content: 'leaf\n' },
    { symlink: 'deep/dangling', target: '/nowhere/at/all' }, // linked as itself, never followed
    { hardlink: 'deep/a/twin', target: 'deep/a/b/leaf' },
    { rawFile: Buffer.from([0x6c, 0xe9, 0x74, 0xe9]), content: 'latin-1 name\n' }, // "lété" in latin-1: not UTF-8
    { fifo: 'deep/pipe' },
    { whiteout: 'deep/gone' },
    { opaque: 'deep/a' },
  );
  const tree = join(work, 'tree');
  buildTree(tree, ops);
  archive(tree, join(work, 'layer.tar'), 'gnu');
  extractAufs(join(work, 'layer.tar'), join(root, 'aufs', 'diff', 'L'));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Every entry under dir as [raw relative name, inode or 'dir'], sorted. */
function entries(dir: string, rel: Buffer = Buffer.alloc(0)): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const here = rel.length ? Buffer.concat([Buffer.from(`${dir}/`), rel]) : Buffer.from(dir);
  for (const name of readdirSync(here, { encoding: 'buffer' }) as Buffer[]) {
    const r = rel.length ? Buffer.concat([rel, Buffer.from('/'), name]) : name;
    const p = Buffer.concat([Buffer.from(`${dir}/`), r]);
    const st = lstatSync(p);
    out.push([r.toString('hex'), st.isDirectory() ? 'dir' : st.isCharacterDevice() ? `whiteout ${st.rdev}` : String(st.ino)]);
    if (st.isDirectory()) out.push(...entries(dir, r));
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

test('the batched walk builds the diff dir the one-link-at-a-time walk builds: names, inodes, counts', async () => {
  assert.ok(batchLinking, 'the addon is built on this machine kind, so the batch is what runs here');
  const withAddon = join(work, 'with-addon');
  const stats = await new AufsDriver(root).materialise('L', withAddon, 'link');
  const without = join(work, 'without-addon');
  const script = `import { AufsDriver } from ${JSON.stringify(AUFS_JS)};
    const s = await new AufsDriver(process.argv[1]).materialise('L', process.argv[2], 'link');
    console.log(JSON.stringify(s));`;
  const portable = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script, root, without], { env: { ...process.env, CAS_MIGRATE_NATIVE: '0' } }).toString());
  assert.deepEqual(JSON.parse(JSON.stringify(stats)), portable);
  assert.equal(stats.linked, FILES + 5); // the files, the twin, the symlink, the latin-1 name, the fifo
  const a = entries(withAddon), b = entries(without);
  assert.deepEqual(a, b);
  // Every non-directory in the diff dir is the legacy entry itself (a hard link), symlink included.
  const legacy = new Map(entries(join(root, 'aufs', 'diff', 'L')));
  const linked = a.filter(([, ino]) => /^\d+$/.test(ino));
  assert.equal(linked.length, stats.linked);
  for (const [name, ino] of linked) assert.equal(legacy.get(name), ino, Buffer.from(name, 'hex').toString('latin1'));
});

test('names the batch cannot link come back to the caller; a directory that does not open links nothing', () => {
  const src = join(work, 'src'), dst = join(work, 'dst');
  mkdirSync(src);
  mkdirSync(dst);
  for (const n of ['a', 'b', 'c']) writeFileSync(join(src, n), n);
  writeFileSync(join(dst, 'b'), 'already here');
  const names = ['a', 'b', 'missing', 'c'].map((n) => Buffer.from(n));
  assert.deepEqual(linkBatch(src, dst, names).map(String), ['b', 'missing']);
  assert.equal(lstatSync(join(dst, 'a')).ino, lstatSync(join(src, 'a')).ino);
  assert.equal(lstatSync(join(dst, 'c')).ino, lstatSync(join(src, 'c')).ino);
  assert.notEqual(lstatSync(join(dst, 'b')).ino, lstatSync(join(src, 'b')).ino);
  assert.deepEqual(linkBatch(src, join(work, 'no-such-dir'), names).map(String), ['a', 'b', 'missing', 'c']);
});
