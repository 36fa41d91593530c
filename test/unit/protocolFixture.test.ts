// The extension's side of the helper's protocol, checked against test/fixtures/helper-protocol.json, which the
// integration test protocolFixture.test.ts checks the real helper against: the two sides cannot drift apart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeExit, HELPER_LINE_PREFIX, helperErrorCode, helperErrorLine } from '../../src/core/helper/helperError';
import {
  EXIT_HELPER_ERROR, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, parseStartedRecord, parseStatusLine, PRIVILEGED_RUN_DIR,
  privilegedStatusFile, ROOTFS_STORE,
} from '../../src/core/helper/helperProtocol';
import { DEFAULT_REGISTRY_DIR, parseRecord, userRegistryDir } from '../../src/core/helper/registry';
import { fillIn, readProtocolFixture, recordProblems } from '../fixtures/protocol';

const fixture = readProtocolFixture();

describe('protocol fixture: exit codes and the error line', () => {
  it('the exit codes are the fixture\'s', () => {
    assert.deepEqual([EXIT_HELPER_ERROR, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND],
      [fixture.exitCodes.helperError, fixture.exitCodes.notExecutable, fixture.exitCodes.notFound]);
  });
  it('each maps to its own code, and 128+N to signal N', () => {
    const { helperError, notExecutable, notFound, signalBase } = fixture.exitCodes;
    assert.deepEqual([helperError, notExecutable, notFound, signalBase + 9].map((c) => helperErrorCode(c, 'root', true)),
      ['helperError', 'notExecutable', 'notFound', 'signalled']);
    assert.match(describeExit(signalBase + 15, 'root'), /signal 15/);
  });
  it('the error line starts with the fixture\'s prefix', () => {
    assert.equal(HELPER_LINE_PREFIX, fixture.stderr.prefix);
    assert.equal(helperErrorLine(`${fixture.stderr.sample}\n`), fixture.stderr.sample.slice(fixture.stderr.prefix.length));
  });
});

describe('protocol fixture: folders', () => {
  const { folders } = fixture;
  it('root\'s run folder, registry and store', () => {
    assert.deepEqual([PRIVILEGED_RUN_DIR, DEFAULT_REGISTRY_DIR, ROOTFS_STORE], [folders.run, folders.privilegedRegistry, folders.store]);
  });
  it('the status file of a delegated start', () => {
    assert.equal(privilegedStatusFile(1000, 'busybox-ab12'), fillIn(folders.delegatedStatusFile, { UID: 1000, NAME: 'busybox-ab12' }));
  });
  // Rootless: $XDG_RUNTIME_DIR when it is an absolute folder of the user's without control characters, else /tmp.
  const mine = (dir: string) => (dir === '/run/user/1000' ? 1000 : undefined);
  const xdg = fillIn(folders.rootlessRegistry, { $XDG_RUNTIME_DIR: '/run/user/1000' });
  const fallback = fillIn(folders.rootlessRegistryFallback, { UID: 1000 });
  const cases: Array<[string, NodeJS.ProcessEnv, (dir: string) => number | undefined, string]> = [
    ['XDG_RUNTIME_DIR when it is absolute and the user\'s', { XDG_RUNTIME_DIR: '/run/user/1000' }, mine, xdg],
    ['the fallback without XDG_RUNTIME_DIR', {}, mine, fallback],
    ['the fallback when XDG_RUNTIME_DIR is empty', { XDG_RUNTIME_DIR: '' }, mine, fallback],
    ['the fallback when XDG_RUNTIME_DIR is relative', { XDG_RUNTIME_DIR: 'run' }, mine, fallback],
    ['the fallback when XDG_RUNTIME_DIR has a control character', { XDG_RUNTIME_DIR: '/run/user/1000\n' }, mine, fallback],
    ['the fallback when XDG_RUNTIME_DIR is missing', { XDG_RUNTIME_DIR: '/run/user/1000' }, () => undefined, fallback],
    ['the fallback when XDG_RUNTIME_DIR is another user\'s', { XDG_RUNTIME_DIR: '/run/user/1000' }, () => 0, fallback],
  ];
  for (const [title, env, owners, dir] of cases) it(`a rootless user's registry: ${title}`, () => assert.equal(userRegistryDir(env, 1000, owners), dir));
});

describe('protocol fixture: records', () => {
  for (const event of ['helper', 'started', 'signal', 'exited'] as const) {
    const format = fixture.records[event];
    for (const sample of format.samples) {
      it(`the ${event} sample matches its own format: ${sample}`, () => assert.deepEqual(recordProblems(fixture, event, sample), []));
      // The helper line is the helper's business (a later start reads it); the extension reads the other three.
      if (event !== 'helper') {
        it(`the ${event} sample is read as that event: ${sample}`, () => assert.equal(parseStatusLine(sample)?.event, event));
      }
    }
    for (const sample of format.registrySamples ?? []) {
      it(`the registry sample matches its format and reads as the status line does: ${sample}`, () => {
        assert.deepEqual(recordProblems(fixture, event, sample, true), []);
        assert.ok(parseRecord(sample));
      });
    }
  }
});

// One parser for the status file and the registry: a record either both accept, the same, or both refuse.
describe('protocol fixture: the started record parser', () => {
  for (const { why, record } of fixture.startedRecord.valid) {
    it(`accepts ${why}`, () => {
      const read = parseRecord(record);
      assert.ok(read, record);
      assert.deepEqual(parseStatusLine(record), read);
    });
  }
  for (const { why, record } of fixture.startedRecord.invalid) {
    it(`refuses ${why}, from the status file and from the registry alike`, () => {
      assert.equal(parseStatusLine(record), undefined, `the status reader accepts ${record}`);
      assert.equal(parseRecord(record), undefined, `the registry reader accepts ${record}`);
      let value: unknown;
      try {
        value = JSON.parse(record);
      } catch {
        return;
      }
      assert.equal(parseStartedRecord(value), undefined);
    });
  }
});
