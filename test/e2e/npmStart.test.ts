// `npm start`, the main job the README starts, stops completely when the npm process alone gets SIGTERM (a `kill`,
// a process manager) or SIGINT: no serve.js, code-server or container of the run is left, and nothing listens on its
// port. A terminal's Ctrl-C reaches the whole foreground group at once, which is easier: npm alone is the hard case.
// Run with `npm run test:e2e` (it packages first). Needs root. Every process of the run is found by PID, as a
// descendant of the npm we started, recorded before the signal; never by name.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchChromium, type Browser } from './browser';
import { onInterrupt } from './cleanup';
import { answers, freePort } from './codeServer';
import { projectRoot, tail } from './codeServerInstall';
import { processesRootedIn } from './hostProcesses';
import { createTestRootfs, type TestRootfs } from './rootfs';
import * as wb from './workbench';
import { commandLine, descendantsOf, living, sleep, waitFor, type Pinned } from '../vscode/hostState';

/** Packaging, code-server's start and the workbench's load, on a busy two-core machine. */
const SERVING_MS = 300_000;
/** serve.js gives the containers 10 s to end after code-server stopped, code-server itself up to 7 s. */
const STOPPED_MS = 45_000;

function describeAll(processes: Pinned[]): string {
  return processes.map((p) => `${p.pid} ${commandLine(p.pid) ?? '(gone)'}`).join('\n');
}

