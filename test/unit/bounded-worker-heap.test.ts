// Checksum workers run with a bounded V8 heap (pool.ts WORKER_LIMITS); a layer that does not fit
// must still get its right DiffID, run again in a worker without the bound, with its progress
// counted once. The bound is made tiny here so that a real layer of long names overflows it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runChecksums, WORKER_LIMITS } from '../../src/checksum/pool.js';
import { checksumJobFor } from '../helpers/layer-tree.js';

let work: string;
before(() => {
  work = mkdtempSync('/tmp/cas-heap-');
});
after(() => rmSync(work, { recursive: true, force: true }));

function layer(name: string, files: number) {
  const tree = join(work, `${name}-tree`);
  for (let i = 0; i < files; i++) {
    const d = join(tree, `dir-${i % 50}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `${'n'.repeat(200)}-${i}`), `file ${i}\n`);
  }
  const { tar, job } = checksumJobFor(work, name, tree, 'gnu');
  return { job, want: 'sha256:' + createHash('sha256').update(readFileSync(tar)).digest('hex'), tarBytes: readFileSync(tar).length };
}

test('a layer that overflows the bounded worker heap is run again without the bound, to the same DiffID, its progress counted once', async () => {
  const { job, want, tarBytes } = layer('long-names', 20000);
  const unbounded: string[] = [];
  let progress = 0;
  const events = { onBytes: (_: string, n: number) => (progress += n), onUnbounded: (id: string) => unbounded.push(id) };
  const small = await runChecksums([job], 1, events, { maxOldGenerationSizeMb: 5, maxYoungGenerationSizeMb: 1 });
  assert.deepEqual(unbounded, ['long-names'], 'the tiny bound did not overflow: this test proves nothing');
  assert.equal(small.get('long-names')?.diffId, want);
  assert.equal(progress, small.get('long-names')?.bytes);
  assert.equal(progress, tarBytes);

  // The real bound holds this layer in one go.
  unbounded.length = 0;
  progress = 0;
  const real = await runChecksums([job], 1, events, WORKER_LIMITS);
  assert.deepEqual(unbounded, []);
  assert.equal(real.get('long-names')?.diffId, want);
});
