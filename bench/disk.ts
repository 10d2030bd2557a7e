// Extra disk a migration used: the blocks of every inode under the new layout that the legacy
// root does not hold already, each inode counted once (hardlinked layer files cost nothing; the
// directories, metadata files and regenerated tar-splits do). Like `du` over both trees, minus
// the legacy tree.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir: string, visit: (key: string, blocks: bigint) => void): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const st = lstatSync(p, { bigint: true });
    visit(`${st.dev}:${st.ino}`, st.blocks * 512n);
    if (e.isDirectory()) walk(p, visit);
  }
}

export function extraDiskBytes(legacyDirs: string[], newDirs: string[]): number {
  const seen = new Set<string>();
  for (const d of legacyDirs) walk(d, (key) => seen.add(key));
  let extra = 0n;
  for (const d of newDirs) {
    const st = lstatSync(d, { bigint: true });
    extra += st.blocks * 512n;
    walk(d, (key, bytes) => {
      if (seen.has(key)) return;
      seen.add(key);
      extra += bytes;
    });
  }
  return Number(extra);
}
