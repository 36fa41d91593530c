import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildKillArgs, buildStartArgs, containerName, formatKillRequest, isValidName, parsePublish, parseStatusLine, parseStatusText, planLaunch, privilegedStatusFile, quoteForDisplay,
  type Privilege,
} from '../../src/core/helper/helperProtocol';

describe('isValidName', () => {
  const cases: Array<[string, boolean]> = [
    ['a', true], ['busybox-1f2e', true], ['A.b_c-9', true], ['a'.repeat(63), true],
    ['', false], ['a'.repeat(64), false], ['-a', false], ['.a', false], ['_a', false], ['a b', false],
    ['a/b', false], ['$(id)', false], ['a\nb', false], ['é', false],
  ];
  for (const [name, valid] of cases) it(`${JSON.stringify(name)} → ${valid}`, () => assert.equal(isValidName(name), valid));
});

describe('containerName', () => {
  const cases: Array<[string, string]> = [
    ['/var/lib/busybox-rootfs', 'busybox-rootfs-ab12'],
    ['/tmp/with space', 'with-space-ab12'],
    ['/tmp/.hidden', 'c.hidden-ab12'],
    ['/tmp/x/', 'x-ab12'],
    [`/tmp/${'l'.repeat(80)}`, `${'l'.repeat(40)}-ab12`],
  ];
  for (const [rootfs, expected] of cases) {
    it(`${rootfs} → ${expected}`, () => {
      assert.equal(containerName(rootfs, 'ab12'), expected);
      assert.ok(isValidName(containerName(rootfs, 'ab12')));
    });
  }
});

describe('buildStartArgs', () => {
  it('asks for a throw-away root with --ephemeral, and only when asked', () => {
    assert.deepEqual(buildStartArgs({ rootfs: '/r', ephemeral: true }), ['start', '--rootfs', '/r', '--ephemeral']);
    assert.deepEqual(buildStartArgs({ rootfs: '/r', ephemeral: false }), ['start', '--rootfs', '/r']);
  });
  it('builds the full argv in the order the helper documents', () => {
    assert.deepEqual(
      buildStartArgs({ rootfs: '/r f', name: 'n1', hostname: 'h1', statusFile: '/t/s', command: ['/bin/sh', '-c', 'echo $HOME'] }),
      ['start', '--rootfs', '/r f', '--name', 'n1', '--hostname', 'h1', '--status-file', '/t/s', '--', '/bin/sh', '-c', 'echo $HOME'],
    );
  });
  it('adds --privileged and --init only when asked', () => {
    assert.deepEqual(buildStartArgs({ rootfs: '/r', privileged: true, init: true, command: ['/bin/true'] }),
      ['start', '--rootfs', '/r', '--privileged', '--init', '--', '/bin/true']);
    assert.deepEqual(buildStartArgs({ rootfs: '/r', privileged: false, init: false }), ['start', '--rootfs', '/r']);
  });
  it('passes each bind as SRC[:DEST][:ro], in order, and the workdir', () => {
    assert.deepEqual(buildStartArgs({
      rootfs: '/r', binds: [{ source: '/w s' }, { source: '/a', dest: '/b', readOnly: true }, { source: '/c', dest: '/c', readOnly: false }],
      workdir: '/w s', command: ['pwd'],
    }), ['start', '--rootfs', '/r', '--bind', '/w s', '--bind', '/a:/b:ro', '--bind', '/c', '--workdir', '/w s', '--', 'pwd']);
    assert.deepEqual(buildStartArgs({ rootfs: '/r', workdir: '/' }), ['start', '--rootfs', '/r', '--workdir', '/']);
  });

  it('passes the network, and each published port as one --publish, before the command', () => {
    assert.deepEqual(buildStartArgs({ rootfs: '/r', network: 'none', command: ['/bin/true'] }), ['start', '--rootfs', '/r', '--network', 'none', '--', '/bin/true']);
    assert.deepEqual(buildStartArgs({ rootfs: '/r', network: 'private', publish: [{ hostPort: 8080, port: 80 }, { hostPort: 2222, port: 22 }] }),
      ['start', '--rootfs', '/r', '--network', 'private', '--publish', '8080:80', '--publish', '2222:22']);
  });
  it('leaves out what is not given, and the command when empty', () => {
    assert.deepEqual(buildStartArgs({ rootfs: '/r', command: [] }), ['start', '--rootfs', '/r']);
  });
  const refusals: Array<[string, Parameters<typeof buildStartArgs>[0], RegExp]> = [
    ['a relative rootfs', { rootfs: 'r' }, /absolute/],
    ['a rootfs with a newline', { rootfs: '/r\n' }, /control characters/],
    ['a bad name', { rootfs: '/r', name: 'a b' }, /Invalid container name/],
    ['a bad hostname', { rootfs: '/r', hostname: '-h' }, /Invalid hostname/],
    ['a relative status file', { rootfs: '/r', statusFile: 's' }, /status file/],
    ['a relative bind source', { rootfs: '/r', binds: [{ source: 'ws' }] }, /absolute host path/],
    ['a relative bind destination', { rootfs: '/r', binds: [{ source: '/ws', dest: 'ws' }] }, /absolute path/],
    ['a bind destination climbing out', { rootfs: '/r', binds: [{ source: '/ws', dest: '/a/../../etc' }] }, /"\.\."/],
    ['a bind destination with "."', { rootfs: '/r', binds: [{ source: '/ws', dest: '/a/./b' }] }, /"\."/],
    ['a bind destination of /', { rootfs: '/r', binds: [{ source: '/ws', dest: '/' }] }, /own root/],
    ['a bind destination under /proc', { rootfs: '/r', binds: [{ source: '/ws', dest: '/proc/sys' }] }, /\/proc and \/dev/],
    ['a bind destination with a control character', { rootfs: '/r', binds: [{ source: '/ws', dest: '/w\x1b' }] }, /control/],
    ['a bind path with ":"', { rootfs: '/r', binds: [{ source: '/a:b' }] }, /":"/],
    ['a relative workdir', { rootfs: '/r', workdir: 'ws' }, /working directory/],
    ['an unknown network', { rootfs: '/r', network: 'bridge' as 'host' }, /Invalid network "bridge"/],
    ['a published port with the host network', { rootfs: '/r', network: 'host', publish: [{ hostPort: 8080, port: 80 }] }, /needs the private network/],
    ['a published port with no network given (the helper defaults to host)', { rootfs: '/r', publish: [{ hostPort: 8080, port: 80 }] }, /needs the private network/],
    ['a host port of 0', { rootfs: '/r', network: 'private', publish: [{ hostPort: 0, port: 80 }] }, /"0:80"/],
    ['a port above 65535', { rootfs: '/r', network: 'private', publish: [{ hostPort: 8080, port: 65536 }] }, /1 to 65535/],
    ['a host port twice', { rootfs: '/r', network: 'private', publish: [{ hostPort: 8080, port: 80 }, { hostPort: 8080, port: 81 }] }, /8080 is published twice/],
    ['more than 32 published ports', { rootfs: '/r', network: 'private', publish: Array.from({ length: 33 }, (_, i) => ({ hostPort: 9000 + i, port: 80 })) }, /At most 32/],
  ];
  for (const [title, request, message] of refusals) {
    it(`refuses ${title}`, () => assert.throws(() => buildStartArgs(request), message));
  }
});

