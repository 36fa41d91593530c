// openEngineShell in a real extension host: the terminal it opens runs the engine's client that reached its daemon,
// with `exec -it ID sh`, named `<container> (2)`, `(3)`…; with no client, or a daemon that refuses, an error
// says why and no terminal opens. The clients' answers are faked (a Runner); what the terminal then runs fails
// at once (no such daemon or container) and is closed by the test.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { openEngineShell } from '../../src/shells/engineShell';
import type { RunResult, Runner } from '../../src/core/engines/engineCli';
import type { Container } from '../../src/core/model/containerModel';
import { capture } from './messages';

const ID = 'e4dba9de9a2b1f54afeb65f57b33836a2f7f7ca6fe25b91a64317eea0032090d';

function engineContainer(name: string | null): Container {
  return {
    key: '4242:1', initHostPid: 4242, startTime: 1, nsInode: null, depth: 1, name: null, hostname: null, rootfs: '/', network: null, publish: [], ephemeral: false,
    startedBy: 'other', parentKey: null, parentInitHostPid: null, processes: [],
    engine: { kind: 'docker', id: ID, name, image: 'busybox:1' },
  };
}

/** What the extension asked the clients, other than `version` (ending a shell whose terminal closed). */
const asked: Array<{ file: string; args: readonly string[] }> = [];

/** Answers `version` for the binaries of `answers`, and anything else with success; every other binary "does not exist". */
function runner(answers: Record<string, RunResult>): Runner {
  return (file, args) => {
    const answer = answers[file];
    if (answer === undefined) return Promise.resolve({ code: null, stdout: '', stderr: '', spawnError: 'ENOENT' });
    if (args[0] !== 'version') {
      asked.push({ file, args });
      return Promise.resolve({ code: 0, stdout: '', stderr: '' });
    }
    return Promise.resolve(answer);
  };
}

/** Resolves once `count` shells were asked to end (their terminals' close reached the extension). */
async function shellsEnded(count: number): Promise<void> {
  for (let i = 0; i < 100 && asked.length < count; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(asked.length >= count, `${asked.length} of ${count} shells were asked to end`);
}

const log = vscode.window.createOutputChannel('Mini Containers engine shell test', { log: true });

describe('openEngineShell', () => {
  const opened: vscode.Terminal[] = [];
  // Each engine shell still open (not the pseudoterminal) is ended through its client once closed, which logs;
  // the log is disposed only after.
  after(async () => {
    const ending = asked.length + opened.filter((term) => 'shellPath' in term.creationOptions).length;
    for (const term of opened) term.dispose();
    await shellsEnded(ending);
    log.dispose();
  });

  it('opens `docker exec -it ID sh` with the client that answers, named after the container (2), (3)…', async () => {
    const name = `mc-test-shell-${process.pid}`;
    const first = vscode.window.createTerminal({ name, pty: { onDidWrite: new vscode.EventEmitter<string>().event, open: () => undefined, close: () => undefined } });
    opened.push(first);
    const run = runner({ '/usr/bin/docker': { code: 0, stdout: '20.10.24\n', stderr: '' } });
    const second = await openEngineShell(engineContainer(name), log, run);
    assert.ok(second);
    opened.push(second);
    assert.equal(second.name, `${name} (2)`);
    const options = second.creationOptions as vscode.TerminalOptions;
    assert.equal(options.shellPath, '/usr/bin/docker');
    const args = options.shellArgs as string[];
    assert.deepEqual([args.slice(0, 3), args.slice(4)], [['exec', '-it', '-e'], [ID, 'sh']]);
    assert.match(args[3], /^MINI_CONTAINERS_SHELL=[0-9a-f]{16}$/);
    const third = await openEngineShell(engineContainer(name), log, run);
    assert.ok(third);
    opened.push(third);
    assert.equal(third.name, `${name} (3)`);
  });

  it('a container not yet named by its engine is named by its short id', async () => {
    const term = await openEngineShell(engineContainer(null), log, runner({ '/usr/bin/docker': { code: 0, stdout: '20.10.24\n', stderr: '' } }));
    assert.ok(term);
    opened.push(term);
    assert.match(term.name, new RegExp(`^${ID.slice(0, 12)} \\(\\d+\\)$`));
  });

  it('closing its terminal ends its shell in the container through the same client, by the token the shell carries', async () => {
    const term = await openEngineShell(engineContainer('web'), log, runner({ '/usr/bin/docker': { code: 0, stdout: '20.10.24\n', stderr: '' } }));
    assert.ok(term);
    const token = ((term.creationOptions as vscode.TerminalOptions).shellArgs as string[])[3].split('=')[1];
    const before = asked.length;
    assert.ok(!asked.some((a) => a.args.includes(token)), 'nothing is ended while the terminal is open');
    term.dispose();
    await shellsEnded(before + 1);
    const ending = asked.filter((a) => a.args.includes(token));
    assert.equal(ending.length, 1, JSON.stringify(asked));
    assert.equal(ending[0].file, '/usr/bin/docker');
    assert.deepEqual([ending[0].args.slice(0, 4), ending[0].args.slice(5)], [['exec', ID, 'sh', '-c'], ['end-shell', token]]);
  });

  it('says the client is missing, with the package to install, and opens nothing', async () => {
    const before = vscode.window.terminals.length;
    const errors = capture('showErrorMessage');
    try {
      assert.equal(await openEngineShell(engineContainer('web'), log, runner({})), undefined);
    } finally {
      errors.restore();
    }
    assert.deepEqual(errors.messages, ['No Docker command was found: install it (apt-get install docker.io) or put it on PATH.']);
    assert.equal(vscode.window.terminals.length, before);
  });

  it('says why the daemon refused, and opens nothing', async () => {
    const errors = capture('showErrorMessage');
    try {
      const refused = { code: 1, stdout: '', stderr: 'permission denied while trying to connect to the Docker daemon socket\n' };
      assert.equal(await openEngineShell(engineContainer('web'), log, runner({ '/usr/bin/docker': refused })), undefined);
    } finally {
      errors.restore();
    }
    assert.deepEqual(errors.messages, ['Docker cannot reach its daemon, so no shell was opened in web: permission denied while trying to connect to the Docker daemon socket']);
  });

  it('does nothing for a container that is not an engine\'s', async () => {
    assert.equal(await openEngineShell({ ...engineContainer('web'), engine: null }, log), undefined);
  });
});
