// `start --bind SRC[:DEST][:ro]` and `--workdir DIR`, as root, rootless (an ordinary user) and delegated (that user
// through a scoped, password-less sudo rule, treated as an adversary: links swapped during the start, links planted
// in the store rootfs). The test is root to set up and take back the user, the rule, the system copy of the helper
// and the store rootfs; every helper of the last two suites runs as the user.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_HELPER_PATH } from '../../src/core/helper/systemHelper';
import { onInterrupt } from '../e2e/cleanup';
import { installSystemHelper, type SystemHelper } from '../e2e/sudoUser';
import { helperPath, makeRootfs, makeTempDir, mountTable, requireRoot, runHelper, stopAllHelpers, waitFor } from './harness';

const STORE = '/var/lib/mini-containers/rootfs';
interface Run { code: number | null; stdout: string; stderr: string }

/** Mount lines that `after` has and `before` had not, naming one of `paths`: a bind that reached the host. */
function mountsAdded(before: string, after: string, paths: string[]): string[] {
  const had = new Set(before.split('\n'));
  return after.split('\n').filter((l) => !had.has(l) && paths.some((p) => l.includes(p)));
}

function finished(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('--bind and --workdir as root', () => {
  let dir = '';
  let rootfs = '';
  let ws = '';
  before(async () => {
    requireRoot();
    dir = makeTempDir('binds');
    rootfs = await makeRootfs(dir);
    ws = path.join(dir, 'ws');
    fs.mkdirSync(ws);
    fs.writeFileSync(path.join(ws, 'hello.txt'), 'hello\n');
  });
  after(async () => {
    await stopAllHelpers();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const start = (binds: string[], script: string, extra: string[] = []) =>
    runHelper(['start', '--rootfs', rootfs, ...binds.flatMap((b) => ['--bind', b]), ...extra, '--', '/bin/sh', '-c', script]);

  it('shows the folder inside at DEST, and a file written there appears on the host at SRC', async () => {
    const result = await start([`${ws}:/work`], 'cat /work/hello.txt && echo made > /work/made.txt');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'hello\n');
    assert.equal(fs.readFileSync(path.join(ws, 'made.txt'), 'utf8'), 'made\n');
  });

  it('binds at SRC itself when DEST is left out, several binds at once, the second read-only', async () => {
    const other = path.join(dir, 'other');
    fs.mkdirSync(other, { recursive: true });
    const result = await start([ws, `${other}:/other:ro`], `cat ${ws}/hello.txt; touch /other/x 2>&1 || echo refused`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^hello\n.*Read-only file system\nrefused\n$/s);
    assert.equal(fs.existsSync(path.join(other, 'x')), false);
  });

  it('--workdir is the command\'s working directory, / without it', async () => {
    const result = await start([`${ws}:/work`], 'pwd', ['--workdir', '/work']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '/work\n');
    const plain = await start([], 'pwd');
    assert.equal(plain.stdout, '/\n');
  });

  const refusals: Array<[string, () => string[], RegExp]> = [
    ['a missing SRC', () => ['--bind', path.join(dir, 'missing')], /--bind .*missing cannot be opened: No such file/],
    ['a relative SRC', () => ['--bind', 'ws'], /SRC must be an absolute host path/],
    ['a DEST climbing out with ..', () => ['--bind', `${ws}:/work/../../etc`], /"\.\." component/],
    ['a DEST with a . component', () => ['--bind', `${ws}:/work/./x`], /"\." or/],
    ['a relative DEST', () => ['--bind', `${ws}:work`], /DEST must be an absolute path/],
    ['DEST /', () => ['--bind', `${ws}:/`], /DEST is \//],
    ['a DEST under /proc', () => ['--bind', `${ws}:/proc/sys/x`], /under \/proc or \/dev/],
    ['a DEST with a control character', () => ['--bind', `${ws}:/wo\x1brk`], /control characters/],
    ['a relative --workdir', () => ['--workdir', 'work'], /--workdir must be an absolute path/],
    ['--workdir given twice', () => ['--workdir', '/', '--workdir', '/'], /--workdir given twice/],
  ];
  for (const [title, args, message] of refusals) {
    it(`refuses ${title}: 125, one line, nothing mounted on the host`, async () => {
      const before = mountTable();
      const result = await runHelper(['start', '--rootfs', rootfs, ...args(), '--', '/bin/true']);
      assert.equal(result.code, 125, result.stderr);
      assert.match(result.stderr, /^container-helper: [^\n]*\n$/);
      assert.match(result.stderr, message);
      assert.deepEqual(mountsAdded(before, mountTable(), [dir]), []);
    });
  }
});

describe('--bind rootless and under sudo, as an ordinary user', { timeout: 600_000 }, () => {
  const suffix = randomBytes(3).toString('hex');
  const user = `mc-bind-${suffix}`;
  const sudoers = `/etc/sudoers.d/mini-containers-bind-${suffix}`;
  const storeName = `mc-bind-${suffix}`;
  const storeRootfs = `${STORE}/${storeName}`;
  let uid = 0;
  let gid = 0;
  let home = '';
  let userRootfs = '';
  let userHelper = '';
  /** Root's 0700 folder holding a marker: what the user must never see (stands for /root). */
  let secret = '';
  let helper: SystemHelper | undefined;
  let storeExisted = true;
  const planted: string[] = [];
  const children = new Set<ChildProcess>();

  /** As the user: `sh -c SCRIPT ARGS`, or `sudo -n` the system helper when `sudo`. */
  function asUser(command: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn(command[0], command.slice(1), {
      uid, gid, cwd: home, stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: path.join(home, 'run'), ...env },
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  }
  const rootless = (args: string[]) => finished(asUser(['/bin/sh', userHelper, 'start', '--rootfs', userRootfs, ...args]));
  const delegated = (args: string[]) => finished(asUser(['sudo', '-n', SYSTEM_HELPER_PATH, 'start', '--rootfs', storeRootfs, ...args]));

  function takeBack(): void {
    fs.rmSync(sudoers, { force: true });
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(`/run/sudo/ts/${user}`, { force: true });
    spawnSync('userdel', ['--force', '--remove', user]);
    if (home) fs.rmSync(home, { recursive: true, force: true });
    if (secret) fs.rmSync(secret, { recursive: true, force: true });
    for (const p of planted) fs.rmSync(p, { recursive: true, force: true });
    fs.rmSync(storeRootfs, { recursive: true, force: true });
    if (!storeExisted) fs.rmSync('/var/lib/mini-containers', { recursive: true, force: true });
    if (uid) {
      fs.rmSync(`/run/mini-containers/${uid}`, { recursive: true, force: true });
      fs.rmSync(`/tmp/mini-containers-${uid}`, { recursive: true, force: true });
    }
    helper?.dispose();
    helper = undefined;
  }
  let unregister = () => {};

  before(async () => {
    requireRoot();
    unregister = onInterrupt(takeBack);
    assert.equal(spawnSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', user]).status, 0, 'useradd');
    uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
    home = `/home/${user}`;
    fs.mkdirSync(path.join(home, 'run'), { mode: 0o700 });
    fs.mkdirSync(path.join(home, 'ws'));
    fs.writeFileSync(path.join(home, 'ws', 'hello.txt'), 'hello\n');
    userRootfs = await makeRootfs(home);
    const helperDir = path.join(home, 'helper');
    fs.mkdirSync(helperDir);
    for (const file of ['container-helper.sh', 'seccomp.bpf']) fs.copyFileSync(path.join(path.dirname(helperPath), file), path.join(helperDir, file));
    userHelper = path.join(helperDir, 'container-helper.sh');
    spawnSync('chown', ['-R', `${uid}:${gid}`, home]);
    secret = fs.mkdtempSync('/tmp/mc-bind-secret-');
    fs.chmodSync(secret, 0o700);
    fs.writeFileSync(path.join(secret, 'marker'), `secret-${suffix}\n`);
    helper = installSystemHelper(helperPath);
    fs.writeFileSync(sudoers, `Defaults:${user} !lecture\n${user} ALL=(root) NOPASSWD: ${SYSTEM_HELPER_PATH}\n`, { mode: 0o440, flag: 'wx' });
    assert.equal(spawnSync('visudo', ['-cf', sudoers]).status, 0, 'visudo accepts the rule');
    storeExisted = fs.existsSync('/var/lib/mini-containers');
    const made = await runHelper(['make-rootfs', '--name', storeName]);
    assert.equal(made.code, 0, made.stderr);
  });
  after(async () => {
    await stopAllHelpers();
    takeBack();
    unregister();
  });

  it('rootless: a file made inside a bound folder is the user\'s on the host (uid 0 inside is them)', async () => {
    const ws = path.join(home, 'ws');
    const result = await rootless(['--bind', `${ws}:/work`, '--workdir', '/work', '--', '/bin/sh', '-c', 'id -u; pwd; cat hello.txt; echo x > made-rootless']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '0\n/work\nhello\n');
    const st = fs.statSync(path.join(ws, 'made-rootless'));
    assert.deepEqual([st.uid, st.gid], [uid, gid]);
  });

  it('rootless: a folder the user cannot read stays unreadable inside (uid 0 there is the user toward it)', async () => {
    const result = await rootless(['--bind', `${secret}:/s`, '--', '/bin/cat', '/s/marker']);
    assert.notEqual(result.code, 0, result.stdout);
    assert.match(result.stderr, /Permission denied/);
    assert.doesNotMatch(result.stdout, /secret-/);
  });

  it('sudo: the user\'s own folder is bound read-only; writable is refused, with why', async () => {
    const ws = path.join(home, 'ws');
    const ok = await delegated(['--bind', `${ws}:/mnt/ws:ro`, '--workdir', '/mnt/ws', '--', '/bin/sh', '-c', 'pwd; cat hello.txt; touch x 2>/dev/null || echo refused']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, '/mnt/ws\nhello\nrefused\n');
    const writable = await delegated(['--bind', `${ws}:/mnt/ws`, '--', '/bin/true']);
    assert.equal(writable.code, 125);
    assert.match(writable.stderr, /^container-helper: --bind \S+ must be read-only \(:ro\) under sudo or pkexec[^\n]*\n$/);
  });

  it('sudo: root\'s 0700 folder, or a link to it, is refused; its marker is never shown', async () => {
    const link = path.join(home, 'link-to-secret');
    fs.symlinkSync(secret, link);
    fs.lchownSync(link, uid, gid);
    for (const src of [secret, link, '/root']) {
      const before = mountTable();
      const result = await delegated(['--bind', `${src}:/mnt/s:ro`, '--', '/bin/sh', '-c', 'cat /mnt/s/marker; ls -a /mnt/s']);
      assert.equal(result.code, 125, `${src}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /^container-helper: --bind \S+: you cannot read it\n$/, src);
      assert.doesNotMatch(result.stdout, /secret-/);
      assert.deepEqual(mountsAdded(before, mountTable(), [secret, storeRootfs]), []);
    }
  });

  it('sudo: a root-owned 0644 file is bound read-only; a folder that is not the user\'s is refused', async () => {
    const file = path.join(secret, '..', `mc-bind-file-${suffix}`);
    planted.push(file);
    fs.writeFileSync(file, 'public\n', { mode: 0o644 });
    const ro = await delegated(['--bind', `${file}:/mnt/f:ro`, '--', '/bin/cat', '/mnt/f']);
    assert.equal(ro.code, 0, ro.stderr);
    assert.equal(ro.stdout, 'public\n');
    const rw = await delegated(['--bind', `${file}:/mnt/f`, '--', '/bin/cat', '/mnt/f']);
    assert.equal(rw.code, 125);
    assert.match(rw.stderr, /must be read-only/);
    // /usr/share is readable by all, but a folder exposes its whole subtree to the container's root.
    const usr = await delegated(['--bind', '/usr/share:/mnt/u:ro', '--', '/bin/true']);
    assert.equal(usr.code, 125);
    assert.match(usr.stderr, /^container-helper: --bind \/usr\/share is a folder you do not own/);
  });

  it('sudo: DESTs under a system folder, or nested in one another, are refused', async () => {
    const ws = path.join(home, 'ws');
    const etc = await delegated(['--bind', `${ws}:/etc/ws:ro`, '--', '/bin/true']);
    assert.equal(etc.code, 125);
    assert.match(etc.stderr, /DEST under \/etc is refused/);
    const nested = await delegated(['--bind', `${ws}:/mnt/a:ro`, '--bind', `${ws}:/mnt/a/b:ro`, '--', '/bin/true']);
    assert.equal(nested.code, 125);
    assert.match(nested.stderr, /may not nest/);
  });

  it('sudo: SRC swapped with a link to root\'s folder (RENAME_EXCHANGE in a loop) during 40 starts never shows it', async () => {
    const race = path.join(home, 'race');
    fs.mkdirSync(race);
    fs.mkdirSync(path.join(race, 'mine'));
    fs.writeFileSync(path.join(race, 'mine', 'marker'), 'mine\n');
    fs.symlinkSync(secret, path.join(race, 'other'));
    spawnSync('chown', ['-R', '-h', `${uid}:${gid}`, race]);
    // The user's own swapper: renameat2(RENAME_EXCHANGE) of the folder and the link, as fast as it can.
    const swapper = asUser(['python3', '-c', `
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
a, b = b"${race}/mine", b"${race}/other"
n = 0
while True:
    if libc.renameat2(-100, a, -100, b, 2) == 0:
        n += 1
        if n % 1000 == 0:
            open("${race}/.count", "w").write(str(n))
`]);
    const outcomes = { shown: 0, refused: 0 };
    try {
      // The race is live only once the swapper runs: its first thousand swaps come before the first start (a loaded
      // machine may take a while to start python; the starts alone can be over by then).
      await waitFor(() => fs.existsSync(path.join(race, '.count')), 20_000).catch(() => undefined);
      for (let i = 0; i < 40; i++) {
        const result = await delegated(['--bind', `${race}/mine:/mnt/s:ro`, '--', '/bin/sh', '-c', 'cat /mnt/s/marker']);
        assert.doesNotMatch(result.stdout, /secret-/, `start ${i} showed root's folder`);
        if (result.code === 0) outcomes.shown++;
        else outcomes.refused++;
      }
    } finally {
      swapper.kill('SIGKILL');
    }
    const count = path.join(race, '.count');
    const swaps = fs.existsSync(count) ? Number(fs.readFileSync(count, 'utf8')) : 0;
    assert.ok(swaps >= 1000, `the swapper ran (${swaps} swaps)`);
    // Both outcomes happen: the race was live (a start that saw the link is refused, one that saw the folder binds it).
    assert.ok(outcomes.refused > 0, JSON.stringify(outcomes));
  });

  it('sudo: a link planted in the store rootfs at DEST\'s first folder makes nothing on the host', async () => {
    // As an earlier container's root could: /mnt in the shared store rootfs becomes a link to a host folder.
    const target = fs.mkdtempSync('/tmp/mc-bind-planted-');
    planted.push(target);
    const missing = `${target}-missing`;
    planted.push(missing);
    const mnt = path.join(storeRootfs, 'mnt');
    const saved = path.join(storeRootfs, `mnt.saved-${suffix}`);
    const hadMnt = fs.existsSync(mnt);
    if (hadMnt) fs.renameSync(mnt, saved);
    try {
      const ws = path.join(home, 'ws');
      for (const [link, dest] of [[`/oldroot${target}`, '/mnt/deep/ws'], [`/oldroot${target}`, '/mnt/file'], [`/oldroot${missing}/x`, '/mnt/ws']]) {
        fs.rmSync(mnt, { force: true });
        fs.symlinkSync(link, mnt);
        const src = dest === '/mnt/file' ? path.join(ws, 'hello.txt') : ws;
        const result = await delegated(['--bind', `${src}:${dest}:ro`, '--', '/bin/sh', '-c', `ls ${dest}`]);
        // Inside, /mnt still points where the container has no /oldroot: the bind is not seen there, and that is all.
        assert.notEqual(result.code, null, result.stderr);
        assert.deepEqual(fs.readdirSync(target), [], `created on the host through ${link} for ${dest}: ${result.stderr}`);
        assert.equal(fs.existsSync(missing), false, `created ${missing} on the host`);
      }
    } finally {
      fs.rmSync(mnt, { force: true });
      if (hadMnt) fs.renameSync(saved, mnt);
    }
  });
});
