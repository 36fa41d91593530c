import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ControlChannel } from '../../src/shells/controlChannel';
import type { KillTarget } from '../../src/core/helper/helperProtocol';

/**
 * A FIFO, removed after the test, with its read end open as the helper keeps it (`open()` opens it when the test
 * says so, as a helper that starts reading late; `make()` makes it, as the helper's server does a moment after the
 * container started).
 */
function fifo(
  t: { after: (fn: () => void) => void }, readNow = true, makeNow = true,
): { path: string; lines: () => string; open: () => void; make: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mini-containers-fifo-'));
  const file = path.join(dir, 'control.fifo');
  const make = () => assert.equal(spawnSync('mkfifo', ['-m', '600', file]).status, 0, 'mkfifo failed');
  if (makeNow) make();
  let reader = -1;
  const open = () => (reader = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  if (readNow) open();
  t.after(() => {
    if (reader >= 0) fs.closeSync(reader);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const lines = () => {
    const buffer = Buffer.alloc(4096);
    try {
      return buffer.toString('utf8', 0, fs.readSync(reader, buffer));
    } catch {
      return ''; // EAGAIN: nothing written (or no reader yet)
    }
  };
  return { path: file, lines, open, make };
}

const init = { initPid: 4000, initStartTime: 900 };
const toInit: KillTarget = { ...init, pid: 4000, startTime: 900, signal: 'KILL' };
const toChild: KillTarget = { ...init, pid: 4010, startTime: 950, signal: 'TERM' };

/** Resolves once the request line reached the FIFO. */
async function sent(lines: () => string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = lines();
    if (text) return text;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no request written to the FIFO');
}

describe('ControlChannel', () => {
  it('writes one kill request line and settles with the answer of the same id', async (t) => {
    const { path: file, lines } = fifo(t);
    const channel = new ControlChannel(file);
    const done = channel.send(toChild);
    assert.equal(await sent(lines), 'kill 1 4000 900 4010 950 TERM\n');
    channel.answer({ event: 'signal', id: 1, ok: true });
    await done;
    const refused = channel.send(toChild);
    await sent(lines);
    channel.answer({ event: 'signal', id: 2, ok: false, error: 'process 4010 is not in container 4000' });
    await assert.rejects(refused, /not in container 4000/);
  });

  it('waits for a helper that does not read its FIFO yet (right after the container started)', async (t) => {
    const { path: file, lines, open } = fifo(t, false);
    const channel = new ControlChannel(file);
    const done = channel.send(toChild);
    await new Promise((r) => setTimeout(r, 200));
    open();
    assert.equal(await sent(lines), 'kill 1 4000 900 4010 950 TERM\n');
    channel.answer({ event: 'signal', id: 1, ok: true });
    await done;
  });

  it('waits for the FIFO itself, which the helper makes beside the container\'s start, and never creates it', async (t) => {
    const { path: file, lines, open, make } = fifo(t, false, false);
    const channel = new ControlChannel(file);
    const done = channel.send(toChild);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(fs.existsSync(file), false, 'the channel made nothing in its place');
    make();
    open();
    assert.equal(await sent(lines), 'kill 1 4000 900 4010 950 TERM\n');
    channel.answer({ event: 'signal', id: 1, ok: true });
    await done;
  });

  it('stops waiting for a reader when the container ends', async (t) => {
    const { path: file } = fifo(t, false);
    const channel = new ControlChannel(file);
    const request = channel.send(toChild);
    await new Promise((r) => setTimeout(r, 100));
    channel.close();
    await assert.rejects(request, /container ended before the helper answered/);
  });

  it('when the container ends first, a request to another process fails: it may not have been signalled', async (t) => {
    const { path: file, lines } = fifo(t);
    const channel = new ControlChannel(file);
    const request = channel.send(toChild);
    await sent(lines);
    channel.close();
    await assert.rejects(request, /container ended before the helper answered/);
  });

  it("when the container ends first, a request to its PID 1 is done: Stop and Kill Container ended it", async (t) => {
    // The helper may be killed with its container before it writes the answer: that is no error to show.
    const { path: file, lines } = fifo(t);
    const channel = new ControlChannel(file);
    const request = channel.send(toInit);
    await sent(lines);
    channel.close();
    await request;
  });
});
