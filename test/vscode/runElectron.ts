// Runner for the extension-host suite in desktop VS Code through @vscode/test-electron, for contributors with
// internet access: it downloads VS Code into .vscode-test/ on first use. Offline, use `npm run test:vscode`
// (runInCodeServer.ts), which runs the same suite in code-server. `npm run test:vscode:electron` builds first.
import { runTests } from '@vscode/test-electron';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../e2e/codeServerInstall';
import { createTestRootfs } from '../e2e/rootfs';
import { runScript } from '../e2e/script';

/** The same VS Code as code-server 4.100.3 bundles, so both runners test one version. */
const VSCODE_VERSION = '1.100.3';

async function main(): Promise<number> {
  const { dir, rootfs, dispose } = await createTestRootfs('mini-containers-electron-test-', 'test-rootfs');
  try {
    const folder = join(dir, 'workspace');
    await mkdir(folder);
    return await runTests({
      version: VSCODE_VERSION,
      extensionDevelopmentPath: projectRoot,
      extensionTestsPath: join(projectRoot, 'dist', 'test', 'vscode', 'index.js'),
      extensionTestsEnv: { MINI_CONTAINERS_TEST_ROOTFS: rootfs },
      launchArgs: [
        folder,
        '--disable-extensions',
        '--disable-workspace-trust',
        `--user-data-dir=${join(dir, 'user-data')}`,
        // Electron refuses to run as root with its sandbox on; the suite needs root for real containers.
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      ],
    });
  } finally {
    await dispose();
  }
}

runScript(main);
