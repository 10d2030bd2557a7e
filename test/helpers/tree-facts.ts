// An independent description of trees (Python's os.lstat and xattr calls, not the product's
// code): per entry its type, mode, owner, nanosecond mtime, size, content hash, link target,
// device and xattrs, and which entries share an inode. Used to compare migrated diff dirs
// with the legacy data they came from, and two migrations of one root with each other.
import { execFileSync } from 'node:child_process';

export interface Facts {
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  mode: number;
  uid: number;
  gid: number;
  /** Nanoseconds since the epoch, as a decimal string (exact). */
  mtimeNs: string;
  size: number;
  sha?: string;
  link?: string;
  rdev?: number;
  xattrs: Record<string, string>;
  /** Names (relative) of the other entries of the walked trees that share this inode. */
  sameInode: string[];
}

const WALK = `
import hashlib, json, os, stat, sys
roots, replace = [(os.fsencode(l), os.fsencode(r)) for l, r in json.loads(sys.argv[1])], os.fsencode(sys.argv[2])
TYPES = [(stat.S_ISREG, 'file'), (stat.S_ISDIR, 'dir'), (stat.S_ISLNK, 'symlink'), (stat.S_ISCHR, 'char'), (stat.S_ISBLK, 'block'), (stat.S_ISFIFO, 'fifo'), (stat.S_ISSOCK, 'socket')]
out, inodes = {}, {}
def visit(label, top, rel):
    p = os.path.join(top, rel) if rel else top
    st = os.lstat(p)
    key = os.fsdecode(os.path.join(label, rel) if label else (rel or b'.'))
    f = {'type': next(n for t, n in TYPES if t(st.st_mode)), 'mode': stat.S_IMODE(st.st_mode), 'uid': st.st_uid, 'gid': st.st_gid,
         'mtimeNs': str(st.st_mtime_ns), 'size': st.st_size, 'xattrs': {}, 'sameInode': []}
    if stat.S_ISREG(st.st_mode):
        data = open(p, 'rb').read()
        if replace: data = data.replace(replace, b'<ROOT>')
        f['sha'] = hashlib.sha256(data).hexdigest()
    elif stat.S_ISLNK(st.st_mode): f['link'] = os.fsdecode(os.readlink(p))
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode): f['rdev'] = st.st_rdev
    for k in sorted(os.listxattr(p, follow_symlinks=False)):
        f['xattrs'][k] = os.getxattr(p, k, follow_symlinks=False).hex()
    out[key] = f
    if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1: inodes.setdefault((st.st_dev, st.st_ino), []).append(key)
    if stat.S_ISDIR(st.st_mode):
        for n in sorted(os.listdir(p)): visit(label, top, os.path.join(rel, n) if rel else n)
for label, r in roots:
    if os.path.lexists(r): visit(label, r, b'')
for names in inodes.values():
    for n in names: out[n]['sameInode'] = sorted(x for x in names if x != n)
json.dump(out, sys.stdout, sort_keys=True)
`;

/**
 * Facts of every entry below `dir` (keys relative, "." the dir itself). With several dirs given
 * as label → path, keys start with the label (a missing dir is left out). `replaceRoot`: this
 * path's bytes in file contents read as "<ROOT>" (container configs hold absolute paths).
 */
export function treeFacts(dir: string | Record<string, string>, replaceRoot = ''): Map<string, Facts> {
  const dirs = typeof dir === 'string' ? [['', dir]] : Object.entries(dir);
  const text = execFileSync('python3', ['-c', WALK, JSON.stringify(dirs), replaceRoot], { maxBuffer: 1 << 30, encoding: 'utf8' });
  return new Map(Object.entries(JSON.parse(text) as Record<string, Facts>));
}

/**
 * What a migration made of `root`, for comparing two migrations of one root (or a resumed one
 * with an uninterrupted one): every entry of image/overlay2, overlay2 and containers with its
 * facts, hard-link groups included. mtimes count where they come from the data — everything in
 * a layer's diff/ and the legacy container dirs; the files cas-migrate writes itself (metadata,
 * link files, work dirs, config.v2.json) carry the time they were written. Nothing needs
 * normalising but the root's own path (`pathInContents`, where a copy's configs name the original's):
 * cache ids, link ids and mount ids are derived, not random.
 */
