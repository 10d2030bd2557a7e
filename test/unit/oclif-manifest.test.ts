// The build writes oclif.manifest.json (scripts/oclif-manifest.js) from the commands the bundled
// CLI lists (src/cli.ts, COMMANDS). oclif trusts both: a command file missing from that list, or a
// stale manifest, would hide a command or a flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

test('the oclif manifest lists every built command with exactly the flags and args its class declares', async () => {
  const manifest = JSON.parse(readFileSync(`${REPO}/oclif.manifest.json`, 'utf8')) as {
    version: string; commands: Record<string, { flags: Record<string, unknown>; args: Record<string, unknown> }>;
  };
  assert.equal(manifest.version, JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8')).version);
  const dir = `${REPO}/dist/src/commands`;
  const ids = readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort();
  assert.deepEqual(Object.keys(manifest.commands).sort(), ids);
  for (const id of ids) {
    const cls = (await import(`${dir}/${id}.js`)).default as { flags?: Record<string, unknown>; args?: Record<string, unknown> };
    assert.deepEqual(Object.keys(manifest.commands[id]!.flags).sort(), Object.keys(cls.flags ?? {}).sort(), `flags of ${id}`);
    assert.deepEqual(Object.keys(manifest.commands[id]!.args).sort(), Object.keys(cls.args ?? {}).sort(), `args of ${id}`);
  }
});
