// End to end, with the UI in French (./frenchUi.ts, FRENCH.md): the walkthrough of walkthrough.test.ts, its steps
// clicked in the same order by their French buttons. The page shows the French title and step titles of
// package.nls.fr.json and each step's French media (`<step>.nls.fr.md`, the French picture); the isolated shell
// it opens starts with the French banner; each step is checked when its event happens. Needs root.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { projectRoot } from './codeServerInstall';
import { extensionHostLanguages, FRENCH } from './frenchUi';
import { isRunning, processesRootedIn } from './hostProcesses';
import * as wb from './workbench';
import {
  childrenOf, cmdline, containersViewSettings, lastIndex, lastPsTable, stat, waitForTerminatedSleep, waitUntil,
} from './steps';
import { WorkbenchSession } from './workbenchSession';
import { containerNamePattern, waitFor } from '../vscode/hostState';

const readJson = (file: string) => JSON.parse(readFileSync(join(projectRoot, file), 'utf8')) as Record<string, string>;
const nlsEnglish = readJson('package.nls.json');
const nlsFrench = readJson('package.nls.fr.json');
const bundle = readJson(join('media', 'l10n', 'bundle.l10n.fr.json'));

/** The French of a package.json %key%; fails when it is missing or still the English. */
function frenchNls(key: string): string {
  assert.ok(nlsFrench[key] && nlsFrench[key] !== nlsEnglish[key], `package.nls.fr.json has no French for ${key}`);
  return nlsFrench[key];
}

/** The French of an English runtime message, from the bundle, with {0}, {1}… filled in. */
function french(english: string, ...args: string[]): string {
  const text = bundle[english];
  assert.ok(text && text !== english, `the French bundle has no French for "${english}"`);
  return text.replace(/\{(\d+)\}/g, (_, i: string) => args[Number(i)] ?? `{${i}}`);
}

const KEY = 'walkthrough.processIsolation';
const STEPS = ['rootfs', 'shell', 'ps', 'kill', 'picture', 'hostKill'] as const;
type StepId = (typeof STEPS)[number];

/** The label of the button that the French description of a step makes of its link to `command`. */
function frenchButton(id: StepId, command: string): string {
  const link = [...frenchNls(`${KEY}.${id}.description`).matchAll(/\[([^\]]+)\]\(command:([^)]+)\)/g)].find((m) => m[2] === command);
  assert.ok(link, `the French description of step ${id} has no button for ${command}`);
  return link[1];
}

interface ManifestStep { id: string; media: { markdown?: string; image?: string; altText?: string } }
const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
  contributes: { walkthroughs: { id: string; steps: ManifestStep[] }[] };
};
const manifestSteps = manifest.contributes.walkthroughs.find((w) => w.id === 'processIsolation')?.steps ?? [];

/**
 * The first heading of a step's markdown media: `<name>.md` in English and, in French, the `<name>.nls.fr.md`
 * beside it, which VS Code's walkthrough page reads instead when the UI language is `fr`.
 */
function mediaHeading(id: StepId, language: 'en' | 'fr'): string {
  const markdown = manifestSteps.find((s) => s.id === id)?.media.markdown;
  if (!markdown?.endsWith('.md')) assert.fail(`step ${id} has no markdown media in package.json`);
  const file = language === 'fr' ? markdown.replace(/\.md$/, '.nls.fr.md') : markdown;
  const heading = /^# (.+)$/m.exec(readFileSync(join(projectRoot, file), 'utf8'))?.[1];
  assert.ok(heading, `${file} has no heading`);
  return heading;
}

/** A step of the walkthrough page, by the id it has in package.json. */
const step = (page: Page, id: StepId) => page.locator(`.gettingStartedContainer button.getting-started-step[data-step-id$="#${id}"]`);

/** The markdown of the selected step: VS Code renders it in a webview of its own (no extension's) beside the steps. */
const markdownMedia = (page: Page) =>
  page.frameLocator('.gettingStartedContainer .getting-started-media iframe.webview.ready').frameLocator('iframe#active-frame');

/**
 * Selects a step and waits until the media beside the steps is its French one: for markdown, the heading of the
 * French file (and not the English file's); for the picture, the French SVG, loaded, with the French alt text.
 */
