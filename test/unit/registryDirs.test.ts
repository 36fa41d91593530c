import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_REGISTRY_DIR, userRegistryDir } from '../../src/core/registry';

// The folders the helper keeps its records in (its header): root's, and a rootless user's own.
describe('registry folders', () => {
  it('root\'s records are in /run/mini-containers/containers', () => assert.equal(DEFAULT_REGISTRY_DIR, '/run/mini-containers/containers'));
  const cases: Array<[string, NodeJS.ProcessEnv, string]> = [
    ['XDG_RUNTIME_DIR when it is absolute', { XDG_RUNTIME_DIR: '/run/user/1000' }, '/run/user/1000/mini-containers/containers'],
    ['/tmp/mini-containers-UID without XDG_RUNTIME_DIR', {}, '/tmp/mini-containers-1000/containers'],
    ['/tmp/mini-containers-UID when XDG_RUNTIME_DIR is empty', { XDG_RUNTIME_DIR: '' }, '/tmp/mini-containers-1000/containers'],
    ['/tmp/mini-containers-UID when XDG_RUNTIME_DIR is relative', { XDG_RUNTIME_DIR: 'run' }, '/tmp/mini-containers-1000/containers'],
    ['/tmp/mini-containers-UID when XDG_RUNTIME_DIR has a control character', { XDG_RUNTIME_DIR: '/run/user/1000\n' }, '/tmp/mini-containers-1000/containers'],
  ];
  // The folder /run/user/1000 is user 1000's in these cases.
  const owners = (dir: string) => (dir === '/run/user/1000' ? 1000 : undefined);
  for (const [title, env, dir] of cases) it(`a rootless user's: ${title}`, () => assert.equal(userRegistryDir(env, 1000, owners), dir));
  it('a rootless user\'s: /tmp/mini-containers-UID when XDG_RUNTIME_DIR is missing or another user\'s, as the helper decides', () => {
    assert.equal(userRegistryDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, () => undefined), '/tmp/mini-containers-1000/containers');
    assert.equal(userRegistryDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, () => 0), '/tmp/mini-containers-1000/containers');
  });
});
