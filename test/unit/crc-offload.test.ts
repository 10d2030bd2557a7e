// Big files' CRC-64 on the helper thread gives the same DiffIDs as on the reading thread, also
// when the helper takes over in the middle of a file; a damaged big file is still caught, and the
// helper is ready for the next file afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checksumPathA } from '../../src/checksum/pathA.js';
import { OFFLOAD_MIN } from '../../src/lib/tarsplit/assemble.js';

let work: string, tree: string, tarData: string, tarSha: string;
before(() => {
  work = mkdtempSync('/tmp/cas-offload-');
  tree = join(work, 'tree');
  mkdirSync(tree);
  // Two big files (one not a multiple of the slot size) around small ones.
  writeFileSync(join(tree, 'a-small'), 'small\n');
  writeFileSync(join(tree, 'big1'), randomFillSync(Buffer.alloc(OFFLOAD_MIN + 12_345)));
  writeFileSync(join(tree, 'big2'), randomFillSync(Buffer.alloc(OFFLOAD_MIN * 2)));
  writeFileSync(join(tree, 'z-small'), 'also small\n');
  const tar = join(work, 'layer.tar');
  execFileSync('tar', ['--numeric-owner', '-cf', tar, '-C', tree, '.']);
  tarSha = 'sha256:' + createHash('sha256').update(readFileSync(tar)).digest('hex');
  tarData = join(work, 'tar-data.json.gz');
  execFileSync('tar-split', ['disasm', '--no-stdout', '--output', tarData, tar], { stdio: 'ignore' });
});
after(() => rmSync(work, { recursive: true, force: true }));

/** A gate that opens after `closedFor` questions (a worker elsewhere finishing its last layer). */
const gate = (closedFor: number) => {
  let asked = 0;
  return () => ++asked > closedFor;
};

test('with and without the CRC helper thread, Path A gives the tar sha256; a damaged big file fails, and the helper recovers', async () => {
  const never = () => false, always = () => true;
  assert.equal((await checksumPathA(tarData, tree, () => {}, never)).diffId, tarSha, 'no helper');
  assert.equal((await checksumPathA(tarData, tree, () => {}, always)).diffId, tarSha, 'helper from the start (or once it is up)');
  assert.equal((await checksumPathA(tarData, tree, () => {}, always)).diffId, tarSha, 'helper from the start');
  // The helper is up now: opening the gate after 5 MiB of big1 hands its CRC over mid-file.
  assert.equal((await checksumPathA(tarData, tree, () => {}, gate(5))).diffId, tarSha, 'helper from the middle of big1');
  assert.equal((await checksumPathA(tarData, tree, () => {}, gate(OFFLOAD_MIN / 2 ** 20 + 9))).diffId, tarSha, 'helper from the middle of big2');
  const big = readFileSync(join(tree, 'big2'));
  const damaged = Buffer.from(big);
  damaged[damaged.length - 1] ^= 1;
  writeFileSync(join(tree, 'big2'), damaged);
  await assert.rejects(checksumPathA(tarData, tree, () => {}, gate(40)), /file integrity checksum failed for "\.\/big2"/);
  writeFileSync(join(tree, 'big2'), big);
  assert.equal((await checksumPathA(tarData, tree, () => {}, always)).diffId, tarSha);
});
