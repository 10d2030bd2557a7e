// `npm start`: build the sample legacy root in a temp dir, migrate it with the real CLI, print the report.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSample } from './build.js';

const root = join(mkdtempSync(join(tmpdir(), 'cas-migrate-sample-')), 'docker');
buildSample(root);
process.stdout.write(`Built a legacy Docker 1.9 aufs root at ${root}\n\n`);
const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const r = spawnSync(process.execPath, [bin, '--root', root], { stdio: 'inherit' });
process.stdout.write(`\nThe migrated root stays at ${root} for inspection.\n`);
process.exit(r.status ?? 1);
