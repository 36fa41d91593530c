// The helper's options table (src/helper/parts/30-options.sh) against the extension's argument builder: every flag
// the extension can pass is a row the helper reads, and every row says what it becomes and why. The two sides are
// in different languages; this is where they meet.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildStartArgs } from '../../src/core/helper/helperProtocol';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const partsDir = path.join(projectRoot, 'src', 'helper', 'parts');

interface Row { flag: string; value: string; delegated: string; repeat: string; validator: string; rest: string }

/** The rows of START_OPTIONS, as the helper's parse_options reads them (six words, then the rest). */
function optionRows(): Row[] {
  const source = fs.readFileSync(path.join(partsDir, '30-options.sh'), 'utf8');
  const table = /^readonly START_OPTIONS='([^']*)'$/m.exec(source);
  assert.ok(table, 'START_OPTIONS is a single-quoted constant');
  return table[1].split('\n').map((line) => {
    const row = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    assert.ok(row, `a row of six columns: ${line}`);
    const [, flag, value, delegated, repeat, validator, rest] = row;
    return { flag, value, delegated, repeat, validator, rest };
  });
}

describe('the helper\'s options table', () => {
  const rows = optionRows();

  it('has a row for every flag the extension can pass to start', () => {
    const args = buildStartArgs({
      rootfs: '/r', name: 'n', hostname: 'h', statusFile: '/s', privileged: true, init: true, command: ['/bin/true'],
      binds: [{ source: '/a' }, { source: '/b', dest: '/c', readOnly: true }], workdir: '/a',
      network: 'private', publish: [{ hostPort: 8080, port: 80 }, { hostPort: 8081, port: 81 }], env: ['A=1'],
    });
    const flags = args.slice(1, args.indexOf('--')).filter((a) => a.startsWith('--'));
    assert.deepEqual(flags.filter((f) => !rows.some((r) => r.flag === f)), []);
    assert.ok(flags.length >= 8, `flags seen: ${flags.join(' ')}`);
  });

  it('gives each row a value kind, a delegated yes/no, a validator the helper defines, and what it becomes and why', () => {
    const helper = fs.readdirSync(partsDir).map((f) => fs.readFileSync(path.join(partsDir, f), 'utf8')).join('');
    for (const row of rows) {
      assert.match(row.flag, /^--[a-z][a-z-]*$/, row.flag);
      assert.match(row.value, /^(-|[A-Z]+)$/, `${row.flag}: value`);
      assert.match(row.delegated, /^(yes|no)$/, `${row.flag}: delegated`);
      assert.match(row.repeat, /^(yes|no)$/, `${row.flag}: repeat`);
      assert.match(helper, new RegExp(`^${row.validator}\\(\\) \\{`, 'm'), `${row.flag}: its validator ${row.validator} is defined`);
      assert.ok(row.rest.split(/\s{2,}/).length >= 2 && row.rest.length > 30, `${row.flag}: what it becomes and why`);
    }
    assert.equal(new Set(rows.map((r) => r.flag)).size, rows.length, 'no flag twice');
  });

  it('refuses when delegated exactly what only root itself may choose', () => {
    assert.deepEqual(rows.filter((r) => r.delegated === 'no').map((r) => r.flag).sort(), ['--privileged', '--status-file']);
  });

  it('lets --bind be given several times, and not --rootfs, --name or --workdir', () => {
    const repeat = (flag: string) => rows.find((r) => r.flag === flag)?.repeat;
    assert.deepEqual(['--bind', '--rootfs', '--name', '--workdir'].map(repeat), ['yes', 'no', 'no', 'no']);
  });

  it('is the usage the helper prints, flag for flag', () => {
    const dispatch = fs.readFileSync(path.join(partsDir, '90-dispatch.sh'), 'utf8');
    const usage = /container-helper\.sh start (.*)$/m.exec(dispatch)![1];
    assert.deepEqual([...usage.matchAll(/--[a-z-]+/g)].map((m) => m[0]).filter((f) => f !== '--').sort(), rows.map((r) => r.flag).sort());
  });

  it('lets exactly the flags the extension repeats be repeated', () => {
    const args = buildStartArgs({
      rootfs: '/r', binds: [{ source: '/a' }, { source: '/b' }], network: 'private', publish: [{ hostPort: 8080, port: 80 }, { hostPort: 8081, port: 81 }],
      env: ['A=1', 'B=2'],
    });
    const repeated = [...new Set(args.filter((a, i) => a.startsWith('--') && args.indexOf(a) !== i))];
    assert.deepEqual(rows.filter((r) => r.repeat === 'yes').map((r) => r.flag).sort(), repeated.sort());
  });
});
