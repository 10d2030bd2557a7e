// The fleet manifests in deploy/ are valid YAML with what docs/upgrading.md promises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

interface Container { args: string[]; securityContext: { privileged: boolean }; volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> }
interface Spec { nodeSelector?: Record<string, string>; hostPID?: boolean; containers: Container[]; volumes: Array<{ name: string; hostPath: { path: string } }> }

function daemonSet(file: string): Spec {
  const text = readFileSync(fileURLToPath(new URL(`../../../deploy/${file}`, import.meta.url)), 'utf8');
  const docs = parseAllDocuments(text);
  for (const d of docs) assert.deepEqual(d.errors, [], file);
  const ds = docs.map((d) => d.toJS() as { kind: string; spec: { template: { spec: Spec } } }).find((d) => d.kind === 'DaemonSet');
  assert.ok(ds, `${file} holds a DaemonSet`);
  return ds.spec.template.spec;
}

test('the audit DaemonSet runs a read-only --dry-run --json on the host /var/lib/docker', () => {
  const s = daemonSet('daemonset-audit.yaml');
  const c = s.containers[0]!;
  assert.match(c.args.join(' '), /--dry-run --json/);
  assert.equal(c.volumeMounts[0]!.mountPath, '/var/lib/docker');
  assert.equal(c.volumeMounts[0]!.readOnly, true);
  assert.equal(s.volumes[0]!.hostPath.path, '/var/lib/docker');
  assert.equal(s.hostPID, true);
});

test('the migration DaemonSet is gated by the cas-migrate/migrate=true node label and runs privileged', () => {
  const s = daemonSet('daemonset-migrate.yaml');
  assert.deepEqual(s.nodeSelector, { 'cas-migrate/migrate': 'true' });
  const c = s.containers[0]!;
  assert.equal(c.securityContext.privileged, true);
  assert.doesNotMatch(c.args.join(' '), /--dry-run/);
  assert.equal(s.volumes[0]!.hostPath.path, '/var/lib/docker');
});

test('the pre-migration DaemonSet runs provisional passes on every node beside the live daemon and installs the host copy', () => {
  const s = daemonSet('daemonset-premigrate.yaml');
  assert.equal(s.nodeSelector, undefined, 'every node');
  assert.equal(s.hostPID, true, 'it must see the legacy daemon to tell it from a current one');
  const c = s.containers[0]!;
  const args = c.args.join(' ');
  assert.match(args, /install --to \/host\/opt\/cas-migrate/);
  assert.match(args, /while true; do node --max-semi-space-size=2 \/opt\/cas-migrate\/bin\/run.js --root \/var\/lib\/docker --json/);
  assert.doesNotMatch(args, /--dry-run/);
  assert.equal(c.securityContext.privileged, true);
  assert.deepEqual(s.volumes.map((v) => v.hostPath.path).sort(), ['/opt', '/var/lib/docker']);
});

test('the systemd drop-in runs the final pass before dockerd, and dockerd starts only when it succeeded', () => {
  const conf = readFileSync(fileURLToPath(new URL('../../../deploy/docker.service.d/cas-migrate.conf', import.meta.url)), 'utf8');
  assert.match(conf, /^\[Service\]\nExecStartPre=\/opt\/cas-migrate\/final-pass\.sh \/var\/lib\/docker$/m);
  const script = readFileSync(fileURLToPath(new URL('../../../deploy/final-pass.sh', import.meta.url)), 'utf8');
  assert.match(script, /\[ "\$rc" -eq 0 \] \|\| \[ "\$rc" -eq 3 \]\n$/);
});
