// Puts a code-server profile's UI in French, offline (see FRENCH.md for why each step is needed): a minimal
// French language pack, built here and installed like any VSIX; the languagepacks.json that the running server
// would have written for it; and `--locale fr` (CodeServer's `locale` option). VS Code then reports
// `vscode.env.language === 'fr'` to extensions, and reads our package.nls.fr.json and bundle.l10n.fr.json.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CodeServer } from './codeServer';
import { projectRoot } from './codeServerInstall';
import { childrenOf } from '../vscode/hostState';

export const FRENCH = 'fr';

const PUBLISHER = 'mini-containers-tests';
const NAME = 'language-pack-fr';
const VERSION = '0.0.1';
/** How VS Code names an installed extension: lower-case publisher.name. */
const ID = `${PUBLISHER}.${NAME}`;

/**
 * Installs the French language pack into the server's profile; start the server with `locale: 'fr'` afterwards.
 * The pack translates nothing of VS Code itself (no translation of the workbench is available offline): menus
 * and VS Code's own dialogs stay English, while every extension with French files shows them.
 */
export async function installFrenchLanguagePack(server: CodeServer): Promise<void> {
  const folder = join(server.root, NAME);
  await mkdir(join(folder, 'translations'), { recursive: true });
  try {
    await writeFile(join(folder, 'package.json'), JSON.stringify(manifest(), null, 2));
    await writeFile(join(folder, 'README.md'), 'French for the Mini Containers tests: makes VS Code run in French, translates nothing itself.\n');
    // The core translation file must exist, or VS Code ignores the pack; VS Code's English fills every key it lacks.
    await writeFile(join(folder, 'translations', 'main.i18n.json'), JSON.stringify({ version: '1.0.0', contents: {} }));
    const vsix = join(server.root, `${NAME}.vsix`);
    await vscePackage(folder, vsix);
    await server.installExtension(vsix);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  await writeLanguagePacks(server);
}

function manifest() {
  return {
    name: NAME,
    publisher: PUBLISHER,
    displayName: 'French language pack for the Mini Containers tests',
    description: 'Lets VS Code run in French offline.',
    version: VERSION,
    license: 'MIT',
    engines: { vscode: '^1.100.0' },
    categories: ['Language Packs'],
    contributes: {
      localizations: [{
        languageId: FRENCH,
        languageName: 'French',
        localizedLanguageName: 'français',
        translations: [{ id: 'vscode', path: './translations/main.i18n.json' }],
      }],
    },
  };
}

function vscePackage(folder: string, out: string): Promise<void> {
  const vsce = join(projectRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vsce, 'package', '--allow-missing-repository', '--skip-license', '--out', out], {
      cwd: folder,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`vsce package of the French pack failed (exit ${code}):\n${text}`))));
  });
}

/**
 * What VS Code's NativeLanguagePackService writes to <user-data-dir>/languagepacks.json when a language pack is
 * installed through a running server. `code-server --install-extension` runs without that service, so the file
 * is written here, the same way: per language, a hash of the packs' ids and versions (it names the cache of
 * generated translations) and the path of each translation file. VS Code reads it at each window load.
 */
async function writeLanguagePacks(server: CodeServer): Promise<void> {
  const installed = JSON.parse(readFileSync(join(server.extensionsDir, 'extensions.json'), 'utf8')) as Array<{
    identifier: { id: string };
    relativeLocation?: string;
  }>;
  const entry = installed.find((e) => e.identifier.id.toLowerCase() === ID);
  const location = entry?.relativeLocation ?? readdirSync(server.extensionsDir).find((f) => f.startsWith(`${ID}-`));
  if (!location) throw new Error(`the French language pack is not in ${server.extensionsDir} after installing it`);
  const packs = {
    [FRENCH]: {
      hash: createHash('md5').update(ID).update(VERSION).digest('hex'),
      extensions: [{ extensionIdentifier: { id: ID }, version: VERSION }],
      translations: { vscode: join(server.extensionsDir, location, 'translations', 'main.i18n.json') },
      label: 'français',
    },
  };
  const file = join(server.userDataDir, 'languagepacks.json');
  await writeFile(file, JSON.stringify(packs));
  if (server.user) chownSync(file, server.user.uid, server.user.gid);
}

/**
 * The language each of the server's extension hosts was started with, from their VSCODE_NLS_CONFIG: what VS Code
 * resolved, the `vscode.env.language` extensions see.
 */
export function extensionHostLanguages(server: CodeServer): string[] {
  const languages: string[] = [];
  const pids: number[] = server.pid === undefined ? [] : [server.pid];
  for (let i = 0; i < pids.length; i++) pids.push(...childrenOf(pids[i]));
  for (const pid of pids) {
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const config = environ.split('\0').find((v) => v.startsWith('VSCODE_NLS_CONFIG='));
    if (!config) continue;
    try {
      languages.push((JSON.parse(config.slice('VSCODE_NLS_CONFIG='.length)) as { resolvedLanguage: string }).resolvedLanguage);
    } catch {
      // not JSON: not an extension host's
    }
  }
  return languages;
}
