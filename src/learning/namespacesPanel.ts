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
  | { type: 'ready' }
  | ({ type: 'reveal' } & ProcessRef)
  | ({ type: 'kill'; signal: 'TERM' | 'KILL' } & ProcessRef)
  | { type: 'hostOnly'; open: boolean; filter: string };

/**
 * "Show Namespaces": a webview beside the editor that draws both views of every container's processes. It follows
 * the Containers view's scans (asking for them only while it is visible) and posts only the containers that
 * changed.
 */
export function registerNamespacesPanel(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  provider: ContainersProvider,
  tree: vscode.TreeView<TreeNode>,
): void {
  let panel: NamespacesPanel | undefined;
  context.subscriptions.push(
    vscode.commands.registerCommand('miniContainers.showNamespaces', (node?: ContainerNode) => {
      if (!panel) {
        panel = new NamespacesPanel(context.extensionUri, log, provider, tree);
        panel.onDidDispose(() => (panel = undefined));
      }
      panel.show(node instanceof ContainerNode ? node.container.key : undefined);
    }),
  );
  context.subscriptions.push({ dispose: () => panel?.dispose() });
}

class NamespacesPanel {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  /** What the webview shows now; undefined until it is ready (and again after it reloads). */
  private shown: Picture | undefined;
  /** The picture of the provider's last model: built once per scan, not again when the webview reloads. */
  private built: { model: ContainerModel; picture: Picture } | undefined;
  private ready = false;
  private hostOnly: { open: boolean; filter: string } = { open: false, filter: '' };
  private pendingFocus: string | undefined;
  readonly onDidDispose: vscode.Event<void>;

  constructor(
    extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly provider: ContainersProvider,
    private readonly tree: vscode.TreeView<TreeNode>,
  ) {
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel(
      NAMESPACES_VIEW_TYPE,
      vscode.l10n.t('Namespaces'),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      { enableScripts: true, localResourceRoots: [media] },
    );
    this.onDidDispose = this.panel.onDidDispose;
    this.panel.iconPath = vscode.Uri.joinPath(media, 'containers.svg');
    this.panel.webview.html = this.html(media);
    this.disposables.push(this.panel.webview.onDidReceiveMessage((m: FromWebview) => this.receive(m)));
    this.disposables.push(this.panel.onDidChangeViewState(() => this.followScans()));
    this.disposables.push(provider.onDidChangeModel(() => this.repaint()));
    this.panel.onDidDispose(() => this.dispose());
    this.followScans();
  }

  show(containerKey?: string): void {
    this.pendingFocus = containerKey;
    this.panel.reveal(vscode.ViewColumn.Beside);
    if (this.ready) this.focusPending();
  }

  dispose(): void {
    this.provider.setWatching(NAMESPACES_VIEW_TYPE, false);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  /** Scans go on while the panel shows; a hidden webview is discarded, so it starts afresh when shown again. */
  private followScans(): void {
    const visible = this.panel.visible;
    if (!visible) {
      this.ready = false;
      this.shown = undefined;
    }
    this.provider.setWatching(NAMESPACES_VIEW_TYPE, visible);
  }

  private receive(message: FromWebview): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.shown = undefined;
        void this.panel.webview.postMessage({ type: 'strings', strings: webviewStrings() });
        if (!this.provider.current) this.provider.refresh();
        else this.repaint();
        this.focusPending();
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

  /** Posts the containers whose frames changed since the last post, if any did. */
  private repaint(): void {
    const model = this.provider.current;
    if (!this.ready || !this.panel.visible || !model) return;
    const started = performance.now();
    if (this.built?.model !== model) this.built = { model, picture: buildPicture(model, this.provider.currentProcesses) };
    const { picture } = this.built;
    const update = diffPictures(this.shown, picture);
    if (isEmptyUpdate(update, this.shown)) return;
    this.shown = picture;
    void this.panel.webview.postMessage({ type: 'update', update });
    this.log.trace(`[namespaces] ${update.changed.length} frame(s) changed, ${update.removed.length} gone, in ${(performance.now() - started).toFixed(1)} ms`);
    if (this.hostOnly.open) this.postHostOnly();
  }

  private postHostOnly(): void {
    const model = this.provider.current;
    if (!this.hostOnly.open || !model || !this.shown) return;
    const list = filterHostOnly(model, this.provider.currentProcesses, this.shown, this.hostOnly.filter, HOST_ONLY_PAGE);
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
        if (wasHidden) this.panel.reveal(this.panel.viewColumn, false);
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
    return `<!DOCTYPE html>
<html lang="${vscode.env.language}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css}">
<title>${vscode.l10n.t('Namespaces')}</title>
</head>
<body>
<h1 data-string="title"></h1>
<p class="legend" data-string="legend"></p>
<p id="empty" data-string="empty" hidden></p>
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
<button role="menuitem" data-signal="TERM" data-string="killTerm"></button>
<button role="menuitem" data-signal="KILL" data-string="killKill"></button>
</div>
<script nonce="${nonce}" src="${js}"></script>
</body>
</html>`;
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    ...Object.fromEntries(Object.entries(roles).map(([k, v]) => [`role.${k}`, v])),
    ...Object.fromEntries(Object.entries(facts).map(([k, v]) => [`fact.${k}`, v])),
  };
}
