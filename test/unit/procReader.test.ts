import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseStat } from '../../src/core/proc/procParse';
import { bootTimeMs, isDenied, isGone, readProcText } from '../../src/core/proc/procReader';

describe('procReader', () => {
  it('classifies errors', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    assert.deepEqual(['ENOENT', 'ESRCH', 'EACCES', 'EPERM', 'EIO'].map((c) => [isGone(err(c)), isDenied(err(c))]),
      [[true, false], [true, false], [false, true], [false, true], [false, false]]);
  });
  it('readProcText reads one file of a process, for its parser', () => {
    assert.equal(parseStat(readProcText(`${process.pid}/stat`) ?? '')?.pid, process.pid);
  });
  it('readProcText: a process that is gone reads as undefined, not an error', () => {
    // Above the largest pid_max Linux allows (2^22): no process has it.
    assert.equal(readProcText(`${2 ** 22 + 1}/stat`), undefined);
  });
  it('bootTimeMs reads btime from a /proc/stat', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mc-btime-')), 'stat');
    try {
      fs.writeFileSync(file, 'cpu  1 2 3\nbtime 1700000000\nprocesses 5\n');
      assert.equal(bootTimeMs(file), 1_700_000_000_000);
      fs.writeFileSync(file, 'cpu  1 2 3\n');
      assert.throws(() => bootTimeMs(file), /no btime/);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
  it('the real boot time is in the past', () => assert.ok(bootTimeMs() < Date.now()));
});