export function describeMigration(root: string, pathInContents = root): string {
  const facts = treeFacts({ 'image/overlay2': `${root}/image/overlay2`, overlay2: `${root}/overlay2`, containers: `${root}/containers` }, pathInContents);
  const lines: string[] = [];
  for (const [k, f] of [...facts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const fromData = /^overlay2\/[^/]+\/diff(\/|$)/.test(k) || (/^containers\//.test(k) && !/\/(config\.v2\.json|hostconfig\.json)$/.test(k));
    lines.push(`${k} ${JSON.stringify({ ...f, mtimeNs: fromData ? f.mtimeNs : undefined, size: f.type === 'dir' ? undefined : f.size })}`);
  }
  return lines.join('\n');
}

/** Set every entry's mtime (and atime) below `dir` to its whole second plus a sub-microsecond fraction
 * that a double cannot carry at today's epoch, the same for the same path and second (so a tree
 * copied from its parent keeps its parent's times where they were equal). */
export function retimeNs(dir: string): void {
  // An inode's time comes from its first name in byte order, so that every name of a hard-linked
  // file agrees whatever order the directory lists them in.
  execFileSync('python3', ['-c', `
import os, sys, zlib
top = os.fsencode(sys.argv[1])
entries, first = [], {}
for dirpath, dirnames, filenames in os.walk(top):
    for n in [b''] + dirnames + filenames:
        p = os.path.join(dirpath, n) if n else dirpath
        st = os.lstat(p)
        rel = os.path.relpath(p, top)
        entries.append((p, rel, st))
        k = (st.st_dev, st.st_ino)
        if k not in first or rel < first[k]: first[k] = rel
for p, rel, st in entries:
    frac = 100000000 + (zlib.crc32(first[(st.st_dev, st.st_ino)]) * 7919 + st.st_mtime_ns // 10**9) % 899999999
    if frac % 1000 == 0: frac += 301
    t = (st.st_mtime_ns // 10**9) * 10**9 + frac
    os.utime(p, ns=(t, t), follow_symlinks=False)
`, dir]);
}

const OPAQUE = 'trusted.overlay.opaque';
const parentKey = (k: string) => (k.includes('/') ? k.slice(0, k.lastIndexOf('/')) : '.');
const baseName = (k: string) => k.slice(k.lastIndexOf('/') + 1);
const isWhiteoutDevice = (f: Facts) => f.type === 'char' && f.rdev === 0;

function sameEntry(k: string, want: Facts, got: Facts | undefined, ignoreXattr?: string): string[] {
  if (!got) return [`${k}: missing`];
  const problems: string[] = [];
  for (const field of ['type', 'mode', 'uid', 'gid', 'mtimeNs', 'sha', 'link', 'rdev'] as const)
    if (want[field] !== got[field]) problems.push(`${k}: ${field} ${String(want[field])} → ${String(got[field])}`);
  const x = (f: Facts) => JSON.stringify(Object.entries(f.xattrs).filter(([n]) => n !== ignoreXattr).sort());
  if (x(want) !== x(got)) problems.push(`${k}: xattrs ${x(want)} → ${x(got)}`);
  return problems;
}

/**
 * How an overlay2 diff dir differs from the aufs branch it was made from, by the conversion's
 * rules (formats.md §4.8): every entry kept with its mode, owner, xattrs, content and mtime to
 * the nanosecond; `.wh.<name>` becomes a 0:0 char device with the `.wh.` file's owner and times;
 * `.wh..wh..opq` becomes trusted.overlay.opaque; the top-level aufs metadata is gone.
 */
export function aufsConversionProblems(aufsDir: string, diffDir: string): string[] {
  const src = treeFacts(aufsDir), dst = treeFacts(diffDir);
  const problems: string[] = [];
  const expected = new Set<string>();
  const opaque = new Set<string>();
  for (const [k, f] of src) {
    if (/^\.wh\.\.wh\.(aufs|plnk|orph)(\/|$)/.test(k)) continue;
    const base = baseName(k);
    if (base === '.wh..wh..opq') {
      opaque.add(parentKey(k));
      continue;
    }
    if (base.startsWith('.wh.')) {
      const hidden = (parentKey(k) === '.' ? '' : parentKey(k) + '/') + base.slice(4);
      if (src.has(hidden)) continue;
      expected.add(hidden);
      const got = dst.get(hidden);
      if (!got || !isWhiteoutDevice(got) || got.mode !== 0 || got.uid !== f.uid || got.gid !== f.gid || got.mtimeNs !== f.mtimeNs)
        problems.push(`${hidden}: want a 0:0 whiteout with ${k}'s owner ${f.uid}:${f.gid} and mtime ${f.mtimeNs}, got ${JSON.stringify(got)}`);
      continue;
    }
    expected.add(k);
    problems.push(...sameEntry(k, f, dst.get(k), OPAQUE));
  }
  for (const [k, f] of dst) {
    if (!expected.has(k)) problems.push(`${k}: not in the aufs branch`);
    if ((f.xattrs[OPAQUE] === '79') !== opaque.has(k)) problems.push(`${k}: opaque xattr ${f.xattrs[OPAQUE] ?? 'absent'}, aufs marker ${opaque.has(k) ? 'present' : 'absent'}`);
  }
  return problems;
}

/**
 * How a diff dir made from a full-tree driver's layer differs from that tree: every entry that
 * is not a whiteout must be the tree's entry of that name, mtime to the nanosecond. Whiteouts
 * (`whiteouts: 'dir-time'`, the change walk's) carry root's owner and the time of the directory
 * that lost the entry; `'copied'` (an overlay upper/ copied as is) must equal the tree's.
 */
export function fullTreeDiffProblems(tree: string, diffDir: string, whiteouts: 'dir-time' | 'copied' | 'any'): string[] {
  const src = treeFacts(tree), dst = treeFacts(diffDir);
  const problems: string[] = [];
  for (const [k, f] of dst) {
    if (isWhiteoutDevice(f) && whiteouts !== 'copied') {
      const dir = src.get(parentKey(k));
      if (whiteouts === 'dir-time' && (f.uid !== 0 || f.gid !== 0 || f.mtimeNs !== dir?.mtimeNs)) problems.push(`${k}: whiteout ${f.uid}:${f.gid} ${f.mtimeNs}, want 0:0 ${dir?.mtimeNs}`);
      continue;
    }
    const want = src.get(k);
    if (want) problems.push(...sameEntry(k, want, f, OPAQUE));
    else problems.push(`${k}: not in the tree`);
  }
  return problems;
}
