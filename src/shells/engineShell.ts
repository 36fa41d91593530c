import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Container } from '../core/model/containerModel';
import {
  endShellArgs, ENGINE_PACKAGE, ENGINE_TIMEOUT_MS, EngineCliError, engineTitle, execShellArgs, findEngineCli, nextShellName, nodeRunner, type Runner, shortId,
} from '../core/engines/engineCli';
import { containerLabel } from '../core/model/treeText';
import { t } from '../localize';

/**
 * A shell in a Docker or Podman container, through its engine's own CLI (`docker exec -it ID sh`), as its users
 * expect: the engine gives the shell the container's environment, user, cgroup and namespaces. The terminal is named
 * `<container> (2)`, `(3)`… The client is the first that reaches its daemon with the extension host's environment
 * (DOCKER_HOST, CONTAINER_HOST); when none does, an error says why and nothing opens. Undefined for a container
 * that is not an engine's, or when the shell cannot be opened.
 *
 * `run` is injected by tests. The clients are asked without blocking the extension host (each for at most
 * ENGINE_TIMEOUT_MS): a daemon that hangs delays only this terminal.
 */
export async function openEngineShell(
  container: Container, log: vscode.LogOutputChannel, run: Runner = nodeRunner,
): Promise<vscode.Terminal | undefined> {
  const engine = container.engine;
  if (engine === null) return undefined;
  const title = engineTitle(engine.kind);
  let cli;
  try {
    cli = await findEngineCli(engine.kind, run, process.env);
  } catch (e) {
    if (!(e instanceof EngineCliError)) throw e;
    log.error(`[engines] cannot open a shell in ${engine.kind} container ${engine.id}: ${e.message}`);
    void vscode.window.showErrorMessage(e.reason === 'missing'
      ? t('No {0} command was found: install it (apt-get install {1}) or put it on PATH.', title, ENGINE_PACKAGE[engine.kind])
      : t('{0} cannot reach its daemon, so no shell was opened in {1}: {2}', title, containerLabel(container), e.detail));
    return undefined;
  }
  const token = randomBytes(8).toString('hex');
  const args = execShellArgs(engine.kind, engine.id, token);
  const name = nextShellName(containerLabel(container), vscode.window.terminals.map((term) => term.name));
  log.info(`[engines] ${name}: ${cli.path} ${args.join(' ')}`);
  const terminal = vscode.window.createTerminal({
    name,
    shellPath: cli.path,
    shellArgs: args,
    iconPath: new vscode.ThemeIcon('terminal'),
    // Says what runs, and through which binary (a machine may have several named docker).
    message: t('{0} container {1}: {2} {3}', title, shortId(engine.id), cli.path, args.join(' ')),
  });
  // Closing the terminal hangs up the client only: the engine keeps the shell running in the container. End it,
  // and what it started, once the terminal is gone.
  const closed = vscode.window.onDidCloseTerminal((term) => {
    if (term !== terminal) return;
    closed.dispose();
    void run(cli.path, endShellArgs(engine.kind, engine.id, token), { env: process.env, timeoutMs: ENGINE_TIMEOUT_MS }).then((r) => {
      if (r.code === 0) log.info(`[engines] ${name}: its shell in the container was ended`);
      else log.warn(`[engines] ${name}: could not end its shell in the container: ${r.stderr.trim() || r.spawnError || `exit ${r.code}`}`);
    });
  });
  terminal.show();
  return terminal;
}
