// --dry-run: a pre-flight audit that writes nothing under the root. It reuses discover and plan,
// scans each layer as the checksum stage would read it, and with --checksum runs the checksum
// and configs stages with all scratch output in the OS temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { discover } from '../discover/index.js';
import { errorFinding, RootError, type Finding, type LegacyRoot } from '../discover/records.js';
import { plan as planLayers, type Plan } from '../plan/plan.js';
import { runChecksums } from '../checksum/pool.js';
import { computeImages } from '../configs/images.js';
import { walk } from '../lib/fs/walk.js';
import type { LegacyDriver } from '../legacy-drivers/driver.js';
import type { ImageRow, LayerRow } from '../report/types.js';
import { scanLayer, scanSource, type LayerScan } from './layer-scan.js';
import { imageShares, tagsByV1, type ImageShare } from './sharing.js';
import { renderTree, toDot } from './tree.js';
import { freeBytes, measureRate } from './machine.js';
import { classifyDaemons } from '../discover/daemons.js';
import { casStoreOf } from '../cas/detect.js';
import { auditCas } from './cas.js';

export interface AuditOptions {
  root: string;
  target?: string;
  driver?: string;
  workers?: number;
  checksum?: boolean;
  ignoreRunningDaemon?: boolean;
  allowTagLoss?: boolean;
}

export interface AuditReport {
  root: string;
  target: string;
  dryRun: true;
  /** A CAS-era root (image/<driver>/, IDs kept); absent for a pre-1.10 graph. */
  medium?: 'cas';
  verdict: 'clean' | 'warnings' | 'fail';
  summary: {
    driver?: string; v1Layers: number; images: number; taggedImages: number; danglingChains: number; tags: number;
    containers: number; layerBytes: number; containerBytes: number;
  };
  images: ImageShare[];
  layers: Array<{ v1Id: string; parent?: string; size: number; files: number; path: 'A' | 'B'; reason?: string }>;
  containers: Array<{ id: string; name: string; imageV1Id?: string; bytes: number; wouldSkip?: string }>;
  tree: string;
  plan: {
    pathA: number; pathB: number;
    /** What the migration would create (before ChainID de-duplication, which only --checksum can see). */
    writes: { layerDirs: number; hardlinks: number; images: number; references: number; containers: number };
    disk: { imageLayers: number; containerCopies: number; metadata: number; needed: number; freeOnTarget?: number };
    estimate: { sampleMBs?: number; seconds?: number };
  };
  findings: Finding[];
  checksum?: { layers: LayerRow[]; images: ImageRow[]; collapsed: Array<{ chainId: string; v1Ids: string[]; bytesSaved: number }> };
  /** Graphviz DOT of the sharing graph (rendered by --graph). */
  dot: string;
}

function verdictOf(findings: Finding[]): AuditReport['verdict'] {
  if (findings.some((f) => f.severity === 'error')) return 'fail';
  return findings.some((f) => f.severity === 'warning') ? 'warnings' : 'clean';
}

function emptyReport(root: string, target: string, findings: Finding[]): AuditReport {
  return {
    root, target, dryRun: true, verdict: verdictOf(findings), images: [], layers: [], containers: [], tree: '', dot: 'digraph sharing {}\n', findings,
    summary: { v1Layers: 0, images: 0, taggedImages: 0, danglingChains: 0, tags: 0, containers: 0, layerBytes: 0, containerBytes: 0 },
    plan: { pathA: 0, pathB: 0, writes: { layerDirs: 0, hardlinks: 0, images: 0, references: 0, containers: 0 }, disk: { imageLayers: 0, containerCopies: 0, metadata: 0, needed: 0 }, estimate: {} },
  };
}

