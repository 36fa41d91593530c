import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HelperError, helperErrorLine } from './core/helperError';
import { Launch, LaunchContext, planLaunch } from './core/helperProtocol';
import type { TerminalRun } from './core/signalOutcome';
import { chooseHelper, HelperChoice, InstalledCopy, SYSTEM_HELPER_PATH } from './core/systemHelper';
import { loadNodePty } from './nodePty';
import { readPrivilegeSetting } from './settings';
import { inEnglish, t } from './localize';

/** The helper shipped with the extension. */
export function shippedHelperPath(context: vscode.ExtensionContext): string {
  return context.asAbsolutePath(path.join('src', 'helper', 'container-helper.sh'));
}

const warned = new Set<string>();

/** The system-wide copy when it is the shipped helper and only root can change it, else the shipped one. */
export function currentHelper(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): HelperChoice {
  const shippedPath = shippedHelperPath(context);
  let installed: InstalledCopy | undefined;
  try {
    const file = fs.statSync(SYSTEM_HELPER_PATH);
    const folder = fs.statSync(path.dirname(SYSTEM_HELPER_PATH));
    installed = {
      // The script and its seccomp filter: the copy is used only when both are the shipped ones.
      content: Buffer.concat([fs.readFileSync(SYSTEM_HELPER_PATH), fs.readFileSync(path.join(path.dirname(SYSTEM_HELPER_PATH), 'seccomp.bpf'))]),
      uid: file.uid, mode: file.mode, folderUid: folder.uid, folderMode: folder.mode,
    };
  } catch {
    installed = undefined;
  }
  const shipped = Buffer.concat([fs.readFileSync(shippedPath), fs.readFileSync(path.join(path.dirname(shippedPath), 'seccomp.bpf'))]);
  const choice = chooseHelper(shippedPath, shipped, installed, t);
  if (choice.warning && !warned.has(choice.warning)) {
    warned.add(choice.warning);
    log.warn(`[helper] ${inEnglish(choice.warning)}`);
    vscode.window.showWarningMessage(choice.warning);
  }
  return choice;
}

/**
 * What decides how the helper runs, read once: the setting, the helper copy, sudo and pkexec, user namespaces, and
 * the owner of `rootfs` (for a start) or `targetUid` (for a kill: the owner of the container's PID 1).
 */
export function launchContext(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  about: { rootfs?: string; targetUid?: number } = {},
): LaunchContext {
  const uid = process.getuid?.() ?? -1;
  // The system copy when it is installed and current (a sudo rule names it), else the shipped one; rootless runs either.
  const helper = currentHelper(context, log);
  let rootfsOwner: number | undefined = about.targetUid;
  if (about.rootfs !== undefined) {
    try {
      rootfsOwner = fs.statSync(about.rootfs).uid;
    } catch {
      rootfsOwner = undefined;
    }
  }
  const privilege = readPrivilegeSetting();
  return {
    privilege,
    uid,
    helperPath: helper.path,
    helperDirect: helper.direct,
    sudoPath: findProgram('sudo'),
    pkexecPath: findProgram('pkexec'),
    userNamespaces: privilege === 'auto' && uid !== 0 ? userNamespacesWork(log) : undefined,
    rootfsOwner,
  };
}

/** How to run the helper with `args`, per miniContainers.privilege; throws a sentence to show. */
export function planHelperLaunch(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  args: readonly string[],
  about: { rootfs?: string; targetUid?: number } = {},
): Launch {
  return planLaunch(launchContext(context, log, about), args, t);
}

let userNamespaceProbe: boolean | undefined;

/** Whether bubblewrap can make a user namespace here, as the helper's rootless start will; asked once. */
export function userNamespacesWork(log: vscode.LogOutputChannel): boolean {
  if (userNamespaceProbe === undefined) {
    const bwrap = findProgram('bwrap');
    const probe = bwrap
      ? spawnSync(bwrap, ['--unshare-user', '--unshare-pid', '--ro-bind', '/', '/', '--proc', '/proc', '--', '/bin/true'], { timeout: 10_000 })
      : undefined;
    userNamespaceProbe = probe?.status === 0;
    log.info(`[helper] user namespaces ${userNamespaceProbe ? 'work' : `do not work (${bwrap ? probe?.stderr.toString().trim() || `exit ${probe?.status}` : 'bwrap is missing'})`}: rootless containers ${userNamespaceProbe ? 'available' : 'unavailable'}`);
  }
  return userNamespaceProbe;
}

/** A helper run that ended: its exit code and, when it failed, why (HelperError maps the code). */
export interface HelperOutcome {
  code: number;
  error?: HelperError;
}

/** Runs a launch without a terminal (root or pkexec) and collects its typed error. */
export function runLaunch(launch: Launch): Promise<HelperOutcome> {
  return new Promise((resolve) => {
    execFile(launch.file, launch.args, { timeout: 30_000 }, (error, _stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, error: HelperError.of(code, launch.via, stderr || (error?.message ?? ''), t) });
    });
  });
}

