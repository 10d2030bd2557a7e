// Filesystem views built from tar streams with tar-stream: the merged view of layer tars applied
// in order with whiteout/opaque semantics (what the legacy aufs union showed), and the view of a
// `docker export` stream, in one comparable shape.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import tar from 'tar-stream';

export interface Node {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  sha?: string;
  linkname?: string;
  dev?: string;
  /** security.capability (the only xattr docker export keeps), hex. */
  cap?: string;
}

const clean = (n: string) => n.replace(/^(\.\/)+/, '').replace(/^\/+/, '').replace(/\/+$/, '');

export async function readTar(data: Buffer): Promise<Array<{ name: string; header: tar.Header; sha?: string; body: Buffer }>> {
  const out: Array<{ name: string; header: tar.Header; sha?: string; body: Buffer }> = [];
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        out.push({ name: clean(header.name), header, body, sha: header.type === 'file' ? createHash('sha256').update(body).digest('hex') : undefined });
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  Readable.from([data]).pipe(ex);
  await done;
  return out;
}

function capOf(h: tar.Header): string | undefined {
  const v = (h as { pax?: Record<string, string> }).pax?.['SCHILY.xattr.security.capability'];
  return v === undefined ? undefined : Buffer.from(v, 'latin1').toString('hex');
}

function nodeOf(h: tar.Header, sha?: string): Node {
  return {
    type: h.type === 'contiguous-file' ? 'file' : h.type!, mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0,
    mtime: Math.floor((h.mtime?.getTime() ?? 0) / 1000), sha, linkname: h.type === 'symlink' ? h.linkname ?? undefined : undefined,
    dev: h.type === 'character-device' || h.type === 'block-device' ? `${h.devmajor}:${h.devminor}` : undefined,
    cap: capOf(h),
  };
}

/** Apply layer tars in order as a union filesystem would show them. */
export async function mergedView(layers: Buffer[]): Promise<Map<string, Node>> {
  const view = new Map<string, Node>();
  const removeTree = (p: string) => {
    for (const k of [...view.keys()]) if (k === p || k.startsWith(p + '/')) view.delete(k);
  };
  for (const data of layers) {
    const lower = new Set(view.keys());
    for (const e of await readTar(data)) {
      if (e.name === '') continue;
      const base = e.name.split('/').pop()!;
      const dir = e.name.includes('/') ? e.name.slice(0, e.name.lastIndexOf('/')) : '';
      if (base === '.wh..wh..opq') {
        for (const k of lower) if (dir === '' || k.startsWith(dir + '/')) view.delete(k);
        continue;
      }
      if (base.startsWith('.wh.')) {
        removeTree((dir ? dir + '/' : '') + base.slice(4));
        continue;
      }
      if (e.header.type === 'link') {
        const target = view.get(clean(e.header.linkname!));
        removeTree(e.name);
        if (target) view.set(e.name, { ...target });
        continue;
      }
      const n = nodeOf(e.header, e.sha);
      if (n.type !== 'directory') removeTree(e.name);
      view.set(e.name, n);
    }
  }
  return view;
}

/** The view of a docker export tar (hard links resolved to their target's content). */
export async function exportView(data: Buffer): Promise<Map<string, Node>> {
  const view = new Map<string, Node>();
  for (const e of await readTar(data)) {
    if (e.name === '') continue;
    if (e.header.type === 'link') {
      const t = view.get(clean(e.header.linkname!))!;
      view.set(e.name, { ...nodeOf(e.header), type: 'file', sha: t.sha });
    } else view.set(e.name, nodeOf(e.header, e.sha));
  }
  return view;
}

/**
 * Differences between an expected and an observed view. `skip(path)` leaves a path out of both
 * directions; `ignoreMtime(path)` compares that path without its mtime.
 */
export function viewProblems(
  want: Map<string, Node>,
  got: Map<string, Node>,
  opts: { skip?: (p: string) => boolean; ignoreMtime?: (p: string) => boolean } = {},
): string[] {
  const problems: string[] = [];
  const norm = (p: string, n: Node | undefined) => (n && opts.ignoreMtime?.(p) ? JSON.stringify({ ...n, mtime: 0 }) : JSON.stringify(n));
  for (const [p, n] of want) {
    if (opts.skip?.(p)) continue;
    if (norm(p, n) !== norm(p, got.get(p))) problems.push(`${p}: want ${JSON.stringify(n)} got ${JSON.stringify(got.get(p))}`);
  }
  for (const p of got.keys()) if (!want.has(p) && !opts.skip?.(p)) problems.push(`${p}: unexpected`);
  return problems;
}
