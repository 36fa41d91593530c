// How src/core says things to a user without importing vscode: every sentence a user may read goes through a
// `Localize` function that the caller passes in. The VS Code layer passes `vscode.l10n.t`, which looks the
// English sentence up in the French bundle (media/l10n/bundle.l10n.fr.json) when VS Code runs in French; the CLI
// and the tests pass nothing and get `english`. `npm run lint` (test/l10n/check.ts) finds every `t('…')` call
// and fails when the French bundle lacks its sentence.

/** Arguments that fill `{0}`, `{1}`… in a message, as `vscode.l10n.t` takes them. */
export type LocalizeArg = string | number | boolean;

/** Same contract as `vscode.l10n.t(message, ...args)`: the message is a literal English sentence. */
export type Localize = (message: string, ...args: LocalizeArg[]) => string;

/** The English sentence with its placeholders filled, as `vscode.l10n.t` does when no translation applies. */
export const english: Localize = (message, ...args) =>
  message.replace(/\{(\d+)\}/g, (whole, index: string) => (Number(index) < args.length ? String(args[Number(index)]) : whole));
