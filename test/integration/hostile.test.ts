// Hostile inputs to the privileged helper: its `start` and `kill` arguments and lines on its control FIFO.
// Each one must be refused with 125 (126/127 where the contract says so) and one `container-helper: ` line, and
// leave everything as it was: no sentinel process signalled (host sleeps, two containers, the helpers, this
// runner), no mount, no file created or changed, no canary /tmp/pwned-* made by a `$(…)` or backticks.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StartedEvent } from '../../src/core/helper/helperProtocol';
import {
  CONTROL_DIR, controlChannelUp, controlFifoOf, helperPath, lineDiff, makeRootfs, makeTempDir, mountTable, readStarted,
  recordsOfHelper, requireRoot, runHelper, signalAnswers, spawnHelper, stopAllHelpers, treeSnapshot, waitFor,
  waitForNamespaceSize,
} from './harness';
import { killEverythingOf, living, pin, Pinned, pinTree, startTimeOf } from './hostProcs';


const TOKEN = `pwned-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const CANARY = `/tmp/${TOKEN}`;
const TOUCH = `$(touch ${CANARY})`;
const BACKTICKS = `\`touch ${CANARY}\``;

interface Running {
  started: StartedEvent;
  status: string;
  /** Host PIDs of its three sleeps. */
  sleeps: number[];
  /** The helper, its bwrap monitor, PID 1 and the sleeps. */
  tree: Pinned[];
  /** Host PID of its bwrap monitor, PID 1's parent (in the host's PID namespace). */
  monitor: number;
}

/** A refused input: what it is, the exit code and message the contract asks for */
interface Case {
  title: string;
  args: () => string[];
  code?: number;
  message: RegExp;
  env?: NodeJS.ProcessEnv;
  /** The refusal follows the usage text (an unknown subcommand). */
  usage?: boolean;
}

interface ControlCase {
  title: string;
  line: () => string | Buffer;
  message: RegExp;
  /** Answers expected: one per newline written. */
  answers?: number;
}

