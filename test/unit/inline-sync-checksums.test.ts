// A sync pass checksums its few small changed layers in the main thread (checksum/inline.ts)
// instead of starting workers. Both ways must give the same digests, the same fallback and the
// same failure naming the file, and the rule must send big work to the workers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runChecksums } from '../../src/checksum/pool.js';
import { checksumInline, smallEnoughInline } from '../../src/checksum/inline.js';
import { checksumJobFor } from '../helpers/layer-tree.js';

let work: string;
before(() => {
  work = mkdtempSync('/tmp/cas-inline-');
});
after(() => rmSync(work, { recursive: true, force: true }));

function layer(name: string) {
  const tree = join(work, `${name}-tree`);
  mkdirSync(join(tree, 'etc'), { recursive: true });
  for (let i = 0; i < 30; i++) writeFileSync(join(tree, 'etc', `f${i}`), `pulled file ${i}\n`.repeat(i + 1));
  const { job } = checksumJobFor(work, name, tree, 'bsdtar');
  return { ...job, weight: 10_000 };
}

const plain = (m: Map<string, { diffId: string; path: string; size: number; bytes: number; fallbackReason?: string }>) =>
  [...m.values()].map(({ diffId, path, size, bytes, fallbackReason }) => ({ diffId, path, size, bytes, fallbackReason })).sort((a, b) => a.diffId.localeCompare(b.diffId));

async function failure(p: Promise<unknown>): Promise<{ message: string; file?: string }> {
  try {
    await p;
  } catch (e) {
    return { message: (e as Error).message, file: (e as { file?: string }).file };
  }
  assert.fail('expected a failure');
}

test('inline and worker checksums agree on digests, Path B fallbacks and the failure that names the file', async () => {
  const good = layer('good'), broken = layer('broken');
  unlinkSync(join(broken.fileRoot, 'etc', 'f7'));
  const jobs = [good, broken];
  const inline = await checksumInline(jobs), pooled = await runChecksums(jobs, 2);
  assert.equal(inline.get('broken')?.path, 'B', 'the missing file should have made the layer fall back');
  assert.deepEqual(plain(inline), plain(pooled));

  const strict = jobs.map((j) => ({ ...j, noFallback: true }));
  const a = await failure(checksumInline(strict)), b = await failure(runChecksums(strict, 2));
  assert.match(a.message, /etc\/f7/);
  assert.deepEqual(a, b);
});

test('only a few small layers go inline; more or bigger ones go to the workers', () => {
  const j = (weight: number) => ({ v1Id: 'x', weight, fileRoot: '/', source: { kind: 'dir' as const, dir: '/', excludeAufsMeta: true }, pathBOut: '/x' });
  assert.equal(smallEnoughInline([j(1 << 20)]), true);
  assert.equal(smallEnoughInline([]), false);
  assert.equal(smallEnoughInline([j(9 << 20)]), false);
  assert.equal(smallEnoughInline(Array.from({ length: 9 }, () => j(1))), false);
});
