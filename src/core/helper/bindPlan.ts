// The folders an isolated shell binds, from the settings miniContainers.mountWorkspace and miniContainers.mounts,
// as StartRequest.binds and workdir. Pure: the workspace folders, the home folder and the owner of a path are given.
import { english, type Localize } from '../localize';
import { bindArgument, type BindSpec } from './helperProtocol';

/** First folders the helper refuses as a DEST's under sudo or pkexec (its SYSTEM_TOPS, 30-options.sh). */
export const SYSTEM_TOPS: ReadonlySet<string> = new Set([
  'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'usr', 'etc', 'dev', 'proc', 'sys', 'run', 'var', 'root', 'boot',
]);

export interface BindPlanInput {
  /** miniContainers.mountWorkspace: every workspace folder at its own path, the first one the working directory. */
  mountWorkspace: boolean;
  /** miniContainers.mounts: `SRC[:DEST][:ro]`, with `${workspaceFolder}` and a leading `~` expanded. */
  mounts: readonly string[];
  /** Absolute paths of the workspace folders (file: URIs only), first first. */
  workspaceFolders: readonly string[];
  home: string;
  /** The helper runs as root for this user through sudo or pkexec: binds are read-only and checked as the user. */
  delegated: boolean;
  /** This user's uid, and the owner of a path when it is a folder (undefined for a file, or when it cannot be read):
   * delegated, only one's own folders can be bound. */
  uid: number;
  folderOwnerOf: (path: string) => number | undefined;
}

export interface BindPlan {
  binds: BindSpec[];
  /** The first workspace folder, when it is bound. */
  workdir?: string;
  /** One sentence per bind left out, naming it and why (shown once, and logged). */
  warnings: string[];
}

/** `SRC[:DEST][:ro]` with `${workspaceFolder}` and `~` expanded, as the helper reads it; an Error says what is wrong. */
export function parseMountSpec(text: string, workspaceFolder: string | undefined, home: string, t: Localize = english): BindSpec {
  let spec = text.trim();
  if (spec.includes('${workspaceFolder}')) {
    if (workspaceFolder === undefined) throw new Error(t('{0} needs an open workspace folder.', text));
    spec = spec.split('${workspaceFolder}').join(workspaceFolder);
  }
  if (spec === '~' || spec.startsWith('~/')) spec = home + spec.slice(1);
  const readOnly = spec.endsWith(':ro');
  if (readOnly) spec = spec.slice(0, -3);
  const colon = spec.indexOf(':');
  const bind: BindSpec = colon < 0 ? { source: spec, readOnly } : { source: spec.slice(0, colon), dest: spec.slice(colon + 1), readOnly };
  bindArgument(bind, t);
  return bind;
}

function within(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith('/') ? folder : `${folder}/`);
}

/** The binds of a new isolated shell, in order: the workspace folders, then miniContainers.mounts. */
export function planBinds(input: BindPlanInput, t: Localize = english): BindPlan {
  const { mountWorkspace, mounts, workspaceFolders, home, delegated, uid, folderOwnerOf } = input;
  const binds: BindSpec[] = [];
  const warnings: string[] = [];
  const wanted: Array<{ bind: BindSpec; workspace: boolean }> = [];
  if (mountWorkspace) for (const folder of workspaceFolders) wanted.push({ bind: { source: folder }, workspace: true });
  for (const text of mounts) {
    try {
      wanted.push({ bind: parseMountSpec(text, workspaceFolders[0], home, t), workspace: false });
    } catch (error) {
      warnings.push(t('miniContainers.mounts: {0} is left out: {1}', text, (error as Error).message));
    }
  }
  let workdir: string | undefined;
  for (const { bind, workspace } of wanted) {
    const dest = bind.dest ?? bind.source;
    if (delegated) {
      // The helper would refuse the whole start; leaving one folder out keeps the shell.
      const top = dest.split('/')[1] ?? '';
      if (SYSTEM_TOPS.has(top)) {
        warnings.push(t('{0} is not mounted: under sudo or pkexec no folder can be mounted under /{1} (the container\'s own /{1} would be hidden). Open a folder elsewhere, or use a rootless shell.', bind.source, top));
        continue;
      }
      const owner = folderOwnerOf(bind.source);
      if (owner !== undefined && owner !== uid) {
        warnings.push(t('{0} is not mounted: under sudo or pkexec only your own folders can be mounted (the container\'s root would read all that lies beneath).', bind.source));
        continue;
      }
      const nested = binds.find((b) => within(dest, b.dest ?? b.source) || within(b.dest ?? b.source, dest));
      if (nested) {
        warnings.push(t('{0} is not mounted: under sudo or pkexec mounts may not lie inside one another ({1}).', bind.source, nested.source));
        continue;
      }
    }
    const final = delegated ? { ...bind, readOnly: true } : bind;
    binds.push(final);
    if (workspace && workdir === undefined && bind.source === workspaceFolders[0]) workdir = dest;
  }
  return { binds, workdir, warnings };
}
