// Last-resort cleanup when a run is interrupted (Ctrl-C, SIGTERM from a CI timeout) or Node exits without the
// test's `after` hooks: code-server runs in its own session, so a terminal's Ctrl-C never reaches it.
// Normal runs clean up in their `after`/`finally` and unregister these first.

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function runAll(): void {
  for (const cleanup of [...cleanups].reverse()) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch (err) {
      console.error(`cleanup failed: ${(err as Error).message}`);
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // Now, not on 'exit': `node --test` SIGKILLs a test file's process soon after passing it a Ctrl-C.
  runAll();
  uninstall();
  // Keep the signal's meaning: with our handler gone, it ends the process as it would have (or reaches the
  // other handlers, e.g. playwright's, which exits with 130).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  process.on('exit', runAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  process.off('exit', runAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/** Runs `cleanup` (synchronous) if the process exits or is signalled before the returned function is called. */
export function onInterrupt(cleanup: Cleanup): () => void {
  if (cleanups.size === 0) install();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
    if (cleanups.size === 0) uninstall();
  };
}
