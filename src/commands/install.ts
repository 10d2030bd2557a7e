import { Command, Errors, Flags } from '@oclif/core';
import { installSelfContained } from '../install/self-contained.js';
import { EXIT, failureLine } from '../report/errors.js';

export default class Install extends Command {
  static override summary = 'Copy a self-contained cas-migrate (with its own Node) onto the host, for the final pass.';

  static override description = `Writes DIR/cas-migrate (a launcher), DIR/node and DIR/app/: everything cas-migrate needs, so
that the final pass runs on a host that has no Node and, once the legacy daemon is stopped, no
Docker engine to start the image with. Run it from the image with the host dir mounted; the
copy is replaced whole. The host needs glibc 2.28 or later (x86-64) and coreutils.

Exit codes:
  0  installed
  1  not installed (the error line says why)`;

  static override examples = [
    { description: 'From the image, onto the host:', command: 'docker run --rm -v /opt:/host/opt cas-migrate install --to /host/opt/cas-migrate' },
    { description: 'Then, on the host, after the legacy daemon stopped:', command: '/opt/cas-migrate/cas-migrate --root /var/lib/docker' },
  ];

  static override flags = {
    to: Flags.string({ description: 'directory to install into (replaced whole)', required: true }),
    json: Flags.boolean({ description: 'print what was installed as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Install);
    try {
      const r = installSelfContained(flags.to);
      process.stdout.write(flags.json ? JSON.stringify(r, null, 2) + '\n' : `Installed into ${r.dir}; run ${r.launcher} --root /var/lib/docker\n`);
    } catch (e) {
      if (e instanceof Errors.ExitError) throw e;
      process.stderr.write(`cas-migrate: error: ${failureLine(e)}\n`);
      this.exit(EXIT.FAILED);
    }
  }
}
