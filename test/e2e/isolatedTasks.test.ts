// End to end: an isolatedShell task of a workspace's tasks.json, run as a user runs a task (palette → "Tasks: Run
// Task" → its label), in the packaged extension in code-server driven through chromium. Needs root.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { processesRootedIn } from './hostProcesses';
import { lastIndex } from './steps';
import * as wb from './workbench';
import { WorkbenchSession } from './workbenchSession';

describe('isolatedShell tasks in a real VS Code (code-server + chromium)', { timeout: 300_000 }, () => {
  let session: WorkbenchSession | undefined;
  let page: Page;
  let folder = '';
  const id = randomBytes(3).toString('hex');
  const marker = `marker-${id}.txt`;
  const ls = `mc ls ${id}`;
  const fail = `mc fail ${id}`;

  before(async () => {
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-tasks-', rootfsName: 'tasks-rootfs', settings: (r) => ({ 'miniContainers.rootfs': r }),
      // The workspace folder is code-server's own (inside its temp root, removed with it).
      beforeStart: async (server) => {
        folder = server.folder;
        await writeFile(join(folder, marker), 'only the workspace has this file\n');
        await mkdir(join(folder, '.vscode'), { recursive: true });
        await writeFile(join(folder, '.vscode', 'tasks.json'), JSON.stringify({
          version: '2.0.0',
          tasks: [
            // problemMatcher [] so that VS Code does not ask which one to scan the output with.
            { type: 'isolatedShell', label: ls, command: 'ls', problemMatcher: [] },
            { type: 'isolatedShell', label: fail, command: "sh -c 'exit 3'", problemMatcher: [] },
          ],
        }, null, 2));
      },
    });
    ({ page } = session);
  });

  after(async () => {
    await session?.close('isolated-tasks-extension.log');
  });

  /** Palette → Tasks: Run Task → the task labelled `label`; waits for its terminal to be the active one. */
  async function runTask(label: string): Promise<void> {
    const input = page.locator('.quick-input-widget input[type="text"]');
    // The first run in a fresh window waits for the task system (and our activation) before its picker shows;
    // a picker that never shows still fails after the third try.
    for (let attempt = 1; ; attempt++) {
      await wb.runCommand(page, 'Tasks: Run Task');
      try {
        await input.waitFor({ state: 'visible', timeout: 15_000 });
        break;
      } catch (error) {
        await wb.screenshot(page, `tasks-run-task-picker-missing-${attempt}`);
        if (attempt === 3) throw error;
        console.log(`the Run Task picker did not show (attempt ${attempt}): asking again`);
      }
    }
    await input.fill(label);
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ hasText: label }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
    const deadline = Date.now() + 20_000;
    while (!((await wb.activeTerminalName(page)) ?? '').includes(label)) {
      if (Date.now() > deadline) throw new Error(`no terminal for the task "${label}"; tabs: ${(await wb.terminalTabNames(page)).join(', ')}`);
      await page.waitForTimeout(50);
    }
  }

  /** The terminal's lines of the latest run of `label`, once VS Code says the task ended (the terminal is reused). */
  async function waitForEnd(label: string): Promise<string[]> {
    const run = (lines: string[]) => lines.slice(Math.max(0, lastIndex(lines, (l) => l.includes(`Executing task: ${label}`))));
    const lines = await wb.waitForTerminal(page, (l) => run(l).some((x) => /Terminal will be reused by tasks/.test(x)), `the end of "${label}"`, 30_000);
    return run(lines);
  }

  it('runs `ls` in a container with the workspace bound in: the terminal lists the workspace\'s files', async () => {
    await runTask(ls);
    const lines = await waitForEnd(ls);
    await wb.screenshot(page, 'tasks-01-ls');
    assert.ok(lines.some((l) => l.includes(marker)), `ls did not list ${marker}:\n${lines.join('\n')}`);
    assert.ok(!lines.some((l) => /^bin\s+dev\b/.test(l)),
      `ls listed the root filesystem, not the workspace:\n${lines.join('\n')}`);
    // VS Code says nothing of an exit code when the task succeeded.
    assert.ok(!lines.some((l) => /exit code/.test(l)), `a successful task reported an exit code:\n${lines.join('\n')}`);
    assert.equal(await page.locator('.part.panel .single-terminal-tab .codicon-error').count(), 0, 'the tab of a successful task shows an error');
    assert.deepEqual(processesRootedIn(session!.rootfs), [], 'the task\'s container ended with its command');
  });

  it('a failing command (sh -c \'exit 3\') is reported as failed, with exit code 3', async () => {
    await runTask(fail);
    const lines = await waitForEnd(fail);
    await wb.screenshot(page, 'tasks-02-fail');
    // VS Code's own line for a task whose pseudoterminal closed with a code other than 0 (its wording for every
    // custom execution: "failed to launch").
    assert.ok(lines.some((l) => /^\s*\*\s+The terminal process .*exit code: 3\)?\.?$/.test(l)), `VS Code did not report exit code 3:\n${lines.join('\n')}`);
    assert.ok(lines.some((l) => /\[Container \S+ exited with code 3\]/.test(l)), `the container's last line is missing:\n${lines.join('\n')}`);
    // And the terminal's tab carries the failed task's error icon, as for a failed shell task.
    await page.locator('.part.panel .single-terminal-tab .codicon-error').waitFor({ state: 'visible', timeout: 5_000 });
    assert.deepEqual(processesRootedIn(session!.rootfs), [], 'the task\'s container ended with its command');
  });
});

