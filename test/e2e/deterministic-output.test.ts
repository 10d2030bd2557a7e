// Two migrations of copies of one root give the same tree, to the nanosecond: every mtime,
// owner and mode in every diff dir comes from the layer's data, never from the clock — whiteouts
// included (aufs `.wh.` files, tar-split headers, the change walk's deletions). Checked on aufs,
// overlay and vfs roots with stopped containers, by an independent walker (tree-facts.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sampleSpec } from '../../samples/sample-spec.js';
import { buildLegacyRoot, type LegacyDriverName } from '../helpers/legacy-root.js';
import { addLegacyContainers } from '../helpers/legacy-containers.js';
import { runCli } from '../helpers/cli.js';
import { describeMigration } from '../helpers/tree-facts.js';

let work: string;
before(() => {
  work = mkdtempSync('/tmp/cas-determinism-');
});
after(() => rmSync(work, { recursive: true, force: true }));

let tars: Map<string, string> | undefined;

for (const driver of ['aufs', 'overlay', 'vfs'] as LegacyDriverName[]) {
  test(`${driver}: two migrations of copies of one root are identical, whiteouts' times and owners included`, async () => {
    const master = join(work, driver, 'master'), run = join(work, driver, 'docker');
    const built = buildLegacyRoot(master, join(work, driver, 'scratch'), sampleSpec(), driver, tars);
    tars ??= built.tars;
    await addLegacyContainers(built, join(work, driver, 'scratch'), [{
      name: 'keeper', image: 'cmd', imageRef: 'busybox:latest', cmd: ['true'],
      rw: [
        { file: 'data/db', content: 'rows\n', uid: 1000, gid: 1000 }, { hardlink: 'data/db2', target: 'data/db' },
        { whiteout: 'etc/passwd' }, { whiteout: 'home/user' }, { dir: 'opt/app' }, { opaque: 'opt/app' },
      ],
    }]);
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      rmSync(run, { recursive: true, force: true });
      execFileSync('cp', ['-a', master, run]); // same path each time: configs hold absolute paths
      const r = runCli(['--root', run, '-q']);
      assert.equal(r.status, 0, r.stderr);
      runs.push(describeMigration(run));
    }
    const [a, b] = runs.map((s) => s!.split('\n'));
    assert.deepEqual(b!.filter((l) => !a!.includes(l)), [], `${driver}: entries that differ between the two runs`);
    assert.equal(runs[0], runs[1]);
    // The comparison covers what the clock used to decide: whiteout devices with their mtimes.
    const whiteouts = a!.filter((l) => l.includes('"type":"char"') && l.includes('"rdev":0,') && /"mtimeNs":"\d+"/.test(l));
    assert.ok(whiteouts.length >= 3, `${driver}: ${whiteouts.length} whiteouts compared`);
    assert.ok(a!.some((l) => /"sameInode":\["[^"]/.test(l)), 'hard-link groups are compared');
  });
}
