import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeExit, planLaunch } from '../../src/core/helperProtocol';
import { english, type Localize } from '../../src/core/localize';
import { checkRootfs } from '../../src/core/rootfsCheck';
import { containerLabel, formatDuration } from '../../src/core/treeText';

describe('english (the Localize of the CLI and the tests)', () => {
  const cases: Array<[string, Array<string | number | boolean>, string]> = [
    ['No placeholder', [], 'No placeholder'],
    ['{0} and {1}', ['a', 2], 'a and 2'],
    ['{1} before {0}', [false, true], 'true before false'],
    ['{0} twice: {0}', ['x'], 'x twice: x'],
    ['{2} has no argument', ['a'], '{2} has no argument'],
  ];
  for (const [message, args, text] of cases) it(`${message} → ${text}`, () => assert.equal(english(message, ...args), text));
});

describe('core sentences go through the Localize they are given', () => {
  // A stand-in translation that marks what it translated, the way the French bundle would replace it.
  const marked: Localize = (message, ...args) => `«${english(message, ...args)}»`;
  it('tree text', () => {
    assert.equal(formatDuration(5_000, marked), '«5s»');
    assert.equal(containerLabel({ name: null, hostname: null, initHostPid: 7 } as never, marked), '«container 7»');
  });
  it('the helper protocol: the sudo banner and the exit sentence', () => {
    const launch = planLaunch({ privilege: 'sudo', uid: 1000, helperPath: '/h.sh', sudoPath: '/usr/bin/sudo' }, ['start'], marked);
    assert.match(launch.banner ?? '', /^«Mini Containers runs its helper as root with sudo .*: sudo \/bin\/sh \/h\.sh start»$/);
    assert.equal(describeExit(0, 'root', marked), '«exited with code 0»');
  });
  it('the rootfs check', async () => {
    assert.deepEqual(await checkRootfs('relative', '/bin/sh', marked), ['«"relative" is not an absolute path.»']);
  });
});