describe('planLaunch', () => {
  const base = { helperPath: '/ext/h.sh', sudoPath: '/usr/bin/sudo', pkexecPath: '/usr/bin/pkexec' };
  const args = ['start', '--rootfs', '/r'];
  it('auto as root runs the helper directly, and its banner says so', () => {
    const launch = planLaunch({ ...base, privilege: 'auto', uid: 0 }, args);
    assert.deepEqual({ ...launch, banner: undefined }, { file: '/bin/sh', args: ['/ext/h.sh', ...args], via: 'root', banner: undefined });
    assert.equal(launch.banner, 'Mini Containers: container run as root, without a user namespace (VS Code runs as root).');
  });
  it('auto as a user, with user namespaces and a rootfs of theirs, is rootless: no sudo, no password', () => {
    const launch = planLaunch({ ...base, privilege: 'auto', uid: 1000, userNamespaces: true, rootfsOwner: 1000 }, args);
    assert.deepEqual([launch.file, ...launch.args], ['/bin/sh', '/ext/h.sh', ...args]);
    assert.equal(launch.via, 'rootless');
    assert.match(launch.banner, /rootless container in a user namespace, no password \(user namespaces work here and the root filesystem is yours\)/);
  });
  it('auto as a user goes through sudo when the rootfs is not theirs, and says what runs and why', () => {
    const launch = planLaunch({ ...base, privilege: 'auto', uid: 1000, userNamespaces: true, rootfsOwner: 0 }, args);
    assert.equal(launch.file, '/usr/bin/sudo');
    assert.deepEqual(launch.args, ['--', '/bin/sh', '/ext/h.sh', ...args]);
    assert.match(launch.banner, /sudo .*namespaces.*\(the root filesystem belongs to another user\): sudo \/bin\/sh \/ext\/h\.sh start --rootfs \/r$/);
  });
  it('auto as a user goes through sudo when user namespaces do not work', () => {
    const launch = planLaunch({ ...base, privilege: 'auto', uid: 1000, userNamespaces: false, rootfsOwner: 1000 }, args);
    assert.equal(launch.via, 'sudo');
    assert.match(launch.banner, /user namespaces are not available here/);
  });
  it('auto without sudo falls back to pkexec', () => {
    const launch = planLaunch({ ...base, sudoPath: undefined, privilege: 'auto', uid: 1000 }, args);
    assert.equal(launch.via, 'pkexec');
    assert.deepEqual(launch.args, ['/bin/sh', '/ext/h.sh', ...args]);
  });
  it('auto with neither, and no rootless way, says to use a rootfs of ones own', () => {
    assert.throws(() => planLaunch({ helperPath: '/h', privilege: 'auto', uid: 1000 }, args), /neither sudo nor pkexec.*Create BusyBox Root Filesystem/);
  });
  it('rootless is honoured as asked, even as root', () => {
    assert.equal(planLaunch({ ...base, privilege: 'rootless', uid: 0 }, args).via, 'rootless');
  });
  it('root as a normal user is refused', () => {
    assert.throws(() => planLaunch({ ...base, privilege: 'root', uid: 1000 }, args), /does not run as root/);
  });
  it('an explicit sudo is honoured even as root', () => {
    assert.equal(planLaunch({ ...base, privilege: 'sudo', uid: 0 }, args).via, 'sudo');
  });
  // miniContainers.privilege's words; "privileged" is miniContainers.privileged's (--privileged), a flag of the
  // container whatever the mode, which the terminal's warning line names.
  const modes: [Privilege, RegExp][] = [
    ['rootless', /^Mini Containers: rootless container in a user namespace, no password \(miniContainers\.privilege is "rootless"\)\.$/],
    ['root', /^Mini Containers: container run as root, without a user namespace \(miniContainers\.privilege is "root"\)\.$/],
    ['sudo', /^Mini Containers runs its helper as root through sudo .*\(miniContainers\.privilege is "sudo"\): sudo /],
    ['pkexec', /^Mini Containers runs its helper as root through pkexec .*\(miniContainers\.privilege is "pkexec"\): pkexec /],
  ];
  for (const [privilege, words] of modes) {
    it(`the banner of "${privilege}" names it in the setting's words, and never says "privileged"`, () => {
      for (const flags of [[], ['--privileged']]) {
        const { banner } = planLaunch({ ...base, privilege, uid: 0 }, [...args, ...flags]);
        assert.match(banner, words);
        assert.doesNotMatch(banner.replace(/ --privileged\b/, ''), /privileged/i, 'only the shown command may hold --privileged');
      }
    });
  }
});

