// Extension-host suite: the isolatedShell task type, from a tasks.json in the test workspace, run by VS Code's own
// task system in a real container (MINI_CONTAINERS_TEST_ROOTFS). What it reads back is what VS Code itself got: the
// exit code through onDidEndTaskProcess, the output through problem matchers (as for a shell task) and diagnostics.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { alive, REGISTRY, waitFor } from './hostState';

const config = () => vscode.workspace.getConfiguration('miniContainers');

describe('isolatedShell tasks', function () {
  this.timeout(60_000);
  const rootfs = process.env.MINI_CONTAINERS_TEST_ROOTFS ?? '';
  const id = randomBytes(4).toString('hex');
  const marker = `marker-${id}.txt`;
  let folder: string;
  let made: string[] = [];
  let previousRootfs: string | undefined;
  /** Problem matchers named by owner, so each test reads only its own diagnostics. */
  const owner = (what: string) => `mc-test-${what}-${id}`;

  const tasksJson = () => ({
    version: '2.0.0',
    tasks: [
      {
        type: 'isolatedShell', label: `mc ls ${id}`, command: 'ls',
        problemMatcher: {
          owner: owner('ls'), fileLocation: ['relative', '${workspaceFolder}'], severity: 'info',
          pattern: { regexp: '(marker-[0-9a-f]+\\.txt)', file: 1, message: 1, kind: 'file' },
        },
      },
      {
        // Its cwd, and its PID in the container's namespace (1: it is the container's PID 1, not a host process).
        type: 'isolatedShell', label: `mc pid ${id}`, command: 'echo "$PWD: pid $$"',
        problemMatcher: {
          owner: owner('pid'), fileLocation: 'absolute', severity: 'info',
          pattern: { regexp: '^(/\\S*): (pid \\d+)', file: 1, message: 2, kind: 'file' },
        },
      },
      { type: 'isolatedShell', label: `mc fail ${id}`, command: "sh -c 'exit 3'" },
      // Refused before any container starts: the task ends as a helper error would (125).
      { type: 'isolatedShell', label: `mc bad ${id}`, command: 'ls', mounts: ['not/absolute'] },
      {
        // A mount of the task's own: listed at its DEST, read-only (the write must fail for the task to exit 0).
        type: 'isolatedShell', label: `mc mount ${id}`, command: 'ls /data && ! touch /data/written 2>/dev/null',
        mounts: [`\${workspaceFolder}/sub-${id}:/data:ro`],
        problemMatcher: {
          owner: owner('mount'), fileLocation: ['relative', '${workspaceFolder}'], severity: 'info',
          pattern: { regexp: '(inside-[0-9a-f]+\\.txt)', file: 1, message: 1, kind: 'file' },
        },
      },
      {
        // Allocates 256 MiB (its shell holds it) under miniContainers.memory = 64m: the kernel kills it, and the
        // terminal's last line, which the matcher reads as VS Code got it, says so.
        type: 'isolatedShell', label: `mc oom ${id}`, command: 'x=$(head -c 268435456 /dev/zero | tr "\\0" a); echo "allocated ${#x}"',
        problemMatcher: {
          owner: owner('oom'), fileLocation: ['relative', '${workspaceFolder}'], severity: 'info',
          pattern: { regexp: '^\\[Container (\\S+) .*(out of memory, limit 64 MiB)\\]', file: 1, message: 2, kind: 'file' },
        },
      },
      // A plain shell task, for "Run Task in Isolated Shell…": on the host its shell would not be PID 1. VS Code's
      // API gives a fetched task no matchers: the extension reads their names from tasks.json (here VS Code's $go,
      // FILE:LINE: MESSAGE); a Task an extension makes can take only named ones.
      { type: 'shell', label: `mc shell ${id}`, command: `echo "shell-${id}.go:1: shell pid $$"; exit 4`, problemMatcher: '$go' },
    ],
  });

  before(async () => {
    assert.ok(rootfs && existsSync(join(rootfs, 'bin', 'sh')), 'MINI_CONTAINERS_TEST_ROOTFS must name a BusyBox rootfs (the test runners set it)');
    const workspace = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspace, 'the runner opens a workspace folder');
    folder = workspace.uri.fsPath;
    previousRootfs = config().inspect<string>('rootfs')?.globalValue;
    await config().update('rootfs', rootfs, vscode.ConfigurationTarget.Global);
    writeFileSync(join(folder, marker), 'a file only the workspace has\n');
    made.push(join(folder, marker));
    mkdirSync(join(folder, `sub-${id}`));
    made.push(join(folder, `sub-${id}`));
    writeFileSync(join(folder, `sub-${id}`, `inside-${id}.txt`), 'seen at /data\n');
    assert.ok(!existsSync(join(folder, '.vscode')), `${folder}/.vscode exists already: not this suite's to replace`);
    mkdirSync(join(folder, '.vscode'));
    made.push(join(folder, '.vscode'));
    writeFileSync(join(folder, '.vscode', 'tasks.json'), JSON.stringify(tasksJson(), null, 2));
  });

  after(async () => {
    for (const terminal of vscode.window.terminals) if (terminal.name.includes(id)) terminal.dispose();
    for (const path of made.reverse()) rmSync(path, { recursive: true, force: true });
    made = [];
    await config().update('rootfs', previousRootfs, vscode.ConfigurationTarget.Global);
  });

  /** The task of tasks.json labelled `label`, once VS Code has read the file. */
  async function configured(label: string): Promise<vscode.Task> {
    let found: vscode.Task | undefined;
    const deadline = Date.now() + 15_000;
    while (!found) {
      found = (await vscode.tasks.fetchTasks({ type: 'isolatedShell' })).find((t) => t.name === label);
      if (!found && Date.now() > deadline) throw new Error(`VS Code did not offer the task "${label}" of ${folder}/.vscode/tasks.json`);
      if (!found) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return found;
  }

  /** Runs the task and resolves with the exit code VS Code reports for it. */
  async function run(task: vscode.Task): Promise<number | undefined> {
    let listener: vscode.Disposable | undefined;
    const ended = new Promise<number | undefined>((resolve) => {
      listener = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name === task.name) resolve(e.exitCode);
      });
    });
    try {
      await vscode.tasks.executeTask(task);
      return await Promise.race([
        ended,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`"${task.name}" did not end within 30 s`)), 30_000)),
      ]);
    } finally {
      listener?.dispose();
    }
  }

  it('`ls` runs in a container on the workspace: it lists the workspace\'s files, and exits 0', async () => {
    const task = await configured(`mc ls ${id}`);
    assert.equal(task.definition.type, 'isolatedShell');
    assert.equal(await run(task), 0);
    // The problem matcher read the task's output as VS Code received it: the marker file listed by ls.
    const found = await waitFor(`a problem for ${marker} from the ls task's output`,
      () => vscode.languages.getDiagnostics(vscode.Uri.file(join(folder, marker))).find((d) => d.message === marker), 5_000);
    assert.equal(found.message, marker);
  });

  it('its command is PID 1 of a new PID namespace, in the workspace folder', async () => {
    assert.equal(await run(await configured(`mc pid ${id}`)), 0);
    const found = await waitFor('a problem from the pid task\'s output',
      () => vscode.languages.getDiagnostics(vscode.Uri.file(folder)).find((d) => d.message.startsWith('pid ')), 5_000);
    assert.equal(found.message, 'pid 1', `the task's shell is not PID 1 of its own namespace (${found.message})`);
  });

  it('a failing command (sh -c \'exit 3\') reaches VS Code as exit code 3', async () => {
    assert.equal(await run(await configured(`mc fail ${id}`)), 3);
  });

  it('a task that cannot start (a relative mount) ends with 125, and no container runs', async () => {
    const before = processesIn(rootfs);
    assert.equal(await run(await configured(`mc bad ${id}`)), 125);
    assert.deepEqual(processesIn(rootfs), before);
  });

  it('a task\'s mounts: ${workspaceFolder} expanded, bound at DEST, read-only', async () => {
    assert.equal(await run(await configured(`mc mount ${id}`)), 0);
    const found = await waitFor('a problem for the mounted file from the task\'s output',
      () => vscode.languages.getDiagnostics(vscode.Uri.file(join(folder, `inside-${id}.txt`))).find((d) => d.message === `inside-${id}.txt`), 5_000);
    assert.ok(found);
    assert.ok(!existsSync(join(folder, `sub-${id}`, 'written')), 'the read-only mount was written');
  });

  it('"Run Task in Isolated Shell…" runs a workspace shell task in a container, with its problem matcher and exit code', async () => {
    const label = `mc shell ${id}`;
    await configured(`mc ls ${id}`); // tasks.json has been read
    // Answer the quick pick as a user picking the shell task (the extension shares this vscode API object).
    const window = vscode.window as unknown as { showQuickPick: (items: readonly vscode.QuickPickItem[]) => Thenable<unknown> };
    const original = window.showQuickPick;
    let offered: string[] = [];
    window.showQuickPick = async (items) => {
      offered = (await items).map((i) => i.label);
      return (await items).find((i) => i.label === label);
    };
    let listener: vscode.Disposable | undefined;
    try {
      const ended = new Promise<number | undefined>((resolve) => {
        listener = vscode.tasks.onDidEndTaskProcess((e) => {
          if (e.execution.task.name.startsWith(label)) resolve(e.exitCode);
        });
      });
      await vscode.commands.executeCommand('miniContainers.runTaskIsolated');
      assert.ok(offered.includes(label), `the shell task was not offered: ${offered.join(', ')}`);
      assert.ok(!offered.includes(`mc ls ${id}`), 'an isolatedShell task was offered to be run isolated');
      assert.equal(await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the isolated shell task did not end')), 30_000))]), 4);
    } finally {
      window.showQuickPick = original;
      listener?.dispose();
    }
    const found = await waitFor('a problem from the isolated shell task\'s output',
      () => vscode.languages.getDiagnostics(vscode.Uri.file(join(folder, `shell-${id}.go`))).find((d) => d.message.startsWith('shell pid ')), 5_000);
    assert.equal(found.message, 'shell pid 1', `the shell task did not run as PID 1 of a container (${found.message})`);
  });

  it('miniContainers.memory = 64m: a task that allocates 256 MiB is killed (137), and its last line says out of memory', async () => {
    const previous = config().inspect<string>('memory')?.globalValue;
    await config().update('memory', '64m', vscode.ConfigurationTarget.Global);
    try {
      assert.equal(await run(await configured(`mc oom ${id}`)), 137);
    } finally {
      await config().update('memory', previous, vscode.ConfigurationTarget.Global);
    }
    const found = await waitFor('a problem from the out-of-memory line', () => vscode.languages.getDiagnostics()
      .flatMap(([, list]) => list).find((d) => d.source === owner('oom') || d.message === 'out of memory, limit 64 MiB'), 5_000);
    assert.equal(found.message, 'out of memory, limit 64 MiB');
  });

  it('leaves no container behind once its tasks ended', async () => {
    await waitFor('every task container to end', () => processesIn(rootfs).length === 0 || undefined, 5_000);
  });
});

/** Host PIDs of the containers the helper recorded whose PID 1 runs in `dir`. */
function processesIn(dir: string): number[] {
  return (existsSync(REGISTRY) ? readdirSync(REGISTRY) : [])
    .map((f) => Number(f.split('-')[0])).filter((pid) => alive(pid) && rootIs(pid, dir));
}

/** Whether a host process's root folder is `dir` (same device and inode: bubblewrap pivots into the rootfs). */
function rootIs(pid: number, dir: string): boolean {
  try {
    const root = statSync(`/proc/${pid}/root`);
    const target = statSync(dir);
    return root.dev === target.dev && root.ino === target.ino;
  } catch {
    return false;
  }
}
