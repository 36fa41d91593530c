// End to end: a Docker container in the Containers view of the packaged extension, in a real VS Code (code-server)
// whose environment has DOCKER_HOST naming a daemon of the test's own (../integration/dockerDaemon.ts). The view
// lists it under its engine's name, with the engine and its image in the description, as the user's own `docker
// ps` would name it; Open Shell in Container runs `docker exec -it` in it. Needs root and Debian's docker.io. `npm run package && node esbuild.mjs && node --test
// dist/test/e2e/dockerContainer.test.js`.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import * as wb from './workbench';
import { containersViewSettings, focusActiveTerminal, POLL_WAIT_MS, render, rowsOf, runInTerminal, waitUntil, widenSideBar } from './steps';
import { isRunning } from './hostProcesses';
import { WorkbenchSession } from './workbenchSession';
import { dockerSkipReason, startTestDocker, type TestDocker } from '../integration/dockerDaemon';

describe('A Docker container in the Containers view (code-server + chromium)', { timeout: 180_000, skip: dockerSkipReason() }, () => {
  let docker: TestDocker | undefined;
  let session: WorkbenchSession | undefined;
  let page: Page;
  const name = `mc-test-e2e-${process.pid}`;
  let id = '';

  before(async () => {
    docker = await startTestDocker();
    id = await docker.runSleeper(name);
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-docker-',
      rootfsName: 'docker-rootfs',
      settings: containersViewSettings,
      env: { DOCKER_HOST: docker.host },
    });
    page = session.page;
  });

  after(async () => {
    try {
      await session?.close('docker-container-extension.log');
    } finally {
      const ms = await docker?.stop();
      console.log(`the test's Docker daemon, image and container removed in ${ms} ms`);
    }
  });

  it('lists it by its Docker name, with "Docker · IMAGE" in its description', async () => {
    await wb.openSideBarView(page, 'Containers');
    await widenSideBar(page, 720);
    await wb.clickViewTitleAction(page, 'Refresh Containers');
    const image = docker!.image;
    // The name comes from `docker inspect`, a moment after the scan that found the container: wait for it.
    const rows = await wb.waitForSideBarTree(page, (r) => r.some((row) => row.level === 1 && row.label === name),
      `a top-level row labelled ${name}`, 20_000).catch((e: Error) => assert.fail(e.message));
    const row = rows.find((r) => r.level === 1 && r.label === name)!;
    assert.match(row.description, new RegExp(`^Docker · ${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} · PID 1 = host PID \\d+`),
      `its row: ${render([row])}`);
    // Not also listed by its id or as an anonymous container.
    assert.equal(rows.filter((r) => r.label === id.slice(0, 12)).length, 0, render(rows));
  });

  it('opens "<name> (2)" on it through `docker exec -it`: a shell of the container, shown under it, ended alone', async () => {
    const init = Number((await docker!.docker('inspect', '--format', '{{.State.Pid}}', id)).trim());
    assert.ok(init > 1, `the container's PID 1 on the host: ${init}`);
    const known = await wb.terminalTabNames(page);
    await wb.clickTreeRowAction(page, name, /^Docker · /, 'Open Shell in Container');
    const execName = await wb.waitForPromptInNewTerminal(page, known, new RegExp(`^${name} \\(\\d+\\)$`));
    assert.equal(execName, `${name} (2)`);
    await focusActiveTerminal(page);
    const lines = await runInTerminal(page, 'echo "in=$(hostname) pid=$$"', (l) => l.some((x) => /in=\S+ pid=\d+/.test(x)));
    const [, hostname, inner] = /in=(\S+) pid=(\d+)/.exec(lines.find((x) => /in=\S+ pid=\d+/.test(x))!)!;
    // Docker names a container's host after its id; the shell is a new process of its PID namespace, not its PID 1.
    assert.equal(hostname, id.slice(0, 12));
    const innerPid = Number(inner);
    assert.notEqual(innerPid, 1);

    // From the host: the process of the container's PID namespace whose PID there is the shell's.
    const pidNamespace = fs.readlinkSync(`/proc/${init}/ns/pid`);
    const hostPids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
      try {
        if (fs.readlinkSync(`/proc/${pid}/ns/pid`) !== pidNamespace) return false;
        const nsPid = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1].trim().split(/\s+/).map(Number);
        return nsPid?.[nsPid.length - 1] === innerPid;
      } catch {
        return false;
      }
    });
    assert.equal(hostPids.length, 1, `the exec'd shell seen from the host: ${JSON.stringify(hostPids)}`);
    const hostPid = hostPids[0];
    // A container found on the machine shows collapsed: open it, as the user would.
    const containerRow = await wb.sideBarTreeRow(page, name, /^Docker · /);
    if ((await containerRow.getAttribute('aria-expanded')) !== 'true') await containerRow.locator('.monaco-tl-twistie').click();
    const rows = await wb.waitForSideBarTree(page, (r) => rowsOf(r, name).some((x) => x.description.startsWith(`PID ${innerPid} · host ${hostPid} `)),
      'the exec\'d shell under its Docker container', POLL_WAIT_MS);
    await wb.screenshot(page, 'docker-open-shell-tree');
    assert.ok(rowsOf(rows, name).some((x) => x.description.startsWith(`PID ${innerPid} · host ${hostPid} `)), render(rows));

    await wb.runCommand(page, 'Kill the Active Terminal Instance');
    await waitUntil(`the exec'd shell (host PID ${hostPid}) to end`, () => !isRunning(hostPid), 10_000);
    assert.ok(isRunning(init), 'the container\'s PID 1 still runs');
  });
});
