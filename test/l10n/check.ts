// `npm run lint` runs this: the localisation check of the project (see ./l10nCheck.ts); exit code 1 on a problem.
import { resolve } from 'node:path';
import { checkProject } from './l10nCheck';

/** dist/test/l10n/check.js and test/l10n/check.ts both sit three levels below the project root. */
const root = resolve(__dirname, '..', '..', '..');
const problems = checkProject(root);
for (const p of problems) console.error(`${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
if (problems.length) {
  console.error(`l10n: ${problems.length} problem(s). English and French must both have every string (README.md, "Languages: English and French").`);
  process.exitCode = 1;
} else {
  console.log('l10n: package.nls.json, package.nls.fr.json and the French bundle cover every user-visible string');
}
