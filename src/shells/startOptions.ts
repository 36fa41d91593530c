// What the settings add to a container's start: one function, so that every way of starting a container (the
// isolated shell, a task) starts it the same way. The binds engineer's binds/workdir join this function.
import type * as vscode from 'vscode';
import { parsePublish, type StartRequest } from '../core/helper/helperProtocol';
import { t } from '../localize';
import { readNetworkSettings } from '../settings';

// --- network ------------------------------------------------------------------------------------------------------

/**
 * The start options the settings choose: miniContainers.network and miniContainers.publish. Throws an Error that
 * names the setting when a published port is not "HOSTPORT:PORT" (the helper would refuse it too). Whether the
 * helper runs under sudo/pkexec (where host is refused) is decided later, by `forDelegated`.
 */
export function readStartOptions(log: vscode.LogOutputChannel): Pick<StartRequest, 'network' | 'publish'> {
  const { network, publish } = readNetworkSettings();
  const ports = publish.map((text) => {
    const port = parsePublish(text);
    if (!port) throw new Error(t('miniContainers.publish: "{0}" is not HOSTPORT:PORT with ports 1 to 65535.', text));
    return port;
  });
  log.debug(`[shell] network ${network}${publish.length ? `, publish ${publish.join(' ')}` : ''}`);
  return ports.length ? { network, publish: ports } : { network };
}

/**
 * Under sudo or pkexec the helper refuses the host's network (root inside would be uid 0 in it): such a start gets
 * `none` instead, and `notice` is the line the terminal shows once. Anything else is left as it is.
 */
export function forDelegated(
  options: Pick<StartRequest, 'network' | 'publish'>, delegated: boolean,
): { options: Pick<StartRequest, 'network' | 'publish'>; notice?: string } {
  if (!delegated || (options.network ?? 'host') !== 'host') return { options };
  return {
    options: { ...options, network: 'none' },
    notice: t('Network: none (only lo). Under sudo or pkexec a container never shares the host\'s network, so miniContainers.network "host" is not used; choose "private" for a network of its own.'),
  };
}
