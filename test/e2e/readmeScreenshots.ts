// The pictures README.md shows, each taken by an e2e test from the real UI at the moment it shows what the
// caption says (`wb.readmeScreenshot`), into test-output/e2e/readme/; `npm run screenshots` runs those tests and
// copies the pictures into media/. The README check (`npm run lint`) refuses a picture of media/ not listed here.
export const README_SCREENSHOTS = {
  /** `ps aux` in a new isolated shell: the shell is PID 1, nothing of the host. */
  'screenshot-isolated-shell': 'isolatedShell.test',
  /** The Containers view: the shell as PID 1 with its host PID, a sleep in it, the host-side chain. */
  'screenshot-containers-tree': 'containersView.test',
  /** Show Namespaces: an isolated shell and a two-level namespace made with unshare, every level's PID joined. */
  'screenshot-namespaces': 'namespaces.test',
} as const;

export type ReadmeScreenshot = keyof typeof README_SCREENSHOTS;
