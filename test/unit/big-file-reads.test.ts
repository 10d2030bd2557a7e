// Big files are read off the hashing thread: by the CRC helper thread (portable path) or on a
// libuv thread (native addon, which maps them). Either way the hashing thread must see exactly the file's bytes,
// in order, and get the CRC-64 of the whole file, also when the helper takes over in the middle;
// a file that ends early or cannot be read fails as it would in this thread, and the machinery
// is ready for the next file afterwards. The portable wiring is checked end to end in a child
// without the addon.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Crc64, crc64 } from '../../src/lib/crc64/crc64.js';
import { CrcOffload } from '../../src/lib/crc64/offload.js';
import { ShortReadError } from '../../src/lib/fs/read-errors.js';
import { native } from '../../src/lib/native/native.js';
import { copyReadAhead } from '../../src/lib/tarsplit/readahead.js';
import { OFFLOAD_MIN } from '../../src/lib/tarsplit/assemble.js';

const MiB = 1 << 20;
let work: string, file: string, bytes: Buffer;
before(() => {
  work = mkdtempSync('/tmp/cas-bigfile-');
  file = join(work, 'big');
  bytes = randomFillSync(Buffer.alloc(9 * MiB + 12_345)); // more than two 4 MiB slots or chunks, not a multiple
  writeFileSync(file, bytes);
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Run `copy` over an open fd of `path`, collecting what reaches the sink. */
async function collect(path: string, copy: (fd: number, sink: (c: Buffer) => void) => Buffer | Promise<Buffer>): Promise<{ crc: Buffer; seen: Buffer }> {
  const fd = openSync(path, 'r');
  const parts: Buffer[] = [];
  try {
    const crc = await copy(fd, (c) => parts.push(Buffer.from(c))); // copied: the chunk is reused
    return { crc: Buffer.from(crc), seen: Buffer.concat(parts) };
  } finally {
    closeSync(fd);
  }
}

async function helperUp(): Promise<CrcOffload> {
  const off = CrcOffload.get();
  while (!off.ready()) await new Promise((r) => setTimeout(r, 5));
  return off;
}

test('the CRC helper thread reads a file from any offset on, going on from the CRC begun on this thread', async () => {
  const off = await helperUp();
  for (const at of [0, 1, 5 * MiB, bytes.length - 1, bytes.length]) {
    const head = new Crc64();
    head.update(bytes.subarray(0, at));
    const r = await collect(file, (fd, sink) => off.copy(fd, at, bytes.length - at, head.save(), sink));
    assert.ok(r.seen.equals(bytes.subarray(at)), `bytes from ${at}`);
    assert.ok(r.crc.equals(crc64(bytes)), `CRC with the handover at ${at}`);
  }
});

test('the CRC helper thread: a file that ends early, a read error, a sink that throws; the next file is right', async () => {
  const off = await helperUp();
  await assert.rejects(collect(file, (fd, sink) => off.copy(fd, 0, bytes.length + 1, new Uint8Array(0), sink)), ShortReadError);
  await assert.rejects(collect(work, (fd, sink) => off.copy(fd, 0, 10, new Uint8Array(0), sink)), { code: 'EISDIR' });
  await assert.rejects(
    collect(file, (fd) => off.copy(fd, 0, bytes.length, new Uint8Array(0), () => { throw new Error('sink failed'); })),
    /sink failed/,
  );
  const r = await collect(file, (fd, sink) => off.copy(fd, 0, bytes.length, new Uint8Array(0), sink));
  assert.ok(r.seen.equals(bytes) && r.crc.equals(crc64(bytes)));
});

test('native read-ahead: the same bytes and CRC; a file that ends early, a read error, a sink that throws; the next file is right', { skip: native ? false : 'the native addon is not built' }, async () => {
  const addon = native!;
  const bufs: [Buffer, Buffer] = [Buffer.alloc(2 << 20), Buffer.alloc(2 << 20)];
  const r = await collect(file, (fd, sink) => copyReadAhead(addon, fd, bytes.length, sink, bufs));
  assert.ok(r.seen.equals(bytes) && r.crc.equals(crc64(bytes)));
  await assert.rejects(collect(file, (fd, sink) => copyReadAhead(addon, fd, bytes.length + 1, sink, bufs)), ShortReadError);
  await assert.rejects(collect(work, (fd, sink) => copyReadAhead(addon, fd, 10, sink, bufs)), { code: 'EISDIR' });
  await assert.rejects(collect(file, (fd) => copyReadAhead(addon, fd, bytes.length, () => { throw new Error('sink failed'); }, bufs)), /sink failed/);
  const again = await collect(file, (fd, sink) => copyReadAhead(addon, fd, bytes.length, sink, bufs));
  assert.ok(again.seen.equals(bytes) && again.crc.equals(crc64(bytes)));
});

test('native mapped reads: a file truncated while a window is mapped fails as a short read, without ending the process; the next file is right', { skip: typeof native?.mapRangeAsync === 'function' ? false : 'the native addon is not built (or predates mapped reads)' }, async () => {
  const addon = native!;
  const bufs: [Buffer, Buffer] = [Buffer.alloc(2 << 20), Buffer.alloc(2 << 20)];
  // Truncated by the sink, so while one window is being hashed and the next is mapped: touching
  // their vanished pages raises SIGBUS, which the addon contains. Cut in the last window, after
  // it was mapped and CRC'd, only the window's own note of the fault can tell: its CRC is right.
  // Cut inside the last page, no page vanishes (the kernel zeroes the page's tail): only the
  // file's size, looked at once the window is hashed, can tell.
  for (const [at, cut] of [[1, 0], [1, 3 * MiB + 5], ['last', 9 * MiB], ['last', bytes.length - 50]] as const) {
    const victim = join(work, 'victim');
    writeFileSync(victim, bytes);
    let calls = 0, seen = 0;
    const sink = (c: Buffer) => {
      seen += c.length;
      if (at === 'last' ? seen === bytes.length : calls === at) truncateSync(victim, cut);
      calls++;
      c.reduce((a, b) => a ^ b, 0); // reads every byte of the window, as SHA-256 does
    };
    await assert.rejects(collect(victim, (fd) => copyReadAhead(addon, fd, bytes.length, sink, bufs)), ShortReadError, `cut at ${cut}`);
  }
  // A window shows the file's bytes; after unmapRange it is detached, so no view reaches the unmapped pages.
  const fd = openSync(file, 'r');
  try {
    const w = await addon.mapRangeAsync(fd, MiB, MiB, Buffer.alloc(8));
    assert.ok(w instanceof ArrayBuffer && Buffer.from(w).equals(bytes.subarray(MiB, 2 * MiB)));
    const view = new Uint8Array(w);
    assert.equal(addon.unmapRange(w), 0);
    assert.equal(view.length, 0);
    assert.throws(() => addon.unmapRange(w), TypeError);
    assert.equal(await addon.mapRangeAsync(fd, 16 * MiB, MiB, Buffer.alloc(8)), 0, 'past the end of the file');
    assert.ok((await addon.mapRangeAsync(fd, 1, MiB, Buffer.alloc(8))) as number < 0, 'not at a page boundary');
  } finally {
    closeSync(fd);
  }
  const again = await collect(file, (fd, sink) => copyReadAhead(addon, fd, bytes.length, sink, bufs));
  assert.ok(again.seen.equals(bytes) && again.crc.equals(crc64(bytes)));
});

test('without the addon, Path A over big files gives the tar sha256 with the helper from the start, from the middle, or never; a damaged big file fails', () => {
  const tree = join(work, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, 'a-small'), 'small\n');
  writeFileSync(join(tree, 'big1'), randomFillSync(Buffer.alloc(OFFLOAD_MIN + 12_345)));
  writeFileSync(join(tree, 'big2'), randomFillSync(Buffer.alloc(OFFLOAD_MIN * 2)));
  writeFileSync(join(tree, 'z-small'), 'also small\n');
  const tar = join(work, 'layer.tar');
  execFileSync('tar', ['--numeric-owner', '-cf', tar, '-C', tree, '.']);
  const tarSha = 'sha256:' + createHash('sha256').update(readFileSync(tar)).digest('hex');
  const tarData = join(work, 'tar-data.json.gz');
  execFileSync('tar-split', ['disasm', '--no-stdout', '--output', tarData, tar], { stdio: 'ignore' });
  const pathA = fileURLToPath(new URL('../../src/checksum/pathA.js', import.meta.url));
  const nativeJs = fileURLToPath(new URL('../../src/lib/native/native.js', import.meta.url));
  // gate(n): the helper may take over after n questions (one per 1 MiB chunk of a big file).
  const script = `import { checksumPathA } from ${JSON.stringify(pathA)};
    import { native } from ${JSON.stringify(nativeJs)};
    if (native) throw new Error('the addon loaded despite CAS_MIGRATE_NATIVE=0');
    const [tarData, tree] = process.argv.slice(2);
    const gate = (n) => { let asked = 0; return () => ++asked > n; };
    const out = [];
    for (const g of [() => false, () => true, () => true, gate(5), gate(${OFFLOAD_MIN / MiB + 9})]) {
      try { out.push((await checksumPathA(tarData, tree, () => {}, g)).diffId); } catch (e) { out.push(e.message); }
    }
    console.log(JSON.stringify(out));`;
  // A script file, not --input-type=module -e: worker threads inherit the flags, and that one
  // only works with --eval.
  const scriptFile = join(work, 'portable.mjs');
  writeFileSync(scriptFile, script);
  const run = () => JSON.parse(execFileSync(process.execPath, [scriptFile, tarData, tree], { env: { ...process.env, CAS_MIGRATE_NATIVE: '0' } }).toString()) as string[];
  assert.deepEqual(run(), Array(5).fill(tarSha));
  const big = readFileSync(join(tree, 'big2'));
  big[big.length - 1] ^= 1;
  writeFileSync(join(tree, 'big2'), big);
  for (const r of run()) assert.match(r, /file integrity checksum failed for "\.\/big2"/);
});
