// kill -9 at seeded random moments of a migration of `root` (workers included: they are threads of
// the killed process), each followed by a rerun: every rerun must exit 0 and end in `want`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN, runCli } from './cli.js';
import { describeMigration } from './tree-facts.js';

/**
 * `restore` puts the root back as it was before the pass; one uninterrupted pass times the
 * window the kills are drawn from. Returns how many kills landed while the pass still ran.
 */
export async function killsThenReruns(root: string, restore: () => void, want: string, kills: number, seed: number, describe = (r: string) => describeMigration(r)): Promise<number> {
  restore();
  const t0 = performance.now();
  assert.equal(runCli(['--root', root, '-q']).status, 0);
  const duration = performance.now() - t0;
  let interrupted = 0;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < kills; i++) {
    restore();
    const child = spawn(process.execPath, [BIN, '--root', root, '-q'], { detached: true, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await new Promise((r) => setTimeout(r, rand() * duration * 1.1));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch { /* already finished */ }
    if ((await exited) === null) interrupted++;
    const again = runCli(['--root', root, '-q']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(describe(root), want, `after kill ${i}`);
  }
  return interrupted;
}
