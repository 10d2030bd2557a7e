// Benchmark roots: generated from a seed, cached under the OS temp dir, built the way a legacy
// host has them (GNU tar layer → aufs/diff extraction, Go tar-split disasm as tar-data).
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v1IdFor } from '../test/helpers/legacy-root.js';

/** xorshift128+ filling buffers: fast, reproducible, incompressible enough for hashing. */
class Rng {
  private a: bigint;
  private b: bigint;
  constructor(seed: number) {
    this.a = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
    this.b = BigInt(seed) ^ 0xdeadbeefcafebaben;
  }
  fill(buf: Buffer): void {
    const v = new BigUint64Array(buf.buffer, buf.byteOffset, Math.floor(buf.length / 8));
    let a = this.a, b = this.b;
    const M = 0xffffffffffffffffn;
    for (let i = 0; i < v.length; i++) {
      let x = a;
      const y = b;
      a = y;
      x = (x ^ (x << 23n)) & M;
      b = x ^ y ^ (x >> 17n) ^ (y >> 26n);
      v[i] = (b + y) & M;
    }
    this.a = a;
    this.b = b;
  }
}

export interface BenchLayer {
  name: string;
  files: number;
  bytes: number;
}

export interface BenchRoot {
  root: string;
  layers: BenchLayer[];
  bytes: number;
}

/** Mix (a) of issue #8 at `scale`: 20 000 small files, one 1 GiB file, 2 000 × 64 KiB. */
export function mixSpec(scale: number): Array<{ name: string; sizes: number[] }> {
  const small = Math.round(20_000 * scale);
  return [
    { name: 'small-files', sizes: Array.from({ length: small }, (_, i) => 512 + ((i * 7919) % 7680)) },
    { name: 'one-big-file', sizes: [Math.round(1024 * 1024 * 1024 * scale)] },
    { name: '64k-files', sizes: Array.from({ length: Math.round(2000 * scale) }, () => 65536) },
  ];
}

export function benchRoot(scale: number, seed = 1): BenchRoot {
  const dir = join(tmpdir(), `cas-bench-mix-s${scale}-seed${seed}`);
  const root = join(dir, 'docker');
  const spec = mixSpec(scale);
  const layers = spec.map((l) => ({ name: l.name, files: l.sizes.length, bytes: l.sizes.reduce((a, b) => a + b, 0) }));
  const result = { root, layers, bytes: layers.reduce((a, l) => a + l.bytes, 0) };
  if (existsSync(join(dir, 'complete'))) return result;
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['graph', 'aufs/diff', 'aufs/layers', 'aufs/mnt']) mkdirSync(join(root, d), { recursive: true });
  const rng = new Rng(seed);
  const chunk = Buffer.alloc(1 << 20);
  let parent: string | undefined;
  for (const l of spec) {
    const id = v1IdFor(`bench ${l.name} ${seed}`);
    const tree = join(dir, 'tree', l.name);
    l.sizes.forEach((size, i) => {
      const p = join(tree, `d${Math.floor(i / 500)}`, `f${i}`);
      mkdirSync(join(p, '..'), { recursive: true });
      const fd = openSync(p, 'w');
      for (let left = size; left > 0; left -= chunk.length) {
        rng.fill(chunk);
        writeSync(fd, chunk, 0, Math.min(left, chunk.length));
      }
      closeSync(fd);
    });
    const tar = join(dir, `${l.name}.tar`);
    execFileSync('tar', ['--numeric-owner', '-cf', tar, '-C', tree, '.']);
    rmSync(tree, { recursive: true });
    const diff = join(root, 'aufs/diff', id);
    mkdirSync(diff);
    execFileSync('tar', ['--numeric-owner', '-xpf', tar, '-C', diff]);
    mkdirSync(join(root, 'graph', id));
    execFileSync('tar-split', ['disasm', '--no-stdout', '--output', join(root, 'graph', id, 'tar-data.json.gz'), tar], { stdio: 'ignore' });
    rmSync(tar);
    writeFileSync(join(root, 'graph', id, 'json'), JSON.stringify({ id, ...(parent ? { parent } : {}), created: '2015-11-01T00:00:00Z', docker_version: '1.9.1', container_config: { Cmd: ['bench'] } }));
    writeFileSync(join(root, 'graph', id, 'layersize'), String(l.sizes.reduce((a, b) => a + b, 0)));
    parent = id;
  }
  writeFileSync(join(root, 'repositories-aufs'), JSON.stringify({ Repositories: { bench: { latest: parent } } }));
  writeFileSync(join(dir, 'complete'), '');
  return result;
}
