// discover: read a legacy root into plain records. Reads only; never writes.
import { promises as fsp } from 'node:fs';
import { detectDriver } from '../legacy-drivers/index.js';
import type { LegacyDriver } from '../legacy-drivers/driver.js';
import { readGraph } from './graph.js';
import { readTags } from './tags.js';
import { readContainers, readLinkGraph } from './containers.js';
import { RootError, type Finding, type LegacyRoot, type V1Id } from './records.js';

export interface DiscoverOptions {
  /** Tags that cannot be carried over are dropped with a warning instead of stopping the run. */
  allowTagLoss?: boolean;
  /** A sync: the config files the last pass published per container (its originals are read instead). */
  ours?: Map<string, { config?: Buffer; hostConfig?: Buffer }>;
}

export async function discover(root: string, wantedDriver?: string, opts: DiscoverOptions = {}): Promise<{ legacy: LegacyRoot; driver: LegacyDriver }> {
  const st = await fsp.stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new RootError(root, 'not a directory');
  const hasGraph = (await fsp.lstat(`${root}/graph`).catch(() => undefined))?.isDirectory();
  if (!hasGraph) throw new RootError(`${root}/graph`, 'no legacy graph directory: this is not a pre-1.10 Docker root (or it was already migrated)');
  const driver = await detectDriver(root, wantedDriver);
  const findings: Finding[] = [];
  const broken = new Set<string>();
  const layers = readGraph(root, findings, broken);
  for (const id of [...layers.keys()]) {
    if (await driver.has(id)) continue;
    findings.push({ severity: 'error', v1Id: id, file: driver.fileRoot(id), message: 'layer data directory is missing' });
    layers.delete(id);
    broken.add(id);
  }
  const inGraph = (id: string) => layers.has(id as V1Id) || broken.has(id);
  const { tags, file: tagsFile, dropped: droppedTags } = await readTags(root, driver.name, inGraph, opts.allowTagLoss ?? false, findings);
  const containers = await readContainers(root, opts.ours);
  const linkGraph = containers.length ? await readLinkGraph(root) : undefined;
  return { legacy: { root, driver: driver.name, layers, broken, findings, tags, tagsFile, droppedTags, containers, linkGraph }, driver };
}
