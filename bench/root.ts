// Benchmark roots: generated from a seed, cached under the OS temp dir, built the way a legacy
// host has them (files in aufs/diff, the GNU tar stream of each described by Go tar-split disasm).
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
  v1Id: string;
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

/** 100 small layers in one chain (per-layer overhead). */
export function chainSpec(layers = 100): Array<{ name: string; sizes: number[] }> {
  return Array.from({ length: layers }, (_, i) => ({ name: `chain-${i}`, sizes: Array.from({ length: 10 }, (_, j) => 1024 + ((i * 31 + j * 7) % 3072)) }));
}

/** One huge single-file layer (memory). */
export function bigSpec(gib = 4): Array<{ name: string; sizes: number[] }> {
  return [{ name: `one-${gib}g-file`, sizes: [gib * 2 ** 30] }];
}

export function benchRoot(scale: number, seed = 1): BenchRoot {
  return layeredRoot(`mix-s${scale}`, mixSpec(scale), seed);
}

const BIG_FILE = 64 << 20;

/** Write `size` reproducible bytes; past BIG_FILE one random MiB is repeated with a counter (hashing cost does not depend on content). */
function writeData(p: string, size: number, rng: Rng, chunk: Buffer): void {
  const fd = openSync(p, 'w');
  if (size > BIG_FILE) rng.fill(chunk);
  for (let left = size, n = 0; left > 0; left -= chunk.length, n++) {
    const len = Math.min(left, chunk.length);
    if (size > BIG_FILE) chunk.writeUInt32LE(n, 0);
    else rng.fill(chunk.subarray(0, len + 7 - ((len + 7) % 8))); // only the bytes written: filling 1 MiB per small file made scale 1 take many minutes
    writeSync(fd, chunk, 0, len);
  }
  closeSync(fd);
}

/** One layer as a legacy daemon leaves a pull: files in aufs/diff/<id>, graph/<id>/{json,tar-data.json.gz,layersize}. */
export function addBenchLayer(root: string, id: string, sizes: number[], parent: string | undefined, rng = new Rng(7)): void {
  const chunk = Buffer.alloc(1 << 20);
  const diff = join(root, 'aufs/diff', id);
  mkdirSync(diff, { recursive: true });
  sizes.forEach((size, i) => {
    const p = join(diff, `d${Math.floor(i / 500)}`, `f${i}`);
    mkdirSync(join(p, '..'), { recursive: true });
    writeData(p, size, rng, chunk);
  });
  mkdirSync(join(root, 'graph', id));
  const out = join(root, 'graph', id, 'tar-data.json.gz');
  execFileSync('bash', ['-c', 'set -o pipefail; tar --numeric-owner -cf - -C "$1" . | tar-split disasm --no-stdout --output "$2" - >/dev/null 2>&1', 'x', diff, out]);
  writeFileSync(join(root, 'graph', id, 'json'), JSON.stringify({ id, ...(parent ? { parent } : {}), created: '2015-11-01T00:00:00Z', docker_version: '1.9.1', container_config: { Cmd: ['bench'] } }));
  writeFileSync(join(root, 'graph', id, 'layersize'), String(sizes.reduce((a, b) => a + b, 0)));
}

/**
 * A legacy aufs root whose layers hold files of the given sizes, in one chain, cached as
 * `cas-bench-<name>-seed<seed>-v2` under the OS temp dir. Layer files are written straight into
 * aufs/diff and described by GNU tar piped into the Go tar-split disasm (no tar kept on disk).
 */
export function layeredRoot(name: string, spec: Array<{ name: string; sizes: number[] }>, seed = 1): BenchRoot {
  const dir = join(tmpdir(), `cas-bench-${name}-seed${seed}-v2`);
  const root = join(dir, 'docker');
  const layers = spec.map((l) => ({ name: l.name, v1Id: v1IdFor(`bench ${l.name} ${seed}`), files: l.sizes.length, bytes: l.sizes.reduce((a, b) => a + b, 0) }));
  const result = { root, layers, bytes: layers.reduce((a, l) => a + l.bytes, 0) };
  if (existsSync(join(dir, 'complete'))) return result;
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['graph', 'aufs/diff', 'aufs/layers', 'aufs/mnt']) mkdirSync(join(root, d), { recursive: true });
  const rng = new Rng(seed);
  let parent: string | undefined;
  for (const l of spec) {
    const id = layers.find((x) => x.name === l.name)!.v1Id;
    addBenchLayer(root, id, l.sizes, parent, rng);
    parent = id;
  }
  writeFileSync(join(root, 'repositories-aufs'), JSON.stringify({ Repositories: { bench: { latest: parent } } }));
  writeFileSync(join(dir, 'complete'), '');
  return result;
}
