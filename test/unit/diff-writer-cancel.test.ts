// After a failure the migration stops linking diff dirs at once. Every aufs layer is queued when
// the checksum stage starts, so waiting for the queue would make a migration that failed in its
// first second link the whole root before it says so: cancel() skips the layers not started and
// stops the one being linked at its next yield; settle() still waits for all of them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AufsDriver } from '../../src/legacy-drivers/aufs.js';
import { DiffWriter } from '../../src/write/diffs.js';
import { createStaging } from '../../src/write/staging.js';
import { archive, buildTree, extractAufs, type Op } from '../helpers/layer-tree.js';

const LAYERS = ['l0', 'l1', 'l2', 'l3'];
const FILES = 2000; // several yields of the aufs walk
let work: string, root: string;
before(() => {
  work = mkdtempSync('/tmp/cas-diffwriter-');
  root = join(work, 'docker');
  const tree = join(work, 'tree');
  const ops: Op[] = [{ dir: 'd' }];
  for (let i = 0; i < FILES; i++) ops.push({ file: `d/f${i}`, content: `${i}\n` });
  buildTree(tree, ops);
  const tar = join(work, 'layer.tar');
  archive(tree, tar, 'gnu');
  for (const id of LAYERS) extractAufs(tar, join(root, 'aufs', 'diff', id));
});
after(() => rmSync(work, { recursive: true, force: true }));

const linked = (driverRoot: string, id: string) => {
  const d = join(driverRoot, id, 'diff', 'd');
  return existsSync(d) ? readdirSync(d).length : 0;
};

test('settle() waits for every queued layer; cancel() skips the queued ones and stops the one being linked', async () => {
  const full = await createStaging(join(work, 'full'));
  const all = new DiffWriter(full, new AufsDriver(root), (id) => id);
  for (const id of LAYERS) all.add(id);
  await all.settle();
  for (const id of LAYERS) assert.equal(linked(full.driverRoot, id), FILES, `${id} fully linked`);

  const cut = await createStaging(join(work, 'cut'));
  const some = new DiffWriter(cut, new AufsDriver(root), (id) => id);
  for (const id of LAYERS) some.add(id);
  await new Promise(setImmediate); // the first layer has started
  await some.cancel();
  assert.ok(linked(cut.driverRoot, 'l0') < FILES, 'the layer being linked stopped at a yield');
  for (const id of LAYERS.slice(1)) assert.equal(existsSync(join(cut.driverRoot, id)), false, `${id} was never started`);
  await assert.rejects(some.take('l1', ''), /the migration failed/);
});
