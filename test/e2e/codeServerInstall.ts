// Installs code-server (a real VS Code: server, web workbench, Node extension host) into a cache folder on
// first use, the way @vscode/test-electron caches desktop VS Code in .vscode-test/. Offline-safe: nothing is
// downloaded except npm packages; every install pitfall is handled here, each where it bites.
import { spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';

const CODE_SERVER_VERSION = '4.100.3';
/** The @vscode/ripgrep that code-server 4.100.3 bundles, and the release it would fetch from GitHub. */
const RIPGREP_CACHE = 'vscode-ripgrep-cache-1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';
const INSTALL_TIMEOUT_MS = 15 * 60_000;

/** The project root: dist/test/e2e/*.js and test/e2e/*.ts both sit three levels below it. */
export const projectRoot = resolve(__dirname, '..', '..', '..');
const cacheDir = join(projectRoot, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
const codeServerDir = join(cacheDir, 'node_modules', 'code-server');
/** The script code-server's `bin` points at; run it with this Node (code-server 4.100 needs Node 20). */
const codeServerEntry = join(codeServerDir, 'out', 'node', 'entry.js');
const completeMarker = join(cacheDir, '.complete');

/** Files that exist only when the install (including code-server's own postinstall) fully succeeded. */
const expectedFiles = [
  codeServerEntry,
  join(codeServerDir, 'lib', 'vscode', 'node_modules', 'node-pty', 'build', 'Release', 'pty.node'),
  join(codeServerDir, 'lib', 'vscode', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'),
];

// --- prerequisites

interface Prerequisite {
  readonly what: string;
  readonly present: () => boolean;
  readonly debianPackage: string;
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

const onPath = (command: string): boolean => findOnPath(command) !== undefined;

/** Node's own headers, for node-gyp: without them it would download them from nodejs.org. */
function nodeHeadersDir(): string | undefined {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined;
}

const prerequisites: readonly Prerequisite[] = [
  { what: 'rg (packed as the ripgrep @vscode/ripgrep would download)', present: () => onPath('rg'), debianPackage: 'ripgrep' },
  { what: 'make', present: () => onPath('make'), debianPackage: 'build-essential' },
  { what: 'g++', present: () => onPath('g++'), debianPackage: 'build-essential' },
  { what: 'python3 (node-gyp)', present: () => onPath('python3'), debianPackage: 'python3' },
  { what: 'pkg-config', present: () => onPath('pkg-config'), debianPackage: 'pkg-config' },
  { what: 'tar', present: () => onPath('tar'), debianPackage: 'tar' },
  { what: 'krb5.h (kerberos module)', present: () => existsSync('/usr/include/krb5.h'), debianPackage: 'libkrb5-dev' },
  { what: 'X11/Xlib.h (native-keymap)', present: () => existsSync('/usr/include/X11/Xlib.h'), debianPackage: 'libx11-dev' },
  {
    what: 'X11/extensions/XKBfile.h (native-keymap)',
    present: () => existsSync('/usr/include/X11/extensions/XKBfile.h'),
    debianPackage: 'libxkbfile-dev',
  },
  {
    what: 'libsecret/secret.h',
    present: () => existsSync('/usr/include/libsecret-1/libsecret/secret.h'),
    debianPackage: 'libsecret-1-dev',
  },
  {
    what: `Node.js headers beside ${process.execPath} (include/node/node.h)`,
    present: () => nodeHeadersDir() !== undefined,
    debianPackage: 'nodejs (a Node 20 build that ships its headers, e.g. NodeSource)',
  },
];

/** Throws one error naming every missing Debian package, so a fresh machine is fixed in one apt-get. */
function checkInstallPrerequisites(): void {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`code-server tests run on linux-x64 only, not ${process.platform}-${process.arch}`);
  }
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 20) throw new Error(`code-server ${CODE_SERVER_VERSION} needs Node 20, this is Node ${process.versions.node}`);
  const missing = prerequisites.filter((p) => !p.present());
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((m) => m.debianPackage))];
  throw new Error(
    `Cannot install code-server: missing ${missing.map((m) => m.what).join('; ')}.\n` +
      `Install the Debian packages: apt-get install -y ${packages.join(' ')}`,
  );
}

