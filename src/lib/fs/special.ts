// What Node's fs lacks: extended attributes and mknod.
// xattrs: @napi-rs/xattr (its calls do not follow symlinks, checked in test/unit/fs-special).
// mknod: no maintained npm package, so the coreutils mknod binary is used; it is only needed for
// overlay whiteouts (char 0:0) and copied device nodes, which are few per layer.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as xattr from '@napi-rs/xattr';

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
