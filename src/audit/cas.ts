// --dry-run of a CAS-era root: what the store holds, what the migration would keep (every ID),
// what it would write, and — with --checksum — whether every layer's data still hashes to its
// recorded DiffID. Writes nothing under the root; --checksum keeps its scratch in the OS temp dir.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { driverFor } from '../legacy-drivers/index.js';
import { readCasStore } from '../cas/store.js';
import { readCasContainers } from '../cas/containers.js';
import { runChecksums } from '../checksum/pool.js';
import type { Finding } from '../discover/records.js';
import type { AuditOptions, AuditReport } from './index.js';
import { freeBytes } from './machine.js';
import { humanBytes } from '../report/text.js';

export async function auditCas(opts: AuditOptions, root: string, target: string, driverName: string, findings: Finding[]): Promise<AuditReport> {
  const driver = driverFor(driverName, root);
  const store = await readCasStore(root, driver, opts.allowTagLoss ?? false);
  findings.push({ severity: 'info', file: store.dir, message: `a CAS-era root (Docker 1.10–23, ${driverName} driver): image, layer and container IDs are kept; every layer is proven against its recorded DiffID` }, ...store.findings);
  if (existsSync(`${root}/graph`)) findings.push({ severity: 'warning', file: `${root}/graph`, message: `left over from the in-place migration of Docker 1.10: not read (image/${driverName}/ holds this root's images since)` });
  const containers = await readCasContainers(store, driver);
  const refsOf = (id: string) => [...store.repositories].flatMap(([, m]) => [...m].filter(([, v]) => v === id).map(([r]) => r));
  const sizeOf = new Map(store.layers.map((l) => [l.chainId as string, l.size]));
  const parentOf = new Map(store.layers.map((l) => [l.chainId as string, l.parent as string | undefined]));
  const chainOf = (top?: string): string[] => (top ? [...chainOf(parentOf.get(top)), top] : []);
  const users = new Map<string, number>();
  for (const i of store.images.values()) for (const c of chainOf(i.top)) users.set(c, (users.get(c) ?? 0) + 1);
  const images = [...store.images.values()].map((i) => {
    const chain = chainOf(i.top);
    const size = chain.reduce((a, c) => a + sizeOf.get(c)!, 0);
    const shared = chain.filter((c) => users.get(c)! > 1).reduce((a, c) => a + sizeOf.get(c)!, 0);
    return { v1Id: i.id, tags: refsOf(i.id), layers: i.layers, size, shared, unique: size - shared, containers: containers.filter((c) => c.imageId === i.id).length };
  });
  for (const c of containers) {
    if (c.problem) findings.push({ severity: 'warning', file: c.problem.slice(0, c.problem.indexOf(': ')), message: `container ${c.name || c.id} would be skipped: ${c.problem.slice(c.problem.indexOf(': ') + 2)}` });
    else if (c.running) findings.push({ severity: 'warning', file: `${c.dir}/config.v2.json`, message: `container ${c.name} is marked running; dockerd will find it stopped` });
  }
  const layerBytes = store.layers.reduce((a, l) => a + l.size, 0);
  let checksum: AuditReport['checksum'];
  if (opts.checksum && !findings.some((f) => f.severity === 'error')) {
    const scratch = mkdtempSync(join(tmpdir(), 'cas-migrate-audit-'));
    try {
      const digests = await runChecksums(store.layers.map((l) => ({
        v1Id: l.cacheId, tarData: l.tarSplit, fileRoot: driver.fileRoot(l.cacheId), source: { kind: 'dir' as const, dir: driver.fileRoot(l.cacheId), excludeAufsMeta: true },
        pathBOut: join(scratch, `${l.cacheId}.json.gz`), noFallback: true, weight: l.size,
      })), opts.workers ?? cpus().length).catch((e: Error & { file?: string }) => {
        findings.push({ severity: 'error', file: e.file, message: `would stop: ${e.message}` });
        return new Map();
      });
      for (const l of store.layers) {
        const d = digests.get(l.cacheId);
        if (d && d.diffId !== l.diffId) findings.push({ severity: 'error', v1Id: l.chainId.slice(7), file: l.tarSplit, message: `reassembled over ${driver.fileRoot(l.cacheId)} it hashes to ${d.diffId}, not the recorded DiffID ${l.diffId}` });
      }
      checksum = { layers: store.layers.filter((l) => digests.has(l.cacheId)).map((l) => ({ v1Id: l.cacheId, diffId: digests.get(l.cacheId)!.diffId, chainId: l.chainId, size: l.size, path: 'A' as const, bytes: digests.get(l.cacheId)!.bytes, seconds: digests.get(l.cacheId)!.seconds, cacheId: l.cacheId })), images: [], collapsed: [] };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const containerBytes = 0; // copied at migration; not sized by the CAS audit
  const metadata = store.layers.length * 16384;
  const tree = store.layers.map((l) => `${'  '.repeat(chainOf(l.chainId).length - 1)}└─${l.chainId.slice(7, 19)} ${humanBytes(l.size)} (cache ${l.cacheId.slice(0, 12)})`).join('\n');
  const verdict = findings.some((f) => f.severity === 'error') ? 'fail' : findings.some((f) => f.severity === 'warning') ? 'warnings' : 'clean';
  return {
    root, target, dryRun: true, medium: 'cas', verdict, images, findings, checksum, tree,
    layers: store.layers.map((l) => ({ v1Id: l.cacheId, parent: l.parent, size: l.size, files: 0, path: 'A' as const })),
    containers: containers.map((c) => ({ id: c.id, name: c.name, bytes: 0, wouldSkip: c.problem })),
    summary: {
      driver: driverName, v1Layers: store.layers.length, images: images.length, taggedImages: images.filter((i) => i.tags.length).length, danglingChains: images.filter((i) => !i.tags.length).length,
      tags: [...store.repositories.values()].reduce((a, m) => a + m.size, 0), containers: containers.length, layerBytes, containerBytes,
    },
    plan: {
      pathA: store.layers.length, pathB: 0,
      writes: { layerDirs: store.layers.length, hardlinks: 0, images: images.length, references: [...store.repositories.values()].reduce((a, m) => a + m.size, 0), containers: containers.filter((c) => !c.problem).length },
      disk: { imageLayers: 0, containerCopies: containerBytes, metadata, needed: metadata, freeOnTarget: freeBytes(target) ?? freeBytes(root) },
      estimate: {},
    },
    dot: `digraph sharing {\n${store.layers.map((l) => `  "${l.chainId.slice(7, 19)}"${l.parent ? ` ; "${l.parent.slice(7, 19)}" -> "${l.chainId.slice(7, 19)}"` : ''};`).join('\n')}\n}\n`,
  };
}
