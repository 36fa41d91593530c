// "Open Shell in Container": the helper's exec argv, and which way it runs for each kind of container.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildExecArgs, execTerminalName, planExec, ROOT_OWN_CALL_SCRIPT } from '../../src/core/helper/execPlan';
import type { LaunchContext } from '../../src/core/helper/helperProtocol';

const user: LaunchContext = {
  privilege: 'auto', uid: 1000, helperPath: '/opt/h/container-helper.sh', sudoPath: '/usr/bin/sudo', pkexecPath: '/usr/bin/pkexec',
  userNamespaces: true,
};
const args = buildExecArgs({ initPid: 42, initStartTime: 7 });

describe('buildExecArgs', () => {
  it('names the container by PID 1 and its start time, then the folder and the command after --', () => {
    assert.deepEqual(args, ['exec', '--container', '42', '--container-start-time', '7']);
    assert.deepEqual(buildExecArgs({ initPid: 42, initStartTime: 7, workdir: '/tmp', command: ['-x', 'y'] }),
      ['exec', '--container', '42', '--container-start-time', '7', '--workdir', '/tmp', '--', '-x', 'y']);
  });
  it('refuses what the helper refuses', () => {
    assert.throws(() => buildExecArgs({ initPid: 0, initStartTime: 7 }), /Not a process ID/);
    assert.throws(() => buildExecArgs({ initPid: 1, initStartTime: 1.5 }), /Not a start time/);
    assert.throws(() => buildExecArgs({ initPid: 1, initStartTime: 7, workdir: 'tmp' }), /absolute path/);
    assert.throws(() => buildExecArgs({ initPid: 1, initStartTime: 7, workdir: '/a\nb' }), /control characters/);
  });
});

describe('planExec', () => {
  it('runs rootless, with no password, into the user\'s own container', () => {
    const plan = planExec(user, { startedBy: 'mini-containers', ownerUid: 1000 }, args);
    assert.equal(plan.launch.via, 'rootless');
    assert.equal(plan.rootOwnCall, false);
    assert.deepEqual([plan.launch.file, ...plan.launch.args], ['/bin/sh', user.helperPath, ...args]);
  });
  it('goes through sudo, delegated, into a container the helper started as root for the user', () => {
    const plan = planExec(user, { startedBy: 'mini-containers', ownerUid: 0 }, args);
    assert.equal(plan.launch.via, 'sudo');
    assert.deepEqual(plan.launch.args, ['--', '/bin/sh', user.helperPath, ...args]);
  });
  it('runs directly when VS Code is root, even into a container started by hand', () => {
    const plan = planExec({ ...user, uid: 0 }, { startedBy: 'other', ownerUid: 0 }, args);
    assert.equal(plan.launch.via, 'root');
    assert.equal(plan.rootOwnCall, false);
  });
  it('makes a root container started by hand root\'s own call, behind /bin/sh, and shows that command', () => {
    const plan = planExec(user, { startedBy: 'other', ownerUid: 0 }, args);
    assert.equal(plan.rootOwnCall, true);
    assert.deepEqual([plan.launch.file, ...plan.launch.args],
      ['/usr/bin/sudo', '--', '/bin/sh', '-c', ROOT_OWN_CALL_SCRIPT, '/bin/sh', user.helperPath, ...args]);
    assert.match(plan.shown, /^\/usr\/bin\/sudo -- \/bin\/sh -c '"\$0" "\$@"; exit \$\?' \/bin\/sh /);
    assert.match(plan.launch.banner, /root shell in a container started by hand/);
    const pk = planExec({ ...user, privilege: 'pkexec' }, { startedBy: 'other', ownerUid: 0 }, args);
    assert.deepEqual([pk.launch.file, ...pk.launch.args.slice(0, 3)], ['/usr/bin/pkexec', '/bin/sh', '-c', ROOT_OWN_CALL_SCRIPT]);
    assert.throws(() => planExec({ ...user, privilege: 'rootless' }, { startedBy: 'other', ownerUid: 0 }, args), /needs root/);
    assert.throws(() => planExec({ ...user, sudoPath: undefined, pkexecPath: undefined }, { startedBy: 'other', ownerUid: 0 }, args), /not installed/);
  });
  it('runs the user\'s own container started by hand rootless', () => {
    assert.equal(planExec(user, { startedBy: 'other', ownerUid: 1000 }, args).launch.via, 'rootless');
  });
});

describe('execTerminalName', () => {
  it('numbers from (2), the first free number', () => {
    assert.equal(execTerminalName('box', []), 'box (2)');
    assert.equal(execTerminalName('box', ['box', 'box (2)', 'box (4)']), 'box (3)');
  });
});
