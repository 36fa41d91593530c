import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container } from '../../src/core/model/containerModel';
import { sessionFor, type SessionIdentity } from '../../src/core/model/sessionMatch';

type Seen = Pick<Container, 'initHostPid' | 'startTime' | 'name' | 'startedBy'>;
const recorded: Seen = { initHostPid: 4242, startTime: 9000, name: 'busybox-rootfs-ab12', startedBy: 'mini-containers' };

describe('sessionFor: which session of this window runs a container of the tree', () => {
  it('a session that read its status line matches its PID 1 (host PID and start time)', () => {
    const mine: SessionIdentity = { name: 'busybox-rootfs-ab12', container: { initPid: 4242, startTime: 9000 } };
    const other: SessionIdentity = { name: 'busybox-rootfs-cd34', container: { initPid: 5151, startTime: 9100 } };
    assert.equal(sessionFor(recorded, [other, mine]), mine);
  });

  it('before its status line, a session matches the container the helper recorded under its name', () => {
    // The refresh saw the helper's record (with the name) before the session read the status line.
    const starting: SessionIdentity = { name: 'busybox-rootfs-ab12' };
    assert.equal(sessionFor(recorded, [starting]), starting);
  });

  it('a session that knows its PID 1 does not match another container by name', () => {
    // Same name, another container (PID reused with another start time, or another window's): not this session's.
    const mine: SessionIdentity = { name: 'busybox-rootfs-ab12', container: { initPid: 4242, startTime: 8000 } };
    assert.equal(sessionFor(recorded, [mine]), undefined);
  });

  it('the PID 1 match wins over a name match', () => {
    const starting: SessionIdentity = { name: 'busybox-rootfs-ab12' };
    const started: SessionIdentity = { name: 'busybox-rootfs-ef56', container: { initPid: 4242, startTime: 9000 } };
    assert.equal(sessionFor(recorded, [starting, started]), started);
  });

  it('a discovered container, or one without a recorded name, never matches by name', () => {
    const starting: SessionIdentity = { name: 'busybox-rootfs-ab12' };
    assert.equal(sessionFor({ ...recorded, startedBy: 'other' }, [starting]), undefined);
    assert.equal(sessionFor({ ...recorded, name: null }, [starting]), undefined);
    assert.equal(sessionFor(recorded, [{ name: 'busybox-rootfs-ab13' }]), undefined);
  });
});
