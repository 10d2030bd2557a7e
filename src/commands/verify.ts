import { Command, Errors, Flags } from '@oclif/core';
import { cpus } from 'node:os';
import { checkLayout } from '../verify/layout.js';
import { checkLayerData } from '../verify/data.js';
import { progressReporter } from '../report/progress.js';
import { EXIT, failureLine } from '../report/errors.js';

export default class Verify extends Command {
  static override summary = 'Check a Docker overlay2 image store (migrated or written by dockerd) the way dockerd will use it.';

  static override description = `An fsck for image/overlay2 + overlay2 under a data root. It recomputes every layer's DiffID
from its tar-split.json.gz over its diff/ dir (what dockerd does on docker save and push), and
checks that ChainIDs match parent + DiffID, image IDs are the sha256 of their configs, each
config's layers are in the layer store, link ids and lower chains resolve, committed markers are
where overlay2 needs them, container mounts point at existing layers, and no overlay2 dir is an
orphan. It only reads. Stop dockerd first for a consistent answer.

Exit codes:
  0  the store is sound
  1  problems found (each is one line naming the file), or the store cannot be read
  2  usage error`;

  static override examples = [
    { description: 'After a migration, before starting dockerd:', command: '<%= config.bin %> verify --root /var/lib/docker' },
    { description: 'Machine-readable, structure only (skip reading layer data):', command: '<%= config.bin %> verify --root /var/lib/docker --json --no-data' },
  ];

  static override flags = {
    root: Flags.string({ description: 'data root holding image/overlay2 and overlay2', default: '/var/lib/docker' }),
    workers: Flags.integer({ description: 'worker threads for the DiffID check (default: CPU count)', min: 1 }),
    data: Flags.boolean({ description: 'recompute DiffIDs from the layer data', default: true, allowNo: true }),
    json: Flags.boolean({ description: 'print the result as one JSON document on stdout' }),
    quiet: Flags.boolean({ char: 'q', description: 'no progress output' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Verify);
    const root = flags.root.replace(/\/+$/, '') || '/';
    const progress = progressReporter(process.stderr, flags.quiet || flags.json ? 'quiet' : 'full');
    try {
      const layout = await checkLayout(`${root}/image/overlay2`, `${root}/overlay2`);
      if (layout.counts.layers === 0 && layout.counts.images === 0) throw new Error(`${root}/image/overlay2: no overlay2 image store here`);
      const problems = [...layout.problems];
      if (flags.data) {
        progress.onEvent({ kind: 'checksum-start', layers: layout.layers.length });
        problems.push(...(await checkLayerData(layout.layers, flags.workers ?? cpus().length,
          (bytes) => progress.onEvent({ kind: 'bytes', bytes }),
          () => progress.onEvent({ kind: 'layer-checksummed', v1Id: '', diffId: '', path: 'A', seconds: 0 }))));
      }
      progress.stop();
      const result = { root, ...layout.counts, dataChecked: flags.data ? layout.layers.length : 0, problems, verdict: problems.length ? 'problems' : 'clean' };
      if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else {
        const lines = [`verify ${root}: ${layout.counts.layers} layers, ${layout.counts.images} images, ${layout.counts.mounts} container mounts` +
          (flags.data ? `; DiffIDs recomputed for ${layout.layers.length} layers` : '; layer data not read (--no-data)')];
        for (const p of problems) lines.push(`problem: ${p.file}: ${p.message}`);
        lines.push(problems.length ? `${problems.length} problem(s) found.` : 'The store is sound.');
        process.stdout.write(lines.join('\n') + '\n');
      }
      if (problems.length) this.exit(EXIT.FAILED);
    } catch (e) {
      if (e instanceof Errors.ExitError) throw e;
      progress.stop();
      process.stderr.write(`cas-migrate: error: ${failureLine(e)}\n`);
      this.exit(EXIT.FAILED);
    }
  }
}
