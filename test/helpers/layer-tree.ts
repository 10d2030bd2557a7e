// Building a layer's files in a scratch dir and archiving it with a real tar writer.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, symlinkSync, linkSync, chmodSync, lchownSync, utimesSync, lutimesSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type Writer = 'gnu' | 'bsdtar' | 'python' | 'busybox' | 'gnu-pax';

export type Op =
  | { file: string; content?: string | Buffer; mode?: number; uid?: number; gid?: number; mtime?: number }
  | { dir: string; mode?: number; uid?: number; gid?: number; mtime?: number }
  | { symlink: string; target: string }
  | { hardlink: string; target: string }
  | { whiteout: string }
  | { opaque: string }
  | { fifo: string }
  | { chardev: string; major: number; minor: number }
  | { xattr: string; name: string; hex: string }
  /** Names given as raw bytes (not UTF-8): a dir, a file, an xattr on either. */
  | { rawDir: Buffer }
  | { rawFile: Buffer; content?: string }
  | { rawXattr: Buffer; name: string; hex: string };

export const DEFAULT_MTIME = 1446330000; // 2015-10-31, when such layers were built

function ensureParent(p: string): void {
  mkdirSync(dirname(p), { recursive: true });
}

/** Apply ops in order to an empty dir. Times are set last, deepest first, so they stick. */
export function buildTree(dir: string, ops: Op[]): void {
  mkdirSync(dir, { recursive: true });
  const times: Array<[string | Buffer, number, boolean]> = [];
  for (const op of ops) {
    if ('file' in op) {
      const p = join(dir, op.file);
      ensureParent(p);
      writeFileSync(p, op.content ?? '');
      lchownSync(p, op.uid ?? 0, op.gid ?? 0); // before chmod: chown clears setuid/setgid
      chmodSync(p, op.mode ?? 0o644);
      times.push([p, op.mtime ?? DEFAULT_MTIME, false]);
    } else if ('dir' in op) {
      const p = join(dir, op.dir);
      mkdirSync(p, { recursive: true });
      lchownSync(p, op.uid ?? 0, op.gid ?? 0);
      chmodSync(p, op.mode ?? 0o755);
      times.push([p, op.mtime ?? DEFAULT_MTIME, false]);
    } else if ('symlink' in op) {
      const p = join(dir, op.symlink);
      ensureParent(p);
      symlinkSync(op.target, p);
      times.push([p, DEFAULT_MTIME, true]);
    } else if ('hardlink' in op) {
      const p = join(dir, op.hardlink);
      ensureParent(p);
      linkSync(join(dir, op.target), p);
    } else if ('whiteout' in op) {
      const p = join(dir, dirname(op.whiteout), '.wh.' + op.whiteout.split('/').pop());
      ensureParent(p);
      writeFileSync(p, '');
      chmodSync(p, 0o444);
      times.push([p, DEFAULT_MTIME, false]);
    } else if ('opaque' in op) {
      const p = join(dir, op.opaque, '.wh..wh..opq');
      ensureParent(p);
      writeFileSync(p, '');
      chmodSync(p, 0o444);
      times.push([p, DEFAULT_MTIME, false]);
    } else if ('fifo' in op) {
      const p = join(dir, op.fifo);
      ensureParent(p);
      execFileSync('mkfifo', ['-m', '644', p]);
      times.push([p, DEFAULT_MTIME, false]);
    } else if ('chardev' in op) {
      const p = join(dir, op.chardev);
      ensureParent(p);
      execFileSync('mknod', ['-m', '666', p, 'c', String(op.major), String(op.minor)]);
      times.push([p, DEFAULT_MTIME, false]);
    } else if ('xattr' in op) {
      execFileSync('setfattr', ['-h', '-n', op.name, '-v', '0x' + op.hex, join(dir, op.xattr)]);
    } else if ('rawDir' in op) {
      mkdirSync(Buffer.concat([Buffer.from(dir + '/'), op.rawDir]));
    } else if ('rawFile' in op) {
      writeFileSync(Buffer.concat([Buffer.from(dir + '/'), op.rawFile]), op.content ?? '');
    } else if ('rawXattr' in op) {
      // Python takes a bytes path; setfattr and Node take only strings.
      execFileSync('python3', ['-c', 'import os,sys; os.setxattr(os.fsencode(sys.argv[1]) + bytes.fromhex(sys.argv[2]), sys.argv[3], bytes.fromhex(sys.argv[4]), follow_symlinks=False)',
        dir + '/', op.rawXattr.toString('hex'), op.name, op.hex]);
    }
  }
  // Directories that ops did not create explicitly still get a fixed time (Buffer paths: names
  // may not be UTF-8).
  const known = new Set(times.map(([p]) => Buffer.from(p).toString('latin1')));
  const walkDirs = (d: Buffer): void => {
    for (const e of readdirSync(d, { withFileTypes: true, encoding: 'buffer' })) if (e.isDirectory()) {
      const p = Buffer.concat([d, Buffer.from('/'), e.name as unknown as Buffer]);
      walkDirs(p);
      if (!known.has(p.toString('latin1'))) times.push([p, DEFAULT_MTIME, false]);
    }
  };
  walkDirs(Buffer.from(dir));
  times.push([dir, DEFAULT_MTIME, false]);
  times.sort((a, b) => Buffer.byteLength(b[0] as string) - Buffer.byteLength(a[0] as string));
  for (const [p, t, link] of times) (link ? lutimesSync : utimesSync)(p, t, t);
}

