// `mini-containers ps [--json]`: every container's processes with their namespace and host PIDs.
// Exit status: 0 printed, 1 could not scan /proc, 2 usage error.

import { buildModel } from './core/containerModel';
import { formatPsTable, toPsJson } from './core/format';
import { ProcessScanner } from './core/processScanner';
import { ContainerRegistry } from './core/registry';

const USAGE = `usage: mini-containers ps [--json]

  ps         list every container (PID namespace other than the host's) with its processes:
             PID inside the container, HPID on the host, PPID on the host, user, state, command
  --json     print one JSON document instead of a table
`;

function main(args: string[]): number {
  if (args.length === 1 && (args[0] === '-h' || args[0] === '--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [command, ...flags] = args;
  const json = flags.length === 1 && flags[0] === '--json';
  if (command !== 'ps' || (flags.length > 0 && !json)) {
    process.stderr.write(USAGE);
    return 2;
  }
  // One scan: kept descriptors and a change probe other than stat (read anyway) would only cost here.
  const scanner = new ProcessScanner({ maxOpenFiles: 0, changeProbe: 'stat' });
  let snapshot;
  try {
    snapshot = scanner.scan();
  } catch (e) {
    process.stderr.write(`mini-containers: cannot read /proc: ${(e as Error).message}\n`);
    return 1;
  }
  const registry = new ContainerRegistry();
  const records = registry.read();
  if (registry.lastError) {
    process.stderr.write(`mini-containers: warning: cannot read ${registry.dir}: ${registry.lastError.message}\n`);
  }
  const model = buildModel(snapshot, { records, rootOf: (pid) => scanner.rootOf(pid) });
  process.stdout.write(json ? JSON.stringify(toPsJson(model)) + '\n' : formatPsTable(model));
  return 0;
}

// `ps | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(0);
});
process.exitCode = main(process.argv.slice(2));
