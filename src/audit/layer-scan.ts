// What the migration would do with one layer, found by reading only: Path A if its tar-data is
// sound and every payload file is where it says with its size, else Path B; escapes are errors.
import { promises as fsp } from 'node:fs';
import { ConfinedRoot, EscapeError } from '../lib/fs/confined.js';
import { latin1 } from '../lib/fs/gopath.js';
import { joinAbs, walk } from '../lib/fs/walk.js';
import { changesDirs } from '../lib/archive/changes.js';
import { FILE_TYPE } from '../lib/tarsplit/entry.js';
import { openTarSplit, readEntries } from '../lib/tarsplit/reader.js';
import { isAufsMeta } from '../legacy-drivers/aufs.js';
import type { DiffSource } from '../legacy-drivers/driver.js';
import type { Finding } from '../discover/records.js';

export interface LayerScan {
  /** Docker's layer size: regular-file payload bytes. */
  size: number;
  files: number;
  path: 'A' | 'B';
  reason?: string;
  /** Size of the tar-data file (what Path A copies into layerdb). */
  tarDataBytes: number;
  findings: Finding[];
}

/** Sizes of a diff dir as Path B would archive it: a hard link's second name adds no payload. */
export async function scanDir(dir: string, excludeAufsMeta: boolean): Promise<{ size: number; files: number }> {
  let size = 0, files = 0;
  const seen = new Set<bigint>();
  for await (const e of walk(dir, excludeAufsMeta ? (rel, _st, depth) => isAufsMeta(rel, depth) : undefined)) {
    files++;
    if (!e.st.isFile()) continue;
    if (e.st.nlink > 1n) {
      if (seen.has(e.st.ino)) continue;
      seen.add(e.st.ino);
    }
    size += Number(e.st.size);
  }
  return { size, files };
}

/** Sizes of what Path B would archive from a driver's source. */
export async function scanSource(source: DiffSource): Promise<{ size: number; files: number }> {
  if (source.kind === 'dir') return scanDir(source.dir, source.excludeAufsMeta);
  if (source.parentDir === undefined) return scanDir(source.dir, false);
  let size = 0, files = 0;
  const seen = new Set<bigint>();
  for (const c of await changesDirs(source.dir, source.parentDir)) {
    files++;
    if (c.kind === 'delete') continue;
    const st = await fsp.lstat(joinAbs(source.dir, c.path), { bigint: true }).catch(() => undefined);
    if (!st?.isFile() || (st.nlink > 1n && seen.has(st.ino))) continue;
    if (st.nlink > 1n) seen.add(st.ino);
    size += Number(st.size);
  }
  return { size, files };
}

export async function scanLayer(v1Id: string, tarData: string | undefined, fileRoot: string, source: DiffSource): Promise<LayerScan> {
  const findings: Finding[] = [];
  if (tarData) {
    const root = new ConfinedRoot(fileRoot);
    let size = 0, files = 0;
    const input = openTarSplit(tarData);
    try {
      for await (const e of readEntries(input)) {
        if (e.type !== FILE_TYPE) continue;
        files++;
        size += e.size;
        if (e.size === 0) continue;
        const st = root.statFile(latin1(e.name));
        if (st.size !== e.size) throw new Error(`${JSON.stringify(e.name.toString('utf8'))}: size ${st.size} on disk, ${e.size} in tar-data (content changed)`);
      }
      return { size, files, path: 'A', tarDataBytes: (await fsp.stat(tarData)).size, findings };
    } catch (e) {
      if (e instanceof EscapeError) {
        findings.push({ severity: 'error', v1Id, file: tarData, message: `entry ${e.message}: the migration would refuse this layer` });
        return { size, files, path: 'B', reason: e.message, tarDataBytes: 0, findings };
      }
      findings.push({ severity: 'warning', v1Id, file: tarData, message: `would fall back to regenerating the tar (Path B): ${(e as Error).message}` });
    } finally {
      input.destroy();
    }
  }
  const d = await scanSource(source);
  return { ...d, path: 'B', reason: tarData ? 'tar-data unusable' : 'no tar-data.json.gz', tarDataBytes: 0, findings };
}
