import type * as NodePty from 'node-pty';
import * as path from 'node:path';
import { t } from '../localize';

let loaded: typeof NodePty | undefined;

/**
 * node-pty, loaded at first use so activation never fails for it: the copy shipped in our VSIX, else VS Code's
 * own (under its appRoot, unpacked or in node_modules.asar). Throws one error naming every place tried.
 */
export function loadNodePty(appRoot: string, log: (line: string) => void): typeof NodePty {
  if (loaded) return loaded;
  const candidates = [
    'node-pty',
    path.join(appRoot, 'node_modules', 'node-pty'),
    path.join(appRoot, 'node_modules.asar', 'node-pty'),
  ];
  const failures: string[] = [];
  for (const candidate of candidates) {
    try {
      // A computed require: esbuild leaves it to Node at run time, which is the point.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(candidate) as typeof NodePty;
      log(`[pty] node-pty loaded from ${candidate === 'node-pty' ? 'the extension' : candidate}`);
      return loaded;
    } catch (error) {
      failures.push(`${candidate}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(t('node-pty could not be loaded, so no terminal can be started. Tried: {0}', failures.join('; ')));
}