describe('privilegedStatusFile', () => {
  it('is the helper\'s file for that user and name, in its root-owned folder', () => {
    assert.equal(privilegedStatusFile(1000, 'rootfs-ab12'), '/run/mini-containers/1000/rootfs-ab12.status');
  });
  it('refuses a name the helper would refuse', () => assert.throws(() => privilegedStatusFile(1000, '../x'), /Not a container name/));
});

describe('quoteForDisplay', () => {
  const cases: Array<[string, string]> = [['/a/b', '/a/b'], ['a b', `'a b'`], [`it's`, `'it'\\''s'`], ['', `''`]];
  for (const [word, shown] of cases) it(`${JSON.stringify(word)} → ${shown}`, () => assert.equal(quoteForDisplay(word), shown));
});

describe('parseStatusLine', () => {
  const started = '{"event":"started","initPid":42,"startTime":123,"rootfs":"/r \\"q\\"","name":"n","hostname":"h","helperPid":7}';
  it('reads a started line, escapes included', () => {
    assert.deepEqual(parseStatusLine(started), {
      event: 'started', initPid: 42, startTime: 123, rootfs: '/r "q"', name: 'n', hostname: 'h', helperPid: 7,
    });
  });
  it('reads "ephemeral":true, and refuses any other value of it or a helperPid that is no PID', () => {
    const line = '{"event":"started","initPid":42,"startTime":123,"rootfs":"/r","name":"n","hostname":"h","ephemeral":true}';
    assert.deepEqual(parseStatusLine(line), { event: 'started', initPid: 42, startTime: 123, rootfs: '/r', name: 'n', hostname: 'h', ephemeral: true });
    for (const bad of ['"ephemeral":false', '"ephemeral":"yes"', '"helperPid":0', '"helperPid":"7"', '"helperPid":1.5']) {
      assert.equal(parseStatusLine(`{"event":"started","initPid":42,"startTime":123,"rootfs":"/r","name":"n","hostname":"h",${bad}}`), undefined, bad);
    }
  });
  it('reads the network and what is published, when the record has them', () => {
    const line = '{"event":"started","initPid":42,"startTime":123,"rootfs":"/r","name":"n","hostname":"h","network":"private","publish":["8080:80"],"helperPid":7}';
    assert.deepEqual(parseStatusLine(line), {
      event: 'started', initPid: 42, startTime: 123, rootfs: '/r', name: 'n', hostname: 'h', network: 'private', publish: ['8080:80'], helperPid: 7,
    });
    for (const bad of ['"network":"bridge"', '"network":"private","publish":["80"]', '"network":"private","publish":"8080:80"']) {
      assert.equal(parseStatusLine(`{"event":"started","initPid":42,"startTime":123,"rootfs":"/r","name":"n","hostname":"h",${bad}}`), undefined, bad);
    }
  });
  it('reads an exited line', () => assert.deepEqual(parseStatusLine('{"event":"exited","code":137}'), { event: 'exited', code: 137 }));
  const malformed = [
    '', 'not json', '[]', 'null', '{"event":"started"}', '{"event":"started","initPid":0,"startTime":1,"rootfs":"/","name":"n","hostname":"h"}',
    '{"event":"started","initPid":"42","startTime":1,"rootfs":"/","name":"n","hostname":"h"}',
    '{"event":"exited","code":-1}', '{"event":"exited","code":256}', '{"event":"exited","code":1.5}', '{"event":"other"}',
  ];
  for (const line of malformed) it(`ignores ${JSON.stringify(line)}`, () => assert.equal(parseStatusLine(line), undefined));
  it('parseStatusText leaves a partial last line for later', () => {
    assert.deepEqual(parseStatusText(`${started}\n{"event":"exi`).map((e) => e.event), ['started']);
    assert.deepEqual(parseStatusText(`${started}\n{"event":"exited","code":0}\n`).map((e) => e.event), ['started', 'exited']);
  });
});

