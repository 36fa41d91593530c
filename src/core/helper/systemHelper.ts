// The system-wide copy of the helper: the only one a password-less sudo rule may name, because no user can
// modify it. Pure decisions here; the file reading is the caller's.
import { english, type Localize } from '../localize';

/** Where "Install Helper System-wide" puts the helper: root-owned, mode 0755, in a root-owned folder. */
export const SYSTEM_HELPER_PATH = '/usr/local/libexec/mini-containers/container-helper.sh';

/** What the caller found at SYSTEM_HELPER_PATH, or undefined when nothing is there. */
export interface InstalledCopy {
  content: Buffer;
  /** Owner uid and permission bits of the file and of its folder. */
  uid: number;
  mode: number;
  folderUid: number;
  folderMode: number;
}

export interface HelperChoice {
  path: string;
  /** The system copy runs by its own path (the sudo rule names it); the shipped copy runs through /bin/sh. */
  direct: boolean;
  /** Said once to the user when the system copy exists but is not used. */
  warning?: string;
}

/** Prefers the system copy when it is byte-for-byte the shipped helper and safe from every user but root. */
export function chooseHelper(
  shippedPath: string,
  shipped: Buffer,
  installed: InstalledCopy | undefined,
  t: Localize = english,
): HelperChoice {
  const fallback = { path: shippedPath, direct: false };
  if (!installed) return fallback;
  const writableByOthers = (mode: number) => (mode & 0o022) !== 0;
  if (installed.uid !== 0 || installed.folderUid !== 0 || writableByOthers(installed.mode) || writableByOthers(installed.folderMode)) {
    return {
      ...fallback,
      warning: t('{0} is not owned by root or is writable by others, so it is not used: a sudo rule pointing at it would ' +
        'let a user run anything as root. Run "Install Helper System-wide" again.', SYSTEM_HELPER_PATH),
    };
  }
  if (!installed.content.equals(shipped)) {
    return {
      ...fallback,
      warning: t('{0} differs from the helper of this version of Mini Containers, so the shipped one is used (a sudo rule ' +
        'for the system copy does not apply to it). Run "Install Helper System-wide" to update it.', SYSTEM_HELPER_PATH),
    };
  }
  if ((installed.mode & 0o111) === 0) return { ...fallback, warning: t('{0} is not executable.', SYSTEM_HELPER_PATH) };
  return { path: SYSTEM_HELPER_PATH, direct: true };
}

/**
 * The one sudoers line builder: it lets `user` run exactly `helper` (a root-owned copy: the system one by default,
 * or the CLI's install-helper --prefix one), with any arguments, without a password. Throws on a user name or path
 * that sudoers would read as more than one word.
 */
export function sudoersLine(user: string, helper: string = SYSTEM_HELPER_PATH): string {
  if (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(user)) throw new Error(`Not a user name sudoers accepts: ${user}`);
  if (!helper.startsWith('/') || /[\s,:=\\]/.test(helper)) throw new Error(`Not a path a sudoers rule can name: ${helper}`);
  return `${user} ALL=(root) NOPASSWD: ${helper}`;
}
