// The tool users would pick instead, as a whole process on an identical copy: Docker's own
// v1.10-migrator (../shared/peers/, see its README; it only computes checksums and skips layers
// it has done, so every run gets a fresh cp -al copy), beside a whole cas-migrate process on the
// same kind of copy. Wall time and peak RSS (GNU time's %M: the largest process of the run).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

export const GO_MIGRATOR = fileURLToPath(new URL('../../../shared/peers/v1.10-migrator', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
// The source, not the build: dist/bench/ holds only what tsc emits.
const READ_FLOOR_C = fileURLToPath(new URL('../../bench/read-floor.c', import.meta.url));

export interface ProcessRun {
  seconds: number;
  maxRssMiB: number;
  /** user + system seconds of the process and its threads. */
  cpuSeconds: number;
}

function timed(cmd: string[], before?: () => void): ProcessRun {
  before?.();
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...cmd], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const [s, kb, user, sys] = r.stderr.trim().split('\n').pop()!.split(' ');
  return { seconds: Number(s), maxRssMiB: Number(kb) / 1024, cpuSeconds: Number(user) + Number(sys) };
}

/** Run `what` on a fresh cp -al copy of `root` (removed afterwards); `only`: keep just that layer. */
function onCopy<T>(root: string, what: (copy: string) => T, only?: string): T {
  const copy = join(root, '..', 'peer-copy');
  rmSync(copy, { recursive: true, force: true });
  execFileSync('cp', ['-al', root, copy]);
  if (only) {
    for (const id of readdirSync(join(copy, 'graph'))) if (id !== only) for (const d of ['graph', 'aufs/diff']) rmSync(join(copy, d, id), { recursive: true, force: true });
    rmSync(join(copy, 'repositories-aufs'), { force: true });
  }
  try {
    return what(copy);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

export const haveGoMigrator = () => existsSync(GO_MIGRATOR);

/** The Go v1.10-migrator over the whole root: every layer's checksum, 3 × NumCPU goroutines. */
/** `before`: run just before the process starts (the bench's cold runs drop the page cache there). */
export function goMigrator(root: string, only?: string, before?: () => void): ProcessRun {
  return onCopy(root, (copy) => timed([GO_MIGRATOR, '-g', copy, '-s', 'aufs'], before), only);
}

/** A whole cas-migrate process: the full migration, in place on the copy, as an operator runs it. */
export function casMigrateProcess(root: string, only?: string, before?: () => void): ProcessRun {
  // As operators run it: the executable, whose #! line passes Node its flags (bin/run.js).
  return onCopy(root, (copy) => timed([BIN, '--root', copy, '-q'], before), only);
}

/**
 * What no tool that writes the layout can go below on this filesystem: `cp -al` of the layer
 * dirs (one mkdir per directory, one link(2) per file, nothing else), timed like the others.
 * On this VM's ext4 (no journal) a mkdir cost 40-180 µs, depending on how many inodes were
 * freed just before (the allocator skips recently freed ones), which makes this floor move
 * between runs: so it is measured in the same run, next to the processes it bounds.
 */
export function layoutFloor(root: string, only?: string): ProcessRun {
  const dest = join(root, '..', 'floor-copy');
  rmSync(dest, { recursive: true, force: true });
  try {
    return timed(['cp', '-al', only ? join(root, 'aufs/diff', only) : join(root, 'aufs/diff'), dest]);
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
}

/**
 * What reading every file of the layer dirs costs by itself, which the Go migrator pays as well:
 * an open, reads to the end and a close per file, nothing else (bench/read-floor.c, compiled
 * here with the system's cc). Its CPU seconds tighten the process bound where files are small
 * and many. Undefined without a C compiler.
 */
export function readFloor(root: string, only?: string): ProcessRun | undefined {
  readFloorExe ??= spawnSync('cc', ['-O2', '-o', READ_FLOOR_EXE, READ_FLOOR_C]).status === 0 ? READ_FLOOR_EXE : null;
  return readFloorExe ? timed([readFloorExe, only ? join(root, 'aufs/diff', only) : join(root, 'aufs/diff')]) : undefined;
}
/** Built once per bench process, so a changed source is never measured by an old build. */
let readFloorExe: string | null | undefined;
const READ_FLOOR_EXE = join(tmpdir(), 'cas-bench-read-floor');

/** The whole process doing nothing: Node, oclif and the command's module graph (`--version`). */
export function startUp(): ProcessRun {
  return timed([BIN, '--version']);
}
