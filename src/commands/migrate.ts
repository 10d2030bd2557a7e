import { Command, Errors, Flags } from '@oclif/core';
import { cpus } from 'node:os';
import { migrate } from '../pipeline.js';
import { progressReporter } from '../report/progress.js';
import { renderText } from '../report/text.js';
import { EXIT, failureLine } from '../report/errors.js';
import { audit } from '../audit/index.js';
import { renderAudit } from '../report/audit-text.js';
import { writeGraph } from '../report/graph.js';

export default class Migrate extends Command {
  static override summary = 'Migrate a legacy (Docker 1.6–1.9) or CAS-era aufs/overlay/vfs (Docker 1.10–23) data root to the overlay2 layout of current dockerd.';

  static override description = `Reads graph/, the legacy driver's layer dirs, repositories-<driver>, containers/ and
linkgraph.db, computes every layer's DiffID exactly as Docker 1.10 did (reassembling the tar from
tar-data.json.gz, or regenerating it when that is missing or damaged), converts the v1 image JSON
into v2 image configs, and writes image/overlay2/ and overlay2/ so that dockerd 20.10+ with
--storage-driver overlay2 sees every image, tag and stopped container.

A CAS-era root (Docker 1.10–23: image/aufs/, image/overlay/ or image/vfs/ with layers or images)
is migrated from that store instead: image, layer and container IDs are kept, the image store is
carried over byte for byte, and every layer's tar-split is reassembled over the driver's files and
must hash to its recorded DiffID before anything is made visible (a mismatch stops the run naming
the layer and the file). Containers keep their ids and mount ids; config.v2.json gets
"Driver": "overlay2" (the original is kept beside it for rollback). If the root also holds a
pre-1.10 graph/, that is a leftover of the 1.10 in-place migration and is not read.

Legacy drivers: aufs, overlay (v1), vfs and btrfs, detected from the root (exactly one may hold
data; --driver picks one when several do). devicemapper and zfs roots are refused with what to do
instead (docs/drivers.md). On overlay, vfs and btrfs, where layers are full trees, each overlay2
diff dir gets only that layer's own entries.

Image layer files are hardlinked from the legacy dirs (no extra disk; reflinked across btrfs
subvolumes; copied only when --target is on another filesystem). Containers' writable data is copied, so a restarted container never
changes the legacy copy. The legacy data is not modified, with two documented additions for
containers migrated in place: containers/<id>/config.v2.json, and, where links are rebuilt from
linkgraph.db, a new hostconfig.json (the original kept as hostconfig.json.pre-cas-migrate).

The new layout is built in <target>/.cas-migrate-staging, verified, and made visible by renames at
the end, so dockerd never sees half a layout. <target>/.cas-migrate.json records how far it got:
after a kill at any moment, running the same command again finishes the same migration. A rerun
on a migrated root is a sync: layers pulled since are migrated, removed ones removed, tags and
containers follow; layers whose inputs are unchanged are not read again, and an unchanged root is
"up to date" (nothing written). --force redoes it all.

It may run while the legacy daemon runs (as a privileged container with --pid=host, before the
upgrade, as often as you like): such a pass is provisional — running containers wait, and
nothing the legacy daemon reads is written — and exits 5. After the daemon stops, one more pass
finishes the job in seconds. A current dockerd (overlay2) on the root is refused.

Exit codes:
  0  migrated: every image, tag and container (warnings, if any, are in the report)
  1  the root cannot be migrated: one line names the layer and the file; nothing was made visible
     (a tag that cannot be carried over is such a stop, unless --allow-tag-loss)
  2  usage error (bad flags)
  3  migrated, but something was left out: containers skipped, or tags dropped with
     --allow-tag-loss (each is named with its reason in the report)
  5  provisional: a legacy daemon was running; run again after it stops (running containers
     and rebuilt links wait for that pass)
With --dry-run:
  0  the migration would run cleanly
  4  the migration would work, with warnings (Path B fallbacks, containers it would skip, …)
  1  the migration would stop (the findings say where)`;

