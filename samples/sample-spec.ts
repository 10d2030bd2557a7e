// The bundled sample: a small but honest legacy aufs root. Several images share a busybox base;
// layers come from four tar writers; there are whiteouts, an opaque dir, hardlinks, symlinks,
// xattrs, a device node, a FIFO, a setuid file, long and non-ASCII names, a layer without
// tar-data (Path B), a Docker 1.8.2 config (fallback normalisation), aufs branch metadata, two
// v1 layers that collapse into one ChainID, and tags with a registry host, a user repo and a
// digest reference.
import { readFileSync } from 'node:fs';
import type { RootSpec } from '../test/helpers/legacy-root.js';

// A valid VFS_CAP_REVISION_2 value granting cap_net_bind_service (bit 10) permitted+effective.
export const CAP_NET_BIND = '0100000200040000000000000000000000000000';

export function sampleSpec(busybox = '/usr/bin/busybox'): RootSpec {
  const bb = readFileSync(busybox);
  const long = 'a-directory-name-long-enough-to-need-the-ustar-prefix-field/' + 'f'.repeat(80) + '.txt';
  return {
    layers: [
      {
        name: 'base', writer: 'gnu', dockerVersion: '1.9.1', aufsMeta: true,
        createdBy: ['/bin/sh', '-c', '#(nop) ADD file:busybox-rootfs in /'], checksum: 'sha256:' + 'ab'.repeat(32),
        ops: [
          { file: 'bin/busybox', content: bb, mode: 0o755 },
          { symlink: 'bin/sh', target: 'busybox' },
          { symlink: 'bin/ls', target: '/bin/busybox' },
          { symlink: 'bin/cat', target: 'busybox' },
          { file: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n' },
          { file: 'etc/group', content: 'root:x:0:\nuser:x:1000:\n' },
          { file: 'etc/motd', content: 'legacy host\n', mtime: 1000000000 },
          { dir: 'home/user', mode: 0o750, uid: 1000, gid: 1000 },
          { file: 'home/user/notes.txt', content: 'owned by user\n', uid: 1000, gid: 1000, mode: 0o600 },
          { file: 'usr/share/data/big.bin', content: Buffer.alloc(300_000, 7) },
          { hardlink: 'usr/share/data/big-link.bin', target: 'usr/share/data/big.bin' },
          { file: 'usr/bin/ping', content: 'not really ping\n', mode: 0o4755 },
          { xattr: 'usr/bin/ping', name: 'security.capability', hex: CAP_NET_BIND },
          { xattr: 'etc/motd', name: 'user.origin', hex: '6c6567616379' },
          { dir: 'opt/app/old', mode: 0o755 },
          { file: 'opt/app/old/config', content: 'old=1\n' },
          { file: 'opt/app/keep-not', content: 'hidden by the opaque dir above\n' },
          { dir: 'tmp', mode: 0o1777 },
          { chardev: 'dev/null', major: 1, minor: 3 },
          { fifo: 'run/fifo' },
        ],
      },
      {
        name: 'config', parent: 'base', writer: 'bsdtar', dockerVersion: '1.9.1', aufsMeta: true,
        createdBy: ['/bin/sh', '-c', 'rm /etc/group && echo new > /opt/app/new'],
        ops: [
          { whiteout: 'etc/group' },
          { dir: 'opt/app' },
          { opaque: 'opt/app' },
          { file: 'opt/app/new', content: 'new\n' },
          { file: 'etc/motd', content: 'changed in layer 2\n' },
          { symlink: 'etc/localtime', target: '/usr/share/zoneinfo/UTC' },
          { file: long, content: 'long name\n' },
          { file: 'srv/café/naïve.txt', content: 'unicode names\n' },
        ],
      },
      {
        name: 'cmd', parent: 'config', writer: 'python', dockerVersion: '1.8.2', parentFile: true,
        createdBy: ['/bin/sh', '-c', '#(nop) CMD ["sh"]'], cmd: ['sh'], ops: [],
      },
      {
        name: 'old-layer', parent: 'cmd', writer: 'busybox', tarData: 'none', dockerVersion: '1.7.1',
        createdBy: ['/bin/sh', '-c', 'mkdir -p /data && echo x > /data/x && rm -rf /home/user'],
        ops: [
          { file: 'data/x', content: 'x\n' },
          { hardlink: 'data/x-again', target: 'data/x' },
          { whiteout: 'home/user' },
        ],
      },
      {
        name: 'tool', parent: 'base', writer: 'gnu-pax', dockerVersion: '1.9.0',
        createdBy: ['/bin/sh', '-c', 'echo tool > /usr/local/bin/tool'],
        ops: [{ file: 'usr/local/bin/tool', content: '#!/bin/sh\necho tool\n', mode: 0o755 }],
      },
      {
        name: 'tool-cmd', parent: 'tool', writer: 'python', dockerVersion: '1.9.1',
        createdBy: ['/bin/sh', '-c', '#(nop) CMD ["tool"]'], cmd: ['tool'], ops: [],
      },
      {
        // Same content chain as tool-cmd (an empty layer on tool): collapses into one ChainID.
        name: 'tool-cmd2', parent: 'tool', writer: 'python', dockerVersion: '1.9.1',
        createdBy: ['/bin/sh', '-c', '#(nop) CMD ["tool", "--twice"]'], cmd: ['tool', '--twice'], ops: [],
      },
      {
        name: 'tool-extra', parent: 'tool', writer: 'busybox', dockerVersion: '1.9.1',
        createdBy: ['/bin/sh', '-c', 'echo extra > /usr/local/share/extra'],
        ops: [{ file: 'usr/local/share/extra', content: 'extra\n' }, { symlink: 'usr/local/bin/extra', target: '../share/extra' }],
      },
    ],
    tags: {
      busybox: { latest: 'cmd', ['sha256:' + '16'.repeat(32)]: 'cmd' },
      'example.com:5000/team/app': { '1.0': 'old-layer' },
      'user/tool': { v1: 'tool-cmd', v2: 'tool-cmd2', extra: 'tool-extra' },
    },
  };
}
