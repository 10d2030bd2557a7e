// finalize: move the legacy data aside into one dated folder under the root, so that a dockerd
// started without --storage-driver picks overlay2 (formats.md §4.10). A rename: reversible.
import { promises as fsp } from 'node:fs';
import { RootError } from '../discover/records.js';
import { KNOWN_DRIVERS } from '../legacy-drivers/index.js';
import { JOURNAL_NAME, readJournal, writeJournal } from './journal.js';

export interface FinalizeResult {
  folder: string;
  moved: string[];
  undo: string;
}

export async function finalize(rootIn: string): Promise<FinalizeResult> {
  const root = rootIn.replace(/\/+$/, '') || '/';
  const j = await readJournal(root);
  if (!j || j.state !== 'done' || j.target !== root) throw new RootError(`${root}/${JOURNAL_NAME}`, 'no finished in-place migration is recorded here; run cas-migrate first (finalize only applies to --target = --root)');
  if (j.finalizedTo) throw new RootError(j.finalizedTo, 'already finalized: the legacy data was moved here');
  const names = (await fsp.readdir(root)).filter((n) => n === 'graph' || n === 'linkgraph.db' || n.startsWith('repositories-') || (KNOWN_DRIVERS as readonly string[]).includes(n));
  // vfs/ holds pre-1.7 volumes too; only its dir/ layer data is legacy, and a leftover vfs/ is harmless to dockerd.
  const moved = names.filter((n) => n !== 'vfs');
  // A CAS-era root's store (image/aufs, image/overlay, image/vfs) goes too: kept beside the new
  // image/overlay2 it would only be a second copy of the metadata that no dockerd reads.
  const stores = (await fsp.readdir(`${root}/image`).catch(() => [] as string[])).filter((n) => (KNOWN_DRIVERS as readonly string[]).includes(n)).map((n) => `image/${n}`);
  if (moved.length + stores.length === 0) throw new RootError(root, 'no legacy data left to move');
  const day = new Date().toISOString().slice(0, 10);
  let folder = `${root}/legacy-${day}`;
  for (let i = 2; await fsp.lstat(folder).then(() => true, () => false); i++) folder = `${root}/legacy-${day}-${i}`;
  await fsp.mkdir(folder, { mode: 0o700 });
  await writeJournal({ ...j, finalizedTo: folder });
  for (const n of moved) await fsp.rename(`${root}/${n}`, `${folder}/${n}`);
  if (stores.length) await fsp.mkdir(`${folder}/image`, { mode: 0o700 });
  for (const n of stores) await fsp.rename(`${root}/${n}`, `${folder}/${n}`);
  const undo = [
    ...(moved.length ? [`mv ${moved.map((n) => `${folder}/${n}`).join(' ')} ${root}/`] : []),
    ...(stores.length ? [`mv ${stores.map((n) => `${folder}/${n}`).join(' ')} ${root}/image/ && rmdir ${folder}/image`] : []),
    `rmdir ${folder}`,
  ].join(' && ');
  return { folder, moved: [...moved, ...stores], undo };
}
