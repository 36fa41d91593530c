import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  defaultMirror, hasSubordinateIds, hostSuite, mmdebstrapArgs, parseSuite, stageOf, validMirror,
} from '../../src/core/rootfs/debianRootfs';

describe('the host\'s suite and mirror', () => {
  it('reads Debian\'s and Ubuntu\'s codename from os-release, and nothing from another distribution', () => {
    assert.deepEqual(hostSuite('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n'), { distribution: 'debian', suite: 'bookworm' });
    assert.deepEqual(hostSuite('ID=ubuntu\nVERSION_CODENAME="noble"\n'), { distribution: 'ubuntu', suite: 'noble' });
    assert.equal(hostSuite('ID=fedora\nVERSION_CODENAME=""\n'), undefined);
    assert.equal(hostSuite('ID=debian\nVERSION_CODENAME=$(reboot)\n'), undefined);
  });
  it('takes the first archive of that distribution from one-line and deb822 sources, never the security one', () => {
    const deb822 = 'Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n\nTypes: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n';
    assert.equal(defaultMirror('debian', deb822), 'http://mirror.example/debian');
    assert.equal(defaultMirror('debian', 'deb [arch=amd64] https://ftp.fr.debian.org/debian bookworm main\n'), 'https://ftp.fr.debian.org/debian');
    assert.equal(defaultMirror('ubuntu', 'deb http://fr.archive.ubuntu.com/ubuntu noble main\n'), 'http://fr.archive.ubuntu.com/ubuntu');
    assert.equal(defaultMirror('debian', ''), 'http://deb.debian.org/debian');
    assert.equal(defaultMirror('ubuntu', 'deb http://deb.debian.org/debian bookworm main'), 'http://archive.ubuntu.com/ubuntu');
  });
  it('takes only http(s) mirrors without spaces or control characters', () => {
    assert.ok(validMirror('http://deb.debian.org/debian'));
    for (const bad of ['ftp://x/debian', 'http://x/debian main', 'http://x/\ndebian', 'file:///srv/debian', '--help']) assert.ok(!validMirror(bad), bad);
  });
});

describe('mmdebstrap\'s argv', () => {
  it('root mode as root, unshare mode otherwise; a minbase tar with apt downloading as root', () => {
    const root = mmdebstrapArgs({ distribution: 'debian', suite: 'bookworm' }, 'http://deb.debian.org/debian', '/s/r.tar', true);
    assert.deepEqual(root.slice(0, 3), ['--variant=minbase', '--mode=root', '--format=tar']);
    assert.match(root[3], /^--customize-hook=echo 'APT::Sandbox::User "root";' > "\$1\/etc\/apt\/apt.conf.d\/99mini-containers"$/);
    assert.deepEqual(root.slice(-3), ['bookworm', '/s/r.tar', 'http://deb.debian.org/debian']);
    assert.equal(mmdebstrapArgs({ distribution: 'debian', suite: 'trixie' }, 'http://m/debian', '/t', false)[1], '--mode=unshare');
  });
  it('gives Ubuntu its keyring and universe', () => {
    const args = mmdebstrapArgs({ distribution: 'ubuntu', suite: 'noble' }, 'http://archive.ubuntu.com/ubuntu', '/t', true);
    assert.ok(args.includes('--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg'));
    assert.ok(args.includes('--components=main,universe'));
  });
  it('refuses a suite or mirror that could be read as an option or a second argument', () => {
    assert.throws(() => mmdebstrapArgs({ distribution: 'debian', suite: '--mode=root' }, 'http://m/debian', '/t', false), /invalid suite/);
    assert.throws(() => mmdebstrapArgs({ distribution: 'debian', suite: 'bookworm' }, 'http://m/debian extra', '/t', false), /invalid mirror/);
  });
  it('reads "ubuntu:noble" and a listed suite\'s distribution', () => {
    assert.deepEqual(parseSuite('noble'), { distribution: 'ubuntu', suite: 'noble' });
    assert.deepEqual(parseSuite('ubuntu:oracular'), { distribution: 'ubuntu', suite: 'oracular' });
    assert.deepEqual(parseSuite('sid'), { distribution: 'debian', suite: 'sid' });
  });
});

describe('progress from mmdebstrap\'s own lines', () => {
  it('knows its stages, each further than the one before', () => {
    const lines = ['I: chroot architecture amd64 is equal to the host\'s architecture', 'I: downloading packages with apt...',
      'I: extracting archives...', 'I: installing essential packages...', 'I: installing remaining packages inside the chroot...',
      'I: cleaning package lists and apt cache...', 'I: creating tarball...', 'I: done'];
    const fractions = lines.map((l) => stageOf(l)?.fraction);
    assert.ok(fractions.every((f) => f !== undefined), JSON.stringify(fractions));
    assert.deepEqual(fractions, [...fractions].sort());
    assert.equal(stageOf('Get:1 http://deb.debian.org/debian bookworm InRelease'), undefined);
  });
});

describe('subordinate ids', () => {
  it('needs a range of 65536 or more for the user, by name or uid', () => {
    assert.ok(hasSubordinateIds('alice:100000:65536\n', 'alice', 1000));
    assert.ok(hasSubordinateIds('1000:100000:65536\n', 'alice', 1000));
    assert.ok(!hasSubordinateIds('alice:100000:1000\n', 'alice', 1000));
    assert.ok(!hasSubordinateIds('bob:100000:65536\n', 'alice', 1000));
    assert.ok(!hasSubordinateIds('', 'alice', 1000));
  });
});