/** Whether `promise` settles within `ms`; no timer is left behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('npm start stops completely on a signal to the npm process alone', { timeout: 3 * (SERVING_MS + STOPPED_MS) }, () => {
  let testRootfs: TestRootfs;
  let shims: string;
  let realNpm: string;

  before(async () => {
    testRootfs = await createTestRootfs('mini-containers-npm-start-', 'npm-start-rootfs');
    realNpm = spawnSync('/bin/sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
    assert.ok(realNpm, 'npm is not on PATH');
    // `npm start` runs `npm ci` first, which would reinstall node_modules under the running suite (and, in a git
    // worktree, in the clone it links to): an `npm` first on PATH skips that step and runs every other as npm.
    shims = mkdtempSync(join(tmpdir(), 'mini-containers-npm-shim-'));
    writeFileSync(join(shims, 'npm'), [
      '#!/bin/sh',
      'if [ "${1-}" = ci ]; then echo "[test] npm ci skipped: node_modules is in use by the tests"; exit 0; fi',
      `exec '${realNpm.replace(/'/g, `'\\''`)}' "$@"`,
      '',
    ].join('\n'), { mode: 0o755 });
  });

  after(async () => {
    rmSync(shims, { recursive: true, force: true });
    await testRootfs.dispose();
  });

  // SIGKILL: an npm that ends without passing anything on (as some versions do with SIGTERM): serve.js, orphaned,
  // must notice and stop by itself.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
    it(`${signal}: serve.js, code-server and the isolated shell's container end, and the port is free`, async () => {
      const port = await freePort();
      const log = join(shims, `npm-start-${signal}.log`);
      // code-server's temp profile (the folder of its --user-data-dir), removed by killRun if serve.js did not.
      let profile: string | undefined;
      const recorded: Pinned[] = [];
      let browser: Browser | undefined;
      let npm: ChildProcess | undefined;
      /** Records what runs below npm now (serve.js, code-server and its profile, the helpers, the containers). */
      const record = (npmPid: number) => {
        const known = new Set(recorded.map((p) => `${p.pid}:${p.startTime}`));
        recorded.push(...descendantsOf(npmPid).filter((p) => !known.has(`${p.pid}:${p.startTime}`)));
        const codeServer = recorded.map((p) => (commandLine(p.pid) ?? '').split(' ')).find((args) => args.includes('--user-data-dir'));
        if (codeServer) profile ??= dirname(codeServer[codeServer.indexOf('--user-data-dir') + 1]);
      };
      /** Whatever of the run is still there: SIGKILL by PID, and code-server's profile removed. */
      const killRun = () => {
        if (npm?.pid !== undefined && npm.exitCode === null && npm.signalCode === null) record(npm.pid);
        for (const p of recorded.filter(living)) {
          try {
            process.kill(p.pid, 'SIGKILL');
          } catch {
            // ended meanwhile
          }
        }
        if (npm?.pid !== undefined && npm.exitCode === null && npm.signalCode === null) process.kill(npm.pid, 'SIGKILL');
        if (profile && basename(profile).startsWith('mini-containers-code-server-')) rmSync(profile, { recursive: true, force: true });
      };
      const unregister = onInterrupt(killRun);
      const logFd = openSync(log, 'w');
      try {
        try {
          npm = spawn(realNpm, ['start'], {
            cwd: projectRoot,
            // Its own process group, as a terminal gives it: a signal to npm alone reaches nothing else by accident.
            detached: true,
            stdio: ['ignore', logFd, logFd],
            env: { ...process.env, PATH: `${shims}:${process.env.PATH}`, PORT: String(port), ROOTFS: testRootfs.rootfs },
          });
        } finally {
          closeSync(logFd);
        }
        const exited = new Promise<void>((resolve) => npm!.once('exit', () => resolve()));
        const npmPid = npm.pid!;

        const servingSince = Date.now();
        while (!readFileSync(log, 'utf8').includes(`Mini Containers in VS Code: http://127.0.0.1:${port}/`)) {
          assert.equal(npm.exitCode, null, `npm start ended before serving:\n${tail(log, 40)}`);
          assert.ok(Date.now() - servingSince < SERVING_MS, `npm start not serving after ${SERVING_MS} ms:\n${tail(log, 40)}`);
          await sleep(500);
        }
        assert.equal(await answers(port), true, `nothing listens on ${port} though serve.js says it serves`);

        // A user's isolated shell: a container whose processes are the run's too.
        browser = await launchChromium();
        await browser.page.goto(`http://127.0.0.1:${port}/`);
        await wb.waitForWorkbench(browser.page);
        await wb.runCommand(browser.page, 'Start Isolated Shell');
        const container = await waitFor('a container of the run on the test rootfs', () => {
          const run = new Set(descendantsOf(npmPid).map((p) => p.pid));
          return processesRootedIn(testRootfs.rootfs).find((p) => run.has(p.pid) && p.nsPids.at(-1) === 1);
        }, 60_000, 250);

        record(npmPid);
        const serve = recorded.find((p) => commandLine(p.pid)?.endsWith('dist/test/e2e/serve.js'));
        assert.ok(serve, `no serve.js below npm ${npmPid}:\n${describeAll(recorded)}`);
        assert.ok(profile, `no code-server below npm ${npmPid}:\n${describeAll(recorded)}`);
        assert.ok(recorded.some((p) => p.pid === container.pid), 'the container is not recorded');

        process.kill(npmPid, signal);
        const signalled = Date.now();
        const inTime = await within(exited, STOPPED_MS);
        assert.ok(inTime, `npm still runs ${STOPPED_MS} ms after ${signal}:\n${tail(log, 20)}`);
        // npm has ended: what it started has ended before it, or ends within the same bound (an orphan that noticed).
        let left = recorded.filter(living);
        while (left.length && Date.now() - signalled < STOPPED_MS) {
          await sleep(100);
          left = left.filter(living);
        }
        console.log(`${signal} to npm: ${left.length ? 'not all' : 'every process'} of the run ended within ${Date.now() - signalled} ms`);
        assert.equal(left.length, 0, `still running ${STOPPED_MS} ms after ${signal} to npm ${npmPid}:\n${describeAll(left)}\n${tail(log, 20)}`);
        assert.equal(await answers(port), false, `something still listens on ${port}`);
        assert.equal(existsSync(profile), false, `code-server's profile ${profile} is left`);
      } finally {
        await browser?.close();
        killRun();
        unregister();
      }
    });
  }
});
