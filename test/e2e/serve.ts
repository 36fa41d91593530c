// The "main job": serves the packaged extension in code-server for a person to try, with a BusyBox root
// filesystem selected. `npm run serve` packages first; this script builds nothing itself.
// Port: $PORT or 8080, on 127.0.0.1 only (code-server runs with --auth none). Root filesystem: $ROOTFS, or
// .vscode-test/busybox-rootfs (made on first use). Ctrl-C stops it cleanly.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CodeServer } from './codeServer';
import { projectRoot } from './codeServerInstall';
import { killProcessesRootedIn } from './hostProcesses';
import { makeRootfs } from './rootfs';
import { runScript } from './script';

const vsix = join(projectRoot, 'dist', 'mini-containers.vsix');
/** Kept between runs (it takes a moment to build); gitignored with the rest of .vscode-test/. */
const defaultRootfs = join(projectRoot, '.vscode-test', 'busybox-rootfs');

function parsePort(text: string | undefined): number {
  if (text === undefined || text === '') return 8080;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a port number, not "${text}"`);
  return port;
}

async function main(): Promise<number> {
  const port = parsePort(process.env.PORT);
  const rootfs = process.env.ROOTFS || defaultRootfs;
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing: run \`npm run package\` (npm run serve does).`);
  if (existsSync(join(rootfs, 'bin', 'sh'))) {
    console.log(`BusyBox root filesystem: ${rootfs} (existing)`);
  } else {
    makeRootfs(rootfs);
    console.log(`BusyBox root filesystem: ${rootfs} (created)`);
  }
  const server = await CodeServer.create({ port, settings: { 'miniContainers.rootfs': rootfs } });
  try {
    await server.installExtension(vsix);
    await server.start();
    console.log(`\nMini Containers in VS Code: ${server.url}`);
    console.log('Run "Containers: Start Isolated Shell" from the command palette (F1). Ctrl-C stops the server.\n');
    const reason = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT')).once('SIGTERM', () => resolve('SIGTERM'));
      server.exited().then((how) => resolve(`code-server ended (${how})`), resolve);
    });
    console.log(`\nStopping: ${reason}`);
    return reason.startsWith('SIG') ? 0 : 1;
  } finally {
    await server.stop();
    // Closing the server should have ended every container started from it; make sure, and say so if not.
    const leftovers = killProcessesRootedIn(rootfs);
    if (leftovers.length) console.error(`killed processes still running in ${rootfs}: ${leftovers.join(', ')}`);
  }
}

runScript(main);
