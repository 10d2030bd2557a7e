// npm run bench [-- --scale 1 --big-gib 4 --repeat 3 --json --write-doc]
// Every figure is measured in this run, on the same root and a warm page cache, and reported as a
// ratio against the Go pipeline baseline (Debian tar-split asm | sha256sum, one pair per layer,
// all layers at once) or against this machine's measured compute limit.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { crc64 } from '../src/lib/crc64/crc64.js';
import { nativeSummary } from '../src/lib/native/native.js';
import { benchRoot, bigSpec, chainSpec, layeredRoot } from './root.js';
import { metaRoot } from './meta-root.js';
import { createFloor } from './creates.js';
import { finalPass } from './sync.js';
import { casMigrateProcess, goMigrator, haveGoMigrator, layoutFloor, readFloor, startUp } from './peers.js';
import { hostRoot } from './host-root.js';

const args = process.argv.slice(2);
const flag = (n: string) => args.includes(`--${n}`);
const opt = (n: string, d: string) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1]! : d);
const scale = Number(opt('scale', '1'));
const bigGiB = Number(opt('big-gib', '4'));
// Each timed figure is the median of this many runs: on a shared VM one run can be off by a third.
const repeat = Math.max(1, Number(opt('repeat', '3')));
const cores = cpus().length;

function mbps(bytes: number, s: number): number {
  return bytes / 1e6 / s;
}

function computeLimit(): { sha: number; crc: number; limit: number } {
  const buf = Buffer.alloc(256 << 20, 0x5a);
  let t = performance.now();
  createHash('sha256').update(buf).digest();
  const sha = mbps(buf.length, (performance.now() - t) / 1000);
  t = performance.now();
  crc64(buf);
  const crc = mbps(buf.length, (performance.now() - t) / 1000);
  return { sha, crc, limit: cores / (1 / sha + 1 / crc) };
}

/** Wall time of the Go pipeline over every layer (or the given ones) at once. */
async function goBaseline(root: string, ids = readdirSync(join(root, 'graph'))): Promise<number> {
  const t = performance.now();
  await Promise.all(
    ids.map(
      (id) =>
        new Promise<void>((resolve, reject) => {
          const p = spawn('bash', ['-c', `tar-split asm --input "$1/graph/$2/tar-data.json.gz" --path "$1/aufs/diff/$2" 2>/dev/null | sha256sum >/dev/null`, 'x', root, id]);
          p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`baseline failed for ${id}`))));
        }),
    ),
  );
  return (performance.now() - t) / 1000;
}

