// Is a Docker daemon using this root, and which one? A legacy daemon — the one that uses the
// source layout — may keep running during a provisional pass (it never reads image/overlay2/ or
// overlay2/); a current daemon on overlay2 reads the new layout, so it stops the migration.
import { readdirSync, readFileSync } from 'node:fs';

interface DaemonProcess {
  pid: number;
  argv: string[];
  legacyCli: boolean;
}

function daemonsOn(root: string): DaemonProcess[] {
  const out: DaemonProcess[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    const exe = (argv[0] ?? '').split('/').pop();
    const legacyCli = exe === 'docker' && (argv.includes('daemon') || argv.includes('-d') || argv.includes('--daemon'));
    if ((exe !== 'dockerd' && !legacyCli) || Number(pid) === process.pid) continue;
    let dataRoot = '/var/lib/docker';
    argv.forEach((a, i) => {
      for (const f of ['-g', '--graph', '--data-root']) {
        if (a === f && argv[i + 1]) dataRoot = argv[i + 1]!;
        else if (a.startsWith(f + '=')) dataRoot = a.slice(f.length + 1);
      }
    });
    if (dataRoot.replace(/\/+$/, '') === root.replace(/\/+$/, '')) out.push({ pid: Number(pid), argv, legacyCli });
  }
  return out;
}

/** Docker daemons (legacy `docker daemon`/`docker -d`, or dockerd) whose data root is `root`. */
export function daemonsUsing(root: string): number[] {
  return daemonsOn(root).map((d) => d.pid);
}

/** The storage driver a dockerd was told to use (flags, else /etc/docker/daemon.json), if any. */
function storageDriverOf(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '-s' || a === '--storage-driver') && argv[i + 1]) return argv[i + 1];
    if (a.startsWith('--storage-driver=')) return a.slice('--storage-driver='.length);
  }
  try {
    const d = (JSON.parse(readFileSync('/etc/docker/daemon.json', 'utf8')) as Record<string, unknown>)['storage-driver'];
    return typeof d === 'string' ? d : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `legacy`: daemons that use the source layout — `docker daemon`/`docker -d` of Docker 1.x on a
 * pre-1.10 root, or, on a CAS-era root of driver `casDriver`, a dockerd on that driver (told so,
 * or choosing by itself, which picks the root's prior driver). `current`: every other daemon,
 * including any dockerd on a pre-1.10 root (a 1.10–18.09 dockerd would migrate it in place).
 */
export function classifyDaemons(root: string, casDriver: string | undefined): { legacy: number[]; current: number[]; unpinned: number[] } {
  const legacy: number[] = [], current: number[] = [], unpinned: number[] = [];
  for (const d of daemonsOn(root)) {
    const told = storageDriverOf(d.argv);
    const isLegacy = casDriver ? !d.legacyCli && (told ?? casDriver) === casDriver : d.legacyCli;
    (isLegacy ? legacy : current).push(d.pid);
    // A dockerd of 1.12–23 that picks its driver itself finds overlay2/ beside its own at its
    // next start and refuses to start ("contains several valid graphdrivers"). Docker 1.9 does
    // not know overlay2, so its choice is unaffected.
    if (isLegacy && casDriver && told === undefined) unpinned.push(d.pid);
  }
  return { legacy, current, unpinned };
}
