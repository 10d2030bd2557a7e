// Writes oclif.manifest.json after each build, with @oclif/core's own Plugin loader (the `oclif`
// CLI package would do the same, with a few hundred dependencies more), from the commands the
// bundled CLI lists (src/cli.ts). Before the bundle it kept a start from importing every
// command's module graph; now that all commands are one file, a start with or without it takes
// the same time (--version 0.14-0.18 s either way), and it stays as oclif's documented record of
// the commands and flags, held to them by test/unit/oclif-manifest.test.ts.
import { writeFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}/oclif.manifest.json`;
rmSync(out, { force: true });
const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
const ids = Object.keys(plugin.manifest.commands);
if (ids.length === 0) throw new Error('oclif manifest: no commands found in dist/bundle/cli.js (build first)');
writeFileSync(out, JSON.stringify(plugin.manifest) + '\n');
process.stderr.write(`oclif manifest: ${ids.join(', ')}\n`);
