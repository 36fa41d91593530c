// `start --ephemeral`: the rootfs is the lower layer of an overlay whose upper layer vanishes with the container.
// Each mode (root's own call, rootless as an ordinary user, delegated through sudo) writes, deletes and replaces
// files inside, sees its changes, exits, and the whole rootfs tree (content, modes, owners, links) is the one from
// before; nothing of the layer is left (no mount in any process's table, no namespace, no file), even when the
// helper is SIGKILLed while the container runs.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { privilegedStatusFile } from '../../src/core/helper/helperProtocol';
import { SYSTEM_HELPER_PATH } from '../../src/core/helper/systemHelper';
import { onInterrupt } from '../e2e/cleanup';
import { installSystemHelper, type SystemHelper } from '../e2e/sudoUser';
import {
  helperPath, makeRootfs, makeTempDir, readStarted, requireRoot, runHelper, spawnHelper, stopAllHelpers, waitFor,
} from './harness';
import { isAlive } from './hostProcs';

const STORE = '/var/lib/mini-containers/rootfs';
interface Run { code: number | null; stdout: string; stderr: string }

/**
 * One line per entry of the tree under `root`, sorted: path, type, mode, owner, group, size, the content's sha256
 * or the link's target, and for a file with several links the group of paths it shares its inode with. Times are
 * left out: reading a file through the overlay may update the lower file's atime, and nothing else may change.
 */
function treeChecksum(root: string): string {
  const lines: string[] = [];
  const inodes = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const relative = path.relative(root, full);
      const st = fs.lstatSync(full);
      let what = '';
      if (st.isDirectory()) what = 'd';
      else if (st.isSymbolicLink()) what = `l ${fs.readlinkSync(full)}`;
      else if (st.isFile()) what = `f ${createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`;
      else what = `o ${st.rdev}`;
      if (!st.isDirectory() && st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        inodes.set(key, [...(inodes.get(key) ?? []), relative]);
      }
      lines.push(`${JSON.stringify(relative)} ${(st.mode & 0o177777).toString(8)} ${st.uid}:${st.gid} ${st.size} ${what}`);
      if (st.isDirectory()) walk(full);
    }
  };
  const top = fs.lstatSync(root);
  lines.push(`. ${top.mode.toString(8)} ${top.uid}:${top.gid}`);
  walk(root);
  for (const group of inodes.values()) lines.push(`links ${group.sort().join(' ')}`);
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}

/** Every process's mount table that names `text` (a rootfs path, or the layer's source name): none is left. */
function mountsNaming(text: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let table = '';
    try {
      table = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
    } catch {
      continue;
    }
    for (const line of table.split('\n')) if (line.includes(text)) found.push(`${pid}: ${line}`);
  }
  return found;
}

/**
 * What the container does: write a new file and folder, replace a file's content, delete a file, replace a file by
 * a folder and a folder by a link, chmod, add a hard link and a symbolic link; then print what it sees.
 */
const CHANGES = [
  'set -e',
  'echo new > /new-file; mkdir -p /new-dir/sub; echo deep > /new-dir/sub/f',
  'echo replaced > /etc/hostname-seed',
  'rm /etc/to-delete',
  'rm /etc/to-replace; mkdir /etc/to-replace',
  'rm -r /var/folder; ln -s /tmp /var/folder',
  'chmod 600 /etc/chmod-me',
  'ln /etc/hostname-seed /etc/hard; ln -s /etc/hostname-seed /etc/soft',
  'cat /new-file /etc/hostname-seed; [ ! -e /etc/to-delete ] && echo deleted; [ -d /etc/to-replace ] && echo replaced-dir',
  '[ -L /var/folder ] && echo linked; ls -l /etc/chmod-me | cut -c1-10',
].join('\n');
const SEEN = 'new\nreplaced\ndeleted\nreplaced-dir\nlinked\n-rw-------\n';

