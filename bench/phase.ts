// One measured phase in its own process: node phase.js checksum|migrate|audit ROOT WORKERS [TARGET] [ONLY_V1ID]
// Prints {seconds, cpuSeconds, maxRssMiB, bytes} as the last line, and for a migration its stage
// timings and extraDiskBytes (computed after the measured part). cpuSeconds is user + system
// time of every thread of this process during the phase (worker, libuv and GC threads included).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runChecksums } from '../src/checksum/pool.js';
import { migrate } from '../src/pipeline.js';
import { audit } from '../src/audit/index.js';
import { extraDiskBytes } from './disk.js';

const [kind, root, workersText, target, only] = process.argv.slice(2) as [string, string, string, string, string | undefined];
const workers = Number(workersText);

let seconds = 0, cpuSeconds = 0, maxRssMiB = 0;
/** Run the measured part: wall time, CPU time and peak RSS of just that. */
async function measured<T>(f: () => Promise<T>): Promise<T> {
  const t = performance.now(), cpu = process.cpuUsage();
  const r = await f();
  seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  cpuSeconds = (used.user + used.system) / 1e6;
  // VmHWM, not getrusage's maxRSS: Linux carries ru_maxrss across fork+exec, so a child would
  // report the bench parent's peak; VmHWM belongs to this address space alone.
  maxRssMiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
  return r;
}

let bytes = 0;
let extra: { timings?: Record<string, number>; extraDiskBytes?: number; layers?: number; reusedLayers?: number; upToDate?: boolean } = {};
if (kind === 'checksum') {
  const scratch = mkdtempSync(join(root, '..', 'pathb-'));
  const ids = only ? [only] : readdirSync(join(root, 'graph'));
  const jobs = ids.map((id) => ({
    v1Id: id, tarData: join(root, 'graph', id, 'tar-data.json.gz'), fileRoot: join(root, 'aufs/diff', id),
    source: { kind: 'dir' as const, dir: join(root, 'aufs/diff', id), excludeAufsMeta: true }, pathBOut: join(scratch, `${id}.json.gz`),
    weight: Number(readFileSync(join(root, 'graph', id, 'layersize'), 'utf8')),
  }));
  const r = await measured(() => runChecksums(jobs, workers));
  for (const d of r.values()) {
    if (d.path !== 'A') throw new Error(`layer ${d.v1Id} fell back to Path B: ${d.fallbackReason}`);
    bytes += d.bytes;
  }
  rmSync(scratch, { recursive: true, force: true });
} else if (kind === 'audit') {
  const report = await measured(() => audit({ root, workers }));
  if (report.verdict === 'fail') throw new Error(`audit failed: ${JSON.stringify(report.findings.find((f) => f.severity === 'error'))}`);
  bytes = report.summary.layerBytes;
} else {
  const report = await measured(() => migrate({ root, target, workers }));
  bytes = report.totals.bytes;
  extra = { timings: report.timings, layers: report.layers.length, reusedLayers: report.reusedLayers ?? 0, upToDate: report.upToDate ?? false, extraDiskBytes: await extraDiskBytes([join(root, 'aufs'), join(root, 'graph')], [join(target, 'overlay2'), join(target, 'image', 'overlay2')]) };
}
process.stdout.write(JSON.stringify({ ...extra, seconds, cpuSeconds, bytes, maxRssMiB }) + '\n');
