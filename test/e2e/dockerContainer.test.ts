// End to end: a Docker container in the Containers view of the packaged extension, in a real VS Code (code-server)
// whose environment has DOCKER_HOST naming a daemon of the test's own (../integration/dockerDaemon.ts). The view
// lists it under its engine's name, with the engine and its image in the description, as the user's own `docker
// ps` would name it. Needs root and Debian's docker.io. `npm run package && node esbuild.mjs && node --test
// dist/test/e2e/dockerContainer.test.js`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import * as wb from './workbench';
import { containersViewSettings, render, widenSideBar } from './steps';
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
    await page.locator('.part.sidebar .composite.title [aria-label="Refresh Containers"]').click();
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
});
