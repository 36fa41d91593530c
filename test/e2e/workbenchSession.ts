// What every e2e suite starts from: a BusyBox rootfs, code-server with the packaged VSIX and the suite's settings,
// and Debian's chromium showing the workbench. Whatever was started is stopped again if a later step fails.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type Browser } from './browser';
import { CodeServer, type RunAs } from './codeServer';
import { projectRoot } from './codeServerInstall';
import { FRENCH, installFrenchLanguagePack } from './frenchUi';
import { createTestRootfs, type TestRootfs } from './rootfs';
import { saveExtensionLog } from './steps';
import * as wb from './workbench';

export const vsix = join(projectRoot, 'dist', 'mini-containers.vsix');

interface WorkbenchOptions {
  /** mkdtemp prefix of the folder that holds the rootfs, and the rootfs folder's name (it names the containers). */
  readonly rootfsPrefix: string;
  readonly rootfsName: string;
  /** User settings, given the rootfs path. */
  readonly settings: (rootfs: string) => Record<string, unknown>;
  /** Runs code-server (and so the extension host and its terminals) as this user. */
  readonly user?: RunAs;
  /** After the rootfs exists, before code-server is set up. */
  readonly prepare?: (rootfs: TestRootfs) => Promise<void> | void;
  /** The UI in French (./frenchUi.ts): a French language pack and `--locale fr`. Default: English. */
  readonly french?: boolean;
  /** Node options of code-server and its extension hosts. */
  readonly nodeArgs?: readonly string[];
  /** After the VSIX is installed, before code-server starts. */
  readonly beforeStart?: (server: CodeServer) => Promise<void> | void;
  /** Extra environment for code-server and its extension hosts (e.g. DOCKER_HOST of a test daemon). */
  readonly env?: NodeJS.ProcessEnv;
}

export class WorkbenchSession {
  private constructor(
    readonly testRootfs: TestRootfs,
    readonly server: CodeServer,
    readonly browser: Browser,
  ) {}

  get rootfs(): string {
    return this.testRootfs.rootfs;
  }

  get page(): Page {
    return this.browser.page;
  }

  static async open(options: WorkbenchOptions): Promise<WorkbenchSession> {
    assert.ok(existsSync(vsix), `${vsix} is missing: run \`npm run package\` (npm run test:e2e does it first)`);
    const testRootfs = await createTestRootfs(options.rootfsPrefix, options.rootfsName);
    let server: CodeServer | undefined;
    let browser: Browser | undefined;
    try {
      await options.prepare?.(testRootfs);
      server = await CodeServer.create({
        user: options.user,
        settings: options.settings(testRootfs.rootfs),
        locale: options.french ? FRENCH : undefined,
        nodeArgs: options.nodeArgs,
        env: options.env,
      });
      await server.installExtension(vsix);
      if (options.french) await installFrenchLanguagePack(server);
      await options.beforeStart?.(server);
      await server.start();
      browser = await launchChromium();
      await browser.page.goto(server.workbenchUrl());
      await wb.waitForWorkbench(browser.page);
      return new WorkbenchSession(testRootfs, server, browser);
    } catch (error) {
      await browser?.close();
      await server?.stop();
      await testRootfs.dispose();
      throw error;
    }
  }

  /**
   * Keeps the extension's log as test-output/e2e/`logName`, closes the browser, stops code-server (its extension
   * host ends, and with it the terminals' containers), runs `beforeRemovingRootfs`, then removes the rootfs, which
   * kills and reports anything still running in it.
   */
  async close(logName: string, beforeRemovingRootfs?: () => Promise<void> | void): Promise<void> {
    saveExtensionLog(this.server.root, logName);
    await this.browser.close();
    await this.server.stop();
    try {
      await beforeRemovingRootfs?.();
    } finally {
      await this.testRootfs.dispose();
    }
  }
}