/** The files CHANGES works on, in a fresh BusyBox rootfs. */
function seed(rootfs: string, uid = 0, gid = 0): void {
  for (const [file, text] of [['etc/hostname-seed', 'seed\n'], ['etc/to-delete', 'x\n'], ['etc/to-replace', 'y\n'], ['etc/chmod-me', 'z\n'],
    ['var/folder/inner', 'w\n']] as const) {
    fs.mkdirSync(path.join(rootfs, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(rootfs, file), text, { mode: 0o644 });
  }
  fs.mkdirSync(path.join(rootfs, 'tmp'), { recursive: true });
  if (uid) spawnSync('chown', ['-R', `${uid}:${gid}`, rootfs]);
}

function finished(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('start --ephemeral: a throw-away root over an unchanged rootfs', { timeout: 120_000 }, () => {
  const suffix = randomBytes(3).toString('hex');
  const user = `mc-eph-${suffix}`;
  const sudoers = `/etc/sudoers.d/mini-containers-eph-${suffix}`;
  const storeName = `mc-eph-${suffix}`;
  const storeRootfs = `${STORE}/${storeName}`;
  let dir = '';
  let rootfs = '';
  let uid = 0;
  let gid = 0;
  let home = '';
  let userRootfs = '';
  let userHelper = '';
  let helper: SystemHelper | undefined;
  let storeExisted = true;
  const children = new Set<ChildProcess>();

  function track(child: ChildProcess): ChildProcess {
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  }
  /** The helper as the user (rootless), with their own XDG_RUNTIME_DIR. */
  const asUser = (args: string[]) => track(spawn('/bin/sh', [userHelper, ...args], {
    uid, gid, cwd: home, stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: path.join(home, 'run'), TERM: 'xterm' },
  }));
  /** `sudo -n SYSTEM_HELPER_PATH ARGS` as the user (delegated). */
  const sudoHelper = (args: string[]) => track(spawn('sudo', ['-n', SYSTEM_HELPER_PATH, ...args], {
    uid, gid, cwd: home, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', HOME: home },
  }));

  function takeBack(): void {
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(sudoers, { force: true });
    if (uid) fs.rmSync(`/run/sudo/ts/${user}`, { force: true });
    spawnSync('userdel', ['--force', '--remove', user]);
    if (home) fs.rmSync(home, { recursive: true, force: true });
    if (uid) fs.rmSync(`/tmp/mini-containers-${uid}`, { recursive: true, force: true });
    if (uid) fs.rmSync(`/run/mini-containers/${uid}`, { recursive: true, force: true });
    fs.rmSync(storeRootfs, { recursive: true, force: true });
    if (!storeExisted) fs.rmSync('/var/lib/mini-containers', { recursive: true, force: true });
    helper?.dispose();
    helper = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
  let unregister = () => {};

  before(async () => {
    requireRoot();
    unregister = onInterrupt(takeBack);
    dir = makeTempDir('ephemeral');
    rootfs = await makeRootfs(dir);
    seed(rootfs);
    assert.equal(spawnSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', user]).status, 0, 'useradd');
    uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
    home = `/home/${user}`;
    fs.mkdirSync(path.join(home, 'run'), { mode: 0o700 });
    const helperDir = path.join(home, 'helper');
    fs.mkdirSync(helperDir, { mode: 0o755 });
    for (const file of ['container-helper.sh', 'seccomp.bpf']) fs.copyFileSync(path.join(path.dirname(helperPath), file), path.join(helperDir, file));
    userHelper = path.join(helperDir, 'container-helper.sh');
    userRootfs = await makeRootfs(home);
    seed(userRootfs);
    spawnSync('chown', ['-R', `${uid}:${gid}`, home]);
    helper = installSystemHelper(helperPath);
    fs.writeFileSync(sudoers, `Defaults:${user} !lecture\n${user} ALL=(root) NOPASSWD: ${SYSTEM_HELPER_PATH}\n`, { mode: 0o440, flag: 'wx' });
    assert.equal(spawnSync('visudo', ['-cf', sudoers]).status, 0, 'visudo accepts the rule');
    storeExisted = fs.existsSync('/var/lib/mini-containers');
    const made = await runHelper(['make-rootfs', '--name', storeName]);
    assert.equal(made.code, 0, made.stderr);
    seed(storeRootfs);
  });
  after(async () => {
    await stopAllHelpers();
    takeBack();
    unregister();
  });

  /** Runs CHANGES ephemerally through `run`, then checks the rootfs and that nothing of the layer is left. */
  async function changesVanish(root: string, run: (args: string[]) => ChildProcess): Promise<void> {
    const before = treeChecksum(root);
    const result = await finished(run(['start', '--rootfs', root, '--ephemeral', '--', '/bin/sh', '-c', CHANGES]));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, SEEN, 'the container saw its own changes');
    assert.equal(treeChecksum(root), before, 'the rootfs is unchanged, byte for byte');
    assert.deepEqual(mountsNaming(root), [], 'no mount of the layer is left in any process');
    // A second throw-away run starts from the pristine rootfs again.
    const again = await finished(run(['start', '--rootfs', root, '--ephemeral', '--', '/bin/sh', '-c',
      'cat /etc/hostname-seed; [ -e /new-file ] && echo kept || echo gone']));
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'seed\ngone\n');
  }

  it('as root: writes, deletes and replaces inside; the rootfs is unchanged after, and no mount is left', async () => {
    await changesVanish(rootfs, (args) => spawnHelper(args));
  });

  it('the same rootfs without --ephemeral does keep the changes (so the check above can fail)', async () => {
    const copy = path.join(dir, 'persistent');
    spawnSync('cp', ['-a', rootfs, copy]);
    const before = treeChecksum(copy);
    const result = await runHelper(['start', '--rootfs', copy, '--', '/bin/sh', '-c', CHANGES]);
    assert.equal(result.code, 0, result.stderr);
    assert.notEqual(treeChecksum(copy), before);
  });

  it('with folders bound in (the workspace): a write to the bind stays, the root\'s changes vanish', async () => {
    const work = path.join(dir, 'work-bind');
    fs.mkdirSync(work);
    const extra = path.join(dir, 'second-bind');
    fs.mkdirSync(extra);
    const before = treeChecksum(rootfs);
    const result = await runHelper(['start', '--rootfs', rootfs, '--ephemeral', '--bind', `${work}:/work`, '--bind', `${extra}:/extra:ro`,
      '--workdir', '/work', '--', '/bin/sh', '-c', 'echo kept > kept.txt && echo gone > /etc/gone && ls /extra >/dev/null && pwd']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '/work\n');
    assert.equal(fs.readFileSync(path.join(work, 'kept.txt'), 'utf8'), 'kept\n');
    assert.equal(treeChecksum(rootfs), before);
  });

  it('the record says "ephemeral":true, and the container\'s root is an overlay', async () => {
    const status = path.join(dir, 'status.jsonl');
    const child = spawnHelper(['start', '--rootfs', rootfs, '--ephemeral', '--status-file', status, '--', '/bin/sleep', '1000']);
    const exited = finished(child);
    const started = await waitFor(() => readStarted(status));
    assert.equal(started.ephemeral, true);
    assert.equal(started.rootfs, rootfs);
    const root = fs.readFileSync(`/proc/${started.initPid}/mountinfo`, 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
    assert.match(root ?? '', / - overlay mc-ephemeral /);
    child.kill('SIGTERM');
    await exited;
  });

  it('as root: SIGKILL of the helper ends the container and leaves no mount, namespace or file of the layer', async () => {
    const status = path.join(dir, 'killed.jsonl');
    const before = treeChecksum(rootfs);
    const child = spawnHelper(['start', '--rootfs', rootfs, '--ephemeral', '--status-file', status, '--', '/bin/sh', '-c',
      'echo changed > /etc/hostname-seed; echo big > /big; exec sleep 1000']);
    const exited = finished(child);
    const started = await waitFor(() => readStarted(status));
    await waitFor(() => fs.readFileSync(`/proc/${started.initPid}/cmdline`, 'utf8').startsWith('sleep'));
    assert.ok(mountsNaming(rootfs).length > 0, 'while it runs, the layer is mounted (in the container\'s namespaces only)');
    assert.deepEqual(fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(rootfs)), [], 'never in the host\'s table');
    child.kill('SIGKILL');
    await exited;
    await waitFor(() => !isAlive(started.initPid), 5_000);
    await waitFor(() => mountsNaming(rootfs).length === 0, 5_000).catch(() => assert.deepEqual(mountsNaming(rootfs), []));
    assert.equal(treeChecksum(rootfs), before);
  });

  it('rootless, as an ordinary user: changes vanish, the rootfs is unchanged, no mount is left', async () => {
    await changesVanish(userRootfs, asUser);
  });

  it('delegated, through sudo on a store rootfs: changes vanish, the rootfs is unchanged, no mount is left', async () => {
    await changesVanish(storeRootfs, sudoHelper);
  });

  it('delegated: SIGKILL of the helper (by root, as sudo would pass it on) leaves no mount of the layer', async () => {
    const name = `killed-${suffix}`;
    const before = treeChecksum(storeRootfs);
    const child = sudoHelper(['start', '--rootfs', storeRootfs, '--ephemeral', '--name', name, '--', '/bin/sh', '-c', 'echo x > /x; exec sleep 1000']);
    const exited = finished(child);
    const started = await waitFor(() => readStarted(privilegedStatusFile(uid, name)), 10_000);
    assert.equal(started.ephemeral, true);
    assert.ok(started.helperPid, 'the record names its helper');
    process.kill(started.helperPid, 'SIGKILL');
    await waitFor(() => !isAlive(started.initPid), 5_000);
    child.kill('SIGKILL');
    await exited;
    await waitFor(() => mountsNaming(storeRootfs).length === 0, 5_000).catch(() => assert.deepEqual(mountsNaming(storeRootfs), []));
    assert.equal(treeChecksum(storeRootfs), before);
  });
});
