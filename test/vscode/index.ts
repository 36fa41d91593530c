// The extension-host test entry (the @vscode/test-electron contract, also used by the code-server runner):
// VS Code loads this file inside its extension host and awaits run(). The suites are bundled beside it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 30_000 });
  // MINI_CONTAINERS_VSCODE_SUITES=a,b runs only the suites whose file name starts with one of them (a suite being
  // written); unset, every suite runs.
  const only = (process.env.MINI_CONTAINERS_VSCODE_SUITES ?? '').split(',').filter(Boolean);
  const suites = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js') && (only.length === 0 || only.some((o) => f.startsWith(o))))
    .sort();
  if (suites.length === 0) return Promise.reject(new Error(`no *.test.js suites beside ${__filename}`));
  for (const suite of suites) mocha.addFile(join(__dirname, suite));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve()));
  });
}
