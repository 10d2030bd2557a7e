// The downtime of the zero-downtime path: a first pass over a root (done while the legacy daemon
// still runs), then what a daemon does meanwhile — one small pulled layer and a tag — then the
// final pass (the only one inside the window), and a pass over the unchanged root, each on a
// cp -al copy of the cached root with its own target (the cached root is never written).
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { v1IdFor } from '../test/helpers/legacy-root.js';
import { addBenchLayer, type BenchRoot } from './root.js';

export interface PassFigures {
  seconds: number;
  layers?: number;
  reusedLayers?: number;
  upToDate?: boolean;
}

/** `migrate(root, target)`: one measured pass in its own process. */
export function finalPass(br: BenchRoot, migrate: (root: string, target: string) => PassFigures): { first: PassFigures; final: PassFigures; noop: PassFigures } {
  const work = join(br.root, '..', 'sync');
  const root = join(work, 'docker'), target = join(work, 'target');
  rmSync(work, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', work]);
  execFileSync('cp', ['-al', br.root, root]);
  try {
    const first = migrate(root, target);
    // A pull: 20 small files on top of the top layer, tagged. repositories-aufs is a hard link
    // of the cached root's: written anew, never in place.
    const top = br.layers[br.layers.length - 1]!.v1Id, id = v1IdFor('bench pulled layer');
    addBenchLayer(root, id, Array.from({ length: 20 }, (_, i) => 700 + i * 50), top);
    const repos = JSON.parse(readFileSync(join(root, 'repositories-aufs'), 'utf8'));
    repos.Repositories.bench.pulled = id;
    writeFileSync(join(root, 'repositories-aufs.new'), JSON.stringify(repos));
    renameSync(join(root, 'repositories-aufs.new'), join(root, 'repositories-aufs'));
    const final = migrate(root, target);
    const noop = migrate(root, target);
    return { first, final, noop };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
