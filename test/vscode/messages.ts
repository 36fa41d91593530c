// The extension shares this `vscode` API object with the suites, so replacing a window.show…Message function here
// answers the extension's own messages too: as a user who dismissed them, or who picked `answer()`.
import * as vscode from 'vscode';

type Show = (message: string, ...rest: unknown[]) => Thenable<unknown>;
type Kind = 'showErrorMessage' | 'showWarningMessage' | 'showInformationMessage';
const ui = vscode.window as unknown as Record<Kind, Show>;

/** Answers every message of the given kinds until restore(), recording each in `messages`. */
export function capture(kinds: Kind | Kind[], answer: () => string | undefined = () => undefined) {
  const replaced = Array.isArray(kinds) ? kinds : [kinds];
  const originals = replaced.map((kind) => ui[kind]);
  const messages: string[] = [];
  for (const kind of replaced) {
    ui[kind] = (message: string) => {
      messages.push(message);
      return Promise.resolve(answer());
    };
  }
  return { messages, restore: () => replaced.forEach((kind, i) => (ui[kind] = originals[i])) };
}
