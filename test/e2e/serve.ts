// The "main job": serves the packaged extension in code-server for a person to try, with a BusyBox root
// filesystem selected. `npm run serve` packages first; this script builds nothing itself.
// Port: $PORT or 8080, on 127.0.0.1 only (code-server runs with --auth none). Root filesystem: $ROOTFS, or
// .vscode-test/busybox-rootfs (made on first use).
//
// Stopping: Ctrl-C in the terminal, or SIGINT, SIGTERM or SIGHUP to the `npm start` (or `npm run serve`) process,
// stops code-server and waits until every process it started has ended, the containers of its terminals included;
// then nothing of the run is left, nor anything listening on the port. npm passes SIGINT and SIGTERM on to the
// script's shell, and a shell waiting for a command dies of them without passing them on: so both scripts `exec`
// this one, which makes it npm's own child. An npm that ends without passing a signal on (SIGKILL, or another
// version) leaves this script orphaned: it then stops as if signalled (see parentEnded).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodeServer } from './codeServer';
import { projectRoot } from './codeServerInstall';
import { makeRootfs } from './rootfs';
import { runScript } from './script';
import { descendantsOf, living, sleep, type Pinned } from '../vscode/hostState';

const vsix = join(projectRoot, 'dist', 'mini-containers.vsix');
/** Kept between runs (it takes a moment to build); gitignored with the rest of .vscode-test/. */
const defaultRootfs = join(projectRoot, '.vscode-test', 'busybox-rootfs');
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long the containers of the terminals get to end by themselves once code-server is gone, before SIGKILL. */
const CONTAINERS_END_MS = 10_000;

function parsePort(text: string | undefined): number {
  if (text === undefined || text === '') return 8080;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a port number, not "${text}"`);
  return port;
}

/** Our parent's PID, from the kernel (process.ppid is read once, at start). */
function parentPid(): number | undefined {
  try {
    const text = readFileSync('/proc/self/stat', 'latin1');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * Calls `ended` once, when the process that started us (npm) is gone: we have then been given to init or a
 * subreaper, whatever became of the signal that ended it. Returns the function that stops watching.
 */
function parentEnded(ended: () => void): () => void {
  const parent = parentPid();
  const timer = setInterval(() => {
    if (parentPid() !== parent) {
      clearInterval(timer);
      ended();
    }
  }, 250);
  timer.unref();
  return () => clearInterval(timer);
}

/** Waits up to `ms` for the pinned processes to end; returns those still running. */
async function ended(processes: Pinned[], ms: number): Promise<Pinned[]> {
  const deadline = Date.now() + ms;
  let left = processes.filter(living);
  while (left.length && Date.now() < deadline) {
    await sleep(100);
    left = left.filter(living);
  }
  return left;
}

async function main(): Promise<number> {
  const port = parsePort(process.env.PORT);
  const rootfs = process.env.ROOTFS || defaultRootfs;
  // A terminal that closes while we stop must not turn our last words into an uncaught EIO or EPIPE.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  // Until we serve, a signal ends us as it would any script (code-server, once created, is killed by ./cleanup.ts);
  // an orphaned script signals itself the same way.
  const stopWatchingParent = parentEnded(() => process.kill(process.pid, 'SIGTERM'));
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing: run \`npm run package\` (npm run serve does).`);
  if (existsSync(join(rootfs, 'bin', 'sh'))) {
    console.log(`BusyBox root filesystem: ${rootfs} (existing)`);
  } else {
    makeRootfs(rootfs);
    console.log(`BusyBox root filesystem: ${rootfs} (created)`);
  }
  const server = await CodeServer.create({
    port,
    // The main job is for a newcomer: the first use of the extension opens its walkthrough, as on a fresh install.
    settings: { 'miniContainers.rootfs': rootfs, 'workbench.welcomePage.walkthroughs.openOnInstall': true },
  });
  let started: Pinned[] = [];
  let stopSignal: (signal: NodeJS.Signals) => void = () => undefined;
  try {
    await server.installExtension(vsix);
    await server.start();
    console.log(`\nMini Containers in VS Code: ${server.url}`);
    console.log('Run "Containers: Start Isolated Shell" from the command palette (F1). Ctrl-C stops the server.\n');
    const reason = await new Promise<string>((resolve) => {
      stopSignal = (signal) => {
        // Before anything is killed (./cleanup.ts's handler runs next): once code-server is gone, the helpers it
        // started belong to init and are no longer ours to find.
        if (!started.length) started = descendantsOf(process.pid);
        resolve(signal);
      };
      // Repeated signals (Ctrl-C reaches us from the terminal and again from npm) must not cut the stop short.
      for (const signal of STOP_SIGNALS) process.prependListener(signal, stopSignal);
      server.exited().then((how) => resolve(`code-server ended (${how})`), resolve);
    });
    console.log(`\nStopping: ${reason}`);
    return reason.startsWith('SIG') ? 0 : 1;
  } finally {
    stopWatchingParent();
    if (!started.length) started = descendantsOf(process.pid);
    await server.stop();
    // Closing code-server closes the terminals' ptys, which ends their helpers and so their containers.
    const left = await ended(started, CONTAINERS_END_MS);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
    const survivors = await ended(left, 2000);
    if (left.length) console.error(`killed processes of this run still running ${CONTAINERS_END_MS / 1000} s after code-server stopped: ${left.map((p) => p.pid).join(', ')}`);
    if (survivors.length) console.error(`still running after SIGKILL: ${survivors.map((p) => p.pid).join(', ')}`);
    for (const signal of STOP_SIGNALS) process.off(signal, stopSignal);
  }
}

runScript(main);