async function selectStepAndCheckMedia(page: Page, id: StepId): Promise<void> {
  await step(page, id).click();
  if (id === 'picture') {
    const image = page.locator('.gettingStartedContainer .getting-started-media img');
    await image.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await image.getAttribute('alt'), frenchNls(`${KEY}.picture.altText`));
    // Loaded, not a broken image (the French SVG is in the VSIX), and the one the French nls names.
    const loaded = (element: unknown) => {
      const img = element as { complete: boolean; naturalWidth: number; currentSrc: string };
      return img.complete && img.naturalWidth > 0 && img.currentSrc;
    };
    const src = String(await (await page.waitForFunction(loaded, await image.elementHandle(), { timeout: 10_000 })).jsonValue());
    // package.json names the picture by a %key%: VS Code localises no image itself, but fills in every %key%.
    assert.equal(manifestSteps.find((s) => s.id === 'picture')?.media.image, `%${KEY}.picture.media%`);
    const file = frenchNls(`${KEY}.picture.media`).replace(/^.*\//, '');
    assert.ok(decodeURIComponent(src).includes(`/${file}`), `the picture is not ${file}: ${src}`);
    return;
  }
  const expected = mediaHeading(id, 'fr');
  assert.notEqual(expected, mediaHeading(id, 'en'), `the French media of step ${id} has the English heading`);
  const heading = markdownMedia(page).locator('h1', { hasText: expected });
  await heading.waitFor({ state: 'visible', timeout: 10_000 });
}

/** Selects the step, checks its French media, then clicks the French button its link to `command` became. */
async function clickStepButton(page: Page, id: StepId, command: string): Promise<void> {
  await selectStepAndCheckMedia(page, id);
  const label = frenchButton(id, command);
  const button = step(page, id).locator('.step-description-container .button-container button, .step-description-container a', { hasText: label });
  await button.first().waitFor({ state: 'visible', timeout: 5000 });
  await button.first().click();
}

/** Waits until the page shows the step as done: its check icon, a checked checkbox for screen readers. */
async function waitForDone(page: Page, id: StepId, timeoutMs = 10_000): Promise<void> {
  const check = step(page, id).locator('.codicon.complete[role="checkbox"][aria-checked="true"]');
  await check.waitFor({ state: 'attached', timeout: timeoutMs });
  assert.equal(await step(page, id).getAttribute('aria-checked'), 'true');
}

/** A pattern that matches `text` and nothing more. */
const escapeRegExp = (text: string) => text.replace(/[.*+?^$()|[\]{}\\]/g, '\\$&');
const exactly = (text: string) => new RegExp(`^${escapeRegExp(text)}$`);

/** Whitespace is where a long line wraps in the terminal, and trailing blanks of a row are cut. */
const squeeze = (text: string) => text.replace(/\s+/g, '');

