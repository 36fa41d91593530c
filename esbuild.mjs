// Builds everything that runs: the extension bundle, the CLI, and the test suites.
// `node esbuild.mjs [--production] [--watch]`
import * as esbuild from 'esbuild';
import { readdirSync, existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Test files of one suite folder, e.g. test/unit/*.test.ts. */
function testsIn(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => join(dir, f));
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  // node-pty is a native module loaded at first use, from our node_modules or VS Code's own copy.
  // typescript: the l10n check parses sources with the compiler's own parser, loaded from node_modules.
  external: ['vscode', 'node-pty', 'mocha', 'playwright-core', 'typescript'],
  logLevel: 'warning',
};

/**
 * Activation cost: esbuild gives every file that writes `import * as fs from 'node:fs'` (or `vscode`) its own copy
 * of the module's properties (`__toESM`, one getter per export): ten copies of node:fs and fifteen of the vscode
 * API in the extension, about 4 ms of its 10 ms load in a plain Node (measured with a stub vscode). Routed through
 * one small ES module per such import (`export * from 'node:fs'`), each is copied once, on first load.
 */
const oneCopyPerExternal = {
  name: 'one-copy-per-external',
  setup(build) {
    build.onResolve({ filter: /^(?:node:[a-z_/]+|vscode)$/ }, (args) =>
      args.namespace === 'one-copy' ? { path: args.path, external: true } : { path: args.path, namespace: 'one-copy' });
    build.onLoad({ filter: /.*/, namespace: 'one-copy' }, (args) => ({ contents: `export * from ${JSON.stringify(args.path)};`, loader: 'js' }));
  },
};

const builds = [
  { ...common, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist', plugins: [oneCopyPerExternal] },
  ...(existsSync('src/cli.ts') ? [{ ...common, entryPoints: { cli: 'src/cli.ts' }, outdir: 'dist' }] : []),
];
// Test bundles are built in every mode, never minified: `npm run serve` runs one right after packaging.
{
  const suites = ['unit', 'integration', 'vscode', 'e2e', 'bench', 'l10n', 'lint'];
  // Entry points beside the *.test.ts files: the extension-host suite's mocha entry and its two runners, and the
  // e2e "main job" server. Their names do not match `node --test`'s patterns, so it never runs them as tests.
  const extraEntries = {
    vscode: ['index.ts', 'runInCodeServer.ts', 'runElectron.ts'],
    e2e: ['serve.ts', 'copyScreenshots.ts'],
    bench: ['scan.bench.ts', 'helperStart.bench.ts', 'network.bench.ts', 'helperExec.bench.ts', 'extension.bench.ts', 'picture.bench.ts', 'pull.bench.ts', 'rootfs.bench.ts', 'cgroup.bench.ts', 'run.ts'],
    // The localisation check that `npm run lint` runs.
    l10n: ['check.ts'],
    // The README check that `npm run lint` runs.
    lint: ['readmeCheck.ts'],
  };
  for (const suite of suites) {
    const entries = testsIn(join('test', suite));
    for (const file of extraEntries[suite] ?? []) {
      if (existsSync(join('test', suite, file))) entries.push(join('test', suite, file));
    }
    if (!entries.length) continue;
    // The desktop-VS Code runner loads its downloader from node_modules, like mocha and playwright-core.
    const external = [...common.external, '@vscode/test-electron'];
    builds.push({ ...common, minify: false, sourcemap: true, external, entryPoints: entries, outdir: join('dist', 'test', suite) });
  }
}

// The helper's seccomp filter, compiled from the table in src/core/helper/seccomp.ts into the file the helper passes to
// bubblewrap (`--seccomp 9 9<"$dir/seccomp.bpf"`: dash redirects only fds 0-9). Generated on every build, never
// committed.
async function writeSeccompFilter() {
  const tool = join('dist', 'tools', 'seccomp.js');
  await esbuild.build({ ...common, minify: false, sourcemap: false, entryPoints: ['src/core/helper/seccomp.ts'], outfile: tool });
  const require = createRequire(import.meta.url);
  delete require.cache[resolve(tool)];
  require(resolve(tool)).writeSeccompBlob(join('src', 'helper', 'seccomp.bpf'));
}

// The helper: one file, src/helper/container-helper.sh, made from src/helper/parts/*.sh in name order (see the
// first part for why it ships as one file). Generated on every build, never committed.
function writeHelper() {
  const parts = join('src', 'helper', 'parts');
  const text = readdirSync(parts).filter((f) => f.endsWith('.sh')).sort().map((f) => readFileSync(join(parts, f), 'utf8')).join('');
  const target = join('src', 'helper', 'container-helper.sh');
  if (!existsSync(target) || readFileSync(target, 'utf8') !== text) writeFileSync(target, text, { mode: 0o755 });
  chmodSync(target, 0o755);
}

writeHelper();
if (watch) {
  await writeSeccompFilter();
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[esbuild] watching for changes');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  await writeSeccompFilter();
}
