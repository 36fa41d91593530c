// The Debian-package step of `npm start` and `npm test` (test/setup/debian-packages.sh) when another package
// manager holds apt's locks: it waits, saying who holds them, for a bounded time; when a step fails, its last line
// says which command failed and why. The locks are held the way apt holds them (fcntl write locks), by a process
// this test starts and ends by PID.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { requireRoot } from './harness';

const script = path.resolve(__dirname, '../../../test/setup/debian-packages.sh');
const LOCKS = ['/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/lock', '/var/lib/apt/lists/lock'];
const NO_SUCH_PACKAGE = 'mini-containers-test-no-such-package';

/** A perl process holding apt's and dpkg's locks for `seconds`; resolves once it holds them all. */
function holdLocks(seconds: number): Promise<ChildProcess> {
  const perl = `use Fcntl; my @held;
    for my $f (@ARGV) { sysopen(my $fh, $f, O_RDWR | O_CREAT) or die "$f: $!";
      my $lock = pack('s s q q l', F_WRLCK, 0, 0, 0, 0);
      fcntl($fh, F_SETLK, $lock) or die "cannot lock $f: $!"; push @held, $fh; }
    $| = 1; print "locked\\n"; sleep ${seconds};`;
  const child = spawn('perl', ['-e', perl, ...LOCKS], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => String(d).includes('locked') && resolve(child));
    child.on('exit', (code) => reject(new Error(`the lock holder ended (${code}) before holding the locks: ${err}`)));
  });
}

function runScript(timeoutSeconds: number): { status: number | null; stderr: string; ms: number } {
  const started = Date.now();
  const r = spawnSync('sh', [script], {
    env: { ...process.env, MINI_CONTAINERS_DEBIAN_PACKAGES: NO_SUCH_PACKAGE, MINI_CONTAINERS_APT_LOCK_TIMEOUT: String(timeoutSeconds) },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { status: r.status, stderr: r.stderr, ms: Date.now() - started };
}

const lastLine = (text: string) => text.trimEnd().split('\n').pop() ?? '';

describe('the Debian-package step when another package manager holds the locks', () => {
  let holder: ChildProcess | undefined;
  afterEach(() => {
    if (holder?.pid && holder.exitCode === null && holder.signalCode === null) process.kill(holder.pid, 'SIGKILL');
    holder = undefined;
  });

  it('waits up to its bound, names the holder, and its last line says the update failed on the lock', async () => {
    requireRoot();
    holder = await holdLocks(120);
    const r = runScript(4);
    assert.notEqual(r.status, 0, r.stderr);
    assert.ok(r.ms >= 4000, `gave up after ${r.ms} ms, before its 4 s bound`);
    assert.ok(r.ms < 60_000, `waited ${r.ms} ms, far past its 4 s bound`);
    assert.match(r.stderr, new RegExp(`held by process ${holder.pid} \\(perl\\).*waiting up to 4 s`), r.stderr);
    assert.match(lastLine(r.stderr), /^debian-packages\.sh: 'apt-get update -qq' failed \(exit \d+\) after \d+ s: E: .*lock/, r.stderr);
  });

  it('goes on once the lock is released, and a failing install says which command failed and why in its last line', async () => {
    requireRoot();
    holder = await holdLocks(3);
    const r = runScript(120);
    assert.ok(r.ms >= 2500, `went on after ${r.ms} ms, while the locks were held for 3 s`);
    assert.notEqual(r.status, 0, r.stderr);
    assert.match(r.stderr, /waiting up to 120 s/, 'it said it was waiting');
    assert.match(lastLine(r.stderr), new RegExp(`^debian-packages\\.sh: 'apt-get install -y -qq ${NO_SUCH_PACKAGE}' failed \\(exit \\d+\\) after \\d+ s: E: Unable to locate package ${NO_SUCH_PACKAGE}$`), r.stderr);
  });
});
