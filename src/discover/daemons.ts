// Is a Docker daemon using this root? Migrating under a live daemon races with it.
import { readdirSync, readFileSync } from 'node:fs';

/** Docker daemons (legacy `docker daemon`/`docker -d`, or dockerd) whose data root is `root`. */
export function daemonsUsing(root: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    const exe = (argv[0] ?? '').split('/').pop();
    const isDaemon = exe === 'dockerd' || (exe === 'docker' && (argv.includes('daemon') || argv.includes('-d') || argv.includes('--daemon')));
    if (!isDaemon || Number(pid) === process.pid) continue;
    let dataRoot = '/var/lib/docker';
    argv.forEach((a, i) => {
      for (const f of ['-g', '--graph', '--data-root']) {
        if (a === f && argv[i + 1]) dataRoot = argv[i + 1]!;
        else if (a.startsWith(f + '=')) dataRoot = a.slice(f.length + 1);
      }
    });
    if (dataRoot.replace(/\/+$/, '') === root.replace(/\/+$/, '')) out.push(Number(pid));
  }
  return out;
}
