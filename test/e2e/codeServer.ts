// Runs code-server (installed by ./codeServerInstall) on 127.0.0.1 with a fresh profile: user data, extensions,
// XDG folders and the user settings that make the workbench testable. Always stopped by PID and process group.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, rmSync } from 'node:fs';
import { chown, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { onInterrupt } from './cleanup';
import { ensureCodeServer, tail } from './codeServerInstall';
import { sleep } from '../vscode/hostState';

/** Settings without which the UI cannot be read or would wander off. */
const TESTABLE_SETTINGS: Readonly<Record<string, unknown>> = {
  'terminal.integrated.gpuAcceleration': 'off',
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'terminal.integrated.enablePersistentSessions': false,
  'window.restoreWindows': 'none',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  // Offline: no gallery queries for updates or recommendations.
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  // Mini Containers opens its walkthrough on first use unless this says no; only the walkthrough tests and the main
  // job (serve.ts) want it.
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
};

interface CodeServerOptions {
  /** User settings, merged over {@link TESTABLE_SETTINGS}. */
  readonly settings?: Record<string, unknown>;
  /** Port on 127.0.0.1; default: a free one. Starting fails if something answers there already. */
  readonly port?: number;
  /** Folder the workbench opens; default: an empty temp folder. */
  readonly folder?: string;
  /** Extra environment for the server and so for its extension hosts. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Run code-server (and so its extension hosts) as this user instead of ours: the whole profile, and a HOME, XDG
   * folders and TMPDIR inside it, are given to that user. Default: run as we do.
   */
  readonly user?: RunAs;
  /**
   * `--locale`: the display language. Alone it changes nothing: VS Code also needs a language pack for it
   * (see ./frenchUi.ts and FRENCH.md).
   */
  readonly locale?: string;
  /** Node options of the server; its extension hosts inherit them (VS Code forks them with its execArgv). */
  readonly nodeArgs?: readonly string[];
  readonly log?: (line: string) => void;
}

/** A user to run code-server as; the name is what USER and LOGNAME say. */
export interface RunAs {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export class CodeServer {
  private child: ChildProcess | undefined;
  private exitPromise: Promise<string> | undefined;
  private unregisterCleanup: () => void = () => undefined;

  private constructor(
    private readonly entry: string,
    /** Temp folder holding everything below; removed by {@link stop}. */
    readonly root: string,
    readonly folder: string,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: (line: string) => void,
    /** The user code-server runs as, when not us. */
    readonly user: RunAs | undefined,
    private readonly locale: string | undefined,
    private readonly nodeArgs: readonly string[],
  ) {}

  /** The server's PID while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get userDataDir(): string {
    return join(this.root, 'user-data');
  }

  get extensionsDir(): string {
    return join(this.root, 'extensions');
  }

  get logFile(): string {
    return join(this.root, 'code-server.log');
  }

  /** Installs code-server on first use, makes a fresh profile and writes its settings. Does not start it. */
  static async create(options: CodeServerOptions = {}): Promise<CodeServer> {
    const log = options.log ?? ((line: string) => console.log(line));
    const entry = await ensureCodeServer(log);
    const port = options.port ?? (await freePort());
    if (await answers(port)) throw new Error(`something already answers on 127.0.0.1:${port} (an old server?)`);
    const root = await mkdtemp(join(tmpdir(), 'mini-containers-code-server-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // No extension gallery: offline, its queries only fail (open-vsx.org is code-server's default).
      EXTENSIONS_GALLERY: '{}',
      ...options.env,
      // code-server writes config.yaml and logs here whatever --user-data-dir says.
      XDG_CONFIG_HOME: join(root, 'xdg-config'),
      XDG_DATA_HOME: join(root, 'xdg-data'),
      // What the server and extension hosts leave in the temp dir when stopped goes with the profile.
      TMPDIR: join(root, 'tmp'),
    };
    // $PORT would override --bind-addr.
    delete env.PORT;
    const user = options.user;
    if (user) {
      // Nothing of ours: a home, caches and a runtime folder of the user's own, inside the profile.
      Object.assign(env, {
        HOME: join(root, 'home'),
        USER: user.name,
        LOGNAME: user.name,
        XDG_CACHE_HOME: join(root, 'xdg-cache'),
        XDG_STATE_HOME: join(root, 'xdg-state'),
        XDG_RUNTIME_DIR: join(root, 'xdg-runtime'),
      });
      for (const key of ['SUDO_UID', 'SUDO_GID', 'SUDO_USER', 'SUDO_COMMAND', 'MAIL']) delete env[key];
    }
    const server = new CodeServer(user ? reachableEntry(entry, root, user, log) : entry, root, options.folder ?? join(root, 'workspace'),
      port, env, log, user, options.locale, options.nodeArgs ?? []);
    server.unregisterCleanup = onInterrupt(() => server.killNow());
    try {
      await mkdir(server.folder, { recursive: true });
      const settings = JSON.stringify({ ...TESTABLE_SETTINGS, ...options.settings }, null, 2);
      // User settings, and the remote ("Machine") ones that machine-scoped settings are read from.
      for (const scope of ['User', 'Machine']) {
        await mkdir(join(server.userDataDir, scope), { recursive: true });
        await writeFile(join(server.userDataDir, scope, 'settings.json'), settings);
      }
      await mkdir(server.extensionsDir, { recursive: true });
      await mkdir(join(root, 'tmp'));
      if (user) {
        for (const dir of ['home', 'xdg-config', 'xdg-data', 'xdg-cache', 'xdg-state']) await mkdir(join(root, dir), { recursive: true });
        await mkdir(join(root, 'xdg-runtime'), { mode: 0o700 });
        await chownTree(root, user.uid, user.gid);
      }
      return server;
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** The workbench URL opening {@link folder}, with extra query parameters (e.g. `payload`). */
  workbenchUrl(query: Record<string, string> = {}): string {
    const params = new URLSearchParams({ folder: this.folder, ...query });
    return `${this.url}?${params.toString()}`;
  }

  /** spawn()'s uid and gid when running as another user (Node then drops our supplementary groups too). */
  private identity(): { uid?: number; gid?: number } {
    return this.user ? { uid: this.user.uid, gid: this.user.gid } : {};
  }

  private args(): string[] {
    return ['--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir];
  }

  /** `code-server --install-extension X.vsix` into this profile. */
  async installExtension(vsix: string): Promise<void> {
    if (this.user) {
      // Another user may not reach the clone (a mktemp folder, root's home): install a copy inside the profile.
      const copy = join(this.root, basename(vsix));
      await copyFile(vsix, copy);
      await chown(copy, this.user.uid, this.user.gid);
      vsix = copy;
    }
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [this.entry, ...this.args(), '--install-extension', vsix, '--force'], {
        ...this.identity(),
        env: this.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`installing ${vsix} failed (exit ${code}):\n${text}`))));
    });
    if (!/successfully installed/i.test(out)) throw new Error(`installing ${vsix} did not report success:\n${out}`);
    this.log(`[code-server] installed ${vsix}`);
  }

  /** Starts the server in its own process group and waits for /healthz. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.child) throw new Error('code-server already started');
    if (await answers(this.port)) {
      throw new Error(`something already answers on 127.0.0.1:${this.port}; not starting (an old server?)`);
    }
    const logFd = openSync(this.logFile, 'a');
    const args = [
      ...this.nodeArgs,
      this.entry,
      ...this.args(),
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${this.port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      ...(this.locale ? ['--locale', this.locale] : []),
      this.folder,
    ];
    try {
      this.child = spawn(process.execPath, args, {
        ...this.identity(),
        env: this.env,
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    const child = this.child;
    this.exitPromise = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
    const started = Date.now();
    while (!(await healthy(this.port))) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`code-server exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.logTail()}`);
      }
      if (Date.now() - started > timeoutMs) throw new Error(`code-server not healthy after ${timeoutMs} ms:\n${this.logTail()}`);
      await sleep(100);
    }
    this.log(`[code-server] pid ${this.child.pid} ready at ${this.url} in ${Date.now() - started} ms`);
  }

  /** Settles when the server process ends, with "exit N" or the signal's name. */
  exited(): Promise<string> {
    if (!this.exitPromise) throw new Error('code-server was not started');
    return this.exitPromise;
  }

  logTail(lines = 30): string {
    return tail(this.logFile, lines);
  }

  /** The server's process group (ours: it was started detached), or undefined when it is gone. */
  private group(): number | undefined {
    const pid = this.child?.pid;
    if (pid === undefined) return undefined;
    try {
      process.kill(-pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  /** Stops the server and the extension and pty hosts in its process group, then removes the temp folder. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined) {
      for (const [signal, waitMs] of [['SIGTERM', 5000], ['SIGKILL', 2000]] as const) {
        const pgid = this.group();
        if (pgid === undefined) break;
        process.kill(-pgid, signal);
        const deadline = Date.now() + waitMs;
        while (this.group() !== undefined && Date.now() < deadline) await sleep(50);
      }
      if (this.group() !== undefined) this.log(`[code-server] process group ${child.pid} survived SIGKILL`);
      else this.log(`[code-server] pid ${child.pid} and its group stopped`);
    }
    this.unregisterCleanup();
    await rm(this.root, { recursive: true, force: true });
  }

  /** Last resort when Node exits or is interrupted without `stop()`: synchronous. */
  private killNow(): void {
    const pgid = this.group();
    if (pgid !== undefined) process.kill(-pgid, 'SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * code-server's entry script as `user` can run it: the cached install itself when they can read it, else a copy
 * of it (about 300 MB, 2 s) inside the profile `root`, which goes with the profile. A clone in a folder only root
 * may enter (a mktemp folder, root's home) keeps other users out of its .vscode-test/.
 */
function reachableEntry(entry: string, root: string, user: RunAs, log: (line: string) => void): string {
  if (spawnSync('/bin/sh', ['-c', 'test -r "$1"', 'sh', entry], { uid: user.uid, gid: user.gid }).status === 0) return entry;
  const install = resolve(entry, '..', '..', '..', '..', '..');
  const copy = join(root, 'code-server');
  const copied = spawnSync('cp', ['-a', install, copy], { encoding: 'utf8', timeout: 120_000 });
  if (copied.status !== 0) throw new Error(`cp -a ${install} ${copy} failed: ${copied.stderr}`);
  log(`[code-server] ${user.name} cannot read ${install}: running a copy in ${copy}`);
  return join(copy, relative(install, entry));
}

/** chown -R, without following links. */
async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(path, uid, gid);
    else if (!entry.isSymbolicLink()) await chown(path, uid, gid);
  }
}

export { sleep };

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
