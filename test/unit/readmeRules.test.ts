import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkReadme, type ReadmeFacts } from '../lint/readmeRules';

const facts: ReadmeFacts = {
  ids: new Set(['miniContainers.rootfs', 'miniContainers.startIsolatedShell']),
  names: new Set(['Start Isolated Shell', 'Containers: Start Isolated Shell', 'Choose Root Filesystem…', 'Run Extension']),
  scripts: new Set(['lint', 'test:unit']),
  isCliWord: (w) => w === 'ps' || w === 'install-helper',
  screenshots: new Set(['shot']),
  exists: (f) => ['src/cli.ts', 'media/a.png', 'media/shot.png', 'src/helper/'].includes(f) || f === 'src/helper',
};
const lines = (readme: string) => checkReadme(readme, facts).map((f) => `${f.line}: ${f.message}`);

describe('the README check', () => {
  it('passes a README that names only what exists', () => {
    assert.deepEqual(lines([
      'Set `miniContainers.rootfs`, run **Start Isolated Shell** or **Containers: Start Isolated Shell**, **Choose Root Filesystem…**.',
      'Run `npm run lint` and `npm run test:unit`; see [the CLI](src/cli.ts) and ![pic](media/shot.png) and [docs](https://example.org/x).',
      '```sh', 'mini-containers ps --json', 'node dist/cli.js install-helper', '```',
      'Press F5 (**Run Extension**); **Dev Containers** and **not** are prose; `/proc/1/stat` and `bin/sh` are not repository paths.',
      '`sh src/helper/container-helper.sh make-rootfs --name NAME` names a generated file with a placeholder: `DIR/libexec/x`.',
    ].join('\n')), ['8: "src/helper/container-helper.sh" does not exist in the repository']);
  });

  it('names each line that names a setting, command, script, subcommand, file or link that does not exist', () => {
    assert.deepEqual(lines([
      'Set `miniContainers.nope` and run **Start Everything**.',
      'Run `npm run nope`.',
      '```', 'mini-containers frobnicate', '```',
      'See `src/gone.ts` and [there](test/missing.md).',
      '![drifts](media/a.png)',
    ].join('\n')), [
      '1: "miniContainers.nope" is no setting, command, view or profile of package.json',
      '1: **Start Everything** is no command, view, walkthrough or launch configuration of ours',
      '2: "npm run nope": package.json has no script "nope"',
      '4: "frobnicate" is no subcommand of the CLI',
      '6: "src/gone.ts" does not exist in the repository',
      '6: the link to "test/missing.md" leads nowhere',
      '7: media/a.png is no picture an e2e test takes (test/e2e/readmeScreenshots.ts): it would drift from the UI',
    ]);
  });
});
