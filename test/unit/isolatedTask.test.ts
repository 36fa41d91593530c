import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildStartArgs } from '../../src/core/helper/helperProtocol';
import {
  commandLine, isolatedFromExisting, namedProblemMatchers, parseIsolatedTask, parseMount, taskStart, type TaskStartContext,
} from '../../src/core/tasks/isolatedTask';

const context: TaskStartContext = {
  workspaceFolders: ['/home/u/proj', '/home/u/lib'],
  home: '/home/u',
  base: { binds: [{ source: '/home/u/proj' }, { source: '/home/u/lib' }], workdir: '/home/u/proj' },
};

describe('parseIsolatedTask', () => {
  it('keeps the fields it knows and leaves VS Code\'s own (label, problemMatcher) out', () => {
    assert.deepEqual(
      parseIsolatedTask({ type: 'isolatedShell', label: 'ls', problemMatcher: '$tsc', command: 'ls', args: ['-l'], network: 'none', mounts: ['/a'], rootfs: '/r' }),
      { type: 'isolatedShell', command: 'ls', args: ['-l'], network: 'none', mounts: ['/a'], rootfs: '/r' },
    );
  });
  const refused: Array<[string, unknown]> = [
    ['no command', { type: 'isolatedShell' }],
    ['an empty command', { type: 'isolatedShell', command: '  ' }],
    ['a command that is not a string', { type: 'isolatedShell', command: ['ls'] }],
    ['args not strings', { type: 'isolatedShell', command: 'ls', args: [1] }],
    ['args not a list', { type: 'isolatedShell', command: 'ls', args: '-l' }],
    ['mounts not a list', { type: 'isolatedShell', command: 'ls', mounts: '/a' }],
    ['an unknown network', { type: 'isolatedShell', command: 'ls', network: 'bridge' }],
    ['a rootfs that is not a string', { type: 'isolatedShell', command: 'ls', rootfs: 1 }],
    ['nothing at all', undefined],
  ];
  for (const [what, value] of refused) it(`refuses ${what}`, () => assert.throws(() => parseIsolatedTask(value), Error));
});

describe('taskStart: a definition → the helper start', () => {
  it('runs the command line with /bin/sh -c, with the workspace bound and the first folder as cwd', () => {
    assert.deepEqual(taskStart(parseIsolatedTask({ type: 'isolatedShell', command: 'ls' }), context), {
      command: ['/bin/sh', '-c', 'ls'],
      binds: [{ source: '/home/u/proj' }, { source: '/home/u/lib' }],
      workdir: '/home/u/proj',
    });
  });
  it('appends args single-quoted, so a space or a quote stays inside its word', () => {
    const start = taskStart(parseIsolatedTask({ type: 'isolatedShell', command: 'printf', args: ['%s\\n', "it's", 'a b', 'plain'] }), context);
    assert.deepEqual(start.command, ['/bin/sh', '-c', `printf '%s\\n' 'it'\\''s' 'a b' plain`]);
  });
  it('keeps a shell command line as written: sh -c \'exit 3\'', () => {
    assert.deepEqual(taskStart(parseIsolatedTask({ type: 'isolatedShell', command: "sh -c 'exit 3'" }), context).command, ['/bin/sh', '-c', "sh -c 'exit 3'"]);
  });
  it('adds mounts after the workspace binds, with ${workspaceFolder} and ~ expanded', () => {
    const start = taskStart(parseIsolatedTask({ type: 'isolatedShell', command: 'ls', mounts: ['${workspaceFolder}/out:/out', '~/.npm:/root/.npm:ro', '/data:ro'] }), context);
    assert.deepEqual(start.binds, [
      { source: '/home/u/proj' }, { source: '/home/u/lib' },
      { source: '/home/u/proj/out', dest: '/out' }, { source: '/home/u/.npm', dest: '/root/.npm', readOnly: true }, { source: '/data', readOnly: true },
    ]);
  });
  it('takes the task\'s network over the setting\'s, and the setting\'s when the task has none', () => {
    const withSetting = { ...context, base: { ...context.base, network: 'host' as const } };
    assert.equal(taskStart(parseIsolatedTask({ type: 'isolatedShell', command: 'ls', network: 'none' }), withSetting).network, 'none');
    assert.equal(taskStart(parseIsolatedTask({ type: 'isolatedShell', command: 'ls' }), withSetting).network, 'host');
    assert.equal(taskStart(parseIsolatedTask({ type: 'isolatedShell', command: 'ls' }), context).network, undefined);
  });
  it('takes the task\'s rootfs, expanded; none leaves it to the setting', () => {
    assert.equal(taskStart(parseIsolatedTask({ type: 'isolatedShell', command: 'ls', rootfs: '${workspaceFolder}/rootfs' }), context).rootfs, '/home/u/proj/rootfs');
    assert.equal(taskStart(parseIsolatedTask({ type: 'isolatedShell', command: 'ls' }), context).rootfs, undefined);
    assert.throws(() => taskStart(parseIsolatedTask({ type: 'isolatedShell', command: 'ls', rootfs: 'rootfs' }), context), /absolute/);
  });
  it('with no folder open: no bind, no cwd; ${workspaceFolder} is refused', () => {
    const empty: TaskStartContext = { workspaceFolders: [], home: '/root', base: {} };
    assert.deepEqual(taskStart(parseIsolatedTask({ type: 'isolatedShell', command: 'ls' }), empty), { command: ['/bin/sh', '-c', 'ls'] });
    assert.throws(() => taskStart(parseIsolatedTask({ type: 'isolatedShell', command: 'ls', mounts: ['${workspaceFolder}:/w'] }), empty), /no folder/);
  });
  it('becomes the helper argv --bind SRC[:DEST][:ro] … --workdir DIR --network N -- /bin/sh -c LINE', () => {
    const start = taskStart(parseIsolatedTask({ type: 'isolatedShell', command: 'make', mounts: ['/cache:/c:ro'], network: 'none' }), context);
    assert.deepEqual(buildStartArgs({ rootfs: '/r', name: 'n', ...start }), [
      'start', '--rootfs', '/r', '--name', 'n',
      '--bind', '/home/u/proj', '--bind', '/home/u/lib', '--bind', '/cache:/c:ro', '--workdir', '/home/u/proj', '--network', 'none',
      '--', '/bin/sh', '-c', 'make',
    ]);
  });
});

