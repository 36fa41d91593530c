// The ids package.json contributes and more than one feature names: the Containers view, the terminal profile,
// the namespaces webview and the walkthrough. Here, so that a feature (or the fallback for an unsupported
// platform) can name another's without importing it.

/** The Containers view (`contributes.views`). */
export const VIEW_ID = 'miniContainers.containers';
/** The "Isolated Shell" terminal profile (`contributes.terminal.profiles`). */
export const PROFILE_ID = 'miniContainers.isolatedShell';
/** The "Show Namespaces" webview panel, also the name it follows the Containers view's scans under. */
export const NAMESPACES_VIEW_TYPE = 'miniContainers.namespaces';
/** "Process isolation, step by step" (`contributes.walkthroughs`). */
export const WALKTHROUGH_ID = 'processIsolation';
