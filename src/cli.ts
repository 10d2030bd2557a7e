// The CLI as one module: the entry scripts/bundle.js bundles, with @oclif/core, into
// dist/bundle/cli.js, which bin/run.js runs. oclif finds the commands here (package.json's
// "explicit" strategy) instead of importing one file per command from a directory.
import Finalize from './commands/finalize.js';
import Install from './commands/install.js';
import Migrate from './commands/migrate.js';
import Rollback from './commands/rollback.js';
import Verify from './commands/verify.js';

export { execute } from '@oclif/core';

/** Every command by id; test/unit/oclif-manifest.test.ts holds it to src/commands/. */
export const COMMANDS = { finalize: Finalize, install: Install, migrate: Migrate, rollback: Rollback, verify: Verify };