describe('parseMount', () => {
  const cases: Array<[string, object | undefined]> = [
    ['/a', { source: '/a' }],
    ['/a:/b', { source: '/a', dest: '/b' }],
    ['/a:ro', { source: '/a', readOnly: true }],
    ['/a:/b:ro', { source: '/a', dest: '/b', readOnly: true }],
    ['a', undefined],
    ['/a:b', undefined],
    ['/a:/b:/c', undefined],
    ['/a:/b:rw', undefined],
    ['', undefined],
  ];
  for (const [text, bind] of cases) {
    it(`${JSON.stringify(text)} → ${bind ? JSON.stringify(bind) : 'refused'}`, () => {
      if (bind) assert.deepEqual(parseMount(text), bind);
      else assert.throws(() => parseMount(text), /Invalid mount/);
    });
  }
});

describe('isolatedFromExisting: the workspace\'s shell and npm tasks', () => {
  it('a shell task\'s command line runs as written', () =>
    assert.deepEqual(isolatedFromExisting({ kind: 'shell', commandLine: 'make -j2 && ./test' }), { type: 'isolatedShell', command: 'make -j2 && ./test' }));
  it('a shell task\'s command and args keep their words', () =>
    assert.deepEqual(isolatedFromExisting({ kind: 'shell', command: 'echo', args: ['a b'] }), { type: 'isolatedShell', command: 'echo', args: ['a b'] }));
  it('an npm task runs npm run SCRIPT', () =>
    assert.deepEqual(isolatedFromExisting({ kind: 'npm', script: 'test' }), { type: 'isolatedShell', command: 'npm run test' }));
  it('an npm task of a package below the folder runs in that package\'s folder, its names quoted', () =>
    assert.deepEqual(isolatedFromExisting({ kind: 'npm', script: 'build:web', path: 'packages/my app' }), { type: 'isolatedShell', command: "cd 'packages/my app' && npm run build:web" }));
});

describe('commandLine', () => {
  it('quotes only what needs it', () => assert.equal(commandLine('ls', ['-l', '$HOME', '']), "ls -l '$HOME' ''"));
});

describe('namedProblemMatchers: what a tasks.json problemMatcher gives a task made by the extension', () => {
  const cases: Array<[string, unknown, { names: string[]; inline: number }]> = [
    ['none', undefined, { names: [], inline: 0 }],
    ['a name', '$tsc', { names: ['$tsc'], inline: 0 }],
    ['an empty list', [], { names: [], inline: 0 }],
    ['names and an inline matcher', ['$tsc', { owner: 'x', pattern: { regexp: '.' } }, '$eslint-stylish'], { names: ['$tsc', '$eslint-stylish'], inline: 1 }],
    ['an inline matcher alone', { owner: 'x' }, { names: [], inline: 1 }],
  ];
  for (const [what, value, expected] of cases) it(what, () => assert.deepEqual(namedProblemMatchers(value), expected));
});
