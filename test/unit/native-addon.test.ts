// The native addon (native/*.c) against the portable path it replaces: CRC-64 against hash-wasm
// and Go's check value on every length and alignment around the fold blocks, and whole layers
// checksummed both ways (the portable way in
// a child process with CAS_MIGRATE_NATIVE=0) to the same DiffID, the same fallback and the same error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../../src/lib/native/native.js';
import { checksumLayer } from '../../src/checksum/job.js';
import type { ChecksumJob } from '../../src/checksum/types.js';
import { archive, extractAufs } from '../helpers/layer-tree.js';

const { createCRC64 } = createRequire(import.meta.url)('hash-wasm') as typeof import('hash-wasm');
const JOB_JS = fileURLToPath(new URL('../../src/checksum/job.js', import.meta.url));
let work: string;

before(() => {
  work = mkdtempSync('/tmp/cas-native-');
});
after(() => rmSync(work, { recursive: true, force: true }));

test('the native addon is built and loaded on this machine kind (npm install builds it)', () => {
  assert.ok(native, 'build/Release/cas_native.node did not load: see the npm install output');
});

test('native CRC-64 equals hash-wasm Go-ISO on every length and alignment, whole and split, with and without PCLMULQDQ', async () => {
  const addon = native!;
  const ref = await createCRC64('d800000000000000');
  const data = randomBytes(1200);
  const check = Buffer.alloc(8);
  addon.crc64Update(check, Buffer.from('123456789'));
  assert.equal(check.toString('hex'), 'b90956c775a41001');
  let cases = 0;
  for (let off = 0; off < 17; off++) {
    for (let len = 0; len <= 300; len++) {
      const d = data.subarray(off, off + len);
      ref.init();
      ref.update(d);
      const want = ref.digest('hex');
      const fast = Buffer.alloc(8), portable = Buffer.alloc(8), split = Buffer.alloc(8);
      addon.crc64Update(fast, d);
      addon.crc64Update(portable, d, true);
      const cut = (len * 7) >> 4; // the running state carried between two calls
      addon.crc64Update(split, d.subarray(0, cut));
      addon.crc64Update(split, d.subarray(cut));
      assert.deepEqual([fast.toString('hex'), portable.toString('hex'), split.toString('hex')], [want, want, want], `offset ${off} length ${len}`);
      cases++;
    }
  }
  assert.equal(cases, 17 * 301);
  const big = randomBytes(3 << 20);
  ref.init();
  ref.update(big);
  const s = Buffer.alloc(8);
  addon.crc64Update(s, big);
  assert.equal(s.toString('hex'), ref.digest('hex'));
});