describe('hostile inputs to the helper', { timeout: 300_000 }, () => {
  let tmp: string;
  let rootfs: string;
  let cwd: string;
  let a: Running;
  let b: Running;
  const hostSleeps: ChildProcess[] = [];
  const running = new Set<ChildProcess>();
  let usr2 = 0;
  const onUsr2 = () => usr2++;
  let tried = 0;
  const p = (...parts: string[]) => path.join(tmp, ...parts);

  async function startContainer(label: string): Promise<Running> {
    const status = p('state', `${label}.jsonl`);
    const helper = spawnHelper(['start', '--rootfs', rootfs, '--name', label, '--status-file', status,
      '--', '/bin/sh', '-c', 'sleep 1001 & sleep 1002 & sleep 1003 & wait']);
    const started = await waitFor(() => readStarted(status));
    const monitor = await controlChannelUp(helper.pid!, status);
    const pids = await waitForNamespaceSize(started.initPid, 4);
    const tree = pinTree(helper.pid!);
    assert.equal(tree.length, 6, 'the helper, its bwrap monitor, PID 1 and three sleeps');
    return { started, status, sleeps: pids.filter((x) => x !== started.initPid), tree, monitor };
  }

  before(async () => {
    requireRoot();
    process.on('SIGUSR2', onUsr2);
    tmp = makeTempDir('hostile');
    for (const dir of ['state', 'cwd', 'odd', 'glob', 'out']) fs.mkdirSync(p(dir));
    cwd = p('cwd');
    rootfs = await makeRootfs(tmp);
    await makeRootfs(p('glob'), 'real'); // what `*`, `?eal` or `[r]eal` would name if the helper globbed
    // Folders that are rootfs-shaped (proc/, dev/) but have no /bin/sh, under hostile names.
    for (const name of [`nosh`, `with space 'single' "double"`, TOUCH, BACKTICKS, 'semi;colon&amp|pipe', '-dash']) {
      fs.mkdirSync(p('odd', name, 'proc'), { recursive: true });
      fs.mkdirSync(p('odd', name, 'dev'));
    }
    fs.mkdirSync(p('odd', 'no-proc', 'dev'), { recursive: true });
    fs.mkdirSync(p('odd', 'proc-link', 'dev'), { recursive: true });
    fs.symlinkSync('/proc', p('odd', 'proc-link', 'proc'));
    fs.writeFileSync(p('a-file'), '');
    fs.symlinkSync('/', p('link-to-root'));
    fs.symlinkSync('/etc', p('link-to-etc'));
    fs.symlinkSync('/proc/self/root', p('link-to-self-root'));
    fs.symlinkSync(p('link-loop'), p('link-loop'));
    fs.writeFileSync(p('outside-exec'), '#!/bin/sh\necho escaped\n', { mode: 0o755 });
    fs.writeFileSync(p('outside-data'), 'data\n', { mode: 0o644 });
    fs.symlinkSync('/../../../../../../../../bin/sh', p('odd', 'nosh', 'escape'));
    for (let i = 0; i < 2; i++) hostSleeps.push(spawn('sleep', ['600'], { stdio: 'ignore' }));
    a = await startContainer('a');
    b = await startContainer('b');
  });

  after(async () => {
    process.off('SIGUSR2', onUsr2);
    console.log(`[hostile] ${tried} hostile inputs tried`);
    for (const child of [...hostSleeps, ...running]) child.kill('SIGKILL');
    await stopAllHelpers();
    if (tmp) killEverythingOf(tmp);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(CANARY, { force: true });
  });

  /** Inode and change time of a file, or undefined. */
  function fifoIdentity(file: string): string | undefined {
    try {
      const st = fs.lstatSync(file);
      return `${st.ino} ${st.ctimeMs}`;
    } catch {
      return undefined;
    }
  }
  /** The identities of the control FIFOs of root's own helpers, by path. */
  function fifoIdentities(): Map<string, string | undefined> {
    let names: string[] = [];
    try {
      names = fs.readdirSync(CONTROL_DIR);
    } catch {
      // none yet
    }
    return new Map(names.map((name) => [path.join(CONTROL_DIR, name), fifoIdentity(path.join(CONTROL_DIR, name))]));
  }

  /** Everything that must be as it was after a hostile input. */
  function sentinels(): Pinned[] {
    return [...a.tree, ...b.tree, ...hostSleeps.map((s) => pin(s.pid!)!), pin(process.pid)!, pin(1)!];
  }
  function state() {
    return {
      mounts: mountTable(),
      tree: treeSnapshot(tmp, (rel) => rel.startsWith('state')),
      // What the inputs aim at in /etc (other programs, such as the e2e suite's useradd, may change the rest).
      etc: `${fs.existsSync(`/etc/${TOKEN}`)} ${fs.readFileSync('/etc/passwd', 'utf8').includes('"event"')}`,
      usr2,
    };
  }
  function assertUnchanged(before: ReturnType<typeof state>, alive: Pinned[]): void {
    const now = state();
    for (const s of alive) assert.ok(living(s), `sentinel ${s.pid} lives`);
    assert.equal(now.usr2, before.usr2, 'the test runner got no signal');
    assert.equal(now.mounts, before.mounts, `nothing mounted: ${lineDiff(before.mounts, now.mounts)}`);
    assert.equal(now.tree, before.tree, `nothing written in the suite's folders: ${lineDiff(before.tree, now.tree)}`);
    assert.equal(now.etc, before.etc, 'nothing written in /etc');
    for (const where of ['/tmp', cwd, '/', path.join(rootfs, 'tmp'), os.homedir()]) {
      assert.deepEqual(fs.readdirSync(where).filter((n) => n.includes(TOKEN)), [], `no canary in ${where}`);
    }
  }

  /** Runs one refused `start` or `kill` and checks the refusal and that nothing changed. */
  async function refuse(c: Case): Promise<void> {
    tried++;
    const alive = sentinels();
    const before = state();
    const fifosBefore = fifoIdentities();
    const result = await runHelper(c.args(), { cwd, env: c.env }); // from an empty folder of ours
    const said = `${result.stdout}${result.stderr}`;
    assert.equal(result.code, c.code ?? 125, said);
    const stderr = c.usage ? result.stderr.replace(/^usage: [^]*?\n(?=container-helper: )/, '') : result.stderr;
    // A COMMAND that cannot run is tried by bubblewrap's execvp in the sandbox first, which says why in one line.
    const execLine = c.code === 126 || c.code === 127 ? '(bwrap: execvp [^\\n]+\\n)?' : '';
    assert.match(stderr, new RegExp(`^${execLine}container-helper: [^\\n]+\\n$`), 'one line, prefixed');
    assert.match(result.stderr, c.message);
    for (const line of stderr.slice(0, -1).split('\n')) assert.doesNotMatch(line, /[\x00-\x1f\x7f]/, 'no control character reaches the terminal');
    assert.equal(result.stdout, '');
    assertUnchanged(before, alive);
    // A FIFO of a gone helper that had the same PID may lie there (the PIDs wrap): it must be untouched.
    assert.equal(fifoIdentity(controlFifoOf(result.pid)), fifosBefore.get(controlFifoOf(result.pid)), 'no control FIFO made');
    assert.deepEqual(recordsOfHelper(result.pid), [], 'no registry record');
  }

  // --- start ----------------------------------------------------------------------------------------------------
  let n = 0;
  const status = () => p('out', `status-${n++}.jsonl`);
  /** `start` with a status file (never to be created) and the given arguments. */
  const start = (...args: string[]) => ['start', '--status-file', status(), ...args];
  // A COMMAND that cannot run is tried in the sandbox (bwrap's execvp), so its status file would say so: these
  // cases start without one, and nothing is written in the suite's folders.
  const startUnrecorded = (...args: string[]) => ['start', ...args];
  const startIn = (dir: () => string, ...rest: string[]) => () => start('--rootfs', dir(), ...rest, '--', '/bin/true');
  const startCases: Case[] = [
    { title: 'an empty rootfs', args: startIn(() => ''), message: /--rootfs is empty/ },
    { title: 'a relative rootfs', args: startIn(() => 'rootfs'), message: /must be an absolute path/ },
    { title: 'a ./relative rootfs', args: startIn(() => './rootfs'), message: /must be an absolute path/ },
    { title: 'a ~ rootfs', args: startIn(() => '~/rootfs'), message: /must be an absolute path/ },
    { title: 'a relative rootfs with an escape sequence', args: startIn(() => 'x\x1b]0;owned\x07'), message: /must be an absolute path/ },
    { title: 'a relative status file with a newline', args: () => ['start', '--status-file', 's\nx', '--rootfs', rootfs, '--', '/bin/true'],
      message: /--status-file must be an absolute path/ },
    { title: 'a missing rootfs with spaces and quotes', args: startIn(() => p(`no such 'dir' "here"`)), message: /does not exist/ },
    { title: 'a rootfs with a newline', args: startIn(() => `${rootfs}\n/etc`), message: /control characters/ },
    { title: 'a rootfs with an escape sequence', args: startIn(() => `${rootfs}\x1b[2J`), message: /control characters/ },
    // Both hold a "/" (of /tmp/pwned-…): a folder on the way is missing, which the helper now says (edd1385).
    { title: 'a rootfs with $(touch …)', args: startIn(() => `${tmp}/${TOUCH}`), message: /--rootfs cannot be reached \(permission denied or missing folder on the way\)/ },
    { title: 'a rootfs with backticks', args: startIn(() => `${tmp}/${BACKTICKS}`), message: /--rootfs cannot be reached \(permission denied or missing folder on the way\)/ },
    { title: 'a rootfs glob *', args: startIn(() => p('glob', '*')), message: /does not exist/ },
    { title: 'a rootfs glob ?', args: startIn(() => p('glob', '?eal')), message: /does not exist/ },
    { title: 'a rootfs glob [', args: startIn(() => p('glob', '[r]eal')), message: /does not exist/ },
    { title: 'a rootfs of .. up to /', args: startIn(() => `${rootfs}/../../../../../../..`), message: /host's \// },
    { title: 'a rootfs of .. to /etc', args: startIn(() => `${rootfs}/../../../../../../../etc`), message: /no proc\/ folder/ },
    { title: 'a link to /', args: startIn(() => p('link-to-root')), message: /host's \// },
    { title: 'a link to /proc/self/root', args: startIn(() => p('link-to-self-root')), message: /host's \// },
    { title: "/proc/PID/root of a host process", args: startIn(() => `/proc/${hostSleeps[0].pid}/root`), message: /host's \// },
    { title: 'a link to /etc (outside)', args: startIn(() => p('link-to-etc')), message: /no proc\/ folder/ },
    { title: 'a link that loops', args: startIn(() => p('link-loop')), message: /does not exist/ },
    { title: 'a file as rootfs', args: startIn(() => p('a-file')), message: /not a directory/ },
    { title: '/dev/null as rootfs', args: startIn(() => '/dev/null'), message: /not a directory/ },
    { title: 'a rootfs without proc/', args: startIn(() => p('odd', 'no-proc')), message: /no proc\/ folder/ },
    { title: 'a rootfs whose proc is a link to /proc', args: startIn(() => p('odd', 'proc-link')), message: /no proc\/ folder/ },
    ...[`nosh`, `with space 'single' "double"`, TOUCH, BACKTICKS, 'semi;colon&amp|pipe', '-dash'].map((name): Case => ({
      title: `a rootfs without /bin/sh named ${JSON.stringify(name)}`, code: 127, message: /command not found in the rootfs: \/bin\/sh/,
      args: () => startUnrecorded('--rootfs', p('odd', name)),
    })),
    { title: 'a command outside the rootfs by ..', code: 127, message: /command not found in the rootfs/,
      args: () => startUnrecorded('--rootfs', p('odd', 'nosh'), '--', '/../../outside-exec') },
    { title: 'a link in the rootfs pointing out of it by ..', code: 127, message: /command not found in the rootfs/,
      args: () => startUnrecorded('--rootfs', p('odd', 'nosh'), '--', '/escape') },
    { title: 'a data file outside the rootfs by .. (existence oracle)', code: 127, message: /command not found in the rootfs/,
      args: () => startUnrecorded('--rootfs', p('odd', 'nosh'), '--', '/../../outside-data') },
    { title: 'an empty command', args: () => start('--rootfs', rootfs, '--', ''), message: /COMMAND is empty/ },
    { title: 'a command with a newline', args: () => start('--rootfs', rootfs, '--', '/bin/true\n/bin/sh'), message: /control characters/ },
    { title: 'a command named -c', code: 127, args: () => startUnrecorded('--rootfs', rootfs, '--', '-c'), message: /command not found/ },
    ...[
      ['too long', 'n'.repeat(64)], ['with a tab', 'a\tb'], ['with an escape', 'a\x1b[31m'], ['with DEL', 'a\x7f'],
      ['with /', 'a/b'], ['of ../../etc', '../../etc'], ['with a leading -', '-rf'], ['that is a flag', '--rootfs'],
      ['with a leading .', '.hidden'], ['of ..', '..'], ['with a newline', 'a\nb'], ['with $(…)', TOUCH],
      ['with backticks', BACKTICKS], ['with a quote', `a"b`], ['non-ASCII', 'café'], ['with a space', 'a b'],
    ].map(([what, name]): Case => ({
      title: `a name ${what}`, message: /--name must match/, args: startIn(() => rootfs, '--name', name),
    })),
    ...[['too long', 'h'.repeat(64)], ['with a leading .', '.h'], ['with /', 'h/../x'], ['with a newline', 'h\nx']]
      .map(([what, name]): Case => ({
        title: `a hostname ${what}`, message: /--hostname must match/, args: startIn(() => rootfs, '--hostname', name),
        })),
    { title: 'an empty name', args: startIn(() => rootfs, '--name', ''), message: /--name is empty/ },
    { title: 'an empty hostname', args: startIn(() => rootfs, '--hostname', ''), message: /--hostname is empty/ },
    { title: 'an empty status file', args: () => ['start', '--status-file', '', '--rootfs', rootfs, '--', '/bin/true'],
      message: /--status-file is empty/ },
    { title: 'a status file that exists (/etc/passwd)', args: () => ['start', '--status-file', '/etc/passwd', '--rootfs', rootfs, '--', '/bin/true'],
      message: /already exists/ },
    { title: 'an unknown flag', args: startIn(() => rootfs, '--volume', '/:/host'), message: /unknown flag: --volume/ },
    { title: 'a flag with =', args: () => start(`--rootfs=${rootfs}`), message: /unknown flag/ },
    { title: 'a short flag', args: () => start('-r', rootfs), message: /unknown flag: -r/ },
    { title: 'an upper-case flag', args: () => start('--ROOTFS', rootfs), message: /unknown flag: --ROOTFS/ },
    { title: 'a duplicate --rootfs', args: () => start('--rootfs', rootfs, '--rootfs', p('odd', 'nosh'), '--', '/bin/true'), message: /--rootfs given twice/ },
    { title: 'a duplicate --name', args: startIn(() => rootfs, '--name', 'x', '--name', 'y'), message: /--name given twice/ },
    { title: 'a duplicate --privileged', args: startIn(() => rootfs, '--privileged', '--privileged'), message: /--privileged given twice/ },
    { title: 'a duplicate --init', args: startIn(() => rootfs, '--init', '--init'), message: /--init given twice/ },
    { title: 'a duplicate --status-file', args: () => start('--rootfs', rootfs, '--status-file', status(), '--', '/bin/true'), message: /--status-file given twice/ },
    { title: 'a flag without its value', args: () => start('--rootfs', rootfs, '--name'), message: /--name needs a value/ },
    { title: 'an unknown subcommand', args: () => ['run', '--rootfs', rootfs], message: /unknown subcommand/, usage: true },
    // The old helper's internal stages are gone with bubblewrap (edd1385): their names are unknown subcommands now,
    // even aimed at a running container's control FIFO and monitor.
    { title: 'the removed internal stage __serve', args: () => ['__serve', a.started.control!, String(a.monitor)],
      message: /unknown subcommand: __serve/, usage: true },
    { title: 'the removed internal stage __supervise', args: () => ['__supervise', '--rootfs', rootfs, '--', '/bin/true'],
      message: /unknown subcommand: __supervise/, usage: true },
    { title: 'the removed internal stage __init', args: () => ['__init', rootfs, '/bin/true'],
      message: /unknown subcommand: __init/, usage: true },
  ];

  for (const c of startCases) {
    it(`start: refuses ${c.title}`, () => refuse(c));
  }

  it('start: runs when the helper itself is named by a relative path, with a status file', async () => {
      const child = spawn('/bin/sh', [`./${path.basename(helperPath)}`, 'start', '--rootfs', rootfs, '--status-file',
        p('out', 'relative.jsonl'), '--', '/bin/true'], { cwd: path.dirname(helperPath), stdio: ['ignore', 'ignore', 'pipe'] });
      running.add(child);
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const code = await new Promise((resolve) => child.on('close', resolve));
      assert.equal(code, 0, stderr);
    });

  // Changed by design in edd1385: the caller is SUDO_UID only when the helper's parent is sudo (PKEXEC_UID only when
  // the parent runs as that uid), never from an inherited environment; the old helper refused these values, the
  // new one ignores them. A real sudo caller is test/integration/sudoCaller.test.ts's. What still holds here: the
  // value is never run nor used, and the start is root's own call (status file and FIFO root's).
  const inherited: Array<[string, NodeJS.ProcessEnv]> = [
    ['a SUDO_UID of another user', { SUDO_UID: '65534' }],
    ['a SUDO_UID that is not a number', { SUDO_UID: `0;${TOUCH}` }],
    ['a SUDO_UID with backticks', { SUDO_UID: BACKTICKS }],
    ['a PKEXEC_UID of another user', { PKEXEC_UID: '65534' }],
    ['a PKEXEC_UID that is not a number', { PKEXEC_UID: `${TOUCH}` }],
  ];
  for (const [what, env] of inherited) {
    it(`start: ignores ${what} inherited from the environment (root's own call; changed by design)`, async () => {
      tried++;
      const alive = sentinels();
      const before = state();
      const file = p('state', `inherited-${tried}.jsonl`);
      const result = await runHelper(['start', '--status-file', file, '--rootfs', rootfs, '--', '/bin/true'], { cwd, env });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      const started = readStarted(file);
      assert.ok(started, 'it started');
      assert.equal(started.control, controlFifoOf(result.pid), "root's own FIFO, in /run/mini-containers/0");
      assert.equal(fs.lstatSync(file).uid, 0, "the status file is root's");
      assert.match(fs.readFileSync(file, 'utf8'), /\{"event":"exited","code":0\}\n$/);
      assertUnchanged(before, alive);
      assert.equal(fs.existsSync(controlFifoOf(result.pid)), false, 'its FIFO went with it');
      assert.deepEqual(recordsOfHelper(result.pid), [], 'its record went with it');
    });
  }

  // --- kill -----------------------------------------------------------------------------------------------------
  /** kill aimed at A's first sleep, with some fields replaced. */
  const killWith = (field: string, value: string | (() => string), signal = 'KILL', more: () => Record<string, string> = () => ({})) =>
    () => {
      const target = a.sleeps[0];
      const base: Record<string, string> = {
        '--container': String(a.started.initPid), '--container-start-time': String(a.started.startTime),
        '--pid': String(target), '--start-time': String(startTimeOf(target)), '--signal': signal,
      };
      base[field] = typeof value === 'function' ? value() : value;
      return ['kill', ...Object.entries({ ...base, ...more() }).flat()];
    };
  /** kill aimed at `pid`, with its own start time, in container A. */
  const killPid = (pid: () => number, signal = 'KILL') =>
    killWith('--pid', () => String(pid()), signal, () => ({ '--start-time': String(startTimeOf(pid())) }));
  const pidOf = (field: '--pid' | '--container') => (value: string) => killWith(field, value);
  const killCases: Case[] = [
    ...['-5', '0', '99999999999', '4194305', '9223372036854775808', '12a', 'abc', '0x10', '1e3', '+5', '', ' 1', '1 ', '1 2']
      .map((v): Case => ({ title: `--pid ${JSON.stringify(v)}`, args: pidOf('--pid')(v), message: /--pid must be a PID/ })),
    { title: '--pid with a leading zero', args: () => killWith('--pid', `0${a.sleeps[0]}`)(), message: /--pid must be a PID/ },
    { title: '--pid with a leading space', args: () => killWith('--pid', ` ${a.sleeps[0]}`)(), message: /--pid must be a PID/ },
    { title: '--container 0', args: pidOf('--container')('0'), message: /--container must be a PID/ },
    { title: '--container -1', args: pidOf('--container')('-1'), message: /--container must be a PID/ },
    { title: 'the host PID 1', args: killPid(() => 1), message: /is not in container/ },
    { title: "another container's process", args: killPid(() => b.sleeps[0]), message: /not in this container/ },
    { title: "another container's PID 1", args: killPid(() => b.started.initPid), message: /not in this container/ },
    { title: "the container's own helper", args: killPid(() => a.tree[0].pid), message: /is not in container/ },
    // bwrap's monitor is PID 1's parent, in the host's PID namespace: not a process of the container.
    { title: "the container's bwrap monitor (PID 1's parent)", args: killPid(() => a.monitor), message: /is not in container/ },
    { title: "the other container's bwrap monitor", args: killPid(() => b.monitor), message: /is not in container/ },
    { title: 'a host sleep', args: killPid(() => hostSleeps[0].pid!), message: /is not in container/ },
    { title: 'the test runner (USR2)', args: killPid(() => process.pid, 'USR2'), message: /is not in container/ },
    { title: 'a host process as the container', args: killWith('--container', () => String(hostSleeps[1].pid), 'KILL',
      () => ({ '--container-start-time': String(startTimeOf(hostSleeps[1].pid!)) })),
      message: /not the PID 1 of a container/ },
    { title: "a container's sleep as the container", args: () => {
      const args = killWith('--container', String(a.sleeps[1]))();
      args[4] = String(startTimeOf(a.sleeps[1]));
      return args;
    }, message: /not the PID 1 of a container/ },
    { title: "the other container's PID 1 as the container", args: () => {
      const args = killWith('--container', String(b.started.initPid))();
      args[4] = String(b.started.startTime);
      return args;
    }, message: /not in this container/ },
    ...[['stale', -1], ['in the future', 1]].map(([what, delta]): Case => ({
      title: `a start time ${what}`, message: /has ended/,
      args: () => killWith('--start-time', String(startTimeOf(a.sleeps[0]) + (delta as number)))(),
    })),
    { title: 'a stale container start time', message: /container .* has ended/,
      args: () => killWith('--container-start-time', String(a.started.startTime - 1))() },
    ...['abc', '-1', '01', '', ' 5', '1.5', '1'.repeat(21), TOUCH].map((v): Case => ({
      title: `--start-time ${JSON.stringify(v)}`, args: killWith('--start-time', v), message: /--start-time must be a whole number/,
    })),
    { title: '--container-start-time "x"', args: killWith('--container-start-time', 'x'), message: /--container-start-time must be/ },
    ...['FOO', '0', '32', '64', 'term', ' TERM', 'TERM ', 'SIG', 'SIGSIGKILL', '-9', '+9', '09', 'KILL;id', TOUCH, BACKTICKS,
      'RTMIN', 'SIGRTMIN+1', '', 'ALL', 'KILL\n'].map((v): Case => ({
      title: `--signal ${JSON.stringify(v)}`, args: killWith('--signal', v), message: /--signal must be/,
    })),
    { title: '--pid with an escape sequence', args: killWith('--pid', '1\x1b[2J'), message: /--pid must be a PID/ },
    { title: 'an unknown flag', args: () => [...killWith('--signal', 'KILL')(), '--force'], message: /unknown argument to kill: --force/ },
    { title: 'a flag with =', args: () => ['kill', `--container=${a.started.initPid}`], message: /unknown argument to kill/ },
    { title: 'a short flag', args: () => [...killWith('--signal', 'KILL')(), '-9'], message: /unknown argument to kill: -9/ },
    { title: 'a positional word', args: () => [...killWith('--signal', 'KILL')(), 'extra'], message: /unknown argument to kill: extra/ },
    { title: 'a duplicate --pid', args: () => [...killWith('--signal', 'KILL')(), '--pid', String(b.sleeps[0])], message: /--pid given twice/ },
    { title: 'a duplicate --signal', args: () => [...killWith('--signal', 'CONT')(), '--signal', 'KILL'], message: /--signal given twice/ },
    { title: 'a flag without its value', args: () => [...killWith('--signal', 'KILL')().slice(0, -1)], message: /--signal needs a value/ },
    { title: 'a missing flag', args: () => ['kill', ...killWith('--signal', 'KILL')().slice(3)], message: /kill needs --container/ },
  ];

  for (const c of killCases) {
    it(`kill: refuses ${c.title}`, () => refuse(c));
  }

  // --- the control FIFO -------------------------------------------------------------------------------------------
  const answers = () => signalAnswers(a.status);
  const request = (...words: Array<string | number>) => () => `${words.join(' ')}\n`;
  const aSleep = () => [a.started.initPid, a.started.startTime, a.sleeps[0], startTimeOf(a.sleeps[0])];
  let seed = 7;
  const junk = (length: number) => Buffer.from(Array.from({ length }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const byte = seed >> 16 & 0xff;
    return byte === 0x0a ? 0x0b : byte;
  }));
  const controlCases: ControlCase[] = [
    { title: 'an empty line', line: () => '\n', message: /a request is/ },
    { title: 'a 100 KB line', line: () => `${'x'.repeat(100_000)}\n`, message: /a request is/ },
    { title: 'a 100 KB line of words', line: () => `kill 1 ${'1 '.repeat(50_000)}\n`, message: /a request is/ },
    { title: 'binary junk', line: () => Buffer.concat([junk(4096), Buffer.from('\n')]), message: /a request is/ },
    { title: 'binary junk in the words of a request', line: () => Buffer.concat([Buffer.from('kill 2 '), junk(5).filter((x) => x > 0x20),
      Buffer.from(` 1 2 3 KILL\n`)]), message: /must be a PID/ },
    { title: 'an extra word', line: () => request('kill', 3, ...aSleep(), 'KILL', 'extra')(), message: /a request is/ },
    { title: 'a missing word', line: () => request('kill', 4, ...aSleep())(), message: /a request is/ },
    { title: 'an upper-case verb', line: () => request('KILL', 5, ...aSleep(), 'KILL')(), message: /a request is/ },
    { title: 'a shell command', line: () => `rm -rf / ; touch ${CANARY}\n`, message: /a request is/ },
    { title: '$(…) in a word', line: () => request('kill', 6, TOUCH, 1, 2, 3, 'KILL')(), message: /a request is/ },
    { title: '$(…) without spaces', line: () => request('kill', 6, `$(touch\${IFS}${CANARY})`, 1, 2, 3, 'KILL')(), message: /must be a PID/ },
    { title: 'backticks in a word', line: () => request('kill', 7, ...aSleep(), BACKTICKS)(), message: /a request is/ },
    { title: 'a JSON injection', line: () => request('kill', 8, `1"},{"event":"signal","id":8,"ok":true`, 1, 2, 3, 'KILL')(),
      message: /must be a PID/ },
    { title: 'a CRLF line end', line: () => `kill 9 ${aSleep().join(' ')} KILL\r\n`, message: /not a signal/ },
    { title: 'signal 0', line: () => request('kill', 10, ...aSleep(), 0)(), message: /not a signal/ },
    { title: 'a stale start time', line: () => request('kill', 11, a.started.initPid, a.started.startTime, a.sleeps[0],
      startTimeOf(a.sleeps[0]) - 1, 'KILL')(), message: /has ended/ },
    { title: 'a kill in another container', line: () => request('kill', 12, b.started.initPid, b.started.startTime, b.sleeps[0],
      startTimeOf(b.sleeps[0]), 'KILL')(), message: /not the PID 1 of this channel's container/ },
    { title: "another container's process", line: () => request('kill', 13, a.started.initPid, a.started.startTime, b.sleeps[0],
      startTimeOf(b.sleeps[0]), 'KILL')(), message: /not in this container/ },
    { title: "the container's bwrap monitor", line: () => request('kill', 18, a.started.initPid, a.started.startTime, a.monitor,
      startTimeOf(a.monitor), 'KILL')(), message: /not in container/ },
    { title: 'a host process', line: () => request('kill', 14, a.started.initPid, a.started.startTime, hostSleeps[0].pid!,
      startTimeOf(hostSleeps[0].pid!), 'KILL')(), message: /not in container/ },
    { title: 'the test runner', line: () => request('kill', 15, a.started.initPid, a.started.startTime, process.pid,
      startTimeOf(process.pid), 'USR2')(), message: /not in container/ },
    { title: 'the host PID 1 as container', line: () => request('kill', 16, 1, startTimeOf(1), 1, startTimeOf(1), 'KILL')(),
      message: /not the PID 1 of this channel's container/ },
    { title: 'a negative PID', line: () => request('kill', 17, a.started.initPid, a.started.startTime, -1, 0, 'KILL')(),
      message: /must be a PID/ },
    { title: 'a burst of 50 junk lines', answers: 50, line: () => 'junk\n'.repeat(50), message: /a request is/ },
    { title: 'an ID that is not a number', line: () => request('kill', 'abc', ...aSleep(), 'CONT')(), message: /ID|a request is/ },
  ];

  for (const c of controlCases) {
    it(`control FIFO: refuses ${c.title}`, async () => {
      tried++;
      const alive = sentinels();
      const before = state();
      const count = answers().length;
      const lines = fs.readFileSync(a.status, 'utf8').split('\n').length;
      fs.appendFileSync(a.started.control!, c.line());
      const want = count + (c.answers ?? 1);
      const got = await waitFor(() => (answers().length >= want ? answers() : undefined), 10_000);
      assert.equal(got.length, want, 'one answer per line');
      assert.equal(fs.readFileSync(a.status, 'utf8').split('\n').length, lines + (c.answers ?? 1), 'every answer is valid JSON');
      for (const answer of got.slice(count)) {
        assert.equal(answer.ok, false, JSON.stringify(answer));
        assert.match(answer.error ?? '', c.message);
      }
      assertUnchanged(before, alive);
    });
  }
});
