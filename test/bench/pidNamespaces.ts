// Starts real PID namespaces full of sleeping processes, for the benchmark and the integration test (root only).
// Every namespace is an `unshare --pid --fork --mount-proc --kill-child` child of this process: killing that
// unshare by its PID kills the namespace's init, and the kernel then kills everything inside. Nothing is ever
// killed by name. The sleeps end by themselves after 1000 s should this process die without cleaning up.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';

/** One started PID namespace. */
export interface StartedNamespace {
  /** Host PID of the `unshare` process (in our namespace). */
  readonly unsharePid: number;
  /** Host PID of the namespace's init (the `sh` that unshare forked). */
  readonly initHostPid: number;
  /** PIDs of the sleeps as the shell inside saw them (`$!`), i.e. in the namespace. */
  readonly nsPids: readonly number[];
  /** A namespace started inside this one, when asked for. */
  readonly nested?: { readonly unshareNsPid: number; readonly nsPids: readonly number[] };
}

const UNSHARE = ['--pid', '--fork', '--mount-proc', '--kill-child'];

/** The shell script of one namespace: `count` sleeps, each printed, then optionally a nested namespace. */
function script(count: number, nested: number): string {
  const sleeps = (tag: string, n: number) => `i=0; while [ $i -lt ${n} ]; do sleep 1000 & echo "${tag} $!"; i=$((i+1)); done`;
  const inner = nested > 0
    ? `unshare ${UNSHARE.join(' ')} sh -c '${sleeps('nested', nested)}; echo nested-ready; wait' & echo "unshare $!";`
    : 'echo nested-ready;';
  return `${sleeps('pid', count)}; ${inner} wait`;
}

/** Running namespaces; `stop()` kills exactly the unshare PIDs it started. */
export class PidNamespaces {
  private readonly children: ChildProcess[] = [];
  private readonly inits: number[] = [];
  private readonly onExit = () => this.killAll();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.killAll();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };

  constructor() {
    process.on('exit', this.onExit);
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** Starts `count` namespaces of `perNamespace` sleeps each; the first `withNested` also get a nested one. */
  async start(count: number, perNamespace: number, withNested = 0, nestedSize = 5): Promise<StartedNamespace[]> {
    const started: Promise<StartedNamespace>[] = [];
    for (let i = 0; i < count; i++) started.push(this.startOne(perNamespace, i < withNested ? nestedSize : 0));
    return Promise.all(started);
  }

  private startOne(count: number, nested: number): Promise<StartedNamespace> {
    const child = spawn('unshare', [...UNSHARE, 'sh', '-c', script(count, nested)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.children.push(child);
    return new Promise((resolve, reject) => {
      const nsPids: number[] = [];
      const nestedPids: number[] = [];
      let unshareNsPid = 0;
      let text = '';
      const timer = setTimeout(() => reject(new Error(`namespace not ready after 30 s: ${text.slice(-200)}`)), 30_000);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`unshare exited early with ${code}; is this root?`)));
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        let nl: number;
        while ((nl = text.indexOf('\n')) >= 0) {
          const [tag, value] = text.slice(0, nl).split(' ');
          text = text.slice(nl + 1);
          if (tag === 'pid') nsPids.push(+value);
          else if (tag === 'nested') nestedPids.push(+value);
          else if (tag === 'unshare') unshareNsPid = +value;
          else if (tag === 'nested-ready') {
            clearTimeout(timer);
            const initHostPid = +fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'latin1').trim();
            this.inits.push(initHostPid);
            resolve({
              unsharePid: child.pid!, initHostPid, nsPids,
              ...(nested > 0 ? { nested: { unshareNsPid, nsPids: nestedPids } } : {}),
            });
          }
        }
      });
    });
  }

  /** Kills one namespace we started and waits until its init is gone from /proc. */
  async kill(ns: StartedNamespace): Promise<void> {
    const child = this.children.find((c) => c.pid === ns.unsharePid);
    if (child === undefined) throw new Error(`${ns.unsharePid} is not an unshare this test started`);
    await this.killAndWait([child], [ns.initHostPid]);
  }

  /** Kills every namespace and waits until their inits are gone from /proc. */
  async stop(): Promise<void> {
    await this.killAndWait(this.children, this.inits);
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  private async killAndWait(children: ChildProcess[], inits: number[]): Promise<void> {
    const exits = children.filter(running).map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve())));
    for (const child of children) kill(child);
    await Promise.all(exits);
    // The kernel ends the namespace's processes before its init finishes exiting: once the init is
    // gone from /proc (reaped by PID 1, since its unshare parent is dead), nothing of the namespace is left.
    const deadline = Date.now() + 10_000;
    for (const pid of inits) {
      while (Date.now() < deadline && alive(pid)) await new Promise((r) => setTimeout(r, 20));
    }
  }

  private killAll(): void {
    for (const child of this.children) kill(child);
  }
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
}

function kill(child: ChildProcess): void {
  if (!running(child)) return;
  try {
    process.kill(child.pid!, 'SIGKILL'); // --kill-child: its init, and with it the namespace, die too
  } catch {
    // Already gone.
  }
}

function alive(pid: number): boolean {
  return fs.existsSync(`/proc/${pid}`);
}
