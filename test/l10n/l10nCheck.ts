// The localisation check that `npm run lint` runs (through ./check.ts): every contributed string of package.json
// goes through a %key% that package.nls.json and package.nls.fr.json both hold; every runtime message passed to
// `vscode.l10n.t` (or to a core function's `t`) is a literal the French bundle translates; and no user-visible
// string literal reaches VS Code's UI without going through either. It reads TypeScript with the compiler's own
// parser, so it sees calls and arguments, not lines of text.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One thing to fix: where, and what. */
export interface Problem {
  readonly file: string;
  /** 1-based; 0 when the problem is about the whole file. */
  readonly line: number;
  readonly message: string;
}

export interface CheckOptions {
  /** Folders (relative to the root) whose *.ts, *.js and *.mjs files are scanned: the extension and its webviews' scripts. */
  readonly sourceDirs?: readonly string[];
  /** Files or folders (relative to the root) that keep their own English: the helper and the CLI. */
  readonly exclude?: readonly string[];
  /**
   * Folders of pure code (src/core), which shows nothing itself: what it says reaches the user through the `t` its
   * caller passes, so only its `t` messages are checked, not its other literals (internal errors, the CLI's).
   */
  readonly pure?: readonly string[];
  /** The French bundle, relative to the root; default: `<package.json's l10n folder>/bundle.l10n.fr.json`. */
  readonly frenchBundle?: string;
}

/** A comment on the line of a string, or the line above it, that says it is not for the user to read. */
export const IGNORE_MARKER = 'l10n-ignore';

/** Runs every check on a project folder (package.json, package.nls*.json, its sources and its French bundle). */
export function checkProject(root: string, options: CheckOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const manifest = readJson(root, 'package.json', problems) as Record<string, unknown> | undefined;
  const nlsEnglish = readJson(root, 'package.nls.json', problems) as Record<string, unknown> | undefined;
  const nlsFrench = readJson(root, 'package.nls.fr.json', problems) as Record<string, unknown> | undefined;
  if (manifest && nlsEnglish && nlsFrench) problems.push(...checkManifest(manifest, nlsEnglish, nlsFrench));

  const exclude = (options.exclude ?? ['src/helper', 'src/cli.ts']).map((p) => join(root, p));
  const files = (options.sourceDirs ?? ['src', 'media'])
    .flatMap((dir) => listSources(join(root, dir)))
    .filter((f) => !exclude.some((e) => f === e || f.startsWith(`${e}/`)));
  const pure = (options.pure ?? ['src/core']).map((p) => join(root, p));
  const messages: SourceMessage[] = [];
  for (const file of files) {
    const scan = scanSource(relative(root, file), readFileSync(file, 'utf8'), { pure: pure.some((p) => file.startsWith(`${p}/`)) });
    messages.push(...scan.messages);
    problems.push(...scan.problems);
  }

  const l10nFolder = typeof manifest?.l10n === 'string' ? manifest.l10n : undefined;
  if (manifest && !l10nFolder) problems.push({ file: 'package.json', line: 0, message: 'has no "l10n" field naming the bundle folder' });
  const bundlePath = options.frenchBundle ?? (l10nFolder ? join(l10nFolder, 'bundle.l10n.fr.json') : undefined);
  if (bundlePath) {
    const bundle = readJson(root, bundlePath, problems) as Record<string, unknown> | undefined;
    if (bundle) problems.push(...checkBundle(messages, bundle, relative('.', bundlePath)));
  }
  return problems;
}

// --- package.json and its two nls files

/** Manifest fields that VS Code shows to the user, wherever they appear under `contributes`. */
const SHOWN_FIELDS = new Set([
  'title', 'shortTitle', 'category', 'description', 'markdownDescription', 'enumDescriptions', 'markdownEnumDescriptions',
  'name', 'contextualTitle', 'contents', 'label', 'placeholder', 'deprecationMessage', 'markdownDeprecationMessage',
  'altTitle', 'languageName', 'altText',
]);
/** Fields of `contributes` entries that are identifiers or paths even though they are called `name`, etc. */
const NOT_SHOWN_PATHS = [/^contributes\.(commands|submenus)\[\d+\]\.icon/, /\.id$/, /\.command$/, /\.when$/];