// --- install

function isCodeServerInstalled(): boolean {
  return existsSync(completeMarker) && expectedFiles.every((f) => existsSync(f));
}

/** The env for the nested `npm install`: ours, minus what the outer `npm run` exported about this project. */
function installEnv(tmpDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|command$|config_(local_prefix|prefix|global_prefix|loglevel)$)/.test(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    // @vscode/ripgrep looks for its release tarball in os.tmpdir() before going to GitHub.
    TMPDIR: tmpDir,
    // As root, code-server's postinstall refuses to run without this.
    npm_config_unsafe_perm: 'true',
    // node-pty's install runs `npx node-gyp`, which waits for a "y" without a terminal.
    npm_config_yes: 'true',
    // argon2 (node-pre-gyp) and kerberos (prebuild-install) would otherwise try GitHub for prebuilt binaries.
    npm_config_build_from_source: 'true',
    // node-gyp would otherwise download Node's headers.
    npm_config_nodedir: nodeHeadersDir(),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'warn',
  };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      log.end();
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      log.end(() => {
        if (code === 0) resolvePromise();
        else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}), log: ${logFile}`));
      });
    });
  });
}

/** The last `lines` lines of a log file, for an error message. */
export function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Installs code-server into `.vscode-test/code-server-<version>/` unless it is there already; returns the entry
 * script. Installs into a private staging folder and renames it into place, so an interrupted or concurrent
 * install never leaves a half-installed cache behind.
 */
export async function ensureCodeServer(log: (line: string) => void = console.log): Promise<string> {
  if (isCodeServerInstalled()) return codeServerEntry;
  checkInstallPrerequisites();
  const started = Date.now();
  const staging = `${cacheDir}.partial-${process.pid}`;
  const logFile = join(dirname(cacheDir), `code-server-${CODE_SERVER_VERSION}-install.log`);
  log(`[code-server] installing ${CODE_SERVER_VERSION} into ${cacheDir} (one time, ~1-2 min); log: ${logFile}`);
  await rm(staging, { recursive: true, force: true });
  const tmpDir = join(staging, 'tmp');
  const ripgrepDir = join(tmpDir, RIPGREP_CACHE);
  await mkdir(ripgrepDir, { recursive: true });
  await writeFile(logFile, '');
  try {
    await writeFile(
      join(staging, 'package.json'),
      JSON.stringify({ name: 'code-server-cache', private: true, dependencies: { 'code-server': CODE_SERVER_VERSION } }, null, 2),
    );
    // Debian's ripgrep 13.0.0 stands in for the same release from GitHub.
    const rgStage = join(tmpDir, 'rg-stage');
    await mkdir(rgStage);
    await copyFile(findOnPath('rg') ?? 'rg', join(rgStage, 'rg'));
    await run('tar', ['-czf', join(ripgrepDir, RIPGREP_ASSET), '-C', rgStage, 'rg'], staging, process.env, logFile);
    await run('npm', ['install', '--no-save', '--no-package-lock', '--foreground-scripts'], staging, installEnv(tmpDir), logFile);
    await rm(tmpDir, { recursive: true, force: true });
    const missing = expectedFiles.map((f) => f.replace(cacheDir, staging)).filter((f) => !existsSync(f));
    if (missing.length) throw new Error(`npm install finished but these are missing: ${missing.join(', ')}`);
    await writeFile(join(staging, '.complete'), `${CODE_SERVER_VERSION}\n`);
    try {
      await rename(staging, cacheDir);
    } catch (err) {
      // Another run finished first; keep its install.
      if (!isCodeServerInstalled()) throw err;
      await rm(staging, { recursive: true, force: true });
    }
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(
      `Installing code-server ${CODE_SERVER_VERSION} failed: ${(err as Error).message}\n--- last lines of ${logFile}:\n` +
        `${tail(logFile, 40)}\nIf a native module failed to build, check: apt-get install -y ` +
        'build-essential python3 pkg-config libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev ripgrep',
    );
  }
  log(`[code-server] installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return codeServerEntry;
}
