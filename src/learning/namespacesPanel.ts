import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ContainerModel } from '../core/model/containerModel';
import type { HolderRole } from '../core/model/hostChain';
import { zombieWhy, zombieWords } from '../core/model/treeText';
import { buildPicture, diffPictures, filterHostOnly, isEmptyUpdate, Picture, PictureFact } from '../core/model/namespacePicture';
import type { ProcessRef } from '../containersView/containerCommands';
import { ContainerNode, type TreeNode } from '../containersView/containerTreeItems';
import type { ContainersProvider } from '../containersView/containersView';
import { NAMESPACES_VIEW_TYPE, VIEW_ID } from '../contributionIds';

/** How many of the host's own processes the filtered list shows at most. */
const HOST_ONLY_PAGE = 200;
/** TreeView.reveal of a view that was hidden fails until its tree has loaded. */
const REVEAL_ATTEMPTS = 8;

/** Messages the webview (media/namespaces.js) posts. */
type FromWebview =
  /** A new page started: it has what was posted before it only if it is the panel's first page. */
  | { type: 'ready' }
  /** The page was sent a diff from a picture it does not have: it needs the whole picture. */
  | { type: 'resync' }
  | ({ type: 'reveal' } & ProcessRef)
  | ({ type: 'kill'; signal: 'TERM' | 'KILL' } & ProcessRef)
  | { type: 'hostOnly'; open: boolean; filter: string };

/**
 * "Show Namespaces": a webview beside the editor that draws both views of every container's processes. It follows
 * the Containers view's scans (asking for them only while it is visible) and posts only the containers that
 * changed. Reload Window restores it (the serializer), and it draws again there.
 */
export function registerNamespacesPanel(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  provider: ContainersProvider,
  tree: vscode.TreeView<TreeNode>,
): void {
  let panel: NamespacesPanel | undefined;
  const adopt = (webviewPanel: vscode.WebviewPanel, focus?: string) => {
    panel = new NamespacesPanel(webviewPanel, context.extensionUri, log, provider, tree, focus);
    panel.onDidDispose(() => (panel = undefined));
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('miniContainers.showNamespaces', (node?: ContainerNode) => {
      const focus = node instanceof ContainerNode ? node.container.key : undefined;
      // A new panel opens where it is asked to: revealing it again at once moved it into yet another group, and
      // the webview, moved while it loaded, could stay blank.
      if (panel) panel.show(focus);
      else adopt(createPanel(context.extensionUri), focus);
    }),
  );
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(NAMESPACES_VIEW_TYPE, {
      deserializeWebviewPanel: async (webviewPanel) => {
        // One picture per window: a second one restored beside it would only repeat it.
        if (panel) webviewPanel.dispose();
        else adopt(webviewPanel);
      },
    }),
  );
  context.subscriptions.push({ dispose: () => panel?.dispose() });
}