export async function audit(opts: AuditOptions): Promise<AuditReport> {
  const root = opts.root.replace(/\/+$/, '') || '/';
  const target = (opts.target ?? root).replace(/\/+$/, '') || '/';
  const running = classifyDaemons(root, await casStoreOf(root, opts.driver).catch(() => undefined));
  const daemons = [
    ...running.current.map((pid): Finding => ({
      severity: opts.ignoreRunningDaemon ? 'warning' : 'error', file: root,
      message: `a current Docker daemon (pid ${pid}) is using this root: it reads the overlay2 layout; stop it before migrating`,
    })),
    ...running.legacy.map((pid): Finding => ({
      severity: 'warning', file: root,
      message: `a legacy Docker daemon (pid ${pid}) is running on this root: a pass now is provisional (running containers wait); run it again after the daemon stops`,
    })),
  ];
  try {
    const cas = await casStoreOf(root, opts.driver);
    if (cas) return await auditCas(opts, root, target, cas, [...daemons]);
  } catch (e) {
    if (e instanceof RootError) return emptyReport(root, target, [...daemons, errorFinding(e)]);
    throw e;
  }
  let legacy: LegacyRoot, driver: LegacyDriver;
  try {
    ({ legacy, driver } = await discover(root, opts.driver, { allowTagLoss: opts.allowTagLoss }));
  } catch (e) {
    if (e instanceof RootError) return emptyReport(root, target, [...daemons, errorFinding(e)]);
    throw e;
  }
  const plan = planLayers(legacy);
  const findings: Finding[] = [...daemons, ...legacy.findings];
  const scans = new Map<string, LayerScan>();
  const limit = pLimit(8);
  await Promise.all(plan.order.map((l) => limit(async () => {
    const s = await scanLayer(l.v1Id, l.tarData, driver.fileRoot(l.v1Id), driver.diffSource(l.v1Id, l.parent));
    scans.set(l.v1Id, s);
  })));
  for (const l of plan.order) findings.push(...scans.get(l.v1Id)!.findings);
  const sizes = new Map([...scans].map(([id, s]) => [id, s.size]));

  const containers = await auditContainers(legacy, plan, driver, findings);
  const images = imageShares(legacy, plan, sizes);
  const tags = tagsByV1(legacy);
  for (const i of images) if (i.tags.length === 0) findings.push({ severity: 'info', v1Id: i.v1Id, file: `${root}/graph/${i.v1Id}`, message: `dangling chain: untagged image of ${i.layers} layer(s), ${i.size} bytes; it is migrated as an untagged image` });

  const layerBytes = [...scans.values()].reduce((a, s) => a + s.size, 0);
  const containerBytes = containers.reduce((a, c) => a + (c.wouldSkip ? 0 : c.bytes), 0);
  const metadata = [...scans.values()].reduce((a, s) => a + s.tarDataBytes + (s.path === 'B' ? s.files * 64 : 0) + 16384, 0) + plan.order.reduce((a, l) => a + l.json.length, 0);
  const biggest = [...scans].sort((a, b) => b[1].size - a[1].size)[0]?.[0];
  const sampleFiles: string[] = [];
  if (biggest) for await (const e of walk(driver.fileRoot(biggest))) if (e.st.isFile() && sampleFiles.push(e.abs.toString('utf8')) >= 64) break;
  const sampleMBs = measureRate(sampleFiles);
  const workers = Math.max(1, Math.min(opts.workers ?? cpus().length, plan.order.length));
  const report: AuditReport = {
    root, target, dryRun: true, verdict: 'clean', images, tree: renderTree(plan, sizes, tags), findings,
    layers: plan.order.map((l) => ({ v1Id: l.v1Id, parent: l.parent, size: scans.get(l.v1Id)!.size, files: scans.get(l.v1Id)!.files, path: scans.get(l.v1Id)!.path, reason: scans.get(l.v1Id)!.reason })),
    containers,
    summary: {
      driver: legacy.driver, v1Layers: legacy.layers.size + legacy.broken.size, images: images.length, taggedImages: images.filter((i) => i.tags.length).length,
      danglingChains: images.filter((i) => !i.tags.length).length, tags: [...legacy.tags.values()].reduce((a, m) => a + m.size, 0),
      containers: legacy.containers.length, layerBytes, containerBytes,
    },
    plan: {
      pathA: [...scans.values()].filter((s) => s.path === 'A').length, pathB: [...scans.values()].filter((s) => s.path === 'B').length,
      writes: {
        layerDirs: plan.order.length, hardlinks: [...scans.values()].reduce((a, s) => a + s.files, 0), images: plan.order.length,
        references: [...legacy.tags.values()].reduce((a, m) => a + [...m.values()].filter((v) => plan.chains.has(v as never)).length, 0),
        containers: containers.filter((c) => !c.wouldSkip).length,
      },
      disk: { imageLayers: 0, containerCopies: containerBytes, metadata, needed: containerBytes + metadata, freeOnTarget: freeBytes(target) ?? freeBytes(root) },
      estimate: { sampleMBs, seconds: sampleMBs ? (layerBytes * 1.02) / 1e6 / sampleMBs / workers : undefined },
    },
    dot: toDot(plan, sizes, images),
  };
  const free = report.plan.disk.freeOnTarget;
  if (free !== undefined && free < report.plan.disk.needed) findings.push({ severity: 'error', file: target, message: `the migration needs about ${report.plan.disk.needed} bytes but only ${free} are free` });
  if (opts.checksum) {
    if (findings.some((f) => f.severity === 'error')) findings.push({ severity: 'warning', message: '--checksum skipped: the root has errors the migration would stop on' });
    else {
      report.checksum = await auditChecksums(legacy, plan, driver, opts.workers ?? cpus().length);
      // Content checks the size scan cannot make: a fallback found by really reassembling.
      for (const l of report.checksum.layers) {
        const scanned = report.layers.find((x) => x.v1Id === l.v1Id);
        if (l.path === 'B' && scanned?.path === 'A') {
          scanned.path = 'B';
          scanned.reason = l.fallbackReason;
          findings.push({ severity: 'warning', v1Id: l.v1Id, file: legacy.layers.get(l.v1Id as never)?.tarData, message: `would fall back to regenerating the tar (Path B): ${l.fallbackReason}` });
        }
      }
    }
  }
  report.verdict = verdictOf(findings);
  return report;
}

