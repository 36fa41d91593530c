// The ending every command-line script of the tests shares (runners, the main-job server, benchmarks).

/**
 * Runs `main`: the number it resolves with becomes the exit code. A failure is printed and exits 1: only its
 * message for a runner whose errors are sentences, the whole error with its stack for a benchmark's surprises.
 */
export function runScript(main: () => Promise<number>, { stack = false } = {}): void {
  main().then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      console.error(err instanceof Error && !stack ? err.message : err);
      process.exitCode = 1;
    },
  );
}