export function checkManifest(
  manifest: Record<string, unknown>,
  nlsEnglish: Record<string, unknown>,
  nlsFrench: Record<string, unknown>,
): Problem[] {
  const problems: Problem[] = [];
  const used = new Set<string>();
  const visit = (value: unknown, path: string, shown: boolean) => {
    if (typeof value === 'string') {
      const key = /^%(.+)%$/.exec(value)?.[1];
      if (key) {
        used.add(key);
        for (const [nls, name] of [[nlsEnglish, 'package.nls.json'], [nlsFrench, 'package.nls.fr.json']] as const) {
          if (typeof nls[key] !== 'string') problems.push({ file: 'package.json', line: 0, message: `${path}: "%${key}%" is missing from ${name}` });
        }
      } else if (shown && isWordy(value) && !NOT_SHOWN_PATHS.some((p) => p.test(path))) {
        problems.push({ file: 'package.json', line: 0, message: `${path}: "${clip(value)}" is shown to the user but is not a %key% of package.nls.json` });
      }
      return;
    }
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${path}[${i}]`, shown));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, path ? `${path}.${k}` : k, path.startsWith('contributes') && SHOWN_FIELDS.has(k));
    }
  };
  visit(manifest.displayName, 'displayName', true);
  visit(manifest.description, 'description', true);
  visit(manifest.contributes, 'contributes', false);

  for (const [nls, name, other, otherName] of [
    [nlsEnglish, 'package.nls.json', nlsFrench, 'package.nls.fr.json'],
    [nlsFrench, 'package.nls.fr.json', nlsEnglish, 'package.nls.json'],
  ] as const) {
    for (const [key, text] of Object.entries(nls)) {
      if (typeof text !== 'string' || !text.trim()) problems.push({ file: name, line: 0, message: `"${key}" is not a non-empty string` });
      if (!(key in other)) problems.push({ file: name, line: 0, message: `"${key}" is missing from ${otherName}` });
    }
  }
  for (const key of Object.keys(nlsEnglish)) {
    if (!used.has(key)) problems.push({ file: 'package.nls.json', line: 0, message: `"${key}" is not used in package.json` });
    const en = nlsEnglish[key];
    const fr = nlsFrench[key];
    if (typeof en === 'string' && typeof fr === 'string' && !sameSet(commandLinks(en), commandLinks(fr))) {
      problems.push({ file: 'package.nls.fr.json', line: 0, message: `"${key}" does not link the same commands as in English` });
    }
  }
  return problems;
}

// --- TypeScript sources

/** A message given to `l10n.t` or `t`, where it was found. */
export interface SourceMessage {
  readonly message: string;
  readonly file: string;
  readonly line: number;
}

/** Calls whose string arguments (and whose option objects' UI fields) the user reads. */
const SHOWING_CALLS = new Set([
  'showInformationMessage', 'showWarningMessage', 'showErrorMessage', 'showInputBox', 'showQuickPick', 'createQuickPick',
  'createInputBox', 'setStatusBarMessage', 'createTerminal', 'withProgress', 'showOpenDialog', 'showSaveDialog',
  'createWebviewPanel', 'writeLine', 'report',
]);
/** Fields of option objects and of UI items that are shown. */
const SHOWN_PROPERTIES = new Set(['label', 'description', 'detail', 'tooltip', 'title', 'placeHolder', 'prompt', 'openLabel', 'saveLabel', 'message', 'name']);
/** What a webview's script shows when it sets these on a DOM element. */
const SHOWN_DOM_PROPERTIES = new Set(['textContent', 'innerText', 'ariaLabel', 'placeholder', 'alt']);
const SHOWN_DOM_ATTRIBUTES = new Set(['aria-label', 'title', 'placeholder', 'alt', 'aria-description']);
/** Constructors whose first argument is shown: tree items, and errors (the VS Code layer shows their message). */
const SHOWING_CONSTRUCTORS = /^(TreeItem|\w*Error)$/;

/** Finds the localised messages of one file and the user-visible literals that bypass localisation. */
export function scanSource(file: string, text: string, { pure = false } = {}): { messages: SourceMessage[]; problems: Problem[] } {
  const kind = /\.m?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, kind);
  const messages: SourceMessage[] = [];
  const problems: Problem[] = [];
  const showsUi = !pure;
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const ignored = (node: ts.Node) => {
    const line = lineOf(node);
    const lines = text.split('\n');
    return [lines[line - 1], lines[line - 2]].some((l) => l?.includes(IGNORE_MARKER));
  };
  const raw = (node: ts.Expression, where: string) => {
    if (!showsUi || ignored(node)) return;
    const shown = wordyText(node);
    if (shown !== undefined) {
      problems.push({ file, line: lineOf(node), message: `${where}: "${clip(shown)}" is shown to the user without vscode.l10n.t` });
    }
  };
  const rawInObject = (node: ts.Expression, where: string) => {
    if (ts.isArrayLiteralExpression(node)) node.elements.forEach((e) => rawInObject(e, where));
    else if (ts.isObjectLiteralExpression(node)) {
      for (const property of node.properties) {
        if (!ts.isPropertyAssignment(property)) continue;
        const value = property.initializer;
        if (ts.isObjectLiteralExpression(value) || ts.isArrayLiteralExpression(value)) rawInObject(value, where);
        else if (SHOWN_PROPERTIES.has(property.name.getText(source))) raw(value, `${where} ${property.name.getText(source)}`);
      }
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'map') {
      // items.map((x) => ({ label: '…' })): the objects it makes are the items.
      const callback = node.arguments[0];
      if (callback && ts.isArrowFunction(callback)) {
        const body = ts.isParenthesizedExpression(callback.body) ? callback.body.expression : callback.body;
        if (ts.isExpression(body)) rawInObject(body, where);
      }
    } else raw(node, where);
  };

  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
      if (isLocalizeCall(callee)) {
        const first = node.arguments[0];
        const message = first && constantString(first);
        if (message === undefined && !ignored(node)) {
          problems.push({ file, line: lineOf(node), message: 'the message given to l10n.t / t must be one string literal (the key of the French bundle)' });
        } else if (message !== undefined) messages.push({ message, file, line: lineOf(node) });
      } else if (name && SHOWING_CALLS.has(name)) {
        node.arguments.forEach((argument) => rawInObject(argument, `${name}()`));
      } else if (callee.kind === ts.SyntaxKind.SuperKeyword && node.arguments[0] && extendsTreeItem(node)) {
        raw(node.arguments[0], 'TreeItem label');
      } else if (name === 'setAttribute' && node.arguments.length === 2) {
        const attribute = constantString(node.arguments[0]);
        if (attribute && SHOWN_DOM_ATTRIBUTES.has(attribute)) raw(node.arguments[1], `setAttribute('${attribute}')`);
      }
    } else if (ts.isNewExpression(node)) {
      const callee = node.expression;
      const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
      if (SHOWING_CONSTRUCTORS.test(name) && node.arguments?.[0]) raw(node.arguments[0], `new ${name}()`);
    } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left) && node.left.name.text !== 'name' &&
      (SHOWN_PROPERTIES.has(node.left.name.text) || SHOWN_DOM_PROPERTIES.has(node.left.name.text))) {
      raw(node.right, `.${node.left.name.text} =`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { messages, problems };
}

/** `vscode.l10n.t(…)`, `l10n.t(…)`, `t(…)` (a core function's Localize parameter) and `this.t(…)`. */
function isLocalizeCall(callee: ts.Expression): boolean {
  if (ts.isIdentifier(callee)) return callee.text === 't';
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 't') return false;
  const owner = callee.expression;
  return owner.kind === ts.SyntaxKind.ThisKeyword ||
    (ts.isIdentifier(owner) && owner.text === 'l10n') ||
    (ts.isPropertyAccessExpression(owner) && owner.name.text === 'l10n');
}

function extendsTreeItem(node: ts.Node): boolean {
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if (ts.isClassDeclaration(n) || ts.isClassExpression(n)) {
      return (n.heritageClauses ?? []).some((h) => h.types.some((t) => /(^|\.)TreeItem$/.test(t.expression.getText())));
    }
  }
  return false;
}

/** The value of a string literal, a template without substitutions, or a `+` of those; else undefined. */
export function constantString(node: ts.Expression): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isParenthesizedExpression(node)) return constantString(node.expression);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = constantString(node.left);
    const right = constantString(node.right);
    return left !== undefined && right !== undefined ? left + right : undefined;
  }
  return undefined;
}

/** The literal text of a string expression when it holds words (what `${…}` fills in is left out); else undefined. */
function wordyText(node: ts.Expression): string | undefined {
  let text: string | undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
  else if (ts.isTemplateExpression(node)) text = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('…');
  else if (ts.isParenthesizedExpression(node)) return wordyText(node.expression);
  else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    return wordyText(node.left) ?? wordyText(node.right);
  } else if (ts.isConditionalExpression(node)) return wordyText(node.whenTrue) ?? wordyText(node.whenFalse);
  return text !== undefined && isWordy(text) ? text : undefined;
}

/** Holds a word someone reads: two lower-case letters in a row ("PID", "SIG" and "\x1b[0m" are not words). */
export function isWordy(text: string): boolean {
  return /[a-z]{2,}/.test(text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\$\([a-z-]+\)/g, ''));
}

// --- the French bundle

export function checkBundle(messages: readonly SourceMessage[], bundle: Record<string, unknown>, bundleFile: string): Problem[] {
  const problems: Problem[] = [];
  const used = new Set<string>();
  for (const { message, file, line } of messages) {
    used.add(message);
    const french = bundle[message];
    if (typeof french !== 'string' || !french.trim()) {
      problems.push({ file, line, message: `"${clip(message)}" has no French in ${bundleFile}` });
    } else if (!sameSet(placeholders(message), placeholders(french))) {
      problems.push({ file: bundleFile, line: 0, message: `"${clip(message)}": the French does not use the same {0}, {1}… as the English` });
    }
  }
  for (const key of Object.keys(bundle)) {
    if (!used.has(key)) problems.push({ file: bundleFile, line: 0, message: `"${clip(key)}" is not a message of the sources any more` });
  }
  return problems;
}

// --- small helpers

function readJson(root: string, file: string, problems: Problem[]): unknown {
  const path = join(root, file);
  if (!existsSync(path)) {
    problems.push({ file, line: 0, message: 'is missing' });
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push({ file, line: 0, message: `is not JSON: ${(error as Error).message}` });
    return undefined;
  }
}

function listSources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listSources(path);
    return /\.(ts|m?js)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  }).sort();
}

const placeholders = (text: string) => new Set(text.match(/\{\d+\}/g) ?? []);
const commandLinks = (text: string) => new Set([...text.matchAll(/\]\((command:[^)]+)\)/g)].map((m) => m[1]));
const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
const clip = (text: string) => (text.length > 70 ? `${text.slice(0, 69)}…` : text).replace(/\n/g, '\\n');
