import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { platformSupport, type PlatformSupport } from '../../src/core/platform';

describe('platformSupport', () => {
  const cases: Array<[string, string, string, PlatformSupport]> = [
    ['Debian 12', 'linux', '6.1.0-28-amd64', { supported: true }],
    ['WSL 2 (a real Linux kernel)', 'linux', '5.15.153.1-microsoft-standard-WSL2', { supported: true }],
    ['a Dev Container on Docker Desktop', 'linux', '6.10.14-linuxkit', { supported: true }],
    ['WSL 1 (system calls translated by Windows)', 'linux', '4.4.0-19041-Microsoft', { supported: false, reason: 'wsl1' }],
    ['macOS', 'darwin', '23.6.0', { supported: false, reason: 'notLinux' }],
    ['Windows', 'win32', '10.0.22631', { supported: false, reason: 'notLinux' }],
    ['FreeBSD', 'freebsd', '14.1-RELEASE', { supported: false, reason: 'notLinux' }],
  ];
  for (const [what, platform, release, expected] of cases) {
    it(`${what}: ${platform} ${release}`, () => assert.deepEqual(platformSupport(platform, release), expected));
  }
});
