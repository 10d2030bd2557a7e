// The checksum pool's longest job (the biggest layer, sent first) keeps its worker thread at the
// process's priority; every later job is a background one, whose worker thread drops to the
// lowest priority (worker.ts), so the small layers stay off the big one's core. Read from the
// kernel: the nice value of each thread of this process (/proc/self/task/*/stat).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runChecksums } from '../../src/checksum/pool.js';
import { checksumJobFor } from '../helpers/layer-tree.js';

let work: string;
before(() => {
  work = mkdtempSync('/tmp/cas-background-');
});
after(() => rmSync(work, { recursive: true, force: true }));

function layer(name: string, files: number, weight: number) {
  const tree = join(work, `${name}-tree`);
  mkdirSync(tree, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(tree, `f${i}`), `${name} ${i}\n`.repeat(i + 1));
  return { ...checksumJobFor(work, name, tree, 'gnu').job, weight };
}

/** Nice values of this process's threads (field 19 of stat; the name before it may hold spaces). */
function niceOfThreads(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

test('only the longest job keeps its priority: the worker that runs the next layer drops to nice 19', async () => {
  const mine = niceOfThreads()[0]!;
  assert.notEqual(mine, 19, 'this process already runs at nice 19: the test would prove nothing');
  const seen: Array<[string, number]> = [];
  const jobs = [layer('small', 20, 1), layer('big', 200, 1000)];
  const r = await runChecksums(jobs, 1, {
    onDone: (d) => seen.push([d.v1Id, niceOfThreads().filter((n) => n === 19).length]),
  });
  assert.equal(r.size, 2);
  // One worker: "big" first at the process's priority, then "small" in the background.
  assert.deepEqual(seen, [['big', 0], ['small', 1]]);
  assert.equal(niceOfThreads()[0], mine, 'the main thread must keep its priority');
});
