// `npm run bench`: what a repaint of "Show Namespaces" costs the extension host with 2,000 extra processes in 10
// real PID namespaces (needs root): building the picture from the Containers view's model, diffing it against
// the one shown, and serialising the update that is posted to the webview. Each figure is the median of ROUNDS.

import { buildModel, ContainerModel } from '../../src/core/containerModel';
import { buildPicture, diffPictures, Picture } from '../../src/core/namespacePicture';
import { ProcessScanner } from '../../src/core/processScanner';
import { PidNamespaces } from './pidNamespaces';
import { median, summarize } from './report';
import { runScript } from '../e2e/script';
import { waitFor } from '../vscode/hostState';

const ROUNDS = 11;
const NAMESPACES = 10;
const PER_NAMESPACE = 200;

function time<T>(fn: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('bench: needs root, to create PID namespaces (unshare --pid)');
    return 1;
  }
  const namespaces = new PidNamespaces();
  try {
    process.stdout.write(`starting ${NAMESPACES} PID namespaces × ${PER_NAMESPACE} sleeps… `);
    const started = await namespaces.start(NAMESPACES, PER_NAMESPACE);
    const scanner = new ProcessScanner();
    let snapshot = scanner.scan();
    let model: ContainerModel = buildModel(snapshot);
    const ours = new Set(started.map((n) => n.initHostPid));
    const inOurs = model.containers.filter((c) => ours.has(c.initHostPid)).reduce((sum, c) => sum + c.processes.length, 0);
    console.log(`${inOurs} processes in our ${ours.size} containers, ${snapshot.processes.size} on the host`);

    const samples = { first: [] as number[], unchanged: [] as number[], oneChanged: [] as number[], post: [] as number[] };
    let shown: Picture | undefined;
    let changedFrames = 0;
    let bytes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // The panel opens: every frame is new.
      const first = time(() => diffPictures(undefined, buildPicture(model, snapshot.processes)));
      samples.first.push(first.ms);
      bytes = JSON.stringify(first.value).length;
      samples.post.push(time(() => JSON.stringify(first.value)).ms);
      shown = buildPicture(model, snapshot.processes);
      // A poll whose model came out new but shows the same processes.
      samples.unchanged.push(time(() => diffPictures(shown, buildPicture(model, snapshot.processes))).ms);
      // One sleep of one of our namespaces ends (we started it; by its host PID): one frame to repaint.
      const container = model.containers.find((c) => c.initHostPid === started[round % NAMESPACES].initHostPid);
      const victim = container?.processes.find((p) => p.command === 'sleep 1000');
      if (!victim) throw new Error('no sleep left to end');
      process.kill(victim.hostPid, 'SIGKILL');
      await waitFor(`host PID ${victim.hostPid} to be reaped`, () => {
        snapshot = scanner.scan();
        return !snapshot.processes.has(victim.hostPid);
      }, 5000, 20);
      model = buildModel(snapshot, { previous: model, rootOf: (pid) => scanner.rootOf(pid) });
      const one = time(() => diffPictures(shown, buildPicture(model, snapshot.processes)));
      samples.oneChanged.push(one.ms);
      changedFrames = one.value.changed.length;
      const others = one.value.changed.filter((c) => c.initHostPid !== container?.initHostPid).map((c) => `${c.label} (${ours.has(c.initHostPid) ? 'ours' : 'not ours'})`);
      if (others.length) console.log(`round ${round}: frames changed besides the victim's: ${others.join(', ')}`);
    }
    scanner.dispose();
    const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    const processes = snapshot.processes.size;
    console.log(`\n${processes} processes, median of ${ROUNDS} rounds, ${process.version}\n`);
    const row = (label: string, ms: number, extra = '') => {
      console.log(`${label.padEnd(56)}${ms.toFixed(2).padStart(8)} ms${extra}`);
      summarize({ group: 'namespaces picture', figure: label, value: `${ms.toFixed(2)} ms`, baseline: `${processes} processes`, ratio: '' });
    };
    row('open: build picture + diff (every frame new)', m.first, `   update ${(bytes / 1024).toFixed(0)} KiB of JSON`);
    row('open: serialise the update for postMessage', m.post);
    row('poll, same processes: build + diff (nothing posted)', m.unchanged);
    row('poll, one process ended: build + diff', m.oneChanged, `   ${changedFrames} frame(s) posted`);
    return 0;
  } finally {
    await namespaces.stop();
  }
}

runScript(main, { stack: true });
