// A full description of a tree (names, types, modes, owners, mtimes, xattrs, contents, link
// targets, device numbers), for "nothing changed" checks. atime, ctime and nlink are left out:
// hardlinking a file into the new layout changes them by design (docs/formats.md).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

function xattrs(p: string): string {
  try {
    return execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', p], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString().split('\n').filter((l) => l && !l.startsWith('#')).sort().join(',');
  } catch {
    return '';
  }
}

export function snapshotTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (rel: string) => {
    const p = rel ? `${root}/${rel}` : root;
    const st = lstatSync(p, { bigint: true });
    let what = `mode=${st.mode.toString(8)} uid=${st.uid} gid=${st.gid} mtime=${st.mtimeNs} x=[${xattrs(p)}]`;
    if (st.isFile()) what += ` sha=${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    else if (st.isSymbolicLink()) what += ` link=${readlinkSync(p)}`;
    else if (st.isCharacterDevice() || st.isBlockDevice()) what += ` rdev=${st.rdev}`;
    out.set(rel || '.', what);
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) visit(rel ? `${rel}/${n}` : n);
  };
  visit('');
  return out;
}

export function diffSnapshots(a: Map<string, string>, b: Map<string, string>): string[] {
  const diffs: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) diffs.push(`${k}: ${v} → ${b.get(k) ?? 'missing'}`);
  for (const k of b.keys()) if (!a.has(k)) diffs.push(`${k}: added`);
  return diffs;
}

/** Snapshot of several entries of a root (dirs or files), keyed "<entry>/<path>". */
export function snapshotEntries(root: string, entries: string[]): Map<string, string> {
  return new Map(entries.flatMap((d) => [...snapshotTree(`${root}/${d}`)].map(([k, v]) => [`${d}/${k}`, v] as [string, string])));
}