// A layer of many small files (several output buffers), empty files, one file big enough to stream,
// and a name that is not UTF-8, written by GNU tar (pax) and described by Go's tar-split;
// "a-early" comes first in the stream and "b-escape/last" right after it, in the same group of opened files.
function buildLayer(name: string): { job: ChecksumJob; dir: string; tar: string } {
  const tree = join(work, `${name}-tree`);
  for (let i = 0; i < 1300; i++) {
    const d = join(tree, `d${i % 7}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `f${i}`), randomBytes((i * 131) % 3000));
  }
  writeFileSync(join(tree, 'a-early'), 'first file of the stream\n');
  writeFileSync(join(tree, 'big.bin'), randomBytes((9 << 20) + 123)); // read ahead in five chunks
  writeFileSync(Buffer.concat([Buffer.from(tree + '/raw-'), Buffer.from([0xff, 0xfe])]), 'raw name\n');
  mkdirSync(join(tree, 'b-escape'));
  writeFileSync(join(tree, 'b-escape', 'last'), 'second file of the stream\n');
  const tar = join(work, `${name}.tar`);
  archive(tree, tar, 'gnu-pax', true); // top-level names in byte order
  const tarData = join(work, `${name}.json.gz`);
  execFileSync('tar-split', ['disasm', '--no-stdout', '--output', tarData, tar], { stdio: 'ignore' });
  const dir = join(work, `${name}-diff`);
  extractAufs(tar, dir);
  return { dir, tar, job: { v1Id: name, tarData, fileRoot: dir, source: { kind: 'dir', dir, excludeAufsMeta: true }, pathBOut: join(work, `${name}-b.json.gz`) } };
}

/** checksumLayer in a child without the addon: the result, or the error message. */
function portable(job: ChecksumJob): unknown {
  const script = `import { checksumLayer } from ${JSON.stringify(JOB_JS)};
    import { native } from ${JSON.stringify(JOB_JS.replace(/checksum\/job\.js$/, 'lib/native/native.js'))};
    if (native) throw new Error('the addon loaded despite CAS_MIGRATE_NATIVE=0');
    const job = JSON.parse(process.argv[1]);
    try { const d = await checksumLayer(job); console.log(JSON.stringify({ diffId: d.diffId, path: d.path, size: d.size, fallbackReason: d.fallbackReason })); }
    catch (e) { console.log(JSON.stringify({ error: e.message })); }`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(job)], { env: { ...process.env, CAS_MIGRATE_NATIVE: '0' } }).toString());
}

async function withAddon(job: ChecksumJob): Promise<unknown> {
  try {
    const d = await checksumLayer(job);
    return JSON.parse(JSON.stringify({ diffId: d.diffId, path: d.path, size: d.size, fallbackReason: d.fallbackReason })); // as the child reports it
  } catch (e) {
    return { error: (e as Error).message };
  }
}

test('Path A with the native loop gives the same DiffID as the portable path and as the archive itself', async () => {
  const { job, tar } = buildLayer('same');
  const want = 'sha256:' + createHash('sha256').update(readFileSync(tar)).digest('hex');
  const ours = await withAddon(job);
  assert.deepEqual(ours, { diffId: want, path: 'A', size: (ours as { size: number }).size });
  assert.deepEqual(portable(job), ours);
});

test('with the addon, errors keep stream order: an early CRC mismatch falls back before a later escape is seen, as in the portable path', async () => {
  const { job, dir } = buildLayer('order');
  const early = join(dir, 'a-early'), original = readFileSync(early);
  writeFileSync(early, original.toString().toUpperCase());
  // A directory swapped for a symlink out of the layer: found while its file is opened, before
  // "a-early", opened in the same group, is read and checked.
  rmSync(join(dir, 'b-escape'), { recursive: true });
  symlinkSync(work, join(dir, 'b-escape'));
  const ours = (await withAddon(job)) as { path: string; fallbackReason: string };
  assert.equal(ours.path, 'B');
  assert.match(ours.fallbackReason, /file integrity checksum failed for "a-early"/);
  assert.deepEqual(portable(job), ours);

  writeFileSync(early, original); // now the escape is the first error
  const escape = (await withAddon(job)) as { error: string };
  assert.match(escape.error, /b-escape\/last.*"b-escape" is a symlink.*refusing to read outside the layer/);
  assert.deepEqual(portable(job), escape);
});

test('a missing file and a grown file fall back with the same reason with and without the addon', async () => {
  const { job, dir } = buildLayer('missing');
  const f5 = join(dir, 'd5', 'f5'), original = readFileSync(f5);
  unlinkSync(f5);
  const gone = (await withAddon(job)) as { fallbackReason: string };
  assert.match(gone.fallbackReason, /"\.\/d5\/f5": ENOENT|"d5\/f5": ENOENT/);
  assert.deepEqual(portable(job), gone);
  writeFileSync(f5, original);
  appendFileSync(join(dir, 'd1', 'f8'), 'x');
  const grown = (await withAddon(job)) as { fallbackReason: string };
  assert.match(grown.fallbackReason, /checksum failed for "d1\/f8"/);
  assert.deepEqual(portable(job), grown);
});
