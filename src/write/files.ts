// Small write helpers with explicit modes (the process umask must not decide them) and
// no symlink following in the staging tree.
import { constants, promises as fsp } from 'node:fs';

export async function mkdirMode(p: string, mode: number): Promise<void> {
  await fsp.mkdir(p);
  await fsp.chmod(p, mode);
}

export async function mkdirpMode(p: string, mode: number): Promise<void> {
  const made = await fsp.mkdir(p, { recursive: true });
  if (made !== undefined) await fsp.chmod(p, mode);
}

/** Create a new file (never an existing one, never through a symlink) with exact bytes and mode. */
export async function writeNew(p: string, data: Buffer | string, mode: number): Promise<void> {
  const fh = await fsp.open(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
}
