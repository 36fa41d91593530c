// `node dist/test/lint/readmeCheck.js` (run by `npm run lint`): fails when README.md names something that does
// not exist — a setting or command id, a palette command, an npm script, a CLI subcommand, a file of the
// repository — or shows a picture no e2e test takes. Each finding names its line. Pure reading: package.json, .vscode/launch.json, the CLI's usage, the tree.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { README_SCREENSHOTS } from '../e2e/readmeScreenshots';
import { checkReadme, type ReadmeFacts } from './readmeRules';

const root = resolve(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

interface Manifest {
  scripts: Record<string, string>;
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    configuration: { properties: Record<string, unknown> } | { properties: Record<string, unknown> }[];
    views: Record<string, { id: string; name: string }[]>;
    viewsContainers: Record<string, { id: string; title: string }[]>;
    walkthroughs: { id: string; title: string }[];
    terminal?: { profiles?: { id: string; title: string }[] };
  };
}

const manifest = JSON.parse(read('package.json')) as Manifest;
const nls = JSON.parse(read('package.nls.json')) as Record<string, string>;
const text = (s: string) => s.replace(/^%(.*)%$/, (_, key: string) => nls[key] ?? s);
const c = manifest.contributes;
const configurations = Array.isArray(c.configuration) ? c.configuration : [c.configuration];
const launch = JSON.parse(read('.vscode/launch.json').replace(/^\s*\/\/.*$/gm, '')) as { configurations: { name: string }[] };
// The CLI's usage text, as its source prints it: every subcommand is a word of it.
const cliSource = existsSync(join(root, 'src/cli.ts')) ? read('src/cli.ts') : '';

const facts: ReadmeFacts = {
  ids: new Set([
    ...c.commands.map((x) => x.command),
    ...configurations.flatMap((x) => Object.keys(x.properties)),
    ...Object.values(c.views).flat().map((x) => x.id),
    ...(c.terminal?.profiles ?? []).map((x) => x.id),
  ]),
  names: new Set([
    ...c.commands.flatMap((x) => [text(x.title), ...(x.category ? [`${text(x.category)}: ${text(x.title)}`] : [])]),
    ...Object.values(c.views).flat().map((x) => text(x.name)),
    ...Object.values(c.viewsContainers).flat().map((x) => text(x.title)),
    ...c.walkthroughs.map((x) => text(x.title)),
    ...(c.terminal?.profiles ?? []).map((x) => text(x.title)),
    ...launch.configurations.map((x) => x.name),
  ]),
  scripts: new Set(Object.keys(manifest.scripts)),
  isCliWord: (word) => new RegExp(`['"\`]${word}['"\`\\s]`).test(cliSource),
  screenshots: new Set(Object.keys(README_SCREENSHOTS)),
  exists: (file) => existsSync(join(root, file)),
};

const findings = checkReadme(read('README.md'), facts);
for (const f of findings) console.error(`README.md:${f.line}: ${f.message}`);
if (findings.length) {
  console.error(`README check: ${findings.length} finding(s): README.md names what does not exist`);
  process.exit(1);
}
console.log('README check: every setting, command, script, CLI subcommand and file README.md names exists');
