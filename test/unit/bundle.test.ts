import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

// The extension bundle that `node esbuild.mjs` (run by `npm run test:unit` first) writes beside dist/test/unit.
const bundle = path.resolve(__dirname, '../../extension.js');

describe('the extension bundle loads each external module once', () => {
  it('requires vscode and each node: module in one place, so activation copies their exports once (esbuild.mjs)', () => {
    const text = fs.readFileSync(bundle, 'utf8');
    const counts = new Map<string, number>();
    for (const [, name] of text.matchAll(/\brequire\("((?:node:[a-z_/]+)|vscode)"\)/g)) counts.set(name, (counts.get(name) ?? 0) + 1);
    assert.ok(counts.get('vscode'), `${bundle} does not require vscode`);
    assert.deepEqual([...counts].filter(([, n]) => n > 1), [], 'required more than once');
    assert.doesNotMatch(text, /__toESM\(require\("(?:node:[a-z_/]+|vscode)"\)\)/, 'an external module wrapped per importing file');
  });
});

describe('the extension activates only when used', () => {
  it('has no start-up activation event: a window that never uses it never loads it', () => {
    const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { activationEvents?: string[] };
    const events = manifest.activationEvents ?? [];
    assert.deepEqual(events.filter((e) => e === '*' || e === 'onStartupFinished' || e.startsWith('workspaceContains:')), []);
    // What does activate it, besides the commands and the walkthrough VS Code derives events from.
    assert.ok(events.includes('onView:miniContainers.containers'), events.join(', '));
    assert.ok(events.includes('onTerminalProfile:miniContainers.isolatedShell'), events.join(', '));
  });
});
