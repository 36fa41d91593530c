// The binds of a new isolated shell, from miniContainers.mountWorkspace and miniContainers.mounts: one behaviour per test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BindPlanInput, parseMountSpec, planBinds } from '../../src/core/helper/bindPlan';

const base: BindPlanInput = {
  mountWorkspace: true, mounts: [], workspaceFolders: ['/home/u/ws', '/home/u/other'], home: '/home/u',
  delegated: false, uid: 1000, folderOwnerOf: () => 1000,
};

describe('parseMountSpec', () => {
  const cases: Array<[string, ReturnType<typeof parseMountSpec>]> = [
    ['/data', { source: '/data', readOnly: false }],
    ['/data:ro', { source: '/data', readOnly: true }],
    ['/data:/mnt/d', { source: '/data', dest: '/mnt/d', readOnly: false }],
    ['/data:/mnt/d:ro', { source: '/data', dest: '/mnt/d', readOnly: true }],
    ['~/.cache:/root/.cache', { source: '/home/u/.cache', dest: '/root/.cache', readOnly: false }],
    ['${workspaceFolder}/sub:/w', { source: '/home/u/ws/sub', dest: '/w', readOnly: false }],
  ];
  for (const [text, bind] of cases) it(`reads ${text}`, () => assert.deepEqual(parseMountSpec(text, '/home/u/ws', '/home/u'), bind));
  it('refuses what the helper would: a relative path, a DEST climbing out, ${workspaceFolder} with none open', () => {
    assert.throws(() => parseMountSpec('data', '/w', '/h'), /absolute host path/);
    assert.throws(() => parseMountSpec('/data:/a/../etc', '/w', '/h'), /"\.\."/);
    assert.throws(() => parseMountSpec('${workspaceFolder}', undefined, '/h'), /needs an open workspace folder/);
  });
});

describe('planBinds', () => {
  it('binds every workspace folder at its own path, the first the working directory, then the mounts', () => {
    const plan = planBinds({ ...base, mounts: ['/data:/mnt/d:ro'] });
    assert.deepEqual(plan.binds, [{ source: '/home/u/ws' }, { source: '/home/u/other' }, { source: '/data', dest: '/mnt/d', readOnly: true }]);
    assert.equal(plan.workdir, '/home/u/ws');
    assert.deepEqual(plan.warnings, []);
  });
  it('binds no workspace folder, and sets no workdir, when mountWorkspace is off', () => {
    assert.deepEqual(planBinds({ ...base, mountWorkspace: false }), { binds: [], workdir: undefined, warnings: [] });
  });
  it('leaves out a bad mount with a warning that names it, and keeps the rest', () => {
    const plan = planBinds({ ...base, mounts: ['relative', '/ok'] });
    assert.deepEqual(plan.binds.map((b) => b.source), ['/home/u/ws', '/home/u/other', '/ok']);
    assert.equal(plan.warnings.length, 1);
    assert.match(plan.warnings[0], /relative is left out/);
  });
  it('under sudo: every bind read-only', () => {
    const plan = planBinds({ ...base, delegated: true, mounts: ['/home/u/data:/mnt/d'] });
    assert.ok(plan.binds.every((b) => b.readOnly === true), JSON.stringify(plan.binds));
    assert.equal(plan.workdir, '/home/u/ws');
  });
  it('under sudo: a workspace under /root is left out, one warning naming it and why, no workdir', () => {
    const plan = planBinds({ ...base, delegated: true, workspaceFolders: ['/root/project'], folderOwnerOf: () => 0 });
    assert.deepEqual(plan.binds, []);
    assert.equal(plan.workdir, undefined);
    assert.equal(plan.warnings.length, 1);
    assert.match(plan.warnings[0], /^\/root\/project is not mounted: under sudo or pkexec no folder can be mounted under \/root/);
  });
  it('under sudo: a folder that is not the user\'s is left out; a file is not asked for an owner', () => {
    const plan = planBinds({ ...base, delegated: true, workspaceFolders: ['/srv/p'], mounts: ['/srv/f.txt:/mnt/f'],
      folderOwnerOf: (p) => (p === '/srv/p' ? 0 : undefined) });
    assert.deepEqual(plan.binds, [{ source: '/srv/f.txt', dest: '/mnt/f', readOnly: true }]);
    assert.match(plan.warnings[0], /\/srv\/p is not mounted: under sudo or pkexec only your own folders/);
  });
  it('under sudo: a folder inside another bound one is left out (the helper refuses nested DESTs)', () => {
    const plan = planBinds({ ...base, delegated: true, workspaceFolders: ['/home/u/ws', '/home/u/ws/sub'] });
    assert.deepEqual(plan.binds.map((b) => b.source), ['/home/u/ws']);
    assert.match(plan.warnings[0], /may not lie inside one another/);
  });
  it('not under sudo: nested folders and system places are bound as asked', () => {
    const plan = planBinds({ ...base, workspaceFolders: ['/root/p', '/root/p/sub'], folderOwnerOf: () => 0 });
    assert.deepEqual(plan.binds.map((b) => b.source), ['/root/p', '/root/p/sub']);
  });
});
