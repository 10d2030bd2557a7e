// A self-contained copy of cas-migrate for a host that has no Node: the Node binary this process
// runs on, the package (bin/, dist/, node_modules/, the native addon) and a launcher script. The
// final pass of docs/upgrading.md runs from it after the legacy daemon stops, when no Docker
// engine is there to start the image. Node's Linux binaries need glibc ≥ 2.28 and libstdc++, which
// every distribution that ran Docker 1.x–23 since 2018 has; the launcher checks nothing else.
import { chmodSync, cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root: dist/src/install/ → three levels up. */
const PKG = fileURLToPath(new URL('../../../', import.meta.url));

export interface Installed {
  dir: string;
  launcher: string;
  node: string;
}

export function installSelfContained(dirIn: string): Installed {
  const dir = dirIn.replace(/\/+$/, '');
  const tmp = `${dir}.cas-migrate-new`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(`${tmp}/app`, { recursive: true });
  cpSync(process.execPath, `${tmp}/node`);
  chmodSync(`${tmp}/node`, 0o755);
  for (const part of ['package.json', 'oclif.manifest.json', 'bin', 'dist/src', 'dist/bundle', 'node_modules', 'build/Release', 'deploy/final-pass.sh'])
    if (existsSync(`${PKG}/${part}`)) cpSync(`${PKG}/${part}`, `${tmp}/app/${part}`, { recursive: true, verbatimSymlinks: true });
  writeFileSync(`${tmp}/cas-migrate`, `#!/bin/sh
# cas-migrate with its own Node (installed by \`cas-migrate install\`): runs on a host without Node.
here=$(dirname "$(readlink -f "$0")")
exec "$here/node" --max-semi-space-size=2 "$here/app/bin/run.js" "$@"
`, { mode: 0o755 });
  if (existsSync(`${tmp}/app/deploy/final-pass.sh`)) cpSync(`${tmp}/app/deploy/final-pass.sh`, `${tmp}/final-pass.sh`);
  // Replaced whole, so a launcher never runs half an old and half a new copy.
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { dir, launcher: `${dir}/cas-migrate`, node: `${dir}/node` };
}
