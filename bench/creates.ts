// The filesystem's floor for the per-layer overhead: the entries one chain layer of the bench
// needs in a migrated layout, created with nothing else (no hashing, no JSON, no checks) by the
// same synchronous calls, in the directory the migrations write to. On this VM's ext4 a create
// costs ≈ 100–200 µs and does not get cheaper from a second thread (docs/performance.md).
import { linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Per layer: overlay2 <id>/, diff/, diff/d0/, work/, link, lower, committed, l/<link> symlink,
 * `files` hardlinks into diff/d0/; layerdb <chain>/ with diff, size, cache-id, parent,
 * tar-split.json.gz; imagedb content, metadata <id>/ and its parent. Returns ms per layer.
 */
export function createFloor(dir: string, layers: number, files: number): number {
  rmSync(dir, { recursive: true, force: true });
  const src = join(dir, 'src');
  for (const d of [src, join(dir, 'overlay2', 'l'), join(dir, 'layerdb'), join(dir, 'content'), join(dir, 'metadata')]) mkdirSync(d, { recursive: true });
  for (let f = 0; f < files; f++) writeFileSync(join(src, `f${f}`), 'x');
  const t = performance.now();
  for (let i = 0; i < layers; i++) {
    const id = `${i}`.padStart(64, '0');
    const layer = join(dir, 'overlay2', id);
    mkdirSync(layer);
    mkdirSync(join(layer, 'diff'));
    mkdirSync(join(layer, 'diff', 'd0'));
    for (let f = 0; f < files; f++) linkSync(join(src, `f${f}`), join(layer, 'diff', 'd0', `f${f}`));
    mkdirSync(join(layer, 'work'));
    for (const name of ['link', 'lower', 'committed']) writeFileSync(join(layer, name), name);
    symlinkSync(`../${id}/diff`, join(dir, 'overlay2', 'l', `L${i}`));
    const chain = join(dir, 'layerdb', id);
    mkdirSync(chain);
    for (const name of ['diff', 'size', 'cache-id', 'parent', 'tar-split.json.gz']) writeFileSync(join(chain, name), name);
    writeFileSync(join(dir, 'content', id), '{}');
    mkdirSync(join(dir, 'metadata', id));
    writeFileSync(join(dir, 'metadata', id, 'parent'), id);
  }
  const ms = (performance.now() - t) / layers;
  rmSync(dir, { recursive: true, force: true });
  return ms;
}
