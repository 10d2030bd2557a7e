// Extra disk a migration used: the blocks of every inode under the new layout that the legacy
// root does not hold already, each inode counted once (hardlinked layer files cost nothing; the
// directories, metadata files and regenerated tar-splits do). Like `du` over both trees, minus
// the legacy tree.
import { lstatSync } from 'node:fs';
import { walk } from '../src/lib/fs/walk.js';

export async function extraDiskBytes(legacyDirs: string[], newDirs: string[]): Promise<number> {
  const seen = new Set<string>();
  for (const d of legacyDirs) for await (const e of walk(d)) seen.add(`${e.st.dev}:${e.st.ino}`);
  let extra = 0n;
  for (const d of newDirs) {
    extra += lstatSync(d, { bigint: true }).blocks * 512n;
    for await (const { st } of walk(d)) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      extra += st.blocks * 512n;
    }
  }
  return Number(extra);
}
