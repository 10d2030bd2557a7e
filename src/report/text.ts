// The human-readable report: a per-layer table, totals, findings and what to do next.
import type { MigrationReport } from './types.js';

const short = (s: string, n = 12) => s.replace(/^sha256:/, '').slice(0, n);

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}

export function renderText(r: MigrationReport): string {
  const out: string[] = [];
  if (r.resumed) out.push('Resumed an interrupted migration (from the journal) and finished it. Its report:', '');
  if (r.upToDate) out.push(`Up to date: ${r.root} has not changed since the last pass; nothing was written.`, '');
  else if (r.sync) {
    const s = r.sync;
    out.push(`Synced with the last pass: layers ${s.layersAdded} added, ${s.layersRemoved} removed, ${s.layersRewritten} rewritten, ${s.layersKept} kept (not read); ` +
      `containers ${s.containersAdded} added, ${s.containersRemoved} removed, ${s.containersRewritten} rewritten; ` +
      `references ${s.refsAdded.length ? `added ${s.refsAdded.join(', ')}` : 'none added'}${s.refsRemoved.length ? `, removed ${s.refsRemoved.join(', ')}` : ''}.`, '');
  }
  if (r.provisional) out.push(`PROVISIONAL: a legacy Docker daemon (pid ${r.provisional.daemonPid}) was running; ${r.provisional.deferred.length ? `running containers left for the final pass: ${r.provisional.deferred.join(', ')}; ` : ''}run cas-migrate again after it stops (that pass takes seconds).`, '');
  const rows = [['V1 ID', 'DIFFID', 'SIZE', 'PATH', 'SECONDS', 'MB/S', 'NOTE']];
  for (const l of r.layers) {
    const mbs = l.seconds > 0 ? (l.bytes / 1e6 / l.seconds).toFixed(1) : '-';
    const note = l.sameAs ? `same layer as ${short(l.sameAs)}` : l.path === 'B' ? (l.fallbackReason ?? '') : '';
    rows.push([short(l.v1Id), short(l.diffId), humanBytes(l.size), l.path, l.seconds.toFixed(3), mbs, note]);
  }
  out.push(table(rows), '');
  const imgRows = [['V1 ID', 'IMAGE ID', 'LAYERS', 'REFERENCES']];
  for (const i of r.images) imgRows.push([short(i.v1Id), short(i.imageId), String(i.layers), i.refs.join(', ') || '<untagged>']);
  out.push(table(imgRows), '');
  if (r.containers.length) {
    const cRows = [['CONTAINER', 'NAME', 'IMAGE', 'WRITABLE DATA', 'SECONDS', 'NOTE']];
    for (const c of r.containers)
      cRows.push([short(c.id), c.name, c.image ? short(c.image, 40) : '-', humanBytes(c.bytes), c.seconds.toFixed(3),
        c.skipped ? `SKIPPED: ${c.skipped}` : [c.wasRunning ? 'was running, now stopped' : '', c.links.length ? `links ${c.links.join(', ')}` : ''].filter(Boolean).join('; ')]);
    out.push(table(cRows), '');
  }
  const t = r.totals;
  out.push(
    `${t.layers} v1 layers → ${t.uniqueLayers} overlay2 layers (${t.pathA} Path A, ${t.pathB} Path B), ${t.images} images, ${r.refs.migrated} references`,
    `${humanBytes(t.bytes)} of layer tar hashed in ${r.timings.checksum.toFixed(2)} s` +
      (r.timings.checksum > 0 ? ` (${(t.bytes / 1e6 / r.timings.checksum).toFixed(1)} MB/s${r.engine ? `, ${r.engine}` : ''})` : '') +
      `; total ${r.timings.total.toFixed(2)} s`,
    `${r.containers.filter((c) => !c.skipped).length} of ${r.containers.length} containers migrated` + (r.reusedLayers ? `; ${r.reusedLayers} layer checksums reused from an interrupted run` : ''),
    `layer files: ${r.materialise.linked} hardlinked, ${r.materialise.cloned} reflinked, ${r.materialise.copied} copied` +
      (r.materialise.copied ? ' (target on another filesystem: copies use extra disk)' : '') +
      `, ${r.materialise.whiteouts} whiteouts, ${r.materialise.opaqueDirs} opaque dirs`,
  );
  if (r.findings.length) {
    out.push('', 'Findings:');
    for (const f of r.findings) out.push(`  ${f.severity}: ${f.v1Id ? `layer ${short(f.v1Id)}: ` : ''}${f.file ? `${f.file}: ` : ''}${f.message}`);
  }
  out.push('', `Migrated ${r.root} → ${r.target}/image/overlay2 and ${r.target}/overlay2. Next:`);
  r.nextSteps.forEach((s, i) => out.push(`  ${i + 1}. ${s}`));
  return out.join('\n');
}
