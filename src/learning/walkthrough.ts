import * as vscode from 'vscode';
import { checkRootfs } from '../core/rootfs/rootfsCheck';
import { NAMESPACES_VIEW_TYPE, WALKTHROUGH_ID } from '../contributionIds';
import type { Session, Sessions } from '../sessions';
import { readRootfsSetting, readWalkthroughsOpenOnInstall } from '../settings';
import type { Signaller } from '../containersView/signaller';

const OFFERED_KEY = 'miniContainers.walkthroughOffered';
/** The label of VS Code's Welcome editor: English (also where a language pack lacks it), and French. */
const WELCOME_LABELS = new Set(['Welcome', 'Bienvenue']);
/** globalState: the context keys of the steps done in this window or an earlier one. */
const DONE_KEY = 'miniContainers.walkthroughDone';

/** Context keys that complete the walkthrough's steps (package.json `completionEvents`) when the real event happened. */
const CONTEXT = {
  rootfsReady: 'miniContainers.walkthrough.rootfsReady',
  shellStarted: 'miniContainers.walkthrough.shellStarted',
  psShown: 'miniContainers.walkthrough.psShown',
  noSuchProcess: 'miniContainers.walkthrough.noSuchProcess',
  pictureShown: 'miniContainers.walkthrough.pictureShown',
  killedFromHost: 'miniContainers.walkthrough.killedFromHost',
} as const;

/** What the shell prints that completes a step: `ps`'s header, and BusyBox's or procps' answer to a foreign PID. */
const OUTPUT_EVENTS: { key: string; pattern: RegExp }[] = [
  { key: CONTEXT.psShown, pattern: /^\s*(USER\s+)?PID\s+(USER|%CPU|TTY)\b/m },
  { key: CONTEXT.noSuchProcess, pattern: /No such process/ },
];

/**
 * The walkthrough "Process isolation, step by step": its buttons type the lesson's commands into the latest
 * isolated shell of this window, and each step completes when the shell shows what the lesson says it shows —
 * in this window or an earlier one, whether the walkthrough was open then or not.
 * The first window that uses the extension opens it once (nothing activates the extension at start-up; VS Code itself
 * opens it when the extension is installed into a running window).
 *
 * Why the context keys wait for the walkthrough: VS Code's walkthrough service starts only when a walkthrough or the
 * Welcome page first shows, and a step whose `onContext` key is already true then is never checked in that window
 * (the key counts as seen, and only a change of it could check the step). So what happened is recorded in
 * globalState, and the keys are set once this window shows the walkthrough (its tab, or our own opening of it), and
 * at once for events after that.
 */
export function registerWalkthrough(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  sessions: Sessions,
  signaller: Signaller,
): void {
  const done = new Set<string>(context.globalState.get<string[]>(DONE_KEY, []).filter((k) => Object.values(CONTEXT).includes(k as never)));
  if (done.size) log.info(`[walkthrough] done in earlier windows: ${[...done].join(', ')}`);
  let shown = false;
  const setContext = (key: string, persist = true) => {
    if (done.has(key)) return;
    done.add(key);
    log.info(`[walkthrough] ${key}`);
    if (persist) void context.globalState.update(DONE_KEY, [...done].filter((k) => k !== CONTEXT.rootfsReady));
    if (shown) void vscode.commands.executeCommand('setContext', key, true);
  };
  /** This window shows (or showed) the walkthrough: VS Code's walkthrough service runs now, and sees each key change. */
  const walkthroughShown = (how: string) => {
    if (shown) return;
    shown = true;
    log.info(`[walkthrough] shown (${how}): checking ${done.size ? [...done].join(', ') : 'nothing yet'}`);
    for (const key of done) void vscode.commands.executeCommand('setContext', key, true);
  };
  const name = (context.extension.packageJSON as { displayName?: string }).displayName;
  const watchTabs = () => {
    for (const tab of vscode.window.tabGroups.all.flatMap((g) => g.tabs)) {
      if (tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith(NAMESPACES_VIEW_TYPE)) setContext(CONTEXT.pictureShown);
      // VS Code's Welcome editor, where walkthroughs show, has no input type in the API. Its tab is labelled
      // "Welcome" (as the extension host sees it, also while it shows a walkthrough), or "Walkthrough: <the extension's
      // display name>" — in the display language; the extension's own page ("Extension: …") ends alike.
      else if (tab.input === undefined && (WELCOME_LABELS.has(tab.label) || (name && tab.label.endsWith(`: ${name}`) && !/^Extension\b/.test(tab.label)))) {
        walkthroughShown(`tab "${tab.label}"`);
      }
    }
  };
  watchTabs();
  context.subscriptions.push(vscode.window.tabGroups.onDidChangeTabs(watchTabs));

  // --- step 1: a usable root filesystem is set (the setting as it is now: not recorded)
  const checkRootfsSetting = async () => {
    const rootfs = readRootfsSetting();
    if (rootfs && !(await checkRootfs(rootfs)).length) setContext(CONTEXT.rootfsReady, false);
  };
  void checkRootfsSetting();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('miniContainers.rootfs') && void checkRootfsSetting()),
  );

  // --- steps 2-4: a shell runs, and its output shows what ps and kill answer
  // One output listener per running session, disposed when the session ends (or once every answer was seen).
  const listeners = new Map<Session, vscode.Disposable>();
  context.subscriptions.push({ dispose: () => listeners.forEach((l) => l.dispose()) });
  const watch = (session: Session) => {
    if (listeners.has(session) || OUTPUT_EVENTS.every(({ key }) => done.has(key))) return;
    let tail = '';
    listeners.set(session, session.pty.onDidWrite((data) => {
      // Keep the last lines without colours: an answer may arrive in pieces.
      tail = (tail + data.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')).slice(-4096);
      for (const { key, pattern } of OUTPUT_EVENTS) {
        if (!done.has(key) && pattern.test(tail)) setContext(key);
      }
      if (OUTPUT_EVENTS.every(({ key }) => done.has(key))) listeners.forEach((l) => l.dispose());
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
        setContext(CONTEXT.shellStarted);
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
    void vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`, false)
      .then(() => walkthroughShown('opened on first use'));
  }
}