  static override examples = [
    { description: 'Migrate the default root in place (beside the legacy data):', command: '<%= config.bin %> --root /var/lib/docker' },
    { description: 'Write the new layout to another directory, keeping the source untouched:', command: '<%= config.bin %> --root /mnt/old-docker --target /mnt/new-docker' },
    { description: 'Machine-readable report for scripts:', command: '<%= config.bin %> --root /var/lib/docker --json > report.json' },
    { description: 'Audit first: what is there, what is shared, what the migration would do (writes nothing):', command: '<%= config.bin %> --root /var/lib/docker --dry-run' },
    { description: 'Audit with DiffIDs and image IDs computed in memory, and a picture of the layer sharing:', command: '<%= config.bin %> --root /var/lib/docker --dry-run --checksum --graph sharing.svg' },
  ];

  static override flags = {
    root: Flags.string({ description: 'legacy Docker data root to read', default: '/var/lib/docker' }),
    target: Flags.string({ description: 'data root to write image/overlay2 and overlay2 into (default: --root)' }),
    workers: Flags.integer({ description: 'checksum worker threads (default: CPU count)', min: 1 }),
    driver: Flags.string({ description: 'legacy graph driver to read when the root holds data for several (devicemapper and zfs are refused)', options: ['aufs', 'overlay', 'vfs', 'btrfs', 'devicemapper', 'zfs'] }),
    json: Flags.boolean({ description: 'print the report as one JSON document on stdout' }),
    quiet: Flags.boolean({ char: 'q', description: 'no progress output; only the report (or errors)' }),
    strict: Flags.boolean({ description: 'stop on a layer whose tar-data is present but unusable, instead of regenerating its tar (Path B) with a warning' }),
    force: Flags.boolean({ description: 'redo a migration that already finished on this target (its layout is removed first)' }),
    'allow-tag-loss': Flags.boolean({ description: 'migrate even when some tags cannot be carried over (a tag naming a missing layer, a name or tag Docker refuses, another driver\'s repositories file); each dropped tag is named in the report and the exit code is 3. Without it such a root stops with one line naming the file and the tags' }),
    'dry-run': Flags.boolean({ description: 'audit the root and the plan; write nothing under it' }),
    checksum: Flags.boolean({ description: 'with --dry-run: also compute DiffIDs, ChainIDs and image IDs (in memory)', dependsOn: ['dry-run'] }),
    graph: Flags.string({ description: 'with --dry-run: write the layer-sharing graph to FILE.dot or FILE.svg (Graphviz)', dependsOn: ['dry-run'] }),
    'ignore-running-daemon': Flags.boolean({ description: 'with --dry-run: audit even while a Docker daemon uses the root', dependsOn: ['dry-run'] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Migrate);
    if (flags['dry-run']) return this.dryRun(flags);
    const progress = progressReporter(process.stderr, flags.quiet ? 'quiet' : flags.json && !process.stderr.isTTY ? 'warnings' : 'full');
    try {
      const report = await migrate({
        root: flags.root, target: flags.target, workers: flags.workers ?? cpus().length, driver: flags.driver, force: flags.force, strict: flags.strict, allowTagLoss: flags['allow-tag-loss'], onEvent: progress.onEvent,
      });
      progress.stop();
      if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else process.stdout.write(renderText(report) + '\n');
      if (report.provisional) this.exit(EXIT.PROVISIONAL);
      if (report.containers.some((c) => c.skipped) || report.refs.skipped.length) this.exit(EXIT.LEFT_OUT);
    } catch (e) {
      if (e instanceof Errors.ExitError) throw e;
      progress.stop();
      process.stderr.write(`cas-migrate: error: ${failureLine(e)}\n`);
      this.exit(EXIT.FAILED);
    }
  }

  private async dryRun(flags: { root: string; target?: string; driver?: string; workers?: number; json: boolean; checksum: boolean; graph?: string; 'ignore-running-daemon': boolean; 'allow-tag-loss': boolean }): Promise<void> {
    try {
      const report = await audit({
        root: flags.root, target: flags.target, driver: flags.driver, workers: flags.workers, checksum: flags.checksum, ignoreRunningDaemon: flags['ignore-running-daemon'], allowTagLoss: flags['allow-tag-loss'],
      });
      if (flags.graph) writeGraph(flags.graph, report.dot);
      if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else process.stdout.write(renderAudit(report) + '\n');
      this.exit({ clean: EXIT.OK, warnings: EXIT.WOULD_WARN, fail: EXIT.FAILED }[report.verdict]);
    } catch (e) {
      if (e instanceof Errors.ExitError) throw e;
      process.stderr.write(`cas-migrate: error: ${failureLine(e)}\n`);
      this.exit(EXIT.FAILED);
    }
  }
}
