// Offline runner for the extension-host suite: code-server (a real VS Code) loads this project as a development
// extension and dist/test/vscode/index.js as its tests, through the web workbench's `payload` URL parameter (as
// @vscode/test-web does); chromium drives the page. Exits with the suite's code.
// `npm run test:vscode` builds first. Needs root (the suite starts real containers).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { launchChromium, type Browser } from '../e2e/browser';
import { CodeServer } from '../e2e/codeServer';
import { projectRoot } from '../e2e/codeServerInstall';
import { createTestRootfs } from '../e2e/rootfs';
import { runScript } from '../e2e/script';

const SUITE_TIMEOUT_MS = 180_000;
const testsEntry = join(projectRoot, 'dist', 'test', 'vscode', 'index.js');

async function main(): Promise<number> {
  for (const built of [join(projectRoot, 'dist', 'extension.js'), testsEntry]) {
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`node esbuild.mjs\` (npm run test:vscode does)`);
  }
  const started = Date.now();
  const { rootfs, dispose } = await createTestRootfs('mini-containers-vscode-test-', 'test-rootfs');
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await CodeServer.create({ env: { MINI_CONTAINERS_TEST_ROOTFS: rootfs } });
    await server.start();
    browser = await launchChromium();
    const { page } = browser;
    let exit: (code: number) => void = () => undefined;
    const exitCode = new Promise<number>((resolve) => (exit = resolve));
    // Ctrl-C still stops the server and the browser, through the `finally` below.
    const interrupted = () => exit(130);
    process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
    // Both must exist before the workbench loads: it calls them with the suite's output and its result.
    await page.exposeFunction('codeAutomationExit', (code: number) => exit(code));
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const print = type === 'error' || type === 'warn' ? console.error : console.log;
      print(...args);
    });
    const remote = (path: string) => `vscode-remote://127.0.0.1:${server?.port}${path}`;
    const payload = [
      ['extensionDevelopmentPath', remote(projectRoot)],
      ['extensionTestsPath', remote(testsEntry)],
    ];
    await page.goto(server.workbenchUrl({ payload: JSON.stringify(payload) }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        console.error(`the extension-host suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s`);
        resolve(1);
      }, SUITE_TIMEOUT_MS);
    });
    const code = await Promise.race([exitCode, timeout]);
    clearTimeout(timer);
    if (code !== 0) {
      const shot = join(projectRoot, 'test-output', 'vscode', 'failure.png');
      await mkdir(join(projectRoot, 'test-output', 'vscode'), { recursive: true });
      await page.screenshot({ path: shot }).catch(() => undefined);
      console.error(`screenshot: ${shot}\n--- code-server log (last lines):\n${server.logTail(40)}`);
    }
    console.log(`extension-host suite ${code === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s`);
    return code;
  } finally {
    await browser?.close();
    await server?.stop();
    await dispose();
  }
}

runScript(main);
