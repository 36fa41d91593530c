// What README.md may name, and the rules that find a name of nothing. Pure: the facts come from the caller
// (readmeCheck.ts reads them from the repository; the unit tests give small ones).

export interface ReadmeFacts {
  /** Setting, command, view and terminal-profile ids package.json contributes. */
  readonly ids: ReadonlySet<string>;
  /** What the UI shows: command titles (with and without their category), view, container, walkthrough and profile titles, launch configurations. */
  readonly names: ReadonlySet<string>;
  /** npm scripts. */
  readonly scripts: ReadonlySet<string>;
  /** Whether `word` is a subcommand or option the CLI knows. */
  readonly isCliWord: (word: string) => boolean;
  /** The pictures of media/ that e2e tests take (test/e2e/readmeScreenshots.ts), by name without `.png`. */
  readonly screenshots: ReadonlySet<string>;
  /** Whether a path relative to the repository's root exists (after a build). */
  readonly exists: (file: string) => boolean;
}

export interface Finding {
  readonly line: number;
  readonly message: string;
}

/** Bold text that reads as something to click or pick: it must be one of ours (or a launch configuration). */
const UI_VERB = /^(?:Start|Show|Create|Choose|Install|Uninstall|Kill|Stop|Open|Copy|Send|Refresh|Reveal|Run|Pull|Import|Reset|Containers:)\b|…$/;
/** The top of the repository a path in README may start with; dist/ and .vscode-test/ are made by builds and runs. */
const REPO_PATH = /^(?:src|test|media|\.vscode|\.ci)\/[\w./@-]*$|^(?:esbuild\.mjs|package\.json|package\.nls(?:\.[a-z-]+)?\.json|README\.md)$/;

export function checkReadme(readme: string, facts: ReadmeFacts): Finding[] {
  const findings: Finding[] = [];
  let inCode = false;
  readme.split('\n').forEach((text, index) => {
    const line = index + 1;
    const say = (message: string) => findings.push({ line, message });
    if (/^\s*```/.test(text)) {
      inCode = !inCode;
      return;
    }
    // Code: fenced lines whole, and every `span` of the others.
    const code = inCode ? [text] : [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

    for (const [, id] of text.matchAll(/(?<![\w.])(miniContainers\.[A-Za-z][\w.]*[A-Za-z\d])/g)) {
      if (!facts.ids.has(id)) say(`"${id}" is no setting, command, view or profile of package.json`);
    }
    for (const [, script] of text.matchAll(/\bnpm run ([\w:-]+)/g)) {
      if (!facts.scripts.has(script)) say(`"npm run ${script}": package.json has no script "${script}"`);
    }
    for (const span of code) {
      for (const [, word] of span.matchAll(/(?<![\w/.-])(?:mini-containers|node dist\/cli\.js) ([a-z][\w-]*)/g)) {
        if (!facts.isCliWord(word)) say(`"${word}" is no subcommand of the CLI`);
      }
      for (const word of span.split(/\s+/)) {
        const path = word.replace(/[),.;:]+$/, '');
        if (REPO_PATH.test(path) && !/[A-Z]{3,}/.test(path) && !facts.exists(path)) say(`"${path}" does not exist in the repository`);
      }
    }
    if (!inCode) {
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(?:[a-z]+:|#)/.test(target)) continue;
        const path = target.replace(/#.*$/, '');
        if (!facts.exists(path)) say(`the link to "${path}" leads nowhere`);
      }
      for (const [, picture] of text.matchAll(/!\[[^\]]*\]\(media\/([^)\s]+)\.png\)/g)) {
        if (!facts.screenshots.has(picture)) say(`media/${picture}.png is no picture an e2e test takes (test/e2e/readmeScreenshots.ts): it would drift from the UI`);
      }
      for (const [, bold] of text.matchAll(/\*\*([^*]+)\*\*/g)) {
        if (UI_VERB.test(bold) && !facts.names.has(bold)) say(`**${bold}** is no command, view, walkthrough or launch configuration of ours`);
      }
    }
  });
  return findings;
}
