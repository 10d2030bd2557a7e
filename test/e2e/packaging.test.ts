// npm pack gives a tarball that installs with production dependencies only and runs.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLegacyAufsRoot } from '../helpers/legacy-root.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const work = mkdtempSync('/tmp/cas-pack-');
after(() => rmSync(work, { recursive: true, force: true }));

test('the packed tarball installs without dev dependencies, teaches with --help and migrates a root', () => {
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: REPO, stdio: 'ignore' });
  const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  const list = execFileSync('tar', ['-tzf', join(work, tgz)]).toString();
  assert.match(list, /package\/dist\/src\/commands\/migrate\.js/);
  assert.match(list, /package\/oclif\.manifest\.json/); // a start imports only the command it runs
  assert.doesNotMatch(list, /package\/(dist\/)?test\//);
  const prefix = join(work, 'inst');
  execFileSync('npm', ['install', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', join(work, tgz)], { stdio: 'ignore', timeout: 300_000 });
  assert.ok(!readdirSync(join(prefix, 'node_modules')).includes('typescript'));
  const bin = join(prefix, 'node_modules/.bin/cas-migrate');
  assert.match(execFileSync(bin, ['--version']).toString(), /^cas-migrate\/0\.\d+\.\d+/);
  for (const cmd of [['migrate', '--help'], ['verify', '--help']]) assert.match(execFileSync(bin, cmd).toString(), /EXAMPLES[\s\S]*\$ cas-migrate/);
  const b = buildLegacyAufsRoot(join(work, 'docker'), join(work, 'scratch'), { layers: [{ name: 'x', writer: 'gnu', ops: [{ file: 'f', content: 'f\n' }] }], tags: { x: { latest: 'x' } } });
  assert.match(execFileSync(bin, ['--root', b.root, '-q']).toString(), /1 v1 layers → 1 overlay2 layers/);
  assert.match(execFileSync(bin, ['verify', '--root', b.root, '-q']).toString(), /The store is sound/);
});
