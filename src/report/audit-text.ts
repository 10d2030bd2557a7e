// The --dry-run report for a terminal.
import type { AuditReport } from '../audit/index.js';
import { humanBytes, table } from './text.js';

const short = (s: string) => s.replace(/^sha256:/, '').slice(0, 12);

export function renderAudit(r: AuditReport): string {
  const s = r.summary;
  const out = [
    `Audit of ${r.root} (dry run: nothing was written)`,
    '',
    `${r.medium === 'cas' ? 'CAS-era root (Docker 1.10–23) · ' : ''}driver ${s.driver ?? '?'} · ${s.v1Layers} ${r.medium === 'cas' ? '' : 'v1 '}layers · ${s.images} images (${s.taggedImages} tagged, ${s.danglingChains} dangling chains) · ${s.tags} tags · ${s.containers} containers`,
    `layer data ${humanBytes(s.layerBytes)} · containers' writable data ${humanBytes(s.containerBytes)}`,
    '',
  ];
  if (r.images.length) {
    const rows = [['IMAGE', 'V1 ID', 'LAYERS', 'SIZE', 'SHARED', 'UNIQUE', 'CONTAINERS']];
    for (const i of r.images) rows.push([i.tags.map((t) => t.replace(/@sha256:([a-f0-9]{12})[a-f0-9]+/, '@sha256:$1…')).join(', ') || '<none>', short(i.v1Id), String(i.layers), humanBytes(i.size), humanBytes(i.shared), humanBytes(i.unique), String(i.containers)]);
    out.push(table(rows), '', 'Layer sharing:', r.tree, '');
  }
  if (r.layers.length) {
    const rows = [['V1 ID', 'SIZE', 'FILES', 'PATH', 'WHY PATH B']];
    for (const l of r.layers) rows.push([short(l.v1Id), humanBytes(l.size), String(l.files), l.path, l.path === 'B' ? l.reason ?? '' : '']);
    out.push('Plan:', table(rows), '');
  }
  const d = r.plan.disk;
  out.push(
    `Path A (reassemble) ${r.plan.pathA} layers, Path B (regenerate) ${r.plan.pathB} layers.`,
    `Would write: up to ${r.plan.writes.layerDirs} overlay2 layer dirs (about ${r.plan.writes.hardlinks} entries hardlinked), ${r.plan.writes.images} image configs, ${r.plan.writes.references} references, ${r.plan.writes.containers} containers (init + writable layers copied).`,
    `Disk: image layers hardlinked (≈ 0), container data copied ${humanBytes(d.containerCopies)}, metadata ≈ ${humanBytes(d.metadata)}; needs ≈ ${humanBytes(d.needed)}, free on target ${d.freeOnTarget === undefined ? 'unknown' : humanBytes(d.freeOnTarget)}.`,
    r.plan.estimate.seconds === undefined ? 'Time: no sample to measure.' : `Time: ≈ ${Math.max(0.1, r.plan.estimate.seconds).toFixed(1)} s for the checksum phase (sampled ${r.plan.estimate.sampleMBs!.toFixed(0)} MB/s read+hash on this host).`,
  );
  if (r.checksum) {
    out.push('', 'Checksums (computed in memory):');
    const rows = [['V1 ID', 'DIFFID', 'CHAINID', 'PATH']];
    for (const l of r.checksum.layers) rows.push([short(l.v1Id), short(l.diffId), short(l.chainId), l.path]);
    out.push(table(rows));
    for (const c of r.checksum.collapsed) out.push(`  ${c.v1Ids.map(short).join(' + ')} collapse into ChainID ${short(c.chainId)}, saving ${humanBytes(c.bytesSaved)}`);
  }
  if (r.findings.length) {
    out.push('', 'Findings:');
    for (const f of r.findings) out.push(`  ${f.severity}: ${f.v1Id ? `layer ${short(f.v1Id)}: ` : ''}${f.file ? `${f.file}: ` : ''}${f.message}`);
  }
  out.push('', { clean: 'Verdict: the migration would run cleanly.', warnings: 'Verdict: the migration would work, with the warnings above.', fail: 'Verdict: the migration would stop on the errors above.' }[r.verdict]);
  return out.join('\n');
}
