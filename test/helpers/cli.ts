// Running the real CLI (bin/run.js) as an operator would, and Go tar-split as the judge.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** sha256 of `tar-split asm` over a layer of an overlay2 root, as dockerd does on save/push. */
export function goAssembleDigest(root: string, chainHex: string): string {
  const dir = `${root}/image/overlay2/layerdb/sha256/${chainHex}`;
  const cacheId = readFileSync(`${dir}/cache-id`, 'utf8');
  const tarBytes = execFileSync('tar-split', ['asm', '--input', `${dir}/tar-split.json.gz`, '--path', `${root}/overlay2/${cacheId}/diff`], {
    maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return 'sha256:' + createHash('sha256').update(tarBytes).digest('hex');
}

export function layerDirs(root: string): string[] {
  return readdirSync(`${root}/image/overlay2/layerdb/sha256`).sort();
}