/** Archive a tree with a real writer; entries are the tree's contents (no parent dir). */
/** `cLocale`: run bsdtar in the C locale so it archives names that are not UTF-8 (hdrcharset=BINARY). */
export function archive(dir: string, out: string, writer: Writer, cLocale = false): void {
  // Top-level names go through a list file (-T) so that names that are not UTF-8 keep their bytes.
  const top = (readdirSync(dir, { encoding: 'buffer' }) as Buffer[]).sort(Buffer.compare);
  const list = `${out}.list`;
  writeFileSync(list, Buffer.concat(top.map((n) => Buffer.concat([n, Buffer.from('\0')]))));
  switch (writer) {
    case 'gnu': // "./" prefixed names, GNU long names, record padding to 10 KiB
      execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-cf', out, '-C', dir, '.']);
      break;
    case 'gnu-pax':
      execFileSync('tar', ['--format=pax', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-cf', out, '-C', dir, '--null', '-T', list]);
      break;
    case 'bsdtar':
      execFileSync('bsdtar', ['--numeric-owner', '-cf', out, '-C', dir, '--null', '-T', list], { env: cLocale ? { ...process.env, LC_ALL: 'C' } : process.env });
      break;
    case 'busybox':
      execFileSync('busybox', ['tar', '-cf', out, '-C', dir, '.']); // busybox has no -T: "./"-prefixed names
      break;
    case 'python':
      execFileSync('python3', ['-c', `
import os, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, 'w', format=tarfile.PAX_FORMAT) as t:
    for name in sorted(os.listdir(src), key=os.fsencode):
        t.add(os.path.join(src, name), arcname=name)
`, dir, out]);
      break;
  }
  rmSync(list, { force: true });
}

/** Extract a layer tar into an aufs diff dir the way Docker's aufs driver left it (whiteouts as files). */
export function extractAufs(tar: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '--same-owner', '-xpf', tar, '-C', dest]);
}

/**
 * A layer as a checksum job reads it: `tree` archived by `writer`, described by Go
 * `tar-split disasm`, its aufs diff dir extracted from the archive; all under `work`.
 */
export function checksumJobFor(work: string, name: string, tree: string, writer: Writer) {
  const tar = join(work, `${name}.tar`);
  archive(tree, tar, writer);
  const tarData = join(work, `${name}.json.gz`);
  execFileSync('tar-split', ['disasm', '--no-stdout', '--output', tarData, tar], { stdio: 'ignore' });
  const dir = join(work, `${name}-diff`);
  extractAufs(tar, dir);
  return { tar, job: { v1Id: name, weight: 1, tarData, fileRoot: dir, source: { kind: 'dir' as const, dir, excludeAufsMeta: true }, pathBOut: join(work, `${name}-b.json.gz`) } };
}
