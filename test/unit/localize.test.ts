import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeExit, planLaunch } from '../../src/core/helper/helperProtocol';
import { english, loggingLocalize, type Localize } from '../../src/core/localize';
import { checkRootfs } from '../../src/core/rootfs/rootfsCheck';
import { containerLabel, formatDuration, processTooltip } from '../../src/core/model/treeText';

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
    assert.equal(containerLabel({ name: null, hostname: null, initHostPid: 7, engine: null } as never, marked), '«container 7»');
  });
  it('the helper protocol: the sudo banner and the exit sentence', () => {
    const launch = planLaunch({ privilege: 'sudo', uid: 1000, helperPath: '/h.sh', sudoPath: '/usr/bin/sudo' }, ['start'], marked);
    assert.match(launch.banner ?? '', /^«Mini Containers runs its helper as root through sudo .*: sudo \/bin\/sh \/h\.sh start»$/);
    assert.equal(describeExit(0, 'root', false, marked), '«exited with code 0»');
  });
  it('the rootfs check', async () => {
    assert.deepEqual(await checkRootfs('relative', '/bin/sh', marked), ['«"relative" is not an absolute path.»']);
  });
});

describe('loggingLocalize (the user reads French, the log stays English)', () => {
  const french: Record<string, string> = { '{0} does not exist.': '{0} n’existe pas.', unknown: 'inconnu', 'Code {0}: {1}': 'Code {0} : {1}' };
  const translate: Localize = (message, ...args) => english(french[message] ?? message, ...args);

  it('translates, and puts what it translated back into English inside a longer log line', () => {
    const { t, inEnglish } = loggingLocalize(translate);
    const shown = t('{0} does not exist.', '/srv/rootfs');
    assert.equal(shown, '/srv/rootfs n’existe pas.');
    assert.equal(inEnglish(`[rootfs] refused: ${shown}`), '[rootfs] refused: /srv/rootfs does not exist.');
  });
  it('a sentence holding a shorter translated one comes back whole', () => {
    const { t, inEnglish } = loggingLocalize(translate);
    const shown = t('Code {0}: {1}', 7, t('unknown'));
    assert.equal(shown, 'Code 7 : inconnu');
    assert.equal(inEnglish(shown), 'Code 7: unknown');
  });
  it('remembers nothing while the translation is the English, and only the latest `keep` otherwise', () => {
    const { t, inEnglish } = loggingLocalize(translate, 1);
    assert.equal(t('Not translated'), 'Not translated');
    const first = t('{0} does not exist.', '/a');
    const second = t('{0} does not exist.', '/b');
    assert.equal(inEnglish(`${first} ${second}`), '/a n’existe pas. /b does not exist.');
  });
});

describe('dates in tooltips follow the display language', () => {
  it('1 December 2026 reads 01/12/2026 with "fr", 12/1/2026 with "en-US"', () => {
    const p = { command: 'sh', nsPid: 1, hostPid: 9, ppid: 1, nsPids: [9, 1], state: 'S', user: 'root', startTime: 0, rssBytes: 0, cpuTicks: 0 };
    const started = (locale?: string) => processTooltip(p as never, Date.UTC(2026, 11, 1, 12), english, locale).split('\n')[4];
    // Noon UTC is 1 December wherever the test runs.
    assert.match(started('fr'), /^Started 01\/12\/2026 \d/);
    assert.match(started('en-US'), /^Started 12\/1\/2026, \d/);
  });
});
