// Debian's chromium driven by playwright-core, with a fresh profile that is removed on close.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { onInterrupt } from './cleanup';
import { isRunning } from './hostProcesses';

export const CHROMIUM = '/usr/bin/chromium';

/** No network beyond the page itself, no first-run UI, no GPU (there is none). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const profile = await mkdtemp(join(tmpdir(), 'mini-containers-chromium-'));
  const unregister = onInterrupt(() => {
    killChromiumUsing(profile);
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      // Chromium's crash reporter keeps its database under ~/.config/chromium whatever --user-data-dir says.
      env: { ...process.env, XDG_CONFIG_HOME: join(profile, 'xdg-config'), XDG_CACHE_HOME: join(profile, 'xdg-cache') },
      headless: true,
      viewport: { width: 1280, height: 800 },
    });
  } catch (err) {
    unregister();
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  let closed = false;
  return {
    context,
    page,
    async close() {
      if (closed) return;
      closed = true;
      // Closing the context ends the browser process that playwright started for it.
      await context.close().catch((err: unknown) => console.error(`[chromium] close failed: ${String(err)}`));
      await rm(profile, { recursive: true, force: true });
      unregister();
    },
  };
}

/**
 * SIGKILLs, by PID, the chromium processes started with our (unique, temporary) profile folder, and waits up to
 * 2 s for them to be gone, so that none writes into the profile while it is removed. Synchronous.
 */
function killChromiumUsing(profile: string): void {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Chromium's child processes rewrite their command line as one space-separated string.
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split(/[\0 ]/);
      if (!args.includes(`--user-data-dir=${profile}`)) continue;
      process.kill(Number(entry), 'SIGKILL');
      pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const deadline = Date.now() + 2000;
  const tick = new Int32Array(new SharedArrayBuffer(4));
  while (pids.some(isRunning)) {
    if (Date.now() > deadline) break;
    Atomics.wait(tick, 0, 0, 20);
  }
}
