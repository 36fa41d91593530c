import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planLaunch } from '../../src/core/helper/helperProtocol';
import { chooseHelper, InstalledCopy, sudoersLine, SYSTEM_HELPER_PATH } from '../../src/core/helper/systemHelper';

const shipped = Buffer.from('#!/bin/sh\necho helper\n');
const safe: InstalledCopy = { content: shipped, uid: 0, mode: 0o100755, folderUid: 0, folderMode: 0o40755 };

describe('chooseHelper', () => {
  it('prefers the system copy when it is the shipped helper, root-owned and not writable by others', () => {
    assert.deepEqual(chooseHelper('/ext/h.sh', shipped, safe), { path: SYSTEM_HELPER_PATH, direct: true });
  });
  it('uses the shipped copy, quietly, when none is installed', () => {
    assert.deepEqual(chooseHelper('/ext/h.sh', shipped, undefined), { path: '/ext/h.sh', direct: false });
  });
  const refused: Array<[string, Partial<InstalledCopy>, RegExp]> = [
    ['a different content', { content: Buffer.from('#!/bin/sh\nevil\n') }, /differs/],
    ['a user-owned copy', { uid: 1000 }, /not owned by root/],
    ['a group-writable copy', { mode: 0o100775 }, /writable by others/],
    ['a world-writable folder', { folderMode: 0o41777 }, /writable by others/],
    ['a user-owned folder', { folderUid: 1000 }, /not owned by root/],
    ['a copy without exec bits', { mode: 0o100644 }, /not executable/],
  ];
  for (const [title, change, warning] of refused) {
    it(`falls back to the shipped copy, with a warning, for ${title}`, () => {
      const choice = chooseHelper('/ext/h.sh', shipped, { ...safe, ...change });
      assert.equal(choice.path, '/ext/h.sh');
      assert.equal(choice.direct, false);
      assert.match(choice.warning!, warning);
    });
  }
});

describe('sudoersLine', () => {
  it('names exactly the system copy', () => {
    assert.equal(sudoersLine('alice'), `alice ALL=(root) NOPASSWD: ${SYSTEM_HELPER_PATH}`);
  });
  it('names exactly the copy install-helper --prefix made', () => {
    assert.equal(sudoersLine('alice', '/opt/mc/libexec/mini-containers/container-helper.sh'),
      'alice ALL=(root) NOPASSWD: /opt/mc/libexec/mini-containers/container-helper.sh');
  });
  for (const bad of ['', 'a b', 'alice,ALL', 'x\nroot ALL=(ALL) ALL', '%admin']) {
    it(`refuses the user ${JSON.stringify(bad)}`, () => assert.throws(() => sudoersLine(bad), /user name/));
  }
  for (const bad of ['relative/helper.sh', '/a b/helper.sh', '/a,/b', '/a:b', '/a=b', '/a\\b', '/a\n/b']) {
    it(`refuses the path ${JSON.stringify(bad)}`, () => assert.throws(() => sudoersLine('alice', bad), /path a sudoers rule/));
  }
});

describe('planLaunch with the system copy', () => {
  it('runs it by its own path under sudo, so the sudo rule matches', () => {
    const launch = planLaunch({ privilege: 'sudo', uid: 1000, helperPath: SYSTEM_HELPER_PATH, helperDirect: true,
      sudoPath: '/usr/bin/sudo' }, ['start', '--rootfs', '/r']);
    assert.deepEqual([launch.file, ...launch.args], ['/usr/bin/sudo', '--', SYSTEM_HELPER_PATH, 'start', '--rootfs', '/r']);
  });
});
