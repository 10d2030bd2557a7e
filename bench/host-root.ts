// A realistic host root for the bench, built from real trees of this machine (libraries and
// binaries, docs and locales, headers, the Python installs under pyenv, node modules, …; each
// skipped when absent) as one image chain with empty layers between them (Dockerfile ENV, CMD,
// LABEL steps) and tags along it. Each layer's tar is written by GNU tar, described by the Go
// tar-split disasm and extracted into aufs/diff as a legacy daemon did; cached under the OS temp
// dir like the other bench roots.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v1IdFor } from '../test/helpers/legacy-root.js';

export interface HostRoot {
  root: string;
  layers: number;
  emptyLayers: number;
  tags: number;
  files: number;
  tarBytes: number;
}

/** Layer contents: paths under / (a layer per entry), `null` for an empty layer. */
function layerPlan(): Array<{ name: string; paths: string[] | null }> {
  const plan: Array<{ name: string; paths: string[] | null }> = [];
  const add = (name: string, ...paths: string[]) => {
    const there = paths.filter((p) => existsSync(`/${p}`));
    if (there.length) plan.push({ name, paths: there });
  };
  add('libraries', 'usr/lib/x86_64-linux-gnu');
  add('binaries', 'usr/bin');
  plan.push({ name: 'env', paths: null });
  add('docs', 'usr/share/doc');
  add('locales', 'usr/share/locale');
  plan.push({ name: 'workdir', paths: null });
  add('headers', 'usr/include');
  const pyenv = '/root/.pyenv/versions';
  for (const v of existsSync(pyenv) ? readdirSync(pyenv).sort() : []) if (statSync(`${pyenv}/${v}`).isDirectory()) add(`python-${v}`, `root/.pyenv/versions/${v}`);
  plan.push({ name: 'expose', paths: null });
  add('node-modules', 'usr/lib/node_modules', 'usr/local/lib/node_modules');
  add('system-python', 'usr/lib/python3');
  add('perl', 'usr/share/perl');
  const go = existsSync('/usr/lib') ? readdirSync('/usr/lib').filter((n) => /^go(-[\d.]+)?$/.test(n)).map((n) => `usr/lib/${n}`) : [];
  if (go.length) add('go-toolchain', ...go);
  plan.push({ name: 'label', paths: null }, { name: 'user', paths: null }, { name: 'cmd', paths: null });
  return plan;
}

export function hostRoot(): HostRoot {
  const dir = join(tmpdir(), 'cas-bench-host-v1');
  const root = join(dir, 'docker');
  const done = join(dir, 'complete.json');
  if (existsSync(done)) return JSON.parse(execFileSync('cat', [done]).toString()) as HostRoot;
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['graph', 'aufs/diff', 'aufs/layers', 'aufs/mnt']) mkdirSync(join(root, d), { recursive: true });
  const plan = layerPlan();
  const tar = join(dir, 'layer.tar');
  let parent: string | undefined, files = 0, tarBytes = 0;
  const tags: Record<string, string> = {};
  plan.forEach((l, i) => {
    const id = v1IdFor(`bench host ${l.name}`);
    const diff = join(root, 'aufs/diff', id);
    mkdirSync(diff);
    if (l.paths) execFileSync('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-cf', tar, '-C', '/', ...l.paths], { stdio: 'ignore' });
    else execFileSync('tar', ['-cf', tar, '--files-from', '/dev/null']);
    mkdirSync(join(root, 'graph', id));
    execFileSync('tar-split', ['disasm', '--no-stdout', '--output', join(root, 'graph', id, 'tar-data.json.gz'), tar], { stdio: 'ignore' });
    execFileSync('tar', ['--numeric-owner', '--same-owner', '-xpf', tar, '-C', diff, '--xattrs', '--xattrs-include=*'], { stdio: 'ignore' });
    tarBytes += statSync(tar).size;
    const n = l.paths ? Number(execFileSync('bash', ['-c', 'find "$1" -mindepth 1 | wc -l', 'x', diff]).toString().trim()) : 0;
    files += n;
    const size = l.paths ? Number(execFileSync('du', ['-sb', '--apparent-size', diff]).toString().split('\t')[0]) : 0;
    writeFileSync(join(root, 'graph', id, 'json'), JSON.stringify({ id, ...(parent ? { parent } : {}), created: '2019-01-01T00:00:00Z', docker_version: '1.9.1', container_config: { Cmd: ['/bin/sh', '-c', `#(nop) ${l.name}`] }, Size: size }));
    writeFileSync(join(root, 'graph', id, 'layersize'), String(size));
    if (i % 2 === 1 || i === plan.length - 1) tags[`host/${l.name}`] = id;
    parent = id;
  });
  rmSync(tar, { force: true });
  const repos: Record<string, Record<string, string>> = {};
  for (const [name, id] of Object.entries(tags)) repos[name] = { latest: id };
  writeFileSync(join(root, 'repositories-aufs'), JSON.stringify({ Repositories: repos }));
  const result: HostRoot = { root, layers: plan.length, emptyLayers: plan.filter((l) => !l.paths).length, tags: Object.keys(tags).length, files, tarBytes };
  writeFileSync(done, JSON.stringify(result));
  return result;
}