async function auditContainers(legacy: LegacyRoot, plan: Plan, driver: LegacyDriver, findings: Finding[]): Promise<AuditReport['containers']> {
  const migratable = new Set(plan.order.map((l) => l.v1Id as string));
  const out: AuditReport['containers'] = [];
  for (const c of legacy.containers) {
    let wouldSkip = c.problem;
    if (!wouldSkip && !migratable.has(c.imageV1Id!)) wouldSkip = `its image ${c.imageV1Id} would not be migrated`;
    if (!wouldSkip && !(await driver.has(c.id))) wouldSkip = `${driver.fileRoot(c.id)}: the writable layer is missing`;
    let bytes = 0;
    if (!wouldSkip) {
      const hasInit = await driver.has(`${c.id}-init`);
      if (hasInit) bytes += (await scanSource(driver.containerSource(`${c.id}-init`, c.imageV1Id))).size;
      bytes += (await scanSource(driver.containerSource(c.id, hasInit ? `${c.id}-init` : c.imageV1Id))).size;
    }
    if (wouldSkip) findings.push({ severity: 'warning', file: c.dir, message: `container ${c.name || c.id} would be skipped: ${wouldSkip}` });
    if (c.running) findings.push({ severity: 'warning', file: `${c.dir}/config.json`, message: `container ${c.name} is marked running; it would be migrated as stopped` });
    out.push({ id: c.id, name: c.name, imageV1Id: c.imageV1Id, bytes, wouldSkip });
  }
  return out;
}

async function auditChecksums(legacy: LegacyRoot, plan: Plan, driver: LegacyDriver, workers: number): Promise<NonNullable<AuditReport['checksum']>> {
  const scratch = mkdtempSync(join(tmpdir(), 'cas-migrate-audit-'));
  try {
    const digests = await runChecksums(plan.order.map((l) => {
      return { v1Id: l.v1Id, tarData: l.tarData, fileRoot: driver.fileRoot(l.v1Id), source: driver.diffSource(l.v1Id, l.parent), pathBOut: join(scratch, `${l.v1Id}.json.gz`), weight: l.layerSize ?? 0 };
    }), workers);
    const r = computeImages(legacy, plan.order, digests);
    const groups = new Map<string, string[]>();
    for (const l of r.layers) groups.set(l.chainId, [...(groups.get(l.chainId) ?? []), l.v1Id]);
    const collapsed = [...groups].filter(([, ids]) => ids.length > 1).map(([chainId, v1Ids]) => ({
      chainId, v1Ids, bytesSaved: v1Ids.slice(1).reduce((a, id) => a + (r.layers.find((x) => x.v1Id === id)?.size ?? 0), 0),
    }));
    return { layers: r.layers, images: r.images, collapsed };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
