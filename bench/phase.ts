// One measured phase in its own process: node phase.js checksum|migrate|audit ROOT WORKERS [TARGET] [ONLY_V1ID]
// Prints {seconds, cpuSeconds, maxRssMiB, bytes} as the last line; cpuSeconds is user + system time
// of every thread of this process during the phase (worker, libuv and GC threads included).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runChecksums } from '../src/checksum/pool.js';
import { migrate } from '../src/pipeline.js';
import { audit } from '../src/audit/index.js';

const [kind, root, workersText, target, only] = process.argv.slice(2) as [string, string, string, string, string | undefined];
const workers = Number(workersText);
let seconds: number, bytes = 0;
const cpu0 = process.cpuUsage();
if (kind === 'checksum') {
  const scratch = mkdtempSync(join(root, '..', 'pathb-'));
  const ids = only ? [only] : readdirSync(join(root, 'graph'));
  const t = performance.now();
  const r = await runChecksums(
    ids.map((id) => ({
      v1Id: id, tarData: join(root, 'graph', id, 'tar-data.json.gz'), fileRoot: join(root, 'aufs/diff', id),
      source: { kind: 'dir', dir: join(root, 'aufs/diff', id), excludeAufsMeta: true }, pathBOut: join(scratch, `${id}.json.gz`),
      weight: Number(readFileSync(join(root, 'graph', id, 'layersize'), 'utf8')),
    })),
    workers,
  );
  seconds = (performance.now() - t) / 1000;
  for (const d of r.values()) {
    if (d.path !== 'A') throw new Error(`layer ${d.v1Id} fell back to Path B: ${d.fallbackReason}`);
    bytes += d.bytes;
  }
  rmSync(scratch, { recursive: true, force: true });
} else if (kind === 'audit') {
  const t = performance.now();
  const report = await audit({ root, workers });
  seconds = (performance.now() - t) / 1000;
  if (report.verdict === 'fail') throw new Error(`audit failed: ${JSON.stringify(report.findings.find((f) => f.severity === 'error'))}`);
  bytes = report.summary.layerBytes;
} else {
  const t = performance.now();
  const report = await migrate({ root, target, workers });
  seconds = (performance.now() - t) / 1000;
  bytes = report.totals.bytes;
}
// VmHWM, not getrusage's maxRSS: Linux carries ru_maxrss across fork+exec, so a child would
// report the bench parent's peak; VmHWM belongs to this address space alone.
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, bytes, maxRssMiB: Number(hwm?.[1] ?? 0) / 1024 }) + '\n');
