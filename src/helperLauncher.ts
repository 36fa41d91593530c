import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Launch, planLaunch } from './core/helperProtocol';
import { chooseHelper, HelperChoice, InstalledCopy, SYSTEM_HELPER_PATH } from './core/systemHelper';
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
 * How to run the helper with `args`, per miniContainers.privilege; throws a sentence to show. `rootfs` (for a
 * start) or `targetUid` (for a kill: the owner of the container's PID 1) decides between rootless and root.
 */
export function planHelperLaunch(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  args: readonly string[],
  about: { rootfs?: string; targetUid?: number } = {},
): Launch {
  const uid = process.getuid?.() ?? -1;
  // The shipped copy when rootless: the system copy exists for sudo rules, and a user's own run needs none.
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
  return planLaunch(
    {
      privilege,
      uid,
      helperPath: helper.path,
      helperDirect: helper.direct,
      sudoPath: findProgram('sudo'),
      pkexecPath: findProgram('pkexec'),
      userNamespaces: privilege === 'auto' && uid !== 0 ? userNamespacesWork(log) : undefined,
      rootfsOwner,
    },
    args,
    t,
  );
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

/** A helper run that ended: its exit code and its one-line error, when it gave one. */
export interface HelperOutcome {
  code: number;
  error?: string;
}

/** Runs a launch without a terminal (root or pkexec) and collects the helper's error line. */
export function runLaunch(launch: Launch): Promise<HelperOutcome> {
  return new Promise((resolve) => {
    execFile(launch.file, launch.args, { timeout: 30_000 }, (error, _stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      const line = stderr.split('\n').find((l) => l.startsWith('container-helper: '));
      resolve({ code, error: line ? line.slice('container-helper: '.length) : code ? stderr.trim() || error?.message : undefined });
    });
  });
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
