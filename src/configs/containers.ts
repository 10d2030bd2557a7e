// The configs stage for containers: which legacy containers can migrate (and why not), their
// config.v2.json bytes and rebuilt links. Nothing here touches the disk except driver.has().
import type { LegacyRoot } from '../discover/records.js';
import type { LegacyDriver } from '../legacy-drivers/driver.js';
import type { ChainID, ImageID } from '../lib/digest/digest.js';
import type { ContainerRow, Finding, ImageRow } from '../report/types.js';
import type { OwnedLayer } from '../write/layout.js';
import type { ContainerPlan } from '../write/containers.js';
import { makeContainerConfig, rebuildLinks } from './container.js';
import { treeStamp } from '../write/sync.js';

export interface ContainerInputs {
  mapping: Map<string, ImageID>;
  chainOf: Map<string, ChainID>;
  owned: Map<ChainID, OwnedLayer>;
  images: ImageRow[];
}

export async function planContainers(
  legacy: LegacyRoot,
  driver: LegacyDriver,
  inp: ContainerInputs,
  warn: (f: Omit<Finding, 'severity'>) => void,
  opts: { online?: boolean } = {},
): Promise<{ plans: ContainerPlan[]; rows: ContainerRow[] }> {
  const plans: ContainerPlan[] = [];
  const rows: ContainerRow[] = [];
  const byId = new Map(legacy.containers.map((c) => [c.id, c]));
  for (const c of legacy.containers) {
    const row: ContainerRow = { id: c.id, name: c.name, image: '', imageId: '', bytes: 0, seconds: 0, wasRunning: c.running, links: [] };
    rows.push(row);
    const label = c.name || c.id;
    const skip = (file: string, reason: string) => {
      row.skipped = `${file}: ${reason}`;
      warn({ file, message: `container ${label} skipped: ${reason}` });
    };
    if (c.problem) {
      const [file, ...rest] = c.problem.split(': ');
      skip(rest.length ? file! : c.dir, rest.length ? rest.join(': ') : c.problem);
      continue;
    }
    const imageId = inp.mapping.get(c.imageV1Id!);
    if (!imageId) {
      skip(`${c.dir}/config.json`, `its image ${c.imageV1Id} was not migrated`);
      continue;
    }
    row.imageId = imageId;
    row.image = inp.images.find((i) => i.imageId === imageId)?.refs.find((r) => !r.includes('@')) ?? imageId;
    if (!(await driver.has(c.id))) {
      skip(driver.fileRoot(c.id), 'the writable layer is missing');
      continue;
    }
    const topChainId = inp.chainOf.get(c.imageV1Id!)!;
    const top = inp.owned.get(topChainId)!;
    const graphName = legacy.linkGraph?.names.get(c.id);
    if (legacy.linkGraph && graphName !== undefined && `/${graphName}` !== c.name)
      warn({ file: `${legacy.root}/linkgraph.db`, message: `container ${c.id.slice(0, 12)} is named ${c.name} in config.json but /${graphName} in linkgraph.db; keeping ${c.name}` });
    const links: string[] = [];
    for (const l of legacy.linkGraph?.links.get(c.id) ?? []) {
      const child = byId.get(l.child);
      if (!child?.name) warn({ file: `${legacy.root}/linkgraph.db`, message: `container ${label}: link ${l.alias} points at unknown container ${l.child}; dropped` });
      else links.push(`${child.name}:${l.alias}`);
    }
    let hostConfig: Buffer | undefined;
    try {
      hostConfig = c.hostConfig && links.length ? rebuildLinks(c.hostConfig, links) : undefined;
    } catch (e) {
      skip(`${c.dir}/hostconfig.json`, (e as Error).message);
      continue;
    }
    if (hostConfig) row.links = links;
    if (c.running && opts.online) {
      // Its layer changes while it runs: the pass after the daemon stops migrates it.
      row.deferred = 'running: migrated by the pass after the legacy daemon stops';
      continue;
    }
    if (c.running) warn({ file: `${c.dir}/config.json`, message: `container ${label} was running when the legacy daemon stopped; it is migrated as stopped` });
    const hasInit = await driver.has(`${c.id}-init`);
    const initId = hasInit ? `${c.id}-init` : undefined;
    const stamp = treeStamp([...(initId ? [driver.containerSource(initId).dir] : []), driver.containerSource(c.id).dir], [`${c.dir}/config.json`, c.hostConfigFile ?? '']);
    // The legacy daemon reads hostconfig.json: while it runs, the rebuilt links wait for the final pass.
    plans.push({ c, mountId: c.id, initId, imageTop: c.imageV1Id!, imageId, topChainId, top, config: makeContainerConfig(c.config!, imageId), hostConfig: opts.online ? undefined : hostConfig, links, stamp });
  }
  return { plans, rows };
}