/**
 * Runs a launch that needs root (`via` sudo or pkexec) to its end, the one way the extension does outside a shell:
 * pkexec asks through polkit and needs no terminal; sudo runs in a terminal of its own, NAME, where it may ask for
 * the password, and which stays open after a failure (see runHelperInTerminal).
 */
export async function runAsRoot(log: vscode.LogOutputChannel, launch: Launch, name: string, banner: string): Promise<TerminalRun> {
  if (launch.via !== 'pkexec') return runHelperInTerminal(log, name, launch.file, launch.args, banner);
  const outcome = await runLaunch(launch);
  return { code: outcome.code, error: outcome.code === 0 ? undefined : outcome.error?.message ?? t('pkexec ended with exit code {0}.', outcome.code), open: false };
}

/**
 * Runs a program in a terminal of its own — where sudo can ask for the password — after a line saying what runs;
 * resolves with its exit code once the terminal closes (undefined when VS Code does not know it).
 */
export function runInTerminal(name: string, file: string, args: string[], message: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const terminal = vscode.window.createTerminal({ name, shellPath: file, shellArgs: args, message });
    terminal.show();
    const listener = vscode.window.onDidCloseTerminal((closed) => {
      if (closed !== terminal) return;
      listener.dispose();
      resolve(closed.exitStatus?.code);
    });
  });
}

/**
 * Runs the helper (under sudo, which may ask for the password) in a terminal of its own, after a line saying what
 * runs, and collects what it prints. The terminal closes by itself when the helper succeeds; after a failure it
 * stays open, saying so, until the user presses a key or closes it, so that an error may point to it. Resolves
 * once the helper ended, or once the terminal closed before that (`code` undefined; the helper is sent SIGHUP).
 */
export function runHelperInTerminal(
  log: vscode.LogOutputChannel, name: string, file: string, args: string[], banner: string,
): Promise<TerminalRun & { terminal: vscode.Terminal }> {
  const nodePty = loadNodePty(vscode.env.appRoot, (line) => log.info(line));
  const writeEmitter = new vscode.EventEmitter<string>();
  const closeEmitter = new vscode.EventEmitter<number | void>();
  let child: import('node-pty').IPty | undefined;
  let output = '';
  let code: number | undefined;
  let settle: (run: TerminalRun) => void = () => undefined;
  const ended = new Promise<TerminalRun>((resolve) => {
    let settled = false;
    settle = (run) => {
      if (!settled) resolve(run);
      settled = true;
    };
  });
  const pty: vscode.Pseudoterminal = {
    onDidWrite: writeEmitter.event,
    onDidClose: closeEmitter.event,
    open(dimensions) {
      writeEmitter.fire(`\x1b[2m${banner}\x1b[0m\r\n`);
      try {
        child = nodePty.spawn(file, args, {
          name: 'xterm-256color', cols: dimensions?.columns ?? 80, rows: dimensions?.rows ?? 24,
          // The extension host's own folder may be one this user cannot enter (node-pty's chdir would fail).
          cwd: os.homedir(),
          env: { ...process.env, TERM: 'xterm-256color' } as Record<string, string>,
        });
      } catch (error) {
        code = 127;
        const message = t('Could not start {0}: {1}', file, (error as Error).message);
        writeEmitter.fire(`\x1b[31m${message}\x1b[0m\r\n${t('Press any key to close the terminal.')}`);
        settle({ code, error: message, open: true });
        return;
      }
      child.onData((data) => {
        output += data;
        writeEmitter.fire(data);
      });
      child.onExit(({ exitCode, signal }) => {
        code = signal ? 128 + signal : exitCode;
        if (code === 0) {
          closeEmitter.fire(0);
          settle({ code, open: false });
          return;
        }
        writeEmitter.fire(`\r\n\x1b[1m${t('[The helper ended with exit code {0}]', code)}\x1b[0m ${t('Press any key to close the terminal.')}`);
        settle({ code, error: helperErrorLine(output), open: true });
      });
    },
    handleInput(data) {
      if (code !== undefined) closeEmitter.fire(code);
      else child?.write(data);
    },
    setDimensions(dimensions) {
      if (code === undefined && dimensions.columns > 0 && dimensions.rows > 0) child?.resize(dimensions.columns, dimensions.rows);
    },
    close() {
      if (child && code === undefined) child.kill('SIGHUP');
      settle({ code: undefined, open: false });
    },
  };
  const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('shield') });
  const closed = vscode.window.onDidCloseTerminal((t) => {
    if (t !== terminal) return;
    closed.dispose();
    writeEmitter.dispose();
    closeEmitter.dispose();
  });
  terminal.show();
  return ended.then((run) => ({ ...run, terminal }));
}

export function findProgram(name: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}
