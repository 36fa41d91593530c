import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildModel } from '../../src/core/model/containerModel';
import { formatPsTable, toPsJson } from '../../src/core/model/format';
import { ProcessScanner } from '../../src/core/proc/processScanner';
import { ContainerRegistry } from '../../src/core/helper/registry';
import { fixturesDir } from './fixtures/fakeProc';

const fixtures = fixturesDir();
const model = buildModel(
  new ProcessScanner({ procRoot: path.join(fixtures, 'proc'), passwdPath: path.join(fixtures, 'passwd'), maxOpenFiles: 0 }).scan(),
  { records: new ContainerRegistry(path.join(fixtures, 'registry')).read(), rootOf: () => null },
);

describe('ps --json', () => {
  it('has exactly the documented shape', () => {
    const json = toPsJson(model);
    assert.deepEqual(Object.keys(json), ['containers']);
    assert.deepEqual(Object.keys(json.containers[0]), ['initHostPid', 'startTime', 'name', 'rootfs', 'startedBy', 'engine', 'network', 'publish', 'ephemeral', 'parentInitHostPid', 'usage', 'processes']);
    assert.deepEqual(json.containers[1].processes[1], {
      hostPid: 205, nsPid: 2, ppid: 204, user: 'root', state: 'S', command: 'sleep  1000', startTime: 5101, rssBytes: json.containers[1].processes[1].rssBytes, cpuPercent: null,
    });
    assert.equal(typeof json.containers[1].processes[1].rssBytes, 'number');
    assert.equal(json.containers[0].usage, null); // not measured
    assert.deepEqual(json.containers.map((c) => [c.initHostPid, c.name, c.startedBy, c.parentInitHostPid]), [[201, 'web', 'mini-containers', null], [204, null, 'other', 201]]);
    // Which network each has and what it publishes, from the helper's record; unknown without one.
    assert.deepEqual(json.containers.map((c) => [c.network, c.publish]), [['private', ['8080:80']], [null, []]]);
  });
});

describe('ps table', () => {
  it('prints an aligned block per container', () => {
    assert.equal(formatPsTable(model), [
      'web  init 201  rootfs /srv/alpine  network private publish 8080:80  6 processes',
      '  PID  HPID  PPID  USER   STAT  COMMAND',
      '    1   201   200  root   S     sh -c sleep 100 & wait',
      "    2   202   201  alice  S     python3 -c print('a  b')",
      '    3   203   201  root   S     unshare --pid --fork sh',
      '    6   206   100  root   S     sh',
      '    7   207   201  root   Z     [sleep]',
      '    ?   301   201  ?      S     [sleep]',
      '',
      '-  init 204  rootfs -  2 processes  inside 201',
      '  PID  HPID  PPID  USER  STAT  COMMAND',
      '    1   204   203  root  S     sh',
      '    2   205   204  root  S     sleep  1000',
      '',
    ].join('\n'));
  });
  it('says when there are no containers', () => {
    assert.equal(formatPsTable({ containers: [], byKey: new Map(), containerOf: new Map() }), 'No containers.\n');
  });
  it('shows control characters in a command line as ?', () => {
    const c = model.containers[1];
    const evil = { ...c, processes: [{ ...c.processes[0], command: 'sh\x1b[2J\nrm' }] };
    assert.match(formatPsTable({ containers: [evil], byKey: new Map(), containerOf: new Map() }), /sh\?\[2J\?rm/);
  });
});
