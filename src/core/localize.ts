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

/** A Localize that remembers the English of what it translated, so the log can stay English. */
export interface LoggingLocalize {
  /** Translates as `translate` does. */
  readonly t: Localize;
  /** `text` with every sentence `t` translated lately put back into English: for the log, read in bug reports. */
  inEnglish(text: string): string;
}

/**
 * Wraps `translate` (vscode.l10n.t). The user reads their language, the log keeps English: a log line that quotes
 * what the user was shown (a rootfs problem, an error from src/core) goes through `inEnglish`. Remembers the
 * `keep` latest translations that differ from the English (none while VS Code runs in English).
 */
export function loggingLocalize(translate: Localize, keep = 200): LoggingLocalize {
  const recent = new Map<string, string>(); // shown → English, oldest first
  return {
    t: (message, ...args) => {
      const shown = translate(message, ...args);
      const inEnglish = english(message, ...args);
      if (shown !== inEnglish) {
        recent.delete(shown);
        recent.set(shown, inEnglish);
        if (recent.size > keep) recent.delete(recent.keys().next().value as string);
      }
      return shown;
    },
    inEnglish: (text) => {
      // Longest first: a sentence may hold a shorter one ("… : inconnu").
      for (const [shown, inEnglish] of [...recent].sort((a, b) => b[0].length - a[0].length)) {
        if (text.includes(shown)) text = text.split(shown).join(inEnglish);
      }
      return text;
    },
  };
}
