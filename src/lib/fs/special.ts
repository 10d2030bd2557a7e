// What Node's fs lacks: extended attributes and mknod.
// xattrs: @napi-rs/xattr (its calls do not follow symlinks).
// mknod: no maintained npm package, so the coreutils mknod binary is used; it is only needed for
// overlay whiteouts (char 0:0) and copied device nodes, which are few per layer.
// Both take string paths, and a legacy layer can hold names that are not UTF-8. For those:
// nodes are created through a UTF-8 symlink to their real directory and renamed into place with
// the raw bytes; xattrs go through /proc/<pid>/fd/N of a descriptor opened with the raw path,
// with getfattr/setfattr (they follow that link; the napi calls would not).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as xattr from '@napi-rs/xattr';
import { createServer } from 'node:net';
import { constants, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';

const run = promisify(execFile);

/** The string form of a path, or undefined when its bytes are not UTF-8. */
function utf8Path(p: Buffer | string): string | undefined {
  if (typeof p === 'string') return p;
  const s = p.toString('utf8');
  return Buffer.from(s, 'utf8').equals(p) ? s : undefined;
}

let hopSeq = 0;

/** Run `fn` with a UTF-8 path to the directory `dir` (a symlink in the OS temp dir when needed). */
async function viaUtf8Dir<T>(dir: Buffer, fn: (dirPath: string) => Promise<T>): Promise<T> {
  const plain = utf8Path(dir);
  if (plain !== undefined) return fn(plain);
  const hop = `${tmpdir()}/cas-hop-${process.pid}-${hopSeq++}`;
  await fsp.symlink(dir, hop);
  try {
    return await fn(hop);
  } finally {
    await fsp.rm(hop, { force: true });
  }
}

/** Create a node at `p` by `make(utf8Path)`: directly, or under a temp name then renamed. */
async function createAt(p: Buffer | string, make: (path: string) => Promise<void>): Promise<void> {
  const plain = utf8Path(p);
  if (plain !== undefined) return make(plain);
  const b = p as Buffer;
  const slash = b.lastIndexOf(0x2f);
  const dir = b.subarray(0, Math.max(slash, 1));
  const tmpName = `.cas-migrate-node-${process.pid}-${hopSeq++}`;
  await viaUtf8Dir(dir, (d) => make(`${d}/${tmpName}`));
  await fsp.rename(Buffer.concat([dir, Buffer.from(`/${tmpName}`)]), b);
}

/** Run `fn` on /proc/<pid>/fd/N of a descriptor opened with the raw path bytes. */
async function viaFd<T>(p: Buffer, fn: (procPath: string) => Promise<T>): Promise<T> {
  const fh = await fsp.open(p, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY);
  try {
    return await fn(`/proc/${process.pid}/fd/${fh.fd}`);
  } finally {
    await fh.close();
  }
}

export async function listXattrs(p: Buffer | string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const path = utf8Path(p);
  if (path === undefined) {
    const { stdout } = await viaFd(p as Buffer, (fd) => run('getfattr', ['-d', '-m', '-', '-e', 'hex', '--absolute-names', fd], { encoding: 'utf8' }));
    for (const line of stdout.split('\n')) {
      const m = /^([^#=][^=]*)=0x([0-9a-f]*)$/.exec(line);
      if (m) out.set(m[1]!, Buffer.from(m[2]!, 'hex'));
    }
    return out;
  }
  for (const name of await xattr.listAttributes(path)) {
    const v = await xattr.getAttribute(path, name);
    if (v) out.set(name, v);
  }
  return out;
}

/** listXattrs without a thread-pool round trip; undefined when the path is not UTF-8 (use listXattrs). */
export function listXattrsSync(p: Buffer | string): Map<string, Buffer> | undefined {
  const path = utf8Path(p);
  if (path === undefined) return undefined;
  const out = new Map<string, Buffer>();
  for (const name of xattr.listAttributesSync(path)) {
    const v = xattr.getAttributeSync(path, name);
    if (v) out.set(name, v);
  }
  return out;
}

/** setXattr without a thread-pool round trip; false when the path is not UTF-8 (use setXattr). */
export function setXattrSync(p: Buffer | string, name: string, value: Buffer | string): boolean {
  const path = utf8Path(p);
  if (path === undefined) return false;
  xattr.setAttributeSync(path, name, value);
  return true;
}

export async function getXattr(p: Buffer | string, name: string): Promise<Buffer | undefined> {
  const path = utf8Path(p);
  if (path === undefined) return (await listXattrs(p)).get(name);
  return (await xattr.getAttribute(path, name)) ?? undefined;
}

export async function setXattr(p: Buffer | string, name: string, value: Buffer | string): Promise<void> {
  const path = utf8Path(p);
  if (path !== undefined) return xattr.setAttribute(path, name, value);
  const hex = '0x' + Buffer.from(value).toString('hex');
  await viaFd(p as Buffer, (fd) => run('setfattr', ['-n', name, '-v', hex, fd]));
}

export async function mknod(p: Buffer | string, kind: 'c' | 'b' | 'p', mode: number, major = 0, minor = 0): Promise<void> {
  await createAt(p, async (path) => {
    const args = ['-m', (mode & 0o7777).toString(8), path, kind];
    if (kind !== 'p') args.push(String(major), String(minor));
    await run('mknod', args);
  });
}

export function rdevMajor(rdev: number): number {
  return ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

export function rdevMinor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
}

let socketSeq = 0;

/**
 * Create a unix socket file at dst. mknod(1) cannot, Node can by listening, with two traps: a
 * socket path longer than 108 bytes is silently truncated by bind(2), and Node unlinks the socket
 * when the server closes. So the socket is bound through a short symlink to dst's directory
 * (created in that very directory, any filesystem), renamed to its name, then the server closed.
 */
export async function makeSocket(dst: Buffer | string): Promise<void> {
  const b = Buffer.from(dst);
  const dir = b.subarray(0, Math.max(b.lastIndexOf(0x2f), 1));
  const hop = `${tmpdir()}/cas-sock-${process.pid}-${socketSeq++}`;
  await fsp.symlink(dir, hop); // always hop: bind(2) also truncates long paths
  const tmpName = `.cas-migrate-sock-${process.pid}-${socketSeq}`;
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(`${hop}/${tmpName}`, resolve));
    await fsp.rename(Buffer.concat([dir, Buffer.from(`/${tmpName}`)]), b);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fsp.rm(hop, { force: true });
  }
}
