// How Docker 1.9's full-tree drivers left layer data, done by Python (bytes names, xattrs,
// mknod) and GNU tar: a child tree starts as a clone of its parent — overlay (v1) hardlinks
// regular files and re-creates everything else (sockets as FIFOs), vfs copies through a Go 1.5
// tar (whole-second mtimes, only security.capability kept) — and the layer tar is then applied
// with Docker's ApplyLayer rules (aufs-style whiteouts delete, an opaque marker empties the dir,
// an entry replaces what was there unless both are directories). A container's overlay upper/
// gets the tar in kernel-overlay form instead (char 0:0 whiteouts, trusted.overlay.opaque).
import { execFileSync } from 'node:child_process';

const CLONE = `
import os, stat, sys
src, dst, mode = os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2]), sys.argv[3]
inodes = {}
def meta(s, d, st, link_only=False):
    os.chown(d, st.st_uid, st.st_gid, follow_symlinks=False)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(d, stat.S_IMODE(st.st_mode))
        for k in os.listxattr(s, follow_symlinks=False):
            if mode == 'overlay' and k not in ('security.capability', 'trusted.overlay.opaque'): continue
            if mode == 'vfs' and k != 'security.capability': continue
            os.setxattr(d, k, os.getxattr(s, k, follow_symlinks=False), follow_symlinks=False)
    mt = st.st_mtime_ns if mode == 'overlay' else (st.st_mtime_ns // 10**9) * 10**9
    os.utime(d, ns=(st.st_atime_ns, mt), follow_symlinks=False)
def clone(s, d):
    st = os.lstat(s)
    os.mkdir(d)
    for name in sorted(os.listdir(s)):
        cs, cd = os.path.join(s, name), os.path.join(d, name)
        c = os.lstat(cs)
        m = c.st_mode
        if stat.S_ISDIR(m): clone(cs, cd); continue
        if mode == 'overlay' and stat.S_ISREG(m): os.link(cs, cd); continue
        if mode == 'vfs' and c.st_nlink > 1 and c.st_ino in inodes: os.link(inodes[c.st_ino], cd); continue
        if stat.S_ISREG(m):
            with open(cs, 'rb') as f, open(cd, 'wb') as g: g.write(f.read())
        elif stat.S_ISLNK(m): os.symlink(os.readlink(cs), cd)
        elif stat.S_ISCHR(m) or stat.S_ISBLK(m): os.mknod(cd, m, c.st_rdev)
        else: os.mkfifo(cd)
        if mode == 'vfs' and c.st_nlink > 1: inodes[c.st_ino] = cd
        meta(cs, cd, c)
    meta(s, d, st)
clone(src, dst)
`;

const APPLY = `
import os, shutil, stat, sys, tarfile
tarpath, root, target = sys.argv[1], os.fsencode(sys.argv[2]), sys.argv[3]
def rmrf(p):
    if os.path.isdir(p) and not os.path.islink(p): shutil.rmtree(p)
    elif os.path.lexists(p): os.unlink(p)
with tarfile.open(tarpath, encoding='utf-8', errors='surrogateescape') as t:
    members = t.getmembers()
for m in members:
    name = os.fsencode(m.name)
    parts = [p for p in name.split(b'/') if p not in (b'', b'.')]
    if not parts: continue
    d, b = os.path.join(root, *parts[:-1]) if len(parts) > 1 else root, parts[-1]
    if b == b'.wh..wh..opq':
        if target == 'upper':
            os.makedirs(d, exist_ok=True)
            os.setxattr(d, 'trusted.overlay.opaque', b'y')
        elif os.path.isdir(d):
            for n in os.listdir(d): rmrf(os.path.join(d, n))
        continue
    if b.startswith(b'.wh..wh.'): continue
    if b.startswith(b'.wh.'):
        p = os.path.join(d, b[4:])
        rmrf(p)
        if target == 'upper':
            os.makedirs(d, exist_ok=True)
            os.mknod(p, stat.S_IFCHR | 0o000, os.makedev(0, 0))
        continue
    p = os.path.join(d, b)
    if os.path.lexists(p) and not (m.isdir() and os.path.isdir(p) and not os.path.islink(p)): rmrf(p)
`;

/** Clone a parent layer's tree the way the overlay (v1) or vfs driver did. */
export function cloneTree(src: string, dst: string, mode: 'overlay' | 'vfs'): void {
  execFileSync('python3', ['-c', CLONE, src, dst, mode]);
}

/** Apply a layer tar onto a full tree (`tree`) or a container's overlay upper dir (`upper`). */
export function applyLayer(tar: string, dir: string, target: 'tree' | 'upper' = 'tree'): void {
  execFileSync('python3', ['-c', APPLY, tar, dir, target]);
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '--same-owner', '-xpf', tar, '-C', dir, '--exclude=.wh.*']);
}
