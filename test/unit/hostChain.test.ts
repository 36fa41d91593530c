import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { holderRole, hostChain, type HolderRole } from '../../src/core/model/hostChain';

describe('holderRole names the host processes that hold a container', () => {
  const cases: { comm: string; command: string; want: HolderRole | null }[] = [
    { comm: 'sudo', command: 'sudo /usr/lib/mini-containers/container-helper.sh start --rootfs /r', want: 'sudo' },
    { comm: 'pkexec', command: '/usr/bin/pkexec /opt/x/container-helper.sh start --rootfs /r', want: 'pkexec' },
    { comm: 'container-helpe', command: '/bin/sh /ext/src/helper/container-helper.sh start --rootfs /r --name r-1a2b', want: 'helper' },
    { comm: 'sh', command: 'sh /ext/src/helper/container-helper.sh kill --container 7 --pid 9 --signal TERM', want: 'helper' },
    { comm: 'capsh', command: 'capsh --inh=cap_sys_admin --drop=cap_mknod --shell=/usr/bin/bwrap -- --unshare-pid', want: 'capsh' },
    { comm: 'bwrap', command: 'bwrap --unshare-pid --chroot /r /bin/sh', want: 'bwrapMonitor' },
    { comm: 'bwrap', command: '/usr/bin/bwrap --die-with-parent --ro-bind /r / /bin/sh', want: 'bwrapMonitor' },
    { comm: 'unshare', command: 'unshare -pf chroot rootfs /bin/sh', want: 'unshare' },
    { comm: 'systemd-nspawn', command: 'systemd-nspawn -D /var/lib/machines/deb', want: 'nspawn' },
    { comm: 'containerd-shim', command: '/usr/bin/containerd-shim-runc-v2 -namespace moby -id 4f2c', want: 'containerdShim' },
    { comm: 'conmon', command: '/usr/bin/conmon --api-version 1 -c 9a1e', want: 'conmon' },
    // Not holders: a name that only contains one of them, the shell of the extension host, node itself.
    { comm: 'sudoedit', command: 'sudoedit /etc/hosts', want: null },
    { comm: 'bash', command: 'bash -c unshare-wrapper', want: null },
    { comm: 'node', command: '/usr/bin/node /srv/code-server/out/node/entry.js', want: null },
    { comm: 'sh', command: '/bin/sh', want: null },
  ];
  for (const c of cases) {
    it(`${c.command} → ${c.want}`, () => assert.equal(holderRole(c), c.want));
  }
});

describe('hostChain follows PID 1\'s ancestors while each holds the container', () => {
  const proc = (hostPid: number, ppid: number, comm: string, command: string) => ({ hostPid, ppid, comm, command });
  const table = (...procs: ReturnType<typeof proc>[]) => new Map(procs.map((p) => [p.hostPid, p]));
  const roles = (chain: ReturnType<typeof hostChain>) => chain.map((h) => `${h.role} ${h.process.hostPid}`);

  it('the helper under sudo: sudo → helper → bubblewrap\'s monitor, outermost first, stopping at the extension host', () => {
    const procs = table(
      proc(100, 1, 'node', 'node extensionHost'),
      proc(200, 100, 'sudo', 'sudo /x/container-helper.sh start --rootfs /r'),
      proc(201, 200, 'sh', 'sh /x/container-helper.sh start --rootfs /r'),
      proc(202, 201, 'bwrap', '/usr/bin/bwrap --bind /r / --unshare-pid --die-with-parent --as-pid-1 /bin/sh'),
      proc(203, 202, 'sh', '/bin/sh'),
    );
    assert.deepEqual(roles(hostChain(203, procs)), ['sudo 200', 'helper 201', 'bwrapMonitor 202']);
  });

  it('the helper under pkexec: pkexec → helper → bubblewrap\'s monitor → PID 1', () => {
    const procs = table(
      proc(100, 1, 'node', 'node'),
      proc(300, 100, 'pkexec', '/usr/bin/pkexec /usr/lib/mini-containers/container-helper.sh start --rootfs /r'),
      proc(301, 300, 'sh', '/bin/sh /usr/lib/mini-containers/container-helper.sh start --rootfs /r'),
      proc(302, 301, 'bwrap', 'bwrap --unshare-pid'),
      proc(303, 302, 'sh', '/bin/sh'),
    );
    assert.deepEqual(roles(hostChain(303, procs)), ['pkexec 300', 'helper 301', 'bwrapMonitor 302']);
  });

  it('run by root: helper → capsh → bubblewrap\'s monitor, when capsh is seen between them', () => {
    const procs = table(
      proc(100, 1, 'node', 'node'),
      proc(400, 100, 'sh', 'sh /x/container-helper.sh start --rootfs /r'),
      proc(401, 400, 'capsh', 'capsh --shell=/usr/bin/bwrap -- --unshare-pid'),
      proc(402, 401, 'bwrap', 'bwrap --unshare-pid'),
      proc(403, 402, 'sh', '/bin/sh'),
    );
    assert.deepEqual(roles(hostChain(403, procs)), ['helper 400', 'capsh 401', 'bwrapMonitor 402']);
  });

  it('the lesson by hand: sudo → unshare → /bin/sh', () => {
    const procs = table(proc(50, 1, 'bash', '-bash'), proc(60, 50, 'sudo', 'sudo unshare -pf chroot rootfs /bin/sh'), proc(61, 60, 'unshare', 'unshare -pf chroot rootfs /bin/sh'), proc(62, 61, 'sh', '/bin/sh'));
    assert.deepEqual(roles(hostChain(62, procs)), ['sudo 60', 'unshare 61']);
  });

  it('is empty when PID 1\'s parent is an ordinary program or the host\'s init', () => {
    assert.deepEqual(hostChain(11, table(proc(10, 1, 'python3', 'python3 spawn.py'), proc(11, 10, 'sh', '/bin/sh'))), []);
    assert.deepEqual(hostChain(11, table(proc(11, 1, 'sh', '/bin/sh'))), []);
  });

  it('ends on a parent cycle (a PID reused mid-scan)', () => {
    const procs = table(proc(70, 71, 'unshare', 'unshare -p'), proc(71, 70, 'unshare', 'unshare -p'), proc(72, 71, 'sh', 'sh'));
    assert.deepEqual(roles(hostChain(72, procs)), ['unshare 70', 'unshare 71']);
  });
});
