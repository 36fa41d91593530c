import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initStillRuns, isInitTarget, terminalRunError } from '../../src/core/helper/signalOutcome';
import { statLine } from './fixtures/fakeProc';

describe('isInitTarget', () => {
  it('is true only for the PID 1 itself, pinned by its start time', () => {
    assert.equal(isInitTarget({ initPid: 10, initStartTime: 500, pid: 10, startTime: 500 }), true);
    assert.equal(isInitTarget({ initPid: 10, initStartTime: 500, pid: 11, startTime: 510 }), false);
    assert.equal(isInitTarget({ initPid: 10, initStartTime: 500, pid: 10, startTime: 501 }), false);
  });
});

describe('initStillRuns: PID 1 after a SIGTERM, from /proc/PID/stat', () => {
  const target = { initStartTime: 36038 };
  it('the same process, sleeping: it ignored the signal', () => {
    assert.equal(initStillRuns(target, statLine({ pid: 7505, ppid: 7496, comm: 'sh', state: 'S', startTime: 36038 })), true);
  });
  it('no such process, or a zombie: it ended', () => {
    assert.equal(initStillRuns(target, undefined), false);
    assert.equal(initStillRuns(target, statLine({ pid: 7505, ppid: 7496, state: 'Z', startTime: 36038 })), false);
  });
  it('another start time: the PID names another process now, PID 1 ended', () => {
    assert.equal(initStillRuns(target, statLine({ pid: 7505, ppid: 1, state: 'S', startTime: 40000 })), false);
  });
  it('an unreadable line is not taken for a running PID 1', () => assert.equal(initStillRuns(target, 'garbage'), false));
});

describe('terminalRunError: a kill error never points to a closed terminal', () => {
  const name = 'Kill in busybox-ab12';
  it('success: no error', () => assert.equal(terminalRunError({ code: 0, open: false }, name), undefined));
  it('the helper\'s reason is copied into the error', () => {
    assert.equal(terminalRunError({ code: 125, error: 'host PID 7 has ended', open: true }, name),
      'The helper ended with exit code 125: host PID 7 has ended');
  });
  it('without a reason, the terminal is named only while it is open', () => {
    assert.match(terminalRunError({ code: 1, open: true }, name)!, /in the "Kill in busybox-ab12" terminal/);
    const closed = terminalRunError({ code: 1, open: false }, name)!;
    assert.equal(closed, 'The helper ended with exit code 1.');
  });
  it('a terminal closed before the helper ended says that nothing is known, not where to look', () => {
    const error = terminalRunError({ code: undefined, open: false }, name)!;
    assert.match(error, /closed before the helper ended/);
    assert.doesNotMatch(error, /is in the/);
  });
});
