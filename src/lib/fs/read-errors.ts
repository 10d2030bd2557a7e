// How a chunked file read that runs off the calling thread (a helper thread, a libuv thread)
// reports its failures back: as the errors a readSync in this thread would have thrown.
import { getSystemErrorName } from 'node:util';

/** The file ended before the expected length: it shrank since it was stat'ed. */
export class ShortReadError extends Error {}

/** Node's error for a failed read(2), from the negative errno libuv reports. */
export function readError(errno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`${code}: read failed`), { code, errno, syscall: 'read' });
}
