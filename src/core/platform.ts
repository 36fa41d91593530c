// Whether this extension host can make containers at all. Isolated shells need Linux's PID, mount, UTS and IPC
// namespaces and chroot; on any other kernel the extension still activates, and its view says where to go instead.

/** Why containers cannot be made here. */
export type UnsupportedReason =
  /** macOS, Windows, a BSD: no Linux namespaces at all. */
  | 'notLinux'
  /** WSL 1 translates Linux system calls on the Windows kernel and has no PID or mount namespaces to give. */
  | 'wsl1';

export type PlatformSupport = { readonly supported: true } | { readonly supported: false; readonly reason: UnsupportedReason };

/**
 * Decides from `process.platform` and `os.release()`. WSL 1 reports `linux` with a release such as
 * `4.4.0-19041-Microsoft`; WSL 2 runs a real Linux kernel (`5.15.153.1-microsoft-standard-WSL2`) and is supported.
 */
export function platformSupport(platform: string, release: string): PlatformSupport {
  if (platform !== 'linux') return { supported: false, reason: 'notLinux' };
  if (/-Microsoft$/.test(release)) return { supported: false, reason: 'wsl1' };
  return { supported: true };
}
