// What Node's fs lacks: extended attributes and mknod.
// xattrs: @napi-rs/xattr (its calls do not follow symlinks, checked in test/unit/fs-special).
// mknod: no maintained npm package, so the coreutils mknod binary is used; it is only needed for
// overlay whiteouts (char 0:0) and copied device nodes, which are few per layer.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as xattr from '@napi-rs/xattr';
import { createServer } from 'node:net';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';

const run = promisify(execFile);

/** A Buffer path as the string form the xattr and mknod calls need, if it round-trips. */
function pathString(p: Buffer | string): string {
  if (typeof p === 'string') return p;
  const s = p.toString('utf8');
  if (!Buffer.from(s, 'utf8').equals(p)) throw new Error(`path is not valid UTF-8: ${JSON.stringify(p.toString('latin1'))}`);
  return s;
}

export async function listXattrs(p: Buffer | string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const path = pathString(p);
  for (const name of await xattr.listAttributes(path)) {
    const v = await xattr.getAttribute(path, name);
    if (v) out.set(name, v);
  }
  return out;
}

export async function getXattr(p: Buffer | string, name: string): Promise<Buffer | undefined> {
  return (await xattr.getAttribute(pathString(p), name)) ?? undefined;
}

export async function setXattr(p: Buffer | string, name: string, value: Buffer | string): Promise<void> {
  await xattr.setAttribute(pathString(p), name, value);
}

export async function mknod(p: Buffer | string, kind: 'c' | 'b' | 'p', mode: number, major = 0, minor = 0): Promise<void> {
  const args = ['-m', (mode & 0o7777).toString(8), pathString(p), kind];
  if (kind !== 'p') args.push(String(major), String(minor));
  await run('mknod', args);
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
  const d = pathString(dst);
  const dir = d.slice(0, d.lastIndexOf('/')) || '/';
  const hop = `${tmpdir()}/cas-sock-${process.pid}-${socketSeq++}`;
  await fsp.symlink(dir, hop);
  const tmpName = `.cas-migrate-sock-${process.pid}-${socketSeq}`;
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(`${hop}/${tmpName}`, resolve));
    await fsp.rename(`${dir}/${tmpName}`, d);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fsp.rm(hop, { force: true });
  }
}

function epochText(ns: bigint): string {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  return `@${neg ? '-' : ''}${a / 1_000_000_000n}.${(a % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/**
 * Set atime and mtime to the nanosecond. fs.utimes takes seconds as a double, which at today's
 * epoch resolves only ~0.5 µs; GNU touch calls utimensat with exact timespecs.
 */
export async function setTimesNs(p: string, atimeNs: bigint, mtimeNs: bigint): Promise<void> {
  await run('touch', ['-h', '-a', '-d', epochText(atimeNs), p]);
  await run('touch', ['-h', '-m', '-d', epochText(mtimeNs), p]);
}