/** Empty the page cache (root only): true when it worked. */
function dropCaches(): boolean {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

/** Run one phase in a child process to get its own peak RSS (worker threads included). */
function phase(kind: 'checksum' | 'migrate' | 'audit', root: string, workers: number, target?: string, only?: string, env: NodeJS.ProcessEnv = {}): { seconds: number; cpuSeconds: number; maxRssMiB: number; bytes: number; timings?: Record<string, number>; extraDiskBytes?: number } {
  const script = fileURLToPath(new URL('./phase.js', import.meta.url));
  // With the V8 flag bin/run.js's #! line gives every cas-migrate process.
  const r = spawnSync(process.execPath, ['--max-semi-space-size=2', script, kind, root, String(workers), target ?? '', ...(only ? [only] : [])], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${kind} phase failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

type PhaseResult = ReturnType<typeof phase>;

/** The median run (by seconds) of `repeat` runs. */
function median<T extends { seconds: number }>(run: () => T): T {
  const runs = Array.from({ length: repeat }, run).sort((a, b) => a.seconds - b.seconds);
  return runs[Math.floor(runs.length / 2)]!;
}

async function medianSeconds(run: () => Promise<number>): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < repeat; i++) runs.push(await run());
  return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
}

/** A full migration into a fresh target, removed afterwards. */
function migrateInto(root: string, target: string): PhaseResult {
  rmSync(target, { recursive: true, force: true });
  try {
    return phase('migrate', root, cores, target);
  } finally {
    rmSync(target, { recursive: true, force: true });
  }
}

const fmt = (n: number, d = 2) => n.toFixed(d);

async function main(): Promise<void> {
  process.stderr.write(`bench: preparing mix root at scale ${scale} (cached)…\n`);
  const br = benchRoot(scale);
  const limit = computeLimit();
  // Warm the page cache once with the baseline itself.
  await goBaseline(br.root);
  const base = await medianSeconds(() => goBaseline(br.root));
  const ours = median(() => phase('checksum', br.root, cores));
  // What the native addon buys, same root, same run: the portable path (JavaScript + hash-wasm).
  const portable = median(() => phase('checksum', br.root, cores, undefined, undefined, { CAS_MIGRATE_NATIVE: '0' }));
  // The critical path: no schedule finishes before the biggest layer does, and SHA-256 of one
  // layer's stream is serial. Both bound what the compute-limit and scaling ratios can reach.
  const biggest = [...br.layers].sort((a, b) => b.bytes - a.bytes)[0]!;
  const bigOnly = median(() => phase('checksum', br.root, cores, undefined, biggest.v1Id));
  // The small-files layer alone: per-file cost, with nothing else to hide it.
  const smallId = br.layers.find((l) => l.name === 'small-files')!.v1Id;
  const smallBase = await medianSeconds(() => goBaseline(br.root, [smallId]));
  const small = median(() => phase('checksum', br.root, cores, undefined, smallId));
  const scaling = [1, ...(cores > 1 ? [cores] : [])].map((w) => ({ workers: w, ...(w === cores ? ours : median(() => phase('checksum', br.root, w))) }));
  const target = join(br.root, '..', 'migrated');
  const full = median(() => migrateInto(br.root, target));
  // Whole processes on identical copies: the real Go v1.10-migrator (checksums only) beside a
  // whole cas-migrate process (the full migration), the mix and its small-files layer alone.
  const peers = haveGoMigrator() ? {
    goMix: median(() => goMigrator(br.root)), casMix: median(() => casMigrateProcess(br.root)),
    goSmall: median(() => goMigrator(br.root, smallId)), casSmall: median(() => casMigrateProcess(br.root, smallId)),
    floorMix: median(() => layoutFloor(br.root)), floorSmall: median(() => layoutFloor(br.root, smallId)), readSmall: readFloor(br.root, smallId) && median(() => readFloor(br.root, smallId)!), startUp: median(startUp),
  } : undefined;
  // The realistic host root (real trees of this machine), warm and cold, same tools.
  process.stderr.write('bench: preparing the host root from real trees (cached)…\n');
  const host = haveGoMigrator() ? hostRoot() : undefined;
  const hostRuns = host ? {
    go: median(() => goMigrator(host.root)), cas: median(() => casMigrateProcess(host.root)), floor: median(() => layoutFloor(host.root)),
    ...(dropCaches() ? { goCold: goMigrator(host.root, undefined, dropCaches), casCold: casMigrateProcess(host.root, undefined, dropCaches) } : {}),
  } : undefined;
  process.stderr.write('bench: first pass, a pull, the final pass, an unchanged pass…\n');
  // Warm: the host root's cold runs just dropped the page cache (one first pass right after took
  // 85 s while the disk caught up with them); the passes are measured warm, like the rest.
  phase('checksum', br.root, cores);
  const passes = median(() => {
    const p = finalPass(br, (root, t) => phase('migrate', root, cores, t));
    return { ...p, seconds: p.final.seconds };
  });
  process.stderr.write('bench: preparing the metadata-heavy root (10 000 layers, 1 000 tags; cached)…\n');
  const meta = metaRoot();
  phase('audit', meta.root, cores); // warm: the root may have just been generated or evicted
  const auditRun = phase('audit', meta.root, cores);
  process.stderr.write('bench: preparing the 100-layer chain (cached)…\n');
  const chain = layeredRoot('chain100', chainSpec(100));
  const chainRun = median(() => migrateInto(chain.root, target));
  // Per-layer overhead is the slope: the same migration of a 1-layer chain gives the fixed cost
  // (process-internal start-up of the worker pool, the journal, the commit).
  const one = layeredRoot('chain1', chainSpec(1));
  const oneRun = median(() => migrateInto(one.root, target));
  // What the filesystem alone costs per chain layer (the entries it needs, nothing else).
  const floorMs = median(() => ({ seconds: createFloor(join(chain.root, '..', 'creates'), chain.layers.length, 10) })).seconds;
  process.stderr.write(`bench: preparing the ${bigGiB} GiB single-file layer (cached)…\n`);
  const big = layeredRoot(`big${bigGiB}g`, bigSpec(bigGiB));
  phase('checksum', big.root, cores); // warm the page cache: every other figure is warm too
  const bigSum = phase('checksum', big.root, cores);
  const bigFull = migrateInto(big.root, join(big.root, '..', 'migrated'));
  // Cold, last (it empties the page cache every other figure relies on): the cache dropped
  // before each side; skipped without root.
  const cold = dropCaches() ? { base: await goBaseline(br.root), ours: dropCaches() ? phase('checksum', br.root, cores).seconds : NaN } : undefined;
  const tarBytes = ours.bytes;
  // No schedule beats the biggest layer's serial SHA-256, nor all bytes over every core's SHA-256.
  const scheduleBound = Math.max(bigOnly.bytes / 1e6 / limit.sha, tarBytes / 1e6 / (cores * limit.sha));
  // The fastest a whole process writing the layout could be, from parts measured in this run:
  // start-up, then the layout's own CPU (cp -al: a mkdir per directory, a link per file) plus
  // every byte's SHA-256 spread over the cores, or one layer's serial SHA-256, whichever is
  // longer. Generous: no per-file read, parse or CRC counted. The Go migrator writes nothing.
  // `readCpu`: the CPU of reading the files themselves, where it is measured (readFloor).
  const processBound = (floor: { seconds: number; cpuSeconds: number }, bytes: number, serialBytes = 0, readCpu = 0) =>
    (peers?.startUp.seconds ?? 0) + Math.max((floor.cpuSeconds + readCpu + bytes / 1e6 / limit.sha) / cores, serialBytes / 1e6 / limit.sha);
  const bestRatio = peers && {
    mix: peers.goMix.seconds / processBound(peers.floorMix, tarBytes, bigOnly.bytes),
    small: peers.goSmall.seconds / processBound(peers.floorSmall, small.bytes),
    smallWithReads: peers.readSmall ? peers.goSmall.seconds / processBound(peers.floorSmall, small.bytes, 0, peers.readSmall.cpuSeconds) : NaN,
    host: hostRuns && host ? hostRuns.go.seconds / processBound(hostRuns.floor, host.tarBytes) : NaN,
  };
  const limitSeconds = tarBytes / 1e6 / limit.limit;
  const bigShaSeconds = bigOnly.bytes / 1e6 / limit.sha;
  const bounds = {
    biggestLayer: { name: biggest.name, seconds: bigOnly.seconds, sha256Seconds: bigShaSeconds },
    ofComputeLimit: limitSeconds / Math.max(limitSeconds, bigShaSeconds),
    // The work of the 1-worker run spread over every core (it already keeps more than one busy:
    // reads, CRC-64 and GC run on other threads), or the biggest layer, whichever is longer.
    workerScaling: scaling[0]!.seconds / Math.max(scaling[0]!.cpuSeconds / cores, bigOnly.seconds),
  };
  const result = {
    machine: { cpu: cpus()[0]?.model, cores, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, implementation: nativeSummary() },
    root: { scale, layers: br.layers, payloadBytes: br.bytes, tarBytes },
    runsPerFigure: repeat,
    computeLimitMBs: { sha256: limit.sha, crc64: limit.crc, combined: limit.limit },
    baselineGo: { seconds: base, MBs: mbps(tarBytes, base) },
    smallFilesLayer: { baselineGoSeconds: smallBase, checksumSeconds: small.seconds, MBs: mbps(small.bytes, small.seconds), speedupVsGo: smallBase / small.seconds },
    cold: cold ? { baselineGoSeconds: cold.base, checksumSeconds: cold.ours, speedupVsGo: cold.base / cold.ours } : null,
    checksum: { seconds: ours.seconds, MBs: mbps(tarBytes, ours.seconds), maxRssMiB: ours.maxRssMiB, speedupVsGo: base / ours.seconds, ofComputeLimit: mbps(tarBytes, ours.seconds) / limit.limit },
    portableChecksum: { seconds: portable.seconds, speedupVsGo: base / portable.seconds },
    bounds,
    fullMigration: {
      seconds: full.seconds, maxRssMiB: full.maxRssMiB, ratioToChecksum: full.seconds / ours.seconds, stages: full.timings,
      extraDiskBytes: full.extraDiskBytes, extraDiskOfLayerBytes: (full.extraDiskBytes ?? NaN) / br.bytes,
    },
    workerScaling: scaling.map((s) => ({ workers: s.workers, seconds: s.seconds, MBs: mbps(tarBytes, s.seconds), coresBusy: s.cpuSeconds / s.seconds })),
    auditMetaRoot: { layers: meta.layers, tags: meta.tags, seconds: auditRun.seconds, maxRssMiB: auditRun.maxRssMiB },
    chain: { layers: chain.layers.length, seconds: chainRun.seconds, oneLayerSeconds: oneRun.seconds, msPerLayer: ((chainRun.seconds - oneRun.seconds) * 1000) / (chain.layers.length - 1), createFloorMsPerLayer: floorMs, maxRssMiB: chainRun.maxRssMiB },
    goMigrator: peers ? {
      mix: { goSeconds: peers.goMix.seconds, goMaxRssMiB: peers.goMix.maxRssMiB, casMigrateSeconds: peers.casMix.seconds, casMigrateMaxRssMiB: peers.casMix.maxRssMiB, speedup: peers.goMix.seconds / peers.casMix.seconds },
      smallFilesLayer: { goSeconds: peers.goSmall.seconds, casMigrateSeconds: peers.casSmall.seconds, speedup: peers.goSmall.seconds / peers.casSmall.seconds },
      startUpSeconds: peers.startUp.seconds, layoutFloor: { mix: peers.floorMix, smallFilesLayer: peers.floorSmall, hostRoot: hostRuns?.floor ?? null }, readFloorSmallFilesLayer: peers.readSmall ?? null, bestReachableRatio: bestRatio,
    } : null,
    hostRoot: host && hostRuns ? {
      ...host, goSeconds: hostRuns.go.seconds, goMaxRssMiB: hostRuns.go.maxRssMiB, casMigrateSeconds: hostRuns.cas.seconds, casMigrateMaxRssMiB: hostRuns.cas.maxRssMiB,
      speedup: hostRuns.go.seconds / hostRuns.cas.seconds, coldSpeedup: hostRuns.goCold && hostRuns.casCold ? hostRuns.goCold.seconds / hostRuns.casCold.seconds : null,
      usPerFile: (hostRuns.cas.seconds * 1e6) / host.files, msPerLayer: (hostRuns.cas.seconds * 1e3) / host.layers, cpuSecondsPerGB: hostRuns.cas.cpuSeconds / (host.tarBytes / 1e9),
    } : null,
    scheduleBound: { seconds: scheduleBound, checksumOfBound: ours.seconds / scheduleBound },
    passes: {
      firstSeconds: passes.first.seconds, finalSeconds: passes.final.seconds, finalLayersRead: (passes.final.layers ?? 0) - (passes.final.reusedLayers ?? 0),
      noopSeconds: passes.noop.seconds, noopUpToDate: passes.noop.upToDate, noopLayersRead: (passes.noop.layers ?? 0) - (passes.noop.reusedLayers ?? 0),
      finalOfFullMigration: passes.final.seconds / full.seconds,
    },
    bigLayer: { bytes: big.bytes, checksum: { seconds: bigSum.seconds, MBs: mbps(bigSum.bytes, bigSum.seconds), maxRssMiB: bigSum.maxRssMiB }, fullMigration: { seconds: bigFull.seconds, maxRssMiB: bigFull.maxRssMiB, extraDiskBytes: bigFull.extraDiskBytes } },
  };
  if (flag('json')) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  const lines = [
    `machine: ${result.machine.cpu}, ${cores} cores, ${result.machine.memGiB} GiB, node ${process.version}; ${result.machine.implementation}`,
    `root: mix (a) at scale ${scale}: ${br.layers.map((l) => `${l.name} ${l.files} files ${fmt(l.bytes / 2 ** 20, 0)} MiB`).join('; ')}; tar stream ${fmt(tarBytes / 2 ** 20, 0)} MiB`,
    `compute limit: sha256 ${fmt(limit.sha, 0)} MB/s, crc64 ${fmt(limit.crc, 0)} MB/s → ${cores} cores combined ${fmt(limit.limit, 0)} MB/s`,
    '',
    '| measurement | seconds | MB/s | ratio |',
    '| --- | --- | --- | --- |',
    `| Go pipeline (tar-split asm \\| sha256sum, all layers at once) | ${fmt(base)} | ${fmt(mbps(tarBytes, base), 0)} | 1.00 (baseline) |`,
    `| cas-migrate checksum phase, ${cores} workers | ${fmt(ours.seconds)} | ${fmt(result.checksum.MBs, 0)} | ${fmt(result.checksum.speedupVsGo)}× the Go pipeline; ${fmt(result.checksum.ofComputeLimit * 100, 0)}% of the compute limit |`,
    `| the same, portable path (CAS_MIGRATE_NATIVE=0: JavaScript + hash-wasm) | ${fmt(portable.seconds)} | ${fmt(mbps(tarBytes, portable.seconds), 0)} | ${fmt(base / portable.seconds)}× the Go pipeline |`,
    `| small-files layer alone: Go pipeline ${fmt(smallBase)} s, cas-migrate checksum phase | ${fmt(small.seconds)} | ${fmt(result.smallFilesLayer.MBs, 0)} | ${fmt(result.smallFilesLayer.speedupVsGo)}× the Go pipeline |`,
    ...(cold ? [`| cold cache (dropped before each): Go pipeline ${fmt(cold.base)} s, cas-migrate checksum phase | ${fmt(cold.ours)} | ${fmt(mbps(tarBytes, cold.ours), 0)} | ${fmt(cold.base / cold.ours)}× the Go pipeline, cold |`] : []),
    `| cas-migrate full migration (hardlinks) | ${fmt(full.seconds)} | — | ${fmt(result.fullMigration.ratioToChecksum)}× the checksum phase |`,
    ...result.workerScaling.map((s) => `| checksum phase, ${s.workers} worker(s) (${fmt(s.coresBusy, 1)} cores busy on average) | ${fmt(s.seconds)} | ${fmt(s.MBs, 0)} | ${fmt(scaling[0]!.seconds / s.seconds)}× one worker |`),
    '',
    `bounds on this root: its biggest layer (${biggest.name}) alone takes ${fmt(bigOnly.seconds)} s, SHA-256 of its stream alone ${fmt(bigShaSeconds)} s (serial) → ` +
      `at most ${fmt(bounds.ofComputeLimit * 100, 0)}% of the compute limit is reachable; the 1-worker run used ${fmt(scaling[0]!.cpuSeconds)} s of CPU, ` +
      `which ${cores} cores need ${fmt(scaling[0]!.cpuSeconds / cores)} s for → ≈ ${fmt(bounds.workerScaling)}× scaling at ${cores} workers reachable (an estimate: the CPU a run takes varies)`,
    ...(peers ? [
      `Go v1.10-migrator (../shared/peers, whole process, checksums only) on the mix: ${fmt(peers.goMix.seconds)} s, peak RSS ${fmt(peers.goMix.maxRssMiB, 0)} MiB; whole cas-migrate process (full migration): ${fmt(peers.casMix.seconds)} s, peak RSS ${fmt(peers.casMix.maxRssMiB, 0)} MiB → ${fmt(peers.goMix.seconds / peers.casMix.seconds)}× (target 3×)`,
      `the small-files layer alone: Go v1.10-migrator ${fmt(peers.goSmall.seconds)} s, whole cas-migrate process ${fmt(peers.casSmall.seconds)} s → ${fmt(peers.goSmall.seconds / peers.casSmall.seconds)}× (target 1.5×)`,
      `floors of a whole process that writes the layout (this run): start-up (\`--version\`) ${fmt(peers.startUp.seconds)} s; cp -al of the layer dirs: mix ${fmt(peers.floorMix.seconds)} s (${fmt(peers.floorMix.cpuSeconds)} CPU s), small-files layer ${fmt(peers.floorSmall.seconds)} s` +
        (hostRuns ? `, host root ${fmt(hostRuns.floor.seconds)} s (${fmt(hostRuns.floor.cpuSeconds)} CPU s)` : '') +
        ` → the best ratio against the Go migrator any such process reaches here: mix ${fmt(bestRatio!.mix)}×, small-files layer ${fmt(bestRatio!.small)}×` +
        (peers.readSmall ? ` (${fmt(bestRatio!.smallWithReads)}× counting the reading of its files: open, read, close each, ${fmt(peers.readSmall.cpuSeconds)} CPU s)` : '') + (hostRuns ? `, host root ${fmt(bestRatio!.host)}×` : ''),
    ] : ['Go v1.10-migrator: not found at ../shared/peers/v1.10-migrator; the tar-split | sha256sum pipeline above is the only baseline']),
    `checksum phase on the mix: ${fmt(ours.seconds)} s against its schedule bound ${fmt(scheduleBound)} s (max of the biggest layer's serial SHA-256 and all bytes over ${cores} cores' SHA-256) → ${fmt(ours.seconds / scheduleBound)}× the bound (target ≤ 1.5×)`,
    ...(host && hostRuns ? [
      `host root from real trees (${host.layers} layers, ${host.emptyLayers} empty, ${host.tags} tags, ${host.files} files, ${fmt(host.tarBytes / 1e9, 2)} GB of tar): Go v1.10-migrator ${fmt(hostRuns.go.seconds)} s (${fmt(hostRuns.go.maxRssMiB, 0)} MiB), whole cas-migrate process ${fmt(hostRuns.cas.seconds)} s (${fmt(hostRuns.cas.maxRssMiB, 0)} MiB) → ${fmt(hostRuns.go.seconds / hostRuns.cas.seconds)}× (target 3×)` +
        (hostRuns.goCold && hostRuns.casCold ? `; cold: ${fmt(hostRuns.goCold.seconds)} s vs ${fmt(hostRuns.casCold.seconds)} s → ${fmt(hostRuns.goCold.seconds / hostRuns.casCold.seconds)}× (target 2×)` : ''),
      `cost per unit, whole cas-migrate process: host root ${fmt((hostRuns.cas.seconds * 1e6) / host.files, 1)} µs per file, ${fmt((hostRuns.cas.seconds * 1e3) / host.layers, 0)} ms per layer, ${fmt(hostRuns.cas.cpuSeconds / (host.tarBytes / 1e9), 2)} CPU s per GB; the mix ${fmt((peers!.casMix.seconds * 1e6) / br.layers.reduce((a, l) => a + l.files, 0), 1)} µs per file, ${fmt(peers!.casMix.cpuSeconds / (tarBytes / 1e9), 2)} CPU s per GB`,
    ] : []),
    `zero-downtime passes on the mix: first pass ${fmt(passes.first.seconds)} s; after one pulled 20-file layer and a tag, the final pass ${fmt(passes.final.seconds)} s (${passes.final.layers! - passes.final.reusedLayers!} layer(s) read) = ${fmt((passes.final.seconds / full.seconds) * 100, 1)}% of the full migration (target ≤ 10%); a pass over the unchanged root ${fmt(passes.noop.seconds)} s, ${passes.noop.upToDate ? 'up to date' : 'NOT up to date'}, ${passes.noop.layers! - passes.noop.reusedLayers!} layer(s) read`,
    `full migration by stage (s): ${Object.entries(full.timings ?? {}).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}; ` +
      `extra disk used by the layout (inodes counted once): ${fmt((full.extraDiskBytes ?? NaN) / 2 ** 20, 1)} MiB, ${fmt(result.fullMigration.extraDiskOfLayerBytes * 100, 2)}% of the layer bytes (target ≤ 1%)`,
    `peak RSS: checksum phase ${fmt(ours.maxRssMiB, 0)} MiB, full migration ${fmt(full.maxRssMiB, 0)} MiB (whole process, worker threads included)`,
    `100-layer chain (10 files of 1–4 KiB each), full migration: ${fmt(chainRun.seconds)} s, 1-layer chain ${fmt(oneRun.seconds)} s → ${fmt(result.chain.msPerLayer, 1)} ms per extra layer (target ≤ 5 ms; creating the 27 entries a layer needs, alone, takes ${fmt(floorMs, 1)} ms on this filesystem), peak RSS ${fmt(chainRun.maxRssMiB, 0)} MiB`,
    `${bigGiB} GiB single-file layer: checksum ${fmt(bigSum.seconds)} s (${fmt(result.bigLayer.checksum.MBs, 0)} MB/s), peak RSS ${fmt(bigSum.maxRssMiB, 0)} MiB; full migration ${fmt(bigFull.seconds)} s, peak RSS ${fmt(bigFull.maxRssMiB, 0)} MiB (target ≤ 200 MB)`,
    `--dry-run audit of a metadata-heavy root (${meta.layers} layers, ${meta.tags} tags): ${fmt(auditRun.seconds)} s, peak RSS ${fmt(auditRun.maxRssMiB, 0)} MiB (targets: < 5 s, < 200 MB)`,
  ];
  if (!flag('json')) process.stdout.write(lines.join('\n') + '\n');
  if (flag('write-doc')) {
    const doc = fileURLToPath(new URL('../../docs/performance.md', import.meta.url));
    const text = readFileSync(doc, 'utf8');
    const marker = '<!-- bench:results -->';
    const head = text.slice(0, text.indexOf(marker) + marker.length);
    writeFileSync(doc, `${head}\n\nMeasured ${new Date().toISOString().slice(0, 10)} with \`npm run bench -- --scale ${scale} --big-gib ${bigGiB} --repeat ${repeat} --write-doc\` (each time the median of ${repeat} runs):\n\n${lines.join('\n')}\n`);
  }
}

await main();
