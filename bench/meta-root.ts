// The metadata-heavy root for the audit: 10 000 v1 layers: 1 111 ten-layer images sharing a
// base (1 + 1 111 × 9), 1 111 tags. Each layer holds one small file; its tar-data is a real tar-split of a Go-
// style tar written with our own header writer and packer (10 000 Go CLI runs would take minutes).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { GoTarHeaderWriter, padding, TYPE_REG } from '../src/lib/tar/header.js';
import { encodeEntry, FILE_TYPE, SEGMENT_TYPE } from '../src/lib/tarsplit/entry.js';
import { crc64 } from '../src/lib/crc64/crc64.js';

export function metaRoot(images = 1111, depth = 10): { root: string; layers: number; tags: number } {
  const dir = join(tmpdir(), `cas-bench-meta-${images}x${depth}`);
  const root = join(dir, 'docker');
  const result = { root, layers: 1 + images * (depth - 1), tags: images };
  if (existsSync(join(dir, 'complete'))) return result;
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['graph', 'aufs/diff', 'aufs/layers', 'aufs/mnt']) mkdirSync(join(root, d), { recursive: true });
  const id = (s: string) => createHash('sha256').update(s).digest('hex');
  const layer = (v1: string, parent: string | undefined, name: string) => {
    const content = Buffer.from(`${name}\n`);
    mkdirSync(join(root, 'aufs/diff', v1));
    writeFileSync(join(root, 'aufs/diff', v1, 'f'), content);
    const hdr = new GoTarHeaderWriter().encode({ name: 'f', mode: 0o100644, uid: 0, gid: 0, size: content.length, mtime: 1446330000, typeflag: TYPE_REG, linkname: '', devmajor: 0, devminor: 0 });
    const lines = [
      encodeEntry({ type: SEGMENT_TYPE, payload: hdr, position: 0 }),
      encodeEntry({ type: FILE_TYPE, name: Buffer.from('f'), size: content.length, payload: crc64(content), position: 1 }),
      encodeEntry({ type: SEGMENT_TYPE, payload: Buffer.alloc(padding(content.length) + 1024), position: 2 }),
      encodeEntry({ type: SEGMENT_TYPE, payload: Buffer.alloc(0), position: 3 }),
    ];
    mkdirSync(join(root, 'graph', v1));
    writeFileSync(join(root, 'graph', v1, 'tar-data.json.gz'), gzipSync(lines.join('')));
    writeFileSync(join(root, 'graph', v1, 'json'), JSON.stringify({ id: v1, ...(parent ? { parent } : {}), created: '2015-11-01T00:00:00Z', docker_version: '1.9.1', container_config: { Cmd: [name] } }));
  };
  const base = id('base');
  layer(base, undefined, 'base');
  const repos: Record<string, Record<string, string>> = {};
  for (let i = 0; i < images; i++) {
    let parent = base;
    for (let j = 1; j < depth; j++) {
      const v1 = id(`img${i}-l${j}`);
      layer(v1, parent, `img${i}-l${j}`);
      parent = v1;
    }
    repos[`bench/app${i}`] = { latest: parent };
  }
  writeFileSync(join(root, 'repositories-aufs'), JSON.stringify({ Repositories: repos }));
  writeFileSync(join(dir, 'complete'), '');
  return result;
}
