// `npm run bench`: what a repaint of "Show Namespaces" costs the extension host with 2,000 extra processes in 10
// real PID namespaces (needs root): building the picture from the Containers view's model, diffing it against
// the one shown, and serialising the update that is posted to the webview; then, in a real VS Code (code-server,
// after `npm run package`), how long the webview takes from the palette to every frame drawn, against VS Code's own
// Markdown preview of a small file opened from the palette in the same window, and to repaint after one process
// ended. Each extension-side figure is the median of ROUNDS.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildModel, ContainerModel } from '../../src/core/model/containerModel';
import { buildPicture, diffPictures, Picture } from '../../src/core/model/namespacePicture';
import { ProcessScanner } from '../../src/core/proc/processScanner';
import { PidNamespaces } from './pidNamespaces';
import { median, ms, ratio, summarize } from './report';
import { paletteToWebview } from './workbenchTiming';
import { runScript } from '../e2e/script';
import * as wb from '../e2e/workbench';
import { WorkbenchSession } from '../e2e/workbenchSession';
import { waitFor } from '../vscode/hostState';

const ROUNDS = 11;
const NAMESPACES = 10;
const PER_NAMESPACE = 200;
const EXTENSION_ID = 'mini-containers.mini-containers';
/** VS Code's built-in Markdown extension, whose preview is the baseline. */
const MARKDOWN_EXTENSION_ID = 'vscode.markdown-language-features';
/** The target: opening the picture takes at most this many times the Markdown preview's opening. */
const OPEN_TARGET = 1.5;

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
    const left = model.containers.filter((c) => ours.has(c.initHostPid)).reduce((sum, c) => sum + c.processes.length, 0);
    await webviewBench(started.map((n) => n.initHostPid), left, row);
    return 0;
  } finally {
    await namespaces.stop();
  }
}

/** The small file whose Markdown preview is the baseline, and a phrase its preview shows. */
const MARKDOWN_FILE = 'bench-preview.md';
const MARKDOWN_SHOWN = 'The preview shows this sentence.';
/** Openings of each webview measured, taken in turns (the first of each, which loads its code, is not counted). */
const WEBVIEW_ROUNDS = 7;

/**
 * The webview's side, in code-server: from the key press in the palette to every row drawn, against VS Code's own
 * Markdown preview of a small file opened the same way in the same window (in turns, so that both see the same
 * machine); what drawing the first update took (the webview's own clock, layout excluded); and from a process's
 * end to its row gone, with the repaint's time.
 */
async function webviewBench(inits: number[], expected: number, row: (label: string, ms: number, extra?: string) => void): Promise<void> {
  const session = await WorkbenchSession.open({
    rootfsPrefix: 'mini-containers-bench-picture-', rootfsName: 'bench-rootfs', settings: (r) => ({ 'miniContainers.rootfs': r }),
    beforeStart: (server) => writeFileSync(join(server.folder, MARKDOWN_FILE), `# A small file\n\n${MARKDOWN_SHOWN}\n\n- one\n- two\n`),
  });
  try {
    const { page } = session;
    const frame = wb.webviewFrame(page);
    const rows = frame.locator('.row.process');
    await wb.openFile(page, MARKDOWN_FILE);
    const opens = { namespaces: [] as number[], markdown: [] as number[] };
    for (let round = 0; round <= WEBVIEW_ROUNDS; round++) {
      // Each opens from the Markdown file's editor, and is closed again before the other opens.
      const namespaces = await paletteToWebview(page, 'Show Namespaces', EXTENSION_ID, { rowsAtLeast: expected }, 60_000);
      if (round === 0) console.log(`first opening of the window (extension host starting): ${namespaces.toFixed(0)} ms`);
      else opens.namespaces.push(namespaces);
      await closeWebview(page, EXTENSION_ID);
      const markdown = await paletteToWebview(page, 'Markdown: Open Preview', MARKDOWN_EXTENSION_ID, { text: MARKDOWN_SHOWN });
      if (round > 0) opens.markdown.push(markdown);
      await closeWebview(page, MARKDOWN_EXTENSION_ID);
    }
    console.log(`Show Namespaces, each opening: ${opens.namespaces.map((x) => x.toFixed(0)).join(', ')} ms`);
    console.log(`Markdown preview, each opening: ${opens.markdown.map((x) => x.toFixed(0)).join(', ')} ms`);
    const [open, baseline] = [median(opens.namespaces), median(opens.markdown)];
    console.log(`${'webview: key press in the palette → every row shown'.padEnd(56)}${open.toFixed(2).padStart(8)} ms   ${expected} rows`);
    console.log(`${'baseline: Markdown: Open Preview → its text shown'.padEnd(56)}${baseline.toFixed(2).padStart(8)} ms`);
    summarize({
      group: 'namespaces picture',
      figure: 'webview: key press in the palette → every row shown',
      value: ms(open),
      baseline: `Markdown preview of a small file ${ms(baseline)}`,
      ratio: ratio(open, baseline),
      target: `≤ ${OPEN_TARGET}× Markdown preview`,
      met: Number.isFinite(open / baseline) ? open / baseline <= OPEN_TARGET : undefined,
    });

    await wb.runCommand(page, 'Show Namespaces');
    await waitForAsync('every row of our namespaces', async () => (await rows.count()) >= expected, 60_000);
    const firstPaint = Number(await frame.locator('body').getAttribute('data-first-paint-ms'));
    row('webview: drawing the first update (its own clock)', firstPaint);
    const repaints: number[] = [];
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const victim = await frame.locator(`.frame[data-key^="${inits[i]}:"] .row.process:not([data-pids$=" 1"])`).first().getAttribute('data-host-pid');
      const paints = await frame.locator('body').getAttribute('data-paints');
      const killed = Date.now();
      process.kill(Number(victim), 'SIGKILL'); // one of our sleeps, by its host PID
      await waitForAsync(`host PID ${victim}'s row to go`, async () => (await frame.locator(`.row.process[data-host-pid="${victim}"]`).count()) === 0, 20_000);
      waits.push(Date.now() - killed);
      if ((await frame.locator('body').getAttribute('data-paints')) !== paints) {
        repaints.push(Number(await frame.locator('body').getAttribute('data-last-paint-ms')));
      }
    }
    row('webview: a process ends → its row gone (poll every 2 s)', median(waits));
    row('webview: drawing an update of one frame (its own clock)', median(repaints));
  } finally {
    await session.close('picture-bench-extension.log');
  }
}

/** Closes the active editor, the webview of `extensionId` just opened, and waits until its page is gone. */
async function closeWebview(page: Page, extensionId: string): Promise<void> {
  await wb.runCommand(page, 'View: Close Editor');
  const shown = page.locator(`iframe.webview.ready:visible[src*="extensionId=${extensionId}&"]`);
  await waitForAsync(`the webview of ${extensionId} to close`, async () => (await shown.count()) === 0, 10_000);
}

async function waitForAsync(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

runScript(main, { stack: true });
