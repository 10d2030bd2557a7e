import { Command, Errors, Flags } from '@oclif/core';
import { rollback } from '../write/rollback.js';
import { EXIT, failureLine } from '../report/errors.js';

export default class Rollback extends Command {
  static override summary = 'Remove what a migration created and leave the legacy data as it was.';

  static override description = `Removes image/overlay2, overlay2, the containers' config.v2.json files and the journal, and
puts back every hostconfig.json the migration swapped (from hostconfig.json.pre-cas-migrate),
exactly as recorded in <target>/.cas-migrate.json. The legacy daemon can then be started again.

Refused when a current dockerd has written to the new layout since the migration (layers, images,
mounts, tags, or containers it loaded): rolling back would lose that. The message says what to do.

Exit codes:
  0  rolled back
  1  refused, or nothing to roll back`;

  static override examples = [{ description: 'Before the new dockerd has been started:', command: '<%= config.bin %> rollback --root /var/lib/docker' }];

  static override flags = {
    root: Flags.string({ description: 'the legacy data root that was migrated', default: '/var/lib/docker' }),
    target: Flags.string({ description: 'where the migration wrote (default: --root)' }),
    json: Flags.boolean({ description: 'print the result as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Rollback);
    try {
      const r = await rollback(flags.root, flags.target);
      if (flags.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else process.stdout.write(`Rolled back. Removed or restored:\n${r.removed.map((x) => `  ${x}`).join('\n')}\n`);
    } catch (e) {
      if (e instanceof Errors.ExitError) throw e;
      process.stderr.write(`cas-migrate: error: ${failureLine(e)}\n`);
      this.exit(EXIT.FAILED);
    }
  }
}
