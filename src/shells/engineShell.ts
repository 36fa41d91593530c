import type * as vscode from 'vscode';
import type { Container } from '../core/model/containerModel';

/**
 * A shell in a Docker or Podman container (`docker exec -it`), for "Open Shell in Container" on a container whose
 * `engine` is set. TODO(engines): a stub in the exec branch; the engines branch writes the real one.
 */
export async function openEngineShell(container: Container, log: vscode.LogOutputChannel): Promise<vscode.Terminal | undefined> {
  log.warn(`[exec] host PID ${container.initHostPid}: a Docker or Podman container; shells in those are not supported in this build`);
  return undefined;
}
