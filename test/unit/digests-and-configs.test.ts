// CRC-64, ChainIDs, image IDs and references against upstream test vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc64, Crc64 } from '../../src/lib/crc64/crc64.js';
import { chainIdOf, EMPTY_TAR_DIFFID, sha256Digest, verifyDigest, type DiffID } from '../../src/lib/digest/digest.js';
import { makeImageConfig } from '../../src/configs/image.js';
import { compareVersions } from '../../src/configs/version.js';
import { migrateRefs } from '../../src/configs/refs.js';
import { familiarName } from '../../src/discover/references.js';
import type { ImageID } from '../../src/lib/digest/digest.js';

const vector = (name: string) => readFileSync(fileURLToPath(new URL(`../../../test/vectors/${name}`, import.meta.url)));

test('CRC-64 is Go crc64.ISO, big-endian, incremental (formats.md §5.3 vectors)', () => {
  assert.equal(crc64(Buffer.from('123456789')).toString('hex'), 'b90956c775a41001');
  assert.equal(crc64(Buffer.from('imma hurr til I derp')).toString('hex'), '0274a4b1abec6b4e');
  assert.equal(crc64(Buffer.from('café con leche, por favor')).toString('hex'), '7e4859efe6fca0bb');
  assert.equal(crc64(Buffer.alloc(0)).toString('base64'), 'AAAAAAAAAAA=');
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));
  const inc = new Crc64();
  for (let i = 0; i < data.length; i += 7) inc.update(data.subarray(i, i + 7));
  assert.deepEqual(inc.digest(), crc64(data));
  // Interleaved checksums share one WASM hasher per thread: each keeps its own state.
  const a = new Crc64(), b = new Crc64(), empty = new Crc64();
  for (let i = 0; i < data.length; i += 100) {
    a.update(data.subarray(i, i + 100));
    b.update(Buffer.from('123456789').subarray(0, i === 0 ? 9 : 0));
  }
  assert.equal(empty.digest().toString('base64'), 'AAAAAAAAAAA=');
  assert.equal(b.digest().toString('hex'), 'b90956c775a41001');
  assert.deepEqual(a.digest(), crc64(data));
});

test('the empty layer DiffID is sha256 of 1024 zero bytes, and ssri verifies known digests', () => {
  assert.equal(sha256Digest(Buffer.alloc(1024)), EMPTY_TAR_DIFFID);
  assert.ok(verifyDigest(Buffer.alloc(1024), EMPTY_TAR_DIFFID));
  assert.ok(!verifyDigest(Buffer.alloc(1023), EMPTY_TAR_DIFFID));
});

test('ChainIDs match moby TestMigrateContainers (formats.md §3.6)', () => {
  const d1 = 'sha256:c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1' as DiffID;
  assert.equal(chainIdOf([d1, EMPTY_TAR_DIFFID]), 'sha256:c3191d32a37d7159b2e30830937d2e30268ad6c375a773a8994911a3aba9b93f');
  assert.equal(chainIdOf([EMPTY_TAR_DIFFID, EMPTY_TAR_DIFFID]), 'sha256:170b376f64fb30995c140276be3d71dfb256b308d86183ca3b22aa93a79ad548');
  assert.equal(chainIdOf([d1]), d1);
});

test('image IDs match moby TestMigrateImages for both the 1.9 and the 1.8.2-stored busybox (§3.9)', () => {
  for (const [base, child] of [['1', '2'], ['182-base', '182-child']]) {
    const a = makeImageConfig(vector(`moby-testmigrateimages-${base}.json`), EMPTY_TAR_DIFFID);
    const b = makeImageConfig(vector(`moby-testmigrateimages-${child}.json`), EMPTY_TAR_DIFFID, a);
    assert.equal(a.imageId, 'sha256:ca406eaf9c26898414ff5b7b3a023c33310759d6203be0663dbf1b3a712f432d', base);
    assert.equal(b.imageId, 'sha256:a488bec94bb96b26a968f913d25ef7d8d204d727ca328b52b4b059c7d03260b6', child);
    assert.equal(b.bytes.length, 1374);
  }
});

test('non-fallback configs keep unknown keys and original spellings; only Docker\'s keys are deleted', () => {
  const json = Buffer.from('{"id":"x","parent":"y","Size":5,"throwaway":true,"layer_id":"l","parent_id":"p","created":"2015-01-01T00:00:00.100Z","docker_version":"1.9.1","custom":{"b" : 1.50},"container_config":{"Cmd":"echo <hi>"}}');
  const c = makeImageConfig(json, EMPTY_TAR_DIFFID);
  assert.equal(c.bytes.toString(),
    '{"container_config":{"Cmd":"echo \\u003chi\\u003e"},"created":"2015-01-01T00:00:00.100Z","custom":{"b":1.50},"docker_version":"1.9.1",' +
    '"history":[{"created":"2015-01-01T00:00:00.1Z","created_by":"echo \\u003chi\\u003e"}],' +
    `"rootfs":{"type":"layers","diff_ids":["${EMPTY_TAR_DIFFID}"]}}`);
});

test('Docker\'s lenient version compare decides the fallback path', () => {
  assert.equal(compareVersions('1.8.3-rc1', '1.8.3'), -1);
  assert.equal(compareVersions('1.8.3', '1.8.3'), 0);
  assert.equal(compareVersions('1.10.0-dev', '1.8.3'), 1);
  assert.equal(compareVersions('', '1.8.3'), -1);
});

test('references normalise to familiar names; tags, digests and unmapped ids as moby TestMigrateRefs', () => {
  assert.equal(familiarName('busybox'), 'busybox');
  assert.equal(familiarName('library/busybox'), 'busybox');
  assert.equal(familiarName('docker.io/user/repo'), 'user/repo');
  assert.equal(familiarName('index.docker.io/library/ubuntu'), 'ubuntu');
  assert.equal(familiarName('localhost:5000/a/b'), 'localhost:5000/a/b');
  assert.ok(typeof familiarName('Upper/Case') !== 'string');
  const tags = new Map([
    ['busybox', new Map([['latest', 'b3ca'], ['sha256:16a2a52884c2a9481ed267c2d46483eac7693b813a63132368ab098a71303f8a', 'b3ca']])],
    ['registry', new Map([['2', '5d16'], ['latest', '8d55']])],
  ]);
  const mapping = new Map([['5d16', 'sha256:2c26' as ImageID], ['b3ca', 'sha256:fcde' as ImageID]]);
  const r = migrateRefs(tags, mapping);
  assert.deepEqual(Object.fromEntries([...r.repositories].map(([k, v]) => [k, Object.fromEntries(v)])), {
    busybox: { 'busybox:latest': 'sha256:fcde', 'busybox@sha256:16a2a52884c2a9481ed267c2d46483eac7693b813a63132368ab098a71303f8a': 'sha256:fcde' },
    registry: { 'registry:2': 'sha256:2c26' },
  });
  assert.equal(r.skipped.length, 1);
});
