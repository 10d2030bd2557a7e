// `npm start`: build the sample legacy root in a temp dir, migrate it with the real CLI, print the report.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSample } from './build.js';
import { addLegacyContainers } from '../test/helpers/legacy-containers.js';

const work = mkdtempSync(join(tmpdir(), 'cas-migrate-sample-'));
const root = join(work, 'docker');
const built = buildSample(root, join(work, 'scratch'));
// A stopped container whose writable data exists nowhere else, as on a real host.
await addLegacyContainers(built, join(work, 'scratch'), [{
  name: 'notes', image: 'cmd', imageRef: 'busybox:latest', cmd: ['/bin/cat', '/data/notes.txt'],
  logLines: ['started on the legacy daemon'], rw: [{ file: 'data/notes.txt', content: 'written inside the container\n' }],
}]);
process.stdout.write(`Built a legacy Docker 1.9 aufs root (images, tags, one stopped container) at ${root}\n\n`);
const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const r = spawnSync(process.execPath, [bin, '--root', root], { stdio: 'inherit' });
process.stdout.write(`\nThe migrated root stays at ${root} for inspection.\n`);
process.exit(r.status ?? 1);
