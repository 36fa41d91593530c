import * as vscode from 'vscode';
import { loggingLocalize } from './core/localize';

/**
 * vscode.l10n.t for what src/core says (pass `t` as its Localize) and for any sentence the log also quotes:
 * `inEnglish(line)` puts the log line back into English. Messages only shown can call vscode.l10n.t directly.
 */
// l10n-ignore: the messages are the callers' literals, which the l10n check finds at each call of `t`.
export const { t, inEnglish } = loggingLocalize((message, ...args) => vscode.l10n.t(message, ...args));
