// The helper's side of test/fixtures/helper-protocol.json: the REAL helper, run as root on a BusyBox rootfs, writes
// what the fixture says (status lines, the registry record's path and fields, exit codes, its one error line), and
// what it writes parses with the extension's one parser. The unit test protocolFixture.test.ts checks the extension
// against the same file, so the two sides cannot drift apart. The helper's own BusyBox builder is checked too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildBusyboxRootfs, findStaticBusybox } from '../../src/core/rootfs/busyboxRootfs';
import { HelperError } from '../../src/core/helper/helperError';
import { parseStartedRecord, parseStatusLine, parseStatusText } from '../../src/core/helper/helperProtocol';
import { parseStat } from '../../src/core/proc/procParse';
import { parseRecord } from '../../src/core/helper/registry';
import { describeTree, fillIn, fixtureTree, readProtocolFixture, recordProblems } from '../fixtures/protocol';
import { helperPath, makeRootfs, makeTempDir, requireRoot, runHelper, spawnHelper, stopAllHelpers, waitFor } from './harness';

const fixture = readProtocolFixture();

describe('the real helper writes what the protocol fixture says', () => {
  let tmp: string;
  let rootfs: string;

  before(async () => {
    requireRoot();
    tmp = makeTempDir('protocol');
    rootfs = await makeRootfs(tmp);
    fs.writeFileSync(path.join(rootfs, 'not-executable'), 'data\n', { mode: 0o644 });
  });
  after(async () => {
    await stopAllHelpers();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('status lines and the registry record: formats, path and fields, read by the one parser', async () => {
    const status = path.join(tmp, 'status.jsonl');
    const name = `protocol-${process.pid}`;
    const child = spawnHelper(['start', '--rootfs', rootfs, '--name', name, '--status-file', status, '--', '/bin/sleep', '1000']);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines = await waitFor(() => {
      const text = fs.existsSync(status) ? fs.readFileSync(status, 'utf8') : '';
      const complete = text.split('\n').slice(0, -1);
      return complete.length >= 2 ? complete : undefined;
    }, 10_000);

    // First the helper line, then the started line, as the fixture's order says.
    assert.deepEqual(recordProblems(fixture, 'helper', lines[0]), [], lines[0]);
    assert.equal(JSON.parse(lines[0]).pid, child.pid);
    assert.deepEqual(recordProblems(fixture, 'started', lines[1]), [], lines[1]);
    const started = parseStatusLine(lines[1]);
    assert.ok(started?.event === 'started', `the status reader refuses the helper's line ${lines[1]}`);
    assert.deepEqual(parseStartedRecord(JSON.parse(lines[1])), started);
    const raw = JSON.parse(lines[1]) as Record<string, unknown>;
    assert.deepEqual([started.name, started.hostname, started.rootfs, raw.mode, raw.helperPid],
      [name, name, fs.realpathSync(rootfs), 'privileged', child.pid]);
    assert.equal(started.control, fillIn(fixture.folders.rootControl, { HELPERPID: child.pid! }));
    // The start time is field 22 of PID 1's stat, and never 0.
    const stat = parseStat(fs.readFileSync(`/proc/${started.initPid}/stat`, 'latin1'));
    assert.equal(stat?.startTime, started.startTime);
    assert.ok(started.startTime >= 1);

    // The registry record: at the fixture's path, in its format (plus uid), read as the status line is.
    const file = path.join(fixture.folders.privilegedRegistry,
      fillIn(fixture.folders.registryFile, { INITPID: started.initPid, STARTTIME: started.startTime }));
    const record = fs.readFileSync(file, 'utf8');
    assert.ok(record.endsWith('}\n') && !record.slice(0, -1).includes('\n'), `one line: ${record}`);
    assert.deepEqual(recordProblems(fixture, 'started', record.trimEnd(), true), [], record);
    assert.equal(JSON.parse(record).uid, 0);
    assert.deepEqual(parseRecord(record), started);

    // PID 1 killed by signal 9: 128+9, said in the exited line; the record goes with the container.
    process.kill(started.initPid, 'SIGKILL');
    assert.equal(await exited, fixture.exitCodes.signalBase + 9);
    const text = fs.readFileSync(status, 'utf8');
    const last = text.split('\n').slice(0, -1).pop()!;
    assert.deepEqual(recordProblems(fixture, 'exited', last), [], last);
    assert.deepEqual(parseStatusText(text).map((e) => e.event), ['started', 'exited']);
    assert.deepEqual(parseStatusLine(last), { event: 'exited', code: fixture.exitCodes.signalBase + 9 });
    assert.equal(fs.existsSync(file), false, `${file} outlived its container`);
  });

  const exits: Array<[string, () => string[], keyof typeof fixture.exitCodes, HelperError['code']]> = [
    ['a missing command', () => ['start', '--rootfs', rootfs, '--', '/bin/no-such-program'], 'notFound', 'notFound'],
    ['a command that is not executable', () => ['start', '--rootfs', rootfs, '--', '/not-executable'], 'notExecutable', 'notExecutable'],
    ['a refused argument', () => ['start', '--rootfs', rootfs, '--name', 'a b'], 'helperError', 'helperError'],
    ['a refused kill', () => ['kill', '--container', '1', '--container-start-time', '1', '--pid', '1', '--start-time', '1', '--signal', 'TERM'],
      'helperError', 'helperError'],
  ];
  for (const [title, args, exit, code] of exits) {
    it(`${title}: exit ${fixture.exitCodes[exit]} and one line with the fixture's prefix, mapped to ${code}`, async () => {
      const result = await runHelper(args());
      assert.equal(result.code, fixture.exitCodes[exit], result.stderr);
      // A COMMAND that cannot run: bubblewrap's execvp says why first, then the helper's one line.
      assert.match(result.stderr, new RegExp(`^(bwrap: execvp [^\\n]+\\n)?${fixture.stderr.prefix}[^\\n]+\\n$`));
      const line = result.stderr.split('\n').find((l) => l.startsWith(fixture.stderr.prefix))!;
      for (const via of ['root', 'sudo', 'pkexec'] as const) {
        const error = HelperError.of(result.code!, via, result.stderr);
        assert.deepEqual([error?.code, error?.exitCode, error?.message], [code, result.code, line.slice(fixture.stderr.prefix.length).trim()], via);
      }
    });
  }
});

describe('the helper\'s make-rootfs tree is the extension\'s, and the fixture\'s', () => {
  let tmp: string;

  before(() => {
    requireRoot();
    tmp = makeTempDir('busybox-trees');
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * The helper's own builder, build_busybox_rootfs, run as make-rootfs runs it (umask 022, into a new 0755 folder)
   * but outside the system store: the function is taken from the helper's source as it is.
   */
  function helperBuild(target: string, name: string): void {
    const sources = fs.readdirSync(path.dirname(helperPath)).filter((f) => f.endsWith('.sh')).map((f) => path.join(path.dirname(helperPath), f));
    const body = sources.map((f) => fs.readFileSync(f, 'utf8').match(/^build_busybox_rootfs\(\) \{\n[\s\S]*?\n\}\n/m)?.[0]).find(Boolean);
    assert.ok(body, `no build_busybox_rootfs() in ${sources.join(', ')}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.mkdirSync(target);
    fs.chmodSync(target, 0o755);
    const run = spawnSync('/bin/sh', ['-euc', `umask 022\nSTATIC_INIT=/bin/busybox\n${body}build_busybox_rootfs "$1" "$2"`, 'sh', target, name],
      { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
  }

  it('same folders and modes, bin/busybox and its hard-linked applets in bin/, same /etc files', async () => {
    const busybox = await findStaticBusybox();
    assert.equal(busybox, '/bin/busybox', 'the helper builds from /bin/busybox');
    const name = 'same-tree';
    helperBuild(path.join(tmp, 'helper', name), name);
    await buildBusyboxRootfs(path.join(tmp, 'extension', name), { busybox });
    const helperTree = describeTree(path.join(tmp, 'helper', name));
    assert.deepEqual(describeTree(path.join(tmp, 'extension', name)), helperTree);
    const applets = fs.readdirSync(path.join(tmp, 'helper', name, 'bin')).filter((f) => f !== 'busybox').sort();
    assert.deepEqual(helperTree, fixtureTree(name, applets));
    for (const required of fixture.busyboxRootfs.applets.required) assert.ok(applets.includes(required), required);
  });
});
