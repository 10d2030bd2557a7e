// The commands in-process through oclif (@oclif/test's runCommand): help that teaches, flag
// errors as usage errors (exit 2), refusals as one error line (exit 1). The e2e tests run the
// real bin/run.js; these reach every command's parsing without a process per case.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCommand } from '@oclif/test';

const PKG = fileURLToPath(new URL('../../../', import.meta.url));
// print: the capture replaces process.stdout.write, which node --test's child also reports
// through; without passing writes on, the results of earlier tests would be swallowed.
// Command.catch also sets process.exitCode, as the real binary needs; in-process it would fail
// this test file's own exit, so it is cleared after each command.
const run = async (args: string[]) => {
  try {
    return await runCommand(args, { root: PKG }, { print: true });
  } finally {
    process.exitCode = undefined;
  }
};
let empty: string;

before(() => {
  empty = mkdtempSync('/tmp/cas-cli-');
});
after(() => rmSync(empty, { recursive: true, force: true }));

test('the top-level help lists every command', async () => {
  const { stdout } = await run(['--help']);
  for (const c of ['migrate', 'verify', 'rollback', 'finalize']) assert.match(stdout, new RegExp(`^\\s+${c}\\s`, 'm'), c);
});

test('migrate --help shows every flag, the exit codes and examples', async () => {
  const { stdout } = await run(['migrate', '--help']);
  for (const f of ['--root', '--target', '--workers', '--driver', '--json', '--quiet', '--strict', '--force', '--allow-tag-loss', '--dry-run', '--checksum', '--graph', '--ignore-running-daemon'])
    assert.ok(stdout.includes(f), f);
  assert.match(stdout, /Exit codes:\n\s+0 {2}migrated/);
  assert.match(stdout, /3 {2}migrated, but something was left out/);
  assert.match(stdout, /EXAMPLES[\s\S]*--dry-run/);
});

test('bad flags are usage errors (exit 2) and write nothing', async () => {
  for (const args of [['migrate', '--bogus'], ['migrate', '--root', empty, '--workers', '0'], ['migrate', '--root', empty, '--checksum'], ['migrate', '--root', empty, '--driver', 'nope'], ['verify', '--root']]) {
    const { error } = await run(args);
    assert.equal(error?.oclif?.exit, 2, `${args.join(' ')}: ${error?.message}`);
  }
});

test('a root that is not a Docker root is refused with one error line and exit 1, by every command', async () => {
  const m = await run(['migrate', '--root', `${empty}/nowhere`, '-q']);
  assert.equal(m.error?.oclif?.exit, 1);
  assert.equal(m.stderr, `cas-migrate: error: ${empty}/nowhere: not a directory\n`);
  const dry = await run(['migrate', '--root', empty, '--dry-run']);
  assert.equal(dry.error?.oclif?.exit, 1);
  assert.match(dry.stdout, /no legacy graph directory/);
  for (const c of ['verify', 'rollback', 'finalize']) {
    const r = await run([c, '--root', empty]);
    assert.equal(r.error?.oclif?.exit, 1, `${c}: ${r.stdout}${r.stderr}`);
    assert.ok(`${r.stdout}${r.stderr}`.trim().length > 0, `${c} says why`);
  }
});