describe('The walkthrough "Process isolation, step by step" with the UI in French (code-server + chromium)', { timeout: 300_000 }, () => {
  let session: WorkbenchSession | undefined;
  let page: Page;
  let rootfs = '';
  let initPid = 0;

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'this suite runs as root (VS Code as root: the banner of a container run as root)');
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-walkfr-',
      rootfsName: 'walkfr-rootfs',
      // A fresh install opens its walkthrough unless this is off (the other suites turn it off).
      settings: (r) => ({ ...containersViewSettings(r), 'workbench.welcomePage.walkthroughs.openOnInstall': true }),
      french: true,
    });
    ({ rootfs, page } = session);
  });

  afterEach(async (t) => {
    if ((t as { passed?: boolean }).passed !== false || !page) return;
    await wb.screenshot(page, `fr-walkthrough-failed-${t.name.slice(0, 40).replace(/[^A-Za-z0-9]+/g, '-')}`).catch(() => undefined);
  });

  after(async () => {
    await session?.close('walkthrough-fr-extension.log');
  });

  it('opens by itself in French on first use (the Containers view shown): the French title and step titles, and the root filesystem step is done', async () => {
    const server = session!.server;
    await waitFor('an extension host started in French', () => extensionHostLanguages(server).includes(FRENCH), 30_000, 100);
    await wb.openSideBarView(page, frenchNls('viewsContainers.miniContainers.title'));
    const title = page.locator('.gettingStartedContainer .getting-started-category .category-title, .gettingStartedContainer h2', {
      hasText: frenchNls(`${KEY}.title`),
    });
    await title.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await page.locator('.gettingStartedContainer', { hasText: nlsEnglish[`${KEY}.title`] }).count(), 0, 'the English title shows too');
    for (const id of STEPS) {
      const shown = (await step(page, id).locator('.step-title').innerText()).trim();
      assert.equal(shown, frenchNls(`${KEY}.${id}.title`), `the title of step ${id}`);
    }
    for (const id of STEPS.slice(1)) {
      assert.equal(await step(page, id).getAttribute('aria-checked'), 'false', `step ${id} is not done before it is done`);
    }
    await waitForDone(page, 'rootfs');
    await selectStepAndCheckMedia(page, 'rootfs');
    await wb.screenshot(page, 'fr-walkthrough-01-ouvert');
  });

  it('"Lancer un shell isolé" opens a shell that is PID 1 and starts with the French banner, and checks the step', async () => {
    await clickStepButton(page, 'shell', 'miniContainers.startIsolatedShell');
    await wb.waitForPromptInNewTerminal(page, [], containerNamePattern(rootfs));
    const inits = processesRootedIn(rootfs).filter((p) => p.nsPids.length === 2 && p.nsPids[1] === 1);
    assert.equal(inits.length, 1, `expected one PID 1 in ${rootfs}`);
    initPid = inits[0].pid;
    // VS Code runs as root (checked above), so the container runs as root, directly, and its banner says why.
    const banner = french('Mini Containers: container run as root, without a user namespace ({0}).', french('VS Code runs as root'));
    const lines = (await wb.terminalLines(page)).filter(Boolean);
    const prompt = lines.findIndex((l) => /[#$] ?$/.test(l));
    assert.ok(squeeze(lines.slice(0, prompt).join('')).startsWith(squeeze(banner)), `the terminal does not start with "${banner}":\n${lines.join('\n')}`);
    await waitForDone(page, 'shell');
    await wb.screenshot(page, 'fr-walkthrough-02-banniere');
  });

  it('"Taper ps aux" types it into the shell, which lists itself as PID 1, and checks the step', async () => {
    await clickStepButton(page, 'ps', 'miniContainers.walkthrough.typePs');
    const lines = await wb.waitForTerminal(page, (l) => l.some((x) => /^\s*PID\s+USER/.test(x)) && wb.endsWithPrompt(l), 'the ps table');
    assert.ok(lines.some((l) => /# ps aux$/.test(l)), `the shell shows the typed command:\n${lines.join('\n')}`);
    assert.match(lastPsTable(lines).find((r) => r.pid === 1)?.command ?? '', /^(\/bin\/)?-?sh\b/);
    await waitForDone(page, 'ps');
  });

  it('"Taper kill <un PID de l\'hôte>" types a host PID; the shell answers "No such process", and the step is checked', async () => {
    await clickStepButton(page, 'kill', 'miniContainers.walkthrough.typeKill');
    const lines = await wb.waitForTerminal(page, (l) => l.some((x) => /No such process/.test(x)) && wb.endsWithPrompt(l), '"No such process"');
    const pid = Number(/kill (\d+)$/.exec(lines[lastIndex(lines, (l) => /# kill \d+$/.test(l))] ?? '')?.[1]);
    assert.ok(pid > 1, `no "kill <PID>" in the terminal:\n${lines.join('\n')}`);
    assert.ok(isRunning(pid), `host PID ${pid} runs on the host`);
    await waitForDone(page, 'kill');
  });

  it('"Afficher les espaces de noms" opens the picture with the shell as PID 1 joined to its host PID, and checks the step', async () => {
    await clickStepButton(page, 'picture', 'miniContainers.showNamespaces');
    await wb.webviewFrame(page).locator(`.row.process[data-pids="${initPid} 1"]`).waitFor({ state: 'visible', timeout: 10_000 });
    await waitForDone(page, 'picture');
    await wb.screenshot(page, 'fr-walkthrough-03-image');
  });

  it('"Taper sleep 1000 &", then "Tuer (SIGTERM)" from the picture, ends the sleep from the host and checks the last step', async () => {
    await clickStepButton(page, 'hostKill', 'miniContainers.walkthrough.typeSleep');
    const sleeper = await waitFor('the sleep in the shell', () => childrenOf(initPid).find((pid) => cmdline(pid).join(' ') === 'sleep 1000'));
    const startTime = stat(sleeper)?.startTime;
    const frame = wb.webviewFrame(page);
    const row = frame.locator(`.row.process[data-host-pid="${sleeper}"]`);
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click({ button: 'right' });
    await frame.locator('#menu [role="menuitem"]', { hasText: exactly(french('Kill (SIGTERM)')) }).click();
    await waitUntil(`host PID ${sleeper} to end`, () => !isRunning(sleeper) || stat(sleeper)?.startTime !== startTime, 5000);
    await waitForDone(page, 'hostKill');
    await waitForTerminatedSleep(page);
    for (const id of STEPS) assert.equal(await step(page, id).getAttribute('aria-checked'), 'true', `step ${id} shows as done`);
    await wb.screenshot(page, 'fr-walkthrough-04-fini');
  });
});
