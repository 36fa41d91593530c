import * as vscode from 'vscode';
import { checkRootfs } from '../core/rootfs/rootfsCheck';
import { WALKTHROUGH_ID } from '../contributionIds';
import type { Session, Sessions } from '../sessions';
import { readRootfsSetting, readWalkthroughsOpenOnInstall } from '../settings';
import type { Signaller } from '../containersView/signaller';

const OFFERED_KEY = 'miniContainers.walkthroughOffered';

/** Context keys that complete the walkthrough's steps (package.json `completionEvents`) when the real event happened. */
const CONTEXT = {
  rootfsReady: 'miniContainers.walkthrough.rootfsReady',
  shellStarted: 'miniContainers.walkthrough.shellStarted',
  psShown: 'miniContainers.walkthrough.psShown',
  noSuchProcess: 'miniContainers.walkthrough.noSuchProcess',
  killedFromHost: 'miniContainers.walkthrough.killedFromHost',
} as const;

/** What the shell prints that completes a step: `ps`'s header, and BusyBox's or procps' answer to a foreign PID. */
const OUTPUT_EVENTS: { key: string; pattern: RegExp }[] = [
  { key: CONTEXT.psShown, pattern: /^\s*(USER\s+)?PID\s+(USER|%CPU|TTY)\b/m },
  { key: CONTEXT.noSuchProcess, pattern: /No such process/ },
];

/**
 * The walkthrough "Process isolation, step by step": its buttons type the lesson's commands into the latest
 * isolated shell of this window, and each step completes when the shell shows what the lesson says it shows.
 * The first window that uses the extension opens it once (nothing activates the extension at start-up; VS Code itself
 * opens it when the extension is installed into a running window).
 */
export function registerWalkthrough(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  sessions: Sessions,
  signaller: Signaller,
): void {
  const setContext = (key: string) => {
    log.info(`[walkthrough] ${key}`);
    void vscode.commands.executeCommand('setContext', key, true);
  };

  // --- step 1: a usable root filesystem is set
  const checkRootfsSetting = async () => {
    const rootfs = readRootfsSetting();
    if (rootfs && !(await checkRootfs(rootfs)).length) setContext(CONTEXT.rootfsReady);
  };
  void checkRootfsSetting();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('miniContainers.rootfs') && void checkRootfsSetting()),
  );

  // --- steps 2-4: a shell runs, and its output shows what ps and kill answer
  // One output listener per running session, disposed when the session ends (or once every answer was seen).
  const listeners = new Map<Session, vscode.Disposable>();
  context.subscriptions.push({ dispose: () => listeners.forEach((l) => l.dispose()) });
  const seen = new Set<string>();
  const watch = (session: Session) => {
    if (listeners.has(session) || OUTPUT_EVENTS.every(({ key }) => seen.has(key))) return;
    let tail = '';
    listeners.set(session, session.pty.onDidWrite((data) => {
      // Keep the last lines without colours: an answer may arrive in pieces.
      tail = (tail + data.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')).slice(-4096);
      for (const { key, pattern } of OUTPUT_EVENTS) {
        if (!seen.has(key) && pattern.test(tail)) {
          seen.add(key);
          setContext(key);
        }
      }
      if (OUTPUT_EVENTS.every(({ key }) => seen.has(key))) listeners.forEach((l) => l.dispose());
    }));
  };
  context.subscriptions.push(
    sessions.onDidChange(() => {
      for (const [session, listener] of listeners) {
        if (sessions.all.has(session)) continue;
        listener.dispose();
        listeners.delete(session);
      }
      for (const session of sessions.all) {
        if (!session.container) continue;
        if (!seen.has(CONTEXT.shellStarted)) {
          seen.add(CONTEXT.shellStarted);
          setContext(CONTEXT.shellStarted);
        }
        watch(session);
      }
    }),
  );

  // --- step 6: the host signalled a process of a container (from the picture or the tree)
  context.subscriptions.push(signaller.onDidSend(() => setContext(CONTEXT.killedFromHost)));

  /** Types `text` into the latest isolated shell of this window, or offers to start one. */
  const type = async (text: string) => {
    const running = [...sessions.all].filter((s) => s.container);
    const session = running[running.length - 1];
    const terminal = session && vscode.window.terminals.find((t) => t.name === session.name);
    if (!terminal) {
      const start = vscode.l10n.t('Start Isolated Shell');
      const answer = await vscode.window.showInformationMessage(vscode.l10n.t('No isolated shell runs in this window yet.'), start);
      if (answer === start) await vscode.commands.executeCommand('miniContainers.startIsolatedShell');
      return;
    }
    terminal.show();
    terminal.sendText(text);
  };
  const register = (id: string, run: () => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, run));
  // The lesson's `ps -aux` is procps'; BusyBox's ps rejects -u but reads the BSD form, as procps does.
  register('miniContainers.walkthrough.typePs', () => type('ps aux'));
  // A real host PID, which the shell cannot see: the extension host's own.
  register('miniContainers.walkthrough.typeKill', () => type(`kill ${process.pid}`));
  register('miniContainers.walkthrough.typeSleep', () => type('sleep 1000 &'));

  // --- the first use opens the walkthrough once, unless the user asked VS Code not to
  if (context.globalState.get<boolean>(OFFERED_KEY)) {
    log.info('[walkthrough] offered on an earlier run: not opened again');
  } else if (!readWalkthroughsOpenOnInstall()) {
    log.info('[walkthrough] first run, but workbench.welcomePage.walkthroughs.openOnInstall is off: not opened');
  } else {
    void context.globalState.update(OFFERED_KEY, true);
    log.info('[walkthrough] first run: opening it');
    void vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`, false);
  }
}
