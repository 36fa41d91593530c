import * as vscode from 'vscode';
import type { Container } from '../core/model/containerModel';
import type { ProcessInfo } from '../core/proc/processScanner';
import {
  commandText, containerDescription, containerLabel, containerTooltip, processDescription, processLabel, processTooltip,
} from '../core/model/treeText';
import type { ContainerUsage, ProcessUsage } from '../core/proc/cgroupUsage';
import { containerUsageLines, containerUsageWords, percentText, processUsageWords } from '../core/model/usageText';

/** What each node needs to describe itself: the clock and when the machine booted. */
export interface TreeClock {
  nowMs: number;
  bootMs: number;
}

/** A container: started in this window, started here earlier (a record names it), or discovered. */
export class ContainerNode extends vscode.TreeItem {
  constructor(
    public container: Container,
    /** Whether a session of this window runs it (Reveal Terminal): it may become known after the node is made. */
    public startedHere: boolean,
    total: number,
    clock: TreeClock,
    /** What it costs, as of the last refresh; undefined until measured. */
    public usage?: ContainerUsage,
  ) {
    super(containerLabel(container, vscode.l10n.t), vscode.TreeItemCollapsibleState.Expanded);
    this.id = `container:${container.key}`;
    this.update(container, total, clock, startedHere, usage);
    // Discovered containers (Docker, Podman, systemd-nspawn, unshare by hand) start folded: there may be many.
    if (container.startedBy !== 'mini-containers') this.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
  }

  /** Whether `usage` reads otherwise than what the node shows: a poll repaints a row for its cost, not its uptime. */
  usageChanged(usage: ContainerUsage | undefined): boolean {
    return usageText(usage) !== usageText(this.usage);
  }

  update(container: Container, total: number, clock: TreeClock, startedHere = this.startedHere, usage = this.usage): void {
    this.container = container;
    this.startedHere = startedHere;
    this.usage = usage;
    this.label = containerLabel(container, vscode.l10n.t);
    const words = usage !== undefined ? containerUsageWords(usage, vscode.l10n.t) : '';
    this.description = containerDescription(container, total, clock.nowMs, clock.bootMs, vscode.l10n.t) + (words ? ` · ${words}` : '');
    this.tooltip = [
      containerTooltip(container, clock.nowMs, clock.bootMs, vscode.l10n.t, vscode.env.language),
      ...(usage !== undefined ? containerUsageLines(usage, vscode.l10n.t) : []),
    ].join('\n');
    this.iconPath = new vscode.ThemeIcon(container.startedBy === 'mini-containers' ? 'vm-running' : 'vm-outline');
    // A throw-away container's value ends in ".ephemeral": Save Changes is offered on it only.
    this.contextValue = (this.startedHere ? 'container.startedHere' : `container.${container.startedBy === 'mini-containers' ? 'recorded' : 'discovered'}`) +
      (container.ephemeral ? '.ephemeral' : '');
  }
}

function usageText(usage: ContainerUsage | undefined): string {
  return usage === undefined ? '' : `${containerUsageWords(usage, vscode.l10n.t)}\n${containerUsageLines(usage, vscode.l10n.t).join('\n')}`;
}

/** A process of a container, nested under its parent when the parent is in the same container. */
export class ProcessNode extends vscode.TreeItem {
  constructor(
    public readonly container: Container,
    public readonly process: ProcessInfo,
    hasChildren: boolean,
    private readonly bootMs: number,
    usage?: ProcessUsage,
  ) {
    super(processLabel(process), hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    // VS Code keeps the expanded state it has for an id, and a leaf's is "collapsed": a process that gains children
    // (the shell runs `sleep 1000 &`) would hide them behind a closed twistie. A new id lets it open as asked.
    this.id = `process:${container.key}/${process.hostPid}:${process.startTime}${hasChildren ? '' : ':leaf'}`;
    this.showUsage(usage);
    this.iconPath = new vscode.ThemeIcon(process.nsPid === 1 ? 'debug-start' : process.state === 'Z' ? 'circle-slash' : 'circle-small-filled');
    // A zombie has ended: a signal does nothing to it, so it offers only its PIDs to copy (package.json's menus).
    this.contextValue = process.state === 'Z' ? 'zombie' : process.nsPid === 1 ? 'process.init' : 'process';
  }

  /** Its description and tooltip with its CPU % and RSS of the last refresh; returns whether they changed. */
  showUsage(usage: ProcessUsage | undefined): boolean {
    const before = this.description;
    const p = this.process;
    this.description = processDescription(p, vscode.l10n.t) + (usage !== undefined && p.state !== 'Z' ? ` · ${processUsageWords(usage)}` : '');
    this.tooltip = processTooltip(p, this.bootMs, vscode.l10n.t, vscode.env.language) +
      (usage?.cpuPercent != null ? `\n${vscode.l10n.t('{0} CPU', percentText(usage.cpuPercent))}` : '');
    return before !== this.description;
  }
}

/** The processes that hold a container on the host (sudo → helper → bubblewrap's monitor), with host PIDs. */
export class HostSideNode extends vscode.TreeItem {
  constructor(
    public readonly container: Container,
    public readonly chain: readonly ProcessInfo[],
  ) {
    super(vscode.l10n.t('host side'), vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `host:${container.key}`;
    this.description = chain.map((p) => `${p.comm} ${p.hostPid}`).join(' → ');
    this.tooltip = vscode.l10n.t('The processes on the host that started this container and wait for it to end, outermost first, with their host PIDs.');
    this.iconPath = new vscode.ThemeIcon('server-process');
    this.contextValue = 'hostSide';
  }
}

/** One process of the host side. It belongs to the host: no kill action is offered on it. */
export class HostProcessNode extends vscode.TreeItem {
  constructor(container: Container, process: ProcessInfo) {
    super(processLabel(process), vscode.TreeItemCollapsibleState.None);
    this.id = `host:${container.key}/${process.hostPid}:${process.startTime}`;
    this.description = vscode.l10n.t('host PID {0} · {1}', process.hostPid, process.user ?? '?');
    this.tooltip = `${commandText(process)}\n${vscode.l10n.t('Host PID {0}, parent {1}', process.hostPid, process.ppid)}`;
    this.iconPath = new vscode.ThemeIcon('arrow-small-right');
    this.contextValue = 'hostProcess';
  }
}

/** Why the last refresh failed or was incomplete, shown at the top of the tree until a refresh works again. */
export class ProblemNode extends vscode.TreeItem {
  constructor(
    public readonly severity: 'error' | 'warning',
    message: string,
  ) {
    super(message, vscode.TreeItemCollapsibleState.None);
    this.id = `problem:${severity}`;
    this.tooltip = message;
    this.iconPath = new vscode.ThemeIcon(severity, new vscode.ThemeColor(severity === 'error' ? 'errorForeground' : 'list.warningForeground'));
    this.contextValue = 'problem';
    this.command = { command: 'miniContainers.refresh', title: vscode.l10n.t('Refresh Containers') };
  }
}

export type TreeNode = ContainerNode | ProcessNode | HostSideNode | HostProcessNode | ProblemNode;
