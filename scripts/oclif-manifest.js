// Writes oclif.manifest.json after each build, with @oclif/core's own Plugin loader (the `oclif`
// CLI package would do the same, with a few hundred dependencies more). Without a manifest, oclif
// imports every command and its whole module graph to find the one it runs, on every start:
// the manifest makes a start import only that command (docs/performance.md, start-up).
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
