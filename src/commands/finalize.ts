import { Command, Errors, Flags } from '@oclif/core';
import { finalize } from '../write/finalize.js';
import { EXIT, failureLine } from '../report/errors.js';

export default class Finalize extends Command {
  static override summary = 'Move the legacy data aside once the migration is accepted (reversible).';

  static override description = `Moves graph/, the legacy driver dir (aufs/, overlay/, …), repositories-<driver> and
linkgraph.db of a migrated root into one folder <root>/legacy-<date>/, with renames. Afterwards a
dockerd started without --storage-driver picks overlay2 (a leftover legacy driver dir would make it
pick that driver, or refuse to start). Nothing is deleted: the command prints how to undo it, and
deleting the folder later frees only what the migration copied (image layers share their data).

Exit codes:
  0  moved
  1  nothing finalized (no finished migration recorded, or already finalized)`;

  static override examples = [{ description: 'After checking the migrated host:', command: '<%= config.bin %> finalize --root /var/lib/docker' }];

  static override flags = {
    root: Flags.string({ description: 'the migrated data root', default: '/var/lib/docker' }),
    json: Flags.boolean({ description: 'print the result as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Finalize);
    try {
      const r = await finalize(flags.root);
      if (flags.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else process.stdout.write(`Moved ${r.moved.join(', ')} into ${r.folder}.\nTo undo: ${r.undo}\n`);
    } catch (e) {
      if (e instanceof Errors.ExitError) throw e;
      process.stderr.write(`cas-migrate: error: ${failureLine(e)}\n`);
      this.exit(EXIT.FAILED);
    }
  }
}