function createPanel(extensionUri: vscode.Uri): vscode.WebviewPanel {
  return vscode.window.createWebviewPanel(
    NAMESPACES_VIEW_TYPE,
    vscode.l10n.t('Namespaces'),
    { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
    webviewOptions(extensionUri),
  );
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')] };
}

class NamespacesPanel {
  private readonly disposables: vscode.Disposable[] = [];
  /**
   * The picture the webview's page has, or will have once it has read what was posted; undefined when it has
   * none (nothing posted yet, or a new page since).
   */
  private shown: Picture | undefined;
  /** Numbers each posted update; the page checks that a diff is from the picture it has (`base`). */
  private seq = 0;
  /** The picture of the provider's last model: built once per scan, not again when the webview reloads. */
  private built: { model: ContainerModel; picture: Picture } | undefined;
  private hostOnly: { open: boolean; filter: string } = { open: false, filter: '' };
  private pendingFocus: string | undefined;
  private disposed = false;
  readonly onDidDispose: vscode.Event<void>;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly provider: ContainersProvider,
    private readonly tree: vscode.TreeView<TreeNode>,
    focus: string | undefined,
  ) {
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    this.pendingFocus = focus;
    this.onDidDispose = this.panel.onDidDispose;
    this.panel.iconPath = vscode.Uri.joinPath(media, 'containers.svg');
    // A restored panel keeps the options it was saved with: set them as this version wants them.
    this.panel.webview.options = webviewOptions(extensionUri);
    this.disposables.push(this.panel.webview.onDidReceiveMessage((m: FromWebview) => this.receive(m)));
    this.disposables.push(this.panel.onDidChangeViewState(() => this.followScans()));
    this.disposables.push(provider.onDidChangeModel(() => this.repaint()));
    this.disposables.push(this.panel.onDidDispose(() => this.dispose()));
    this.panel.webview.html = this.html(media);
    // Following the scans scans at once, 100 ms or more with 2,000 processes: after this turn, so that the
    // webview starts loading meanwhile. What is then posted waits for its first page, which VS Code queues it for.
    const follow = setTimeout(() => this.followScans(), 0);
    this.disposables.push({ dispose: () => clearTimeout(follow) });
  }

  /** Brings the picture to the front where it is, and puts the keyboard on the container `containerKey`, if any. */
  show(containerKey?: string): void {
    this.pendingFocus = containerKey;
    this.panel.reveal(undefined, false);
    // A hidden panel's page comes back as a new one, which gets the focus when it is ready.
    if (this.panel.visible) this.focusPending();
  }

  /**
   * Lets go of the scans and the panel. The listeners go first: letting go of the scans may scan once more (the
   * Containers view keeps polling), and a repaint then would touch a disposed webview.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.provider.setWatching(NAMESPACES_VIEW_TYPE, false);
    this.panel.dispose();
  }

  /**
   * Scans go on while the panel shows. A hidden webview's page is discarded (and what is posted to it meanwhile
   * is dropped): the next page starts from nothing.
   */
  private followScans(): void {
    const visible = this.panel.visible;
    if (!visible) this.shown = undefined;
    this.provider.setWatching(NAMESPACES_VIEW_TYPE, visible);
    this.repaint();
  }

  private receive(message: FromWebview): void {
    switch (message.type) {
      case 'ready':
        // The first page gets what was posted before it started, later pages nothing: the page says which
        // (it asks again with 'resync' when it lacks the picture this number names).
        void this.panel.webview.postMessage({ type: 'expect', seq: this.shown ? this.seq : 0 });
        this.repaint();
        this.focusPending();
        return;
      case 'resync':
        this.shown = undefined;
        this.repaint();
        return;
      case 'reveal':
        void this.reveal(message);
        return;
      case 'kill':
        void vscode.commands.executeCommand(message.signal === 'KILL' ? 'miniContainers.killProcessForce' : 'miniContainers.killProcess', message);
        return;
      case 'hostOnly':
        this.hostOnly = { open: message.open, filter: String(message.filter ?? '') };
        this.postHostOnly();
        return;
    }
  }

  /** Posts the containers whose frames changed since the last post (every one to a page that has none), if any did. */
  private repaint(): void {
    const model = this.provider.current;
    if (this.disposed || !this.panel.visible || !model) return;
    const started = performance.now();
    if (this.built?.model !== model) this.built = { model, picture: buildPicture(model, this.provider.currentProcesses, this.provider.usage.containers, vscode.l10n.t) };
    const { picture } = this.built;
    const update = diffPictures(this.shown, picture);
    if (isEmptyUpdate(update, this.shown)) return;
    const base = this.shown ? this.seq : 0;
    this.shown = picture;
    void this.panel.webview.postMessage({ type: 'update', base, seq: ++this.seq, update });
    this.log.trace(`[namespaces] ${update.changed.length} frame(s) changed, ${update.removed.length} gone, in ${(performance.now() - started).toFixed(1)} ms`);
    if (this.hostOnly.open) this.postHostOnly();
  }

  private postHostOnly(): void {
    const model = this.provider.current;
    if (!this.hostOnly.open || !model || !this.shown) return;
    const list = filterHostOnly(
      model, this.provider.currentProcesses, this.shown, this.hostOnly.filter, HOST_ONLY_PAGE, (p) => this.provider.details(p),
    );
    void this.panel.webview.postMessage({ type: 'hostOnly', ...list });
  }

  private focusPending(): void {
    if (this.pendingFocus === undefined) return;
    void this.panel.webview.postMessage({ type: 'focus', containerKey: this.pendingFocus });
    this.pendingFocus = undefined;
  }

  /** Selects the process in the Containers view, as a click on its row there would. */
  private async reveal(ref: ProcessRef): Promise<void> {
    // Revealing into a hidden view races with the view loading its rows ("Data tree node not found"): show the
    // view first, let it load, select, and give the keyboard back to the picture.
    const wasHidden = !this.tree.visible;
    if (wasHidden) {
      await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
      for (let waited = 0; !this.tree.visible && waited < 2000; waited += 100) await delay(100);
      await delay(300);
    }
    for (let attempt = 1; ; attempt++) {
      const node = this.provider.processNode(ref.containerKey, ref.hostPid, ref.startTime);
      if (!node) return;
      try {
        await this.tree.reveal(node, { select: true, focus: false, expand: true });
        if (wasHidden && !this.disposed) this.panel.reveal(this.panel.viewColumn, false);
        return;
      } catch (error) {
        if (attempt === REVEAL_ATTEMPTS) {
          this.log.warn(`[namespaces] could not select host PID ${ref.hostPid} in the tree: ${(error as Error).message}`);
          return;
        }
        await delay(300);
      }
    }
  }

  private html(media: vscode.Uri): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const css = webview.asWebviewUri(vscode.Uri.joinPath(media, 'namespaces.css'));
    const js = webview.asWebviewUri(vscode.Uri.joinPath(media, 'namespaces.js'));
    const csp = `default-src 'none'; style-src ${webview.cspSource}; img-src ${webview.cspSource}; script-src 'nonce-${nonce}';`;
    // The strings are in the page itself: every page (a hidden webview's comes back as a new one) has its title
    // and its words before any message arrives.
    const strings = webviewStrings();
    const text = (key: string) => escapeHtml(strings[key]);
    return `<!DOCTYPE html>
<html lang="${vscode.env.language}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css}">
<title>${escapeHtml(vscode.l10n.t('Namespaces'))}</title>
</head>
<body data-strings="${escapeHtml(JSON.stringify(strings))}">
<h1>${text('title')}</h1>
<p class="legend">${text('legend')}</p>
<p id="empty" hidden>${text('empty')}</p>
<main id="containers"></main>
<section class="host-only">
<button id="host-toggle" aria-expanded="false" aria-controls="host-body"></button>
<div id="host-body" hidden>
<input id="host-filter" type="search">
<ol id="host-list" aria-live="polite"></ol>
<p id="host-more"></p>
</div>
</section>
<div id="menu" class="menu" role="menu" hidden>
<button role="menuitem" data-signal="TERM">${text('killTerm')}</button>
<button role="menuitem" data-signal="KILL">${text('killKill')}</button>
</div>
<script nonce="${nonce}" src="${js}"></script>
</body>
</html>`;
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Every string the webview shows, localised here: the webview has no access to vscode.l10n. */
function webviewStrings(): Record<string, string> {
  const roles: Record<HolderRole, string> = {
    sudo: vscode.l10n.t('sudo (asked for your password)'),
    pkexec: vscode.l10n.t('pkexec (asked for your password in a dialog)'),
    helper: vscode.l10n.t('the helper'),
    capsh: vscode.l10n.t('capsh (drops capabilities, then runs bubblewrap)'),
    bwrapMonitor: vscode.l10n.t("bubblewrap's monitor"),
    unshare: vscode.l10n.t('unshare (waits for PID 1)'),
    nspawn: vscode.l10n.t('systemd-nspawn'),
    containerdShim: vscode.l10n.t("containerd's shim"),
    conmon: vscode.l10n.t("Podman's conmon"),
  };
  const facts: Record<PictureFact, string> = {
    init: vscode.l10n.t('PID 1 of this namespace'),
    hostOnly: vscode.l10n.t('exists only on the host side'),
    // The tree's words: "{0}" is left for the webview to put each row's parent in.
    zombie: zombieWords('{0}', vscode.l10n.t),
  };
  return {
    title: vscode.l10n.t('Two views of the same processes'),
    legend: vscode.l10n.t(
      "Each row is one process: on the left its PID on the host, joined by a line to its PID in each namespace it is in. A frame is a PID namespace; a frame inside another is nested in it.",
    ),
    empty: vscode.l10n.t('No container is running. Start an isolated shell to see its processes from both sides.'),
    host: vscode.l10n.t('host'),
    levelOf: vscode.l10n.t('namespace level {0}'),
    discovered: vscode.l10n.t('not started by Mini Containers'),
    heldBy: vscode.l10n.t('Held on the host by'),
    frameAria: vscode.l10n.t('Container {0}, PID namespace level {1}'),
    holderAria: vscode.l10n.t('Host PID {0}: {1}, {2}'),
    processAria: vscode.l10n.t('Host PID {0}, namespace PID {1}: {2}. {3}'),
    hostOnly: vscode.l10n.t('{0} other host processes, in no container'),
    hostOnlyAria: vscode.l10n.t('Host PID {0}: {1}'),
    filter: vscode.l10n.t('Filter by PID or command'),
    killTerm: vscode.l10n.t('Kill (SIGTERM)'),
    killKill: vscode.l10n.t('Kill (SIGKILL)'),
    showing: vscode.l10n.t('Showing {0} of {1}: narrow the filter to see the others.'),
    zombieWhy: zombieWhy(vscode.l10n.t),
    'network.host': vscode.l10n.t("the host's network"),
    'network.none': vscode.l10n.t('no network (only lo)'),
    'network.private': vscode.l10n.t('private network (tap0)'),
    publishes: vscode.l10n.t('publishes {0}'),
    publishOne: vscode.l10n.t('host 127.0.0.1:{0} → {1}'),
    ...Object.fromEntries(Object.entries(roles).map(([k, v]) => [`role.${k}`, v])),
    ...Object.fromEntries(Object.entries(facts).map(([k, v]) => [`fact.${k}`, v])),
  };
}
