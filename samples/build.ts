// Build the bundled sample legacy root: node dist/samples/build.js DIR
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLegacyAufsRoot } from '../test/helpers/legacy-root.js';
import { sampleSpec } from './sample-spec.js';

/** Build the sample into `root`; the original layer tars stay in `keepScratch` when given. */
export function buildSample(root: string, keepScratch?: string): ReturnType<typeof buildLegacyAufsRoot> {
  const scratch = keepScratch ?? mkdtempSync(join(tmpdir(), 'cas-sample-scratch-'));
  try {
    return buildLegacyAufsRoot(root, scratch, sampleSpec());
  } finally {
    if (!keepScratch) rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node dist/samples/build.js DIR\n');
    process.exit(2);
  }
  buildSample(dir);
  process.stdout.write(`legacy aufs sample root built in ${dir}\n`);
}
