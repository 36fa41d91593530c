import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { checkProject, isWordy, scanSource, type Problem } from '../l10n/l10nCheck';

/** test/unit/fixtures/l10n, from dist/test/unit/*.js or test/unit/*.ts. */
function fixture(name: string): string {
  for (const dir of [path.resolve(__dirname, '../../../test/unit/fixtures/l10n'), path.resolve(__dirname, 'fixtures/l10n')]) {
    if (fs.existsSync(path.join(dir, name, 'package.json'))) return path.join(dir, name);
  }
  throw new Error(`fixture ${name} not found from ${__dirname}`);
}

const lines = (problems: Problem[]) => problems.map((p) => `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);

describe('l10n check', () => {
  it('passes a clean fixture: %keys% in both languages, messages in the French bundle, logs and icons left alone', () => {
    assert.deepEqual(lines(checkProject(fixture('clean'))), []);
  });

  it('finds the missing French: a %key% of package.json, a key in one nls file only, a message, a lost {0}', () => {
    const found = lines(checkProject(fixture('missing-french')));
    assert.deepEqual(found.sort(), [
      'l10n/bundle.l10n.fr.json: "Hello, {0}!": the French does not use the same {0}, {1}… as the English',
      'package.json: contributes.commands[1].title: "%command.wave.title%" is missing from package.nls.fr.json',
      'package.nls.fr.json: "command.bow.title" is missing from package.nls.json',
      'package.nls.json: "command.wave.title" is missing from package.nls.fr.json',
      'src/feature.ts:6: "Goodbye" has no French in l10n/bundle.l10n.fr.json',
    ]);
  });

  it('finds each raw string: a manifest title, a webview text, a tree item label and tooltip, a message, quick pick items, a terminal name, an error', () => {
    const found = lines(checkProject(fixture('raw-string')));
    assert.deepEqual(found, [
      'package.json: contributes.commands[0].title: "Greet" is shown to the user but is not a %key% of package.nls.json',
      'src/feature.ts:6: TreeItem label: "Greeting for …" is shown to the user without vscode.l10n.t',
      'src/feature.ts:7: .tooltip =: "Says hello" is shown to the user without vscode.l10n.t',
      'src/feature.ts:12: showInformationMessage(): "Hello, …!" is shown to the user without vscode.l10n.t',
      'src/feature.ts:13: showQuickPick() label: "Wave" is shown to the user without vscode.l10n.t',
      'src/feature.ts:13: showQuickPick() description: "with the hand" is shown to the user without vscode.l10n.t',
      'src/feature.ts:14: createTerminal() name: "Greeter" is shown to the user without vscode.l10n.t',
      'src/feature.ts:15: the message given to l10n.t / t must be one string literal (the key of the French bundle)',
      'src/feature.ts:16: new Error(): "Nobody to greet" is shown to the user without vscode.l10n.t',
      'media/view.js:2: .textContent =: "Processes" is shown to the user without vscode.l10n.t',
    ]);
  });
});

describe('scanSource', () => {
  it('collects the messages of l10n.t, vscode.l10n.t, t and this.t, joining literals split with +', () => {
    const text = [
      "import * as vscode from 'vscode';",
      "import { l10n } from 'vscode';",
      "vscode.l10n.t('One {0}', 1); l10n.t('Two'); t('Three ' + 'parts');",
      "class C { t = (m: string) => m; f() { return this.t('Four'); } }",
    ].join('\n');
    assert.deepEqual(scanSource('a.ts', text).messages.map((m) => m.message), ['One {0}', 'Two', 'Three parts', 'Four']);
  });
  it('leaves the other literals of pure code alone (its caller shows what it returns), and lines marked l10n-ignore', () => {
    assert.deepEqual(scanSource('core.ts', "throw new Error('internal: bad state');", { pure: true }).problems, []);
    assert.equal(scanSource('layer.ts', "throw new Error('internal: bad state');").problems.length, 1);
    const marked = "import * as vscode from 'vscode';\n// l10n-ignore: a product name\nvscode.window.createTerminal({ name: 'Mini Containers' });";
    assert.deepEqual(scanSource('a.ts', marked).problems, []);
  });
});

describe('scanSource in a webview script', () => {
  it('finds words put into the DOM: textContent, aria-label, title', () => {
    const text = [
      "cell.textContent = 'host side';",
      "row.setAttribute('aria-label', `process ${pid}`);",
      "frame.title = l10n.t('PID namespace');",
      "cell.textContent = String(pid);",
    ].join('\n');
    assert.deepEqual(scanSource('media/picture.ts', text).problems.map((p) => p.line), [1, 2]);
  });
});

describe('isWordy', () => {
  const cases: Array<[string, boolean]> = [
    ['Hello', true], ['host side', true], ['SIGTERM', false], ['PID 1', false], ['\x1b[1m\x1b[0m', false], ['$(terminal)', false],
    ['', false], ['a b c', false],
  ];
  for (const [text, wordy] of cases) it(`${JSON.stringify(text)} → ${wordy}`, () => assert.equal(isWordy(text), wordy));
});
