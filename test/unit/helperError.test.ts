import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeExit, HelperError, helperErrorCode, helperErrorLine, type HelperErrorCode } from '../../src/core/helper/helperError';

describe('helperErrorLine', () => {
  it('finds the helper\'s reason in a terminal\'s output (CR LF, a sudo prompt before it)', () => {
    const output = '[sudo] password for ann: \r\ncontainer-helper: host PID 7 is not in this container\r\n';
    assert.equal(helperErrorLine(output), 'host PID 7 is not in this container');
  });
  it('no line of the helper: nothing', () => {
    assert.equal(helperErrorLine('sudo: a password is required\n'), undefined);
    assert.equal(helperErrorLine('container-helper: \n'), undefined);
  });
});

describe('describeExit', () => {
  const cases: Array<[number, 'root' | 'sudo' | 'pkexec' | 'rootless', RegExp]> = [
    [0, 'root', /exited with code 0/], [7, 'sudo', /exited with code 7/], [125, 'root', /helper refused/],
    [126, 'root', /not executable/], [127, 'sudo', /not found/], [137, 'root', /signal 9/],
    [126, 'pkexec', /dismissed/], [127, 'pkexec', /not authorized/],
  ];
  for (const [code, via, text] of cases) it(`${code} via ${via}`, () => assert.match(describeExit(code, via), text));
  // pkexec's own 126/127 come with no line of the helper's; the helper's own 126/127 always print one.
  it('126 via pkexec after a line of the helper is the helper\'s: not executable', () => assert.match(describeExit(126, 'pkexec', true), /not executable/));
  it('127 via pkexec after a line of the helper is the helper\'s: not found', () => assert.match(describeExit(127, 'pkexec', true), /not found/));
});

describe('helperErrorCode: each exit status mapped once', () => {
  const cases: Array<[number, 'root' | 'rootless' | 'sudo' | 'pkexec', boolean, HelperErrorCode | undefined]> = [
    [0, 'root', false, undefined],
    [125, 'sudo', true, 'helperError'],
    [126, 'root', true, 'notExecutable'],
    [127, 'rootless', true, 'notFound'],
    // pkexec's own: no line of the helper's.
    [126, 'pkexec', false, 'pkexecDismissed'],
    [127, 'pkexec', false, 'pkexecNotAuthorised'],
    [126, 'pkexec', true, 'notExecutable'],
    [127, 'pkexec', true, 'notFound'],
    [125, 'pkexec', false, 'helperError'],
    [137, 'root', false, 'signalled'],
    [1, 'sudo', false, 'exitCode'],
    [128, 'root', false, 'exitCode'],
  ];
  for (const [exit, via, spoke, code] of cases) {
    it(`${exit} via ${via}${spoke ? ' after a helper line' : ''} → ${code}`, () => assert.equal(helperErrorCode(exit, via, spoke), code));
  }
});

describe('HelperError.of', () => {
  it('carries the exit code, the code and the helper\'s line, which is its message', () => {
    const e = HelperError.of(125, 'root', 'container-helper: container 42 was not started by this helper: refusing to signal it\n');
    assert.ok(e instanceof HelperError);
    assert.deepEqual([e.exitCode, e.code, e.helperLine, e.message], [
      125, 'helperError', 'container 42 was not started by this helper: refusing to signal it',
      'container 42 was not started by this helper: refusing to signal it',
    ]);
  });
  it('pkexec\'s own 127 says so, whatever else pkexec printed', () => {
    const e = HelperError.of(127, 'pkexec', 'Error executing command as another user: Not authorized\n');
    assert.deepEqual([e?.code, e?.helperLine, e?.message], ['pkexecNotAuthorised', undefined, 'pkexec: not authorized']);
  });
  it('without a helper line, the output (sudo\'s reason), else the sentence of the exit code', () => {
    assert.equal(HelperError.of(1, 'sudo', 'sudo: a password is required\n')?.message, 'sudo: a password is required');
    assert.equal(HelperError.of(137, 'root', '')?.message, 'exited on signal 9 (exit code 137)');
  });
  it('no error for exit 0', () => assert.equal(HelperError.of(0, 'root', 'container-helper: warning: x\n'), undefined));
});
