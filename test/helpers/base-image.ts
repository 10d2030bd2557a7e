// A local stand-in for node:20-bookworm-slim, since test machines reach no image registry:
// Debian bookworm from debootstrap (Debian's own packages) plus this machine's Node 20 and npm,
// imported into a test dockerd under that exact name. The rootfs is cached in the OS temp dir.
// Like the real image it has Node's headers under /usr/local/include/node (node-gyp builds
// the native addon against them). It also carries this machine's CA bundle and NODE_EXTRA_CA_CERTS, so that npm inside a build
// trusts whatever this machine trusts on its way to the registry (the Dockerfile adds nothing).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function bookwormNodeRootfs(): string {
  const dir = join(tmpdir(), 'cas-bookworm-node20-rootfs-v2');
  if (existsSync(join(dir, '.complete'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  execFileSync('debootstrap', ['--variant=minbase', '--include=ca-certificates,libstdc++6', 'bookworm', dir, 'http://deb.debian.org/debian'], { stdio: 'ignore', timeout: 600_000 });
  const npmRoot = execFileSync('npm', ['root', '-g']).toString().trim();
  mkdirSync(join(dir, 'usr/local/bin'), { recursive: true });
  mkdirSync(join(dir, 'usr/local/lib/node_modules'), { recursive: true });
  cpSync(process.execPath, join(dir, 'usr/local/bin/node'));
  cpSync(join(npmRoot, 'npm'), join(dir, 'usr/local/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(dir, 'usr/local/bin/npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(dir, 'usr/local/bin/npx'));
  cpSync(join(dirname(dirname(process.execPath)), 'include/node'), join(dir, 'usr/local/include/node'), { recursive: true });
  cpSync('/etc/ssl/certs/ca-certificates.crt', join(dir, 'etc/ssl/certs/ca-certificates.crt'));
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}

/** Import the rootfs as node:20-bookworm-slim into the dockerd at `sock`. */
export function importBaseImage(sock: string): void {
  const rootfs = bookwormNodeRootfs();
  execFileSync('bash', ['-c', `tar --exclude=./.complete --exclude=./proc/* --exclude=./sys/* -C "$1" -c . | /usr/bin/docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' - node:20-bookworm-slim`, 'x', rootfs], {
    env: { ...process.env, DOCKER_HOST: `unix://${sock}` }, stdio: 'ignore', timeout: 300_000,
  });
}

/** The same Debian bookworm without Node and npm, as `host-without-node:test`: a host where only the final pass's self-contained copy can run. */
export function importHostWithoutNode(sock: string): void {
  const rootfs = bookwormNodeRootfs();
  execFileSync('bash', ['-c', `tar --exclude=./.complete --exclude=./proc/* --exclude=./sys/* --exclude=./usr/local/bin/node --exclude=./usr/local/bin/npm --exclude=./usr/local/bin/npx --exclude=./usr/local/lib/node_modules --exclude=./usr/local/include/node -C "$1" -c . | /usr/bin/docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - host-without-node:test`, 'x', rootfs], {
    env: { ...process.env, DOCKER_HOST: `unix://${sock}` }, stdio: 'ignore', timeout: 300_000,
  });
}
