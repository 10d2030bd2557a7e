// A private dockerd 20.10 (Debian docker.io) on a data root, as peers.md describes: its own
// exec root, socket, pid file and containerd namespace, so tests never touch a system daemon.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const DOCKER_CLI = '/usr/bin/docker';

export interface Dockerd {
  sock: string;
  log: string;
  docker(args: string[], opts?: { input?: Buffer; encoding?: 'buffer' }): string;
  dockerRaw(args: string[]): Buffer;
  /** Start a stopped (migrated) container, wait for it, assert it exited 0; its logs. */
  startStopped(name: string): string;
  stop(): Promise<void>;
}

function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m): m is string => !!m && m.startsWith(dir));
  for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
}

/** `storageDriver: null` leaves the choice to dockerd (as a host without daemon.json would). */
export async function startDockerd(root: string, state: string, ns: string, storageDriver: string | null = 'overlay2'): Promise<Dockerd> {
  mkdirSync(state, { recursive: true });
  const sock = join(state, 'docker.sock'), log = join(state, 'dockerd.log'), pidfile = join(state, 'dockerd.pid');
  const out = openSync(log, 'a');
  const child = spawn('dockerd', [
    '--data-root', root, '--exec-root', join(state, 'exec'), '--pidfile', pidfile, '-H', `unix://${sock}`,
    ...(storageDriver ? ['--storage-driver', storageDriver] : []), '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--bridge=none',
    '--containerd-namespace', ns, '--containerd-plugins-namespace', `${ns}-plugins`,
  ], { detached: true, stdio: ['ignore', out, out] });
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}` };
  const docker = (args: string[]) => execFileSync(DOCKER_CLI, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 }).toString();
  const dockerRaw = (args: string[]) => execFileSync(DOCKER_CLI, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  let exited = false;
  child.on('exit', () => (exited = true));
  for (let i = 0; i < 120; i++) {
    if (exited) break;
    if (spawnSync(DOCKER_CLI, ['info'], { env, stdio: 'ignore' }).status === 0) {
      return {
        sock, log, docker, dockerRaw,
        startStopped: (name) => {
          docker(['start', name]);
          assert.equal(docker(['wait', name]).trim(), '0', `container ${name} did not exit 0`);
          return docker(['logs', name]);
        },
        stop: async () => {
          if (!exited) {
            child.kill('SIGTERM');
            for (let j = 0; j < 300 && !exited; j++) await new Promise((r) => setTimeout(r, 100));
            if (!exited) child.kill('SIGKILL');
          }
          unmountUnder(state);
          unmountUnder(root);
        },
      };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  unmountUnder(state);
  unmountUnder(root);
  throw new Error(`dockerd did not start on ${root}:\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-3000) : ''}`);
}
