// Setting an entry's access and modification times to the nanosecond, without following a
// symlink. Node's fs.utimes/lutimes cannot: they take seconds as a double and libuv truncates
// them to microseconds (uv__fs_to_timespec), so `.284393300` would become `.284393000`.
// With the native addon: one utimensat(2) call. Without it (the portable path): lutimes where
// the time is whole microseconds and the double carries it exactly (checked by reading it back),
// else GNU touch, whose -d @S.N reaches utimensat with exact timespecs.
import { execFileSync } from 'node:child_process';
import { lstatSync, lutimesSync, renameSync } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { native } from '../native/native.js';
import type { FsPath } from './walk.js';

const NS = 1_000_000_000n;

/** seconds (floor) and nanoseconds 0..999 999 999 of a time in ns since the epoch. */
function split(ns: bigint): [number, number] {
  let s = ns / NS, n = ns % NS;
  if (n < 0n) {
    s -= 1n;
    n += NS;
  }
  return [Number(s), Number(n)];
}

/** Set atime and mtime of `p` itself (a symlink's own times) to the nanosecond. */
export function setTimes(p: FsPath, atimeNs: bigint, mtimeNs: bigint): void {
  if (!native?.lutimens) return setTimesPortable(p, atimeNs, mtimeNs); // an addon built before lutimens existed
  const [as, ans] = split(atimeNs), [ms, mns] = split(mtimeNs);
  const r = native.lutimens(p, as, ans, ms, mns);
  if (r !== 0) throw errnoError(r, 'utimensat', p);
}

/** The portable path of setTimes (exported so that tests run it where the addon is built). */
export function setTimesPortable(p: FsPath, atimeNs: bigint, mtimeNs: bigint): void {
  if (atimeNs >= 0n && mtimeNs >= 0n && atimeNs % 1000n === 0n && mtimeNs % 1000n === 0n) {
    lutimesSync(p, Number(atimeNs) / 1e9, Number(mtimeNs) / 1e9);
    const st = lstatSync(p, { bigint: true });
    if (st.atimeNs === atimeNs && st.mtimeNs === mtimeNs) return;
  }
  touchExact(p, atimeNs, mtimeNs);
}

/** touch's -d text: a sign, then the magnitude ("@-1.5" is 1.5 s before the epoch). */
function epochText(ns: bigint): string {
  const a = ns < 0n ? -ns : ns;
  return `@${ns < 0n ? '-' : ''}${a / NS}.${(a % NS).toString().padStart(9, '0')}`;
}

let seq = 0;

function touchExact(p: FsPath, atimeNs: bigint, mtimeNs: bigint): void {
  const touch = (path: string) => {
    if (atimeNs === mtimeNs) execFileSync('touch', ['-h', '-d', epochText(mtimeNs), '--', path], { stdio: 'ignore' });
    else {
      execFileSync('touch', ['-h', '-a', '-d', epochText(atimeNs), '--', path], { stdio: 'ignore' });
      execFileSync('touch', ['-h', '-m', '-d', epochText(mtimeNs), '--', path], { stdio: 'ignore' });
    }
  };
  const s = typeof p === 'string' ? p : p.toString('utf8');
  if (typeof p === 'string' || Buffer.from(s, 'utf8').equals(p)) return touch(s);
  // A name that is not UTF-8 cannot be an argument: touch it under a temporary name in the same
  // directory. A rename changes only the entry's ctime (and its directory's times, which the
  // callers set after their children's).
  const dir = p.subarray(0, Math.max(p.lastIndexOf(0x2f), 1));
  const tmp = Buffer.concat([dir, Buffer.from(`/.cas-migrate-times-${process.pid}-${seq++}`)]);
  renameSync(p, tmp);
  try {
    touch(tmp.toString('utf8'));
  } finally {
    renameSync(tmp, p);
  }
}

function errnoError(negErrno: number, syscall: string, p: FsPath): NodeJS.ErrnoException {
  const code = getSystemErrorName(negErrno);
  const e: NodeJS.ErrnoException = new Error(`${code}: ${syscall} '${p.toString()}'`);
  Object.assign(e, { errno: negErrno, code, syscall, path: p.toString() });
  return e;
}