describe('kill requests', () => {
  const target = { initPid: 100, initStartTime: 5000, pid: 120, startTime: 5100, signal: 'TERM' as const };
  it('formats one control-channel line', () => {
    assert.equal(formatKillRequest(7, target), 'kill 7 100 5000 120 5100 TERM\n');
  });
  it('builds the kill argv', () => {
    assert.deepEqual(buildKillArgs({ ...target, signal: 'KILL' }), [
      'kill', '--container', '100', '--container-start-time', '5000', '--pid', '120', '--start-time', '5100', '--signal', 'KILL',
    ]);
  });
  const bad: Array<[string, object]> = [
    ['a negative PID', { pid: -1 }], ['a fractional start time', { startTime: 1.5 }], ['NaN', { initPid: NaN }],
    ['an unknown signal', { signal: 'FOO' }], ['a signal with a space', { signal: 'TERM 1' }],
  ];
  for (const [title, change] of bad) {
    it(`refuses ${title}`, () => assert.throws(() => formatKillRequest(1, { ...target, ...change } as typeof target)));
  }
  it('parses the answers', () => {
    assert.deepEqual(parseStatusLine('{"event":"signal","id":3,"ok":true}'), { event: 'signal', id: 3, ok: true });
    assert.deepEqual(parseStatusLine('{"event":"signal","id":0,"ok":false,"error":"no"}'), { event: 'signal', id: 0, ok: false, error: 'no' });
    assert.equal(parseStatusLine('{"event":"signal","id":"3","ok":true}'), undefined);
  });
});

describe('planLaunch with a rootfs whose owner cannot be read', () => {
  it('auto goes through sudo: a rootfs in root\'s store, which no user may enter, is not the user\'s', () => {
    const launch = planLaunch({ helperPath: '/h', sudoPath: '/usr/bin/sudo', privilege: 'auto', uid: 1000, userNamespaces: true }, ['start']);
    assert.equal(launch.via, 'sudo');
    assert.match(launch.banner, /the root filesystem belongs to another user/);
  });
});

describe('parsePublish', () => {
  const cases: Array<[string, { hostPort: number; port: number } | undefined]> = [
    ['8080:80', { hostPort: 8080, port: 80 }], [' 65535:1 ', { hostPort: 65535, port: 1 }], ['80', undefined], ['0:80', undefined],
    ['08080:80', undefined], ['65536:80', undefined], ['8080:80:1', undefined], ['127.0.0.1:8080:80', undefined], ['a:b', undefined],
  ];
  for (const [text, expected] of cases) it(`reads ${JSON.stringify(text)}`, () => assert.deepEqual(parsePublish(text), expected));
});
