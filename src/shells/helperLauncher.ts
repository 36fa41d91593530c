import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HelperError, helperErrorLine } from '../core/helper/helperError';
import { Launch, LaunchContext, planLaunch } from '../core/helper/helperProtocol';
import type { TerminalRun } from '../core/helper/signalOutcome';
import { chooseHelper, HelperChoice, InstalledCopy, SYSTEM_HELPER_PATH } from '../core/helper/systemHelper';
import { HelperPty, type HelperPtyOptions } from './helperPty';
import { loadNodePty } from './nodePty';
import { readPrivilegeSetting } from '../settings';
import { inEnglish, t } from '../localize';

/** The helper shipped with the extension. */
export function shippedHelperPath(context: vscode.ExtensionContext): string {
  return context.asAbsolutePath(path.join('src', 'helper', 'container-helper.sh'));
}

const warned = new Set<string>();

/**
 * The system-wide copy when it is the shipped helper and only root can change it, else the shipped one. A system
 * copy that is there but cannot be read whole (the script or its seccomp filter) is said, with an action to install
 * it again, not taken for "not installed"; a shipped helper without its filter throws a sentence to show.
 */
export function currentHelper(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): HelperChoice {
  const shippedPath = shippedHelperPath(context);
  let shipped: Buffer;
  try {
    shipped = readHelperFiles(shippedPath);
  } catch (error) {
    const message = t('The helper shipped with the extension is incomplete ({0}): reinstall the extension, or in a checkout build it with "node esbuild.mjs".', (error as Error).message);
    if (!warned.has(message)) log.error(`[helper] ${inEnglish(message)}`);
    warned.add(message);
    throw new Error(message);
  }
  let installed: InstalledCopy | undefined;
  let unreadable: string | undefined;
  try {
    installed = readInstalledCopy();
  } catch (error) {
    unreadable = t('{0} is installed but could not be read ({1}), so the helper shipped with the extension is used and a sudo rule for the system copy does not apply to it. Run "Install Helper System-wide" again.', SYSTEM_HELPER_PATH, (error as Error).message);
  }
  const choice = chooseHelper(shippedPath, shipped, installed, t);
  const warning = unreadable ?? choice.warning;
  if (warning && !warned.has(warning)) {
    warned.add(warning);
    log.warn(`[helper] ${inEnglish(warning)}`);
    const install = t('Install Helper System-wide');
    void vscode.window.showWarningMessage(warning, install).then((answer) => {
      if (answer === install) void vscode.commands.executeCommand('miniContainers.installHelper');
    });
  }
  return choice;
}

/** The script and its seccomp filter beside it, as one buffer: a copy is used only when both are the shipped ones. */
function readHelperFiles(script: string): Buffer {
  return Buffer.concat([fs.readFileSync(script), fs.readFileSync(path.join(path.dirname(script), 'seccomp.bpf'))]);
}

/** The system copy as chooseHelper weighs it; undefined when none is installed; throws when it cannot be read. */
function readInstalledCopy(): InstalledCopy | undefined {
  let file: fs.Stats;
  try {
    file = fs.statSync(SYSTEM_HELPER_PATH);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  const folder = fs.statSync(path.dirname(SYSTEM_HELPER_PATH));
  return { content: readHelperFiles(SYSTEM_HELPER_PATH), uid: file.uid, mode: file.mode, folderUid: folder.uid, folderMode: folder.mode };
}

/**
 * What decides how the helper runs, read once: the setting, the helper copy, sudo and pkexec, user namespaces, and
 * the owner of `rootfs` (for a start) or `targetUid` (for a kill: the owner of the container's PID 1).
 */
export async function launchContext(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  about: { rootfs?: string; targetUid?: number } = {},
): Promise<LaunchContext> {
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
    userNamespaces: privilege === 'auto' && uid !== 0 ? await userNamespacesWork(log) : undefined,
    rootfsOwner,
  };
}

/** How to run the helper with `args`, per miniContainers.privilege; throws a sentence to show. */
export async function planHelperLaunch(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  args: readonly string[],
  about: { rootfs?: string; targetUid?: number } = {},
): Promise<Launch> {
  return planLaunch(await launchContext(context, log, about), args, t);
}

let userNamespaceProbe: Promise<boolean> | undefined;

/**
 * Whether bubblewrap can make a user namespace here, as the helper's rootless start will; asked once, at the first
 * launch that needs to know, without blocking the extension host while bwrap runs (up to 10 s).
 */
export function userNamespacesWork(log: vscode.LogOutputChannel): Promise<boolean> {
  userNamespaceProbe ??= new Promise((resolve) => {
    const bwrap = findProgram('bwrap');
    if (!bwrap) {
      log.info('[helper] user namespaces do not work (bwrap is missing): rootless containers unavailable');
      resolve(false);
      return;
    }
    const args = ['--unshare-user', '--unshare-pid', '--ro-bind', '/', '/', '--proc', '/proc', '--', '/bin/true'];
    execFile(bwrap, args, { timeout: 10_000 }, (error, _stdout, stderr) => {
      const works = !error;
      const why = error ? String(stderr).trim() || (error.killed ? 'timed out after 10 s' : `exit ${error.code}`) : '';
      log.info(`[helper] user namespaces ${works ? 'work' : `do not work (${why})`}: rootless containers ${works ? 'available' : 'unavailable'}`);
      resolve(works);
    });
  });
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
 * Runs a program (the helper under sudo, which may ask for the password; sudo's install of the helper) in a terminal
 * of its own, after a line saying what runs, and collects what it prints. The terminal closes by itself when the
 * program succeeds; after a failure it stays open, saying so, until the user presses a key or closes it, so that
 * an error may point to it. Resolves once the program ended, or once the terminal closed before that (`code`
 * undefined; the program is sent SIGHUP). `endedLine` is the line shown after a failure.
 */
export function runHelperInTerminal(
  log: vscode.LogOutputChannel, name: string, file: string, args: string[], banner: string,
  endedLine = (code: number) => t('[The helper ended with exit code {0}]', code),
): Promise<TerminalRun & { terminal: vscode.Terminal }> {
  const nodePty = loadNodePty(vscode.env.appRoot, (line) => log.info(line));
  const pty = new OneRunPty({ name, file, args, banner, log, pty: nodePty }, endedLine);
  const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('shield') });
  terminal.show();
  return pty.run.then((run) => ({ ...run, terminal }));
}

/** A helper terminal for one run: its outcome, with the helper's error line, once it ended or its terminal closed. */
class OneRunPty extends HelperPty {
  private printed = '';
  constructor(
    options: HelperPtyOptions,
    private readonly endedLine: (code: number) => string,
  ) {
    super(options);
  }

  private settle: (run: TerminalRun) => void = () => undefined;
  readonly run = new Promise<TerminalRun>((resolve) => {
    this.settle = (run) => {
      resolve(run);
      this.settle = () => undefined;
    };
  });

  protected override output(data: string): void {
    this.printed += data;
  }

  protected override ended(code: number, startError: string | undefined): string | undefined {
    if (startError !== undefined) this.settle({ code, error: startError, open: true });
    else if (code === 0) this.settle({ code, open: false });
    else this.settle({ code, error: helperErrorLine(this.printed), open: true });
    return code === 0 ? undefined : this.endedLine(code);
  }

  protected override closing(): void {
    this.settle({ code: undefined, open: false });
  }
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
