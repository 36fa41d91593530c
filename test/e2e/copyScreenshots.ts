// `node dist/test/e2e/copyScreenshots.js` (the end of `npm run screenshots`): copies the README's pictures that the
// e2e tests just took (test-output/e2e/readme/) into media/. Fails, copying nothing, if one is missing or older
// than MINI_CONTAINERS_SCREENSHOTS_SINCE (ms since the epoch; the script sets it before the tests run).
import { copyFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './codeServerInstall';
import { README_SCREENSHOTS } from './readmeScreenshots';
import { readmeOutputDir } from './workbench';

const since = Number(process.env.MINI_CONTAINERS_SCREENSHOTS_SINCE ?? 0);
const problems: string[] = [];
for (const [name, test] of Object.entries(README_SCREENSHOTS)) {
  const file = join(readmeOutputDir, `${name}.png`);
  if (!existsSync(file)) problems.push(`${file} is missing: did ${test} pass?`);
  else if (statSync(file).mtimeMs < since) problems.push(`${file} is older than this run: did ${test} run?`);
}
if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
for (const name of Object.keys(README_SCREENSHOTS)) {
  copyFileSync(join(readmeOutputDir, `${name}.png`), join(projectRoot, 'media', `${name}.png`));
  console.log(`media/${name}.png ← ${join(readmeOutputDir, `${name}.png`)}`);
}
