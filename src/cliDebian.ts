// `mini-containers rootfs debian SUITE [--mirror URL] [--name NAME] [--store DIR]`: a minbase Debian or Ubuntu root
// filesystem made by mmdebstrap (debianRootfs.ts), its stages on stderr, Ctrl-C leaving nothing.
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createDebianRootfs, debianPrerequisites, defaultMirror, hostAptSources, parseSuite, validMirror,
} from './core/rootfs/debianRootfs';
import { makeRootfsFromCli } from './cliRootfs';
import { defaultStore } from './core/rootfs/rootfsStore';

export const DEBIAN_USAGE = `rootfs debian SUITE [--mirror URL] [--name NAME] [--store DIR]
             bootstrap a minbase Debian or Ubuntu rootfs with mmdebstrap: SUITE bookworm, trixie, noble, jammy,
             or DISTRIBUTION:SUITE (ubuntu:oracular); the mirror from your apt sources unless given; as root into
             the system store, else (with subordinate ids in /etc/subuid) into yours; NAME: DISTRIBUTION-SUITE`;

export async function rootfsDebian(args: string[], usage: () => void): Promise<number> {
  let suite: string | undefined;
  let mirror: string | undefined;
  let name: string | undefined;
  let store = defaultStore(process.env);
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1];
    if (args[i] === '--mirror' && value) mirror = args[++i];
    else if (args[i] === '--name' && value) name = args[++i];
    else if (args[i] === '--store' && value) store = path.resolve(args[++i]);
    else if (!args[i].startsWith('-') && suite === undefined) suite = args[i];
    else return (usage(), 2);
  }
  if (!suite) return (usage(), 2);
  const choice = parseSuite(suite);
  const from = mirror ?? defaultMirror(choice.distribution, hostAptSources());
  if (!validMirror(from)) {
    process.stderr.write(`mini-containers: --mirror must be an http:// or https:// URL: ${from}\n`);
    return 2;
  }
  const problem = debianPrerequisites(choice, process.getuid?.() === 0, os.userInfo().username, process.getuid?.() ?? 0);
  if (problem) {
    process.stderr.write(`mini-containers: ${problem}\n`);
    return 1;
  }
  return makeRootfsFromCli((signal, say) => createDebianRootfs(choice, from, store, name ?? `${choice.distribution}-${choice.suite}`, {
    signal, onProgress: ({ fraction, stage }) => say(`${Math.round(fraction * 100)}% ${stage}`),
  }));
}
