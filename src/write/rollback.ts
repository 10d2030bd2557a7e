// rollback: remove exactly what the migration created (the journal lists it) and put back the
// hostconfig.json files it swapped, leaving the legacy data as it was. Refused when a current
// dockerd has written to the new layout since: rolling back would silently lose that work.
import { promises as fsp } from 'node:fs';
import { RootError } from '../discover/records.js';
import { setTimes } from '../lib/fs/times.js';
import type { MigrationReport } from '../report/types.js';
import { CONFIG_BACKUP, HOSTCONFIG_BACKUP } from './containers.js';
import { JOURNAL_NAME, readJournal, type Journal } from './journal.js';
import type { Recorded } from './sync.js';
import { STAGING_NAME } from './staging.js';

const list = (p: string) => fsp.readdir(p).catch(() => [] as string[]);

/** What a dockerd changed in the layout since the migration, if anything. */
export async function changesSince(j: Journal): Promise<string[]> {
  const report = j.report as MigrationReport;
  const img = `${j.target}/image/overlay2`;
  const changes: string[] = [];
  const compare = (what: string, now: string[], ours: Set<string>) => {
    const extra = now.filter((x) => !ours.has(x)), missing = [...ours].filter((x) => !now.includes(x));
    if (extra.length) changes.push(`${extra.length} ${what} added`);
    if (missing.length) changes.push(`${missing.length} ${what} removed`);
  };
  compare('layers', await list(`${img}/layerdb/sha256`), new Set(report.layers.filter((l) => l.cacheId).map((l) => l.chainId.slice(7))));
  compare('images', await list(`${img}/imagedb/content/sha256`), new Set(report.images.map((i) => i.imageId.slice(7))));
  const mounts = (report.containers ?? []).filter((c) => !c.skipped && !c.deferred).map((c) => c.id);
  compare('container mounts', await list(`${img}/layerdb/mounts`), new Set(mounts));
  const recorded = j.lastUpdated ?? {};
  const now = await lastUpdatedOf(j.target);
  if (Object.entries(now).some(([k, v]) => recorded[k] !== v)) changes.push('image metadata updated (tag, pull or load)');
  for (const p of j.publish) {
    const dir = j.target === j.root ? p.dir : `${j.target}/containers/${p.id}`;
    const current = await fsp.readFile(`${dir}/config.v2.json`).catch(() => undefined);
    // Gone with its dir, or never published: the legacy daemon removed the container — a change
    // for a sync to follow, not a dockerd's doing.
    if (!current || current.equals(Buffer.from(p.config, 'base64'))) continue;
    // A CAS-era daemon rewrites its own config.v2.json ("Driver" its driver): also one to follow.
    if (p.replacesConfig && driverOf(current) !== 'overlay2') continue;
    changes.push(`container ${p.id.slice(0, 12)} was loaded by a dockerd (config.v2.json rewritten)`);
    break;
  }
  return changes;
}

const driverOf = (json: Buffer): unknown => {
  try {
    return (JSON.parse(json.toString('utf8')) as { Driver?: unknown }).Driver;
  } catch {
    return undefined;
  }
};

/** The imagedb's lastUpdated files (image hex → content): dockerd writes one on tag, pull and load. */
export async function lastUpdatedOf(target: string): Promise<Record<string, string>> {
  const meta = `${target}/image/overlay2/imagedb/metadata/sha256`;
  const out: Record<string, string> = {};
  for (const m of await list(meta)) {
    const v = await fsp.readFile(`${meta}/${m}/lastUpdated`, 'utf8').catch(() => undefined);
    if (v !== undefined) out[m] = v;
  }
  return out;
}

/** A journal of an older version without a record: every layer counts as changed (it is read again). */
export function recordedFromReport(j: Journal): Recorded {
  const report = j.report as MigrationReport | undefined;
  return {
    layers: (report?.layers ?? []).filter((l) => l.cacheId).map((l) => ({ id: l.v1Id, cacheId: l.cacheId!, chainId: l.chainId, stamp: '', digest: { v1Id: l.v1Id, diffId: l.diffId, size: l.size, path: l.path, tarSplit: '', bytes: l.bytes, seconds: l.seconds } })),
    containers: j.publish.map((p) => ({ id: p.id, dirs: [`${p.id}-init`, p.id], stamp: '' })),
  };
}

export async function rollback(rootIn: string, targetIn?: string): Promise<{ removed: string[] }> {
  const root = rootIn.replace(/\/+$/, '') || '/';
  const target = (targetIn ?? root).replace(/\/+$/, '') || '/';
  const journalFile = `${target}/${JOURNAL_NAME}`;
  const j = await readJournal(target);
  if (!j) throw new RootError(journalFile, 'nothing to roll back: no migration is recorded here');
  if (j.root !== root) throw new RootError(journalFile, `this target holds a migration of ${j.root}, not ${root}`);
  if (j.finalizedTo) throw new RootError(j.finalizedTo, 'the migration was finalized: undo the finalize first (move the legacy data back), then roll back');
  if (j.state === 'done') {
    const changes = await changesSince(j);
    if (changes.length)
      throw new RootError(`${target}/image/overlay2`, `a current dockerd has written to the new layout since the migration (${changes.join('; ')}); rolling back would lose that. Stop dockerd and keep the new layout, or move image/overlay2 and overlay2 aside by hand and restore containers/*/hostconfig.json from ${HOSTCONFIG_BACKUP}`);
  }
  const removed: string[] = [];
  const trash = `${target}/.cas-migrate-rollback`;
  await fsp.rm(trash, { recursive: true, force: true });
  await fsp.mkdir(trash, { mode: 0o700 });
  for (const [from, name] of [[`${target}/image/overlay2`, 'image-overlay2'], [`${target}/overlay2`, 'overlay2'], [`${target}/${STAGING_NAME}`, 'staging']] as const) {
    if (await fsp.rename(from, `${trash}/${name}`).then(() => true, () => false)) removed.push(from);
  }
  await fsp.rmdir(`${target}/image`).then(() => removed.push(`${target}/image`), () => undefined);
  for (const p of j.publish) {
    if (target !== root) {
      await fsp.rm(`${target}/containers/${p.id}`, { recursive: true, force: true });
      removed.push(`${target}/containers/${p.id}`);
      continue;
    }
    const st = await fsp.stat(p.dir, { bigint: true });
    if (p.replacesConfig) {
      if (await fsp.rename(`${p.dir}/${CONFIG_BACKUP}`, `${p.dir}/config.v2.json`).then(() => true, () => false)) removed.push(`${p.dir}/config.v2.json (original restored)`);
    } else if (await fsp.rm(`${p.dir}/config.v2.json`).then(() => true, () => false)) removed.push(`${p.dir}/config.v2.json`);
    if (await fsp.rename(`${p.dir}/${HOSTCONFIG_BACKUP}`, `${p.dir}/hostconfig.json`).then(() => true, () => false)) removed.push(`${p.dir}/hostconfig.json (original restored)`);
    setTimes(p.dir, st.atimeNs, st.mtimeNs);
  }
  await fsp.rm(trash, { recursive: true, force: true });
  await fsp.rm(journalFile, { force: true });
  removed.push(journalFile);
  return { removed };
}
