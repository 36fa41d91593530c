// A real registry on this machine for the pull tests (and, after the merge, the Root Filesystems e2e): Debian's
// `docker-registry` (the CNCF distribution registry) on 127.0.0.1 and a free port, its storage and config in a temp
// folder, optionally behind htpasswd auth (bcrypt, made by apache2-utils' `htpasswd -B`); images are pushed into it
// with skopeo from OCI layouts that ociLayout.ts builds. stop() ends it by its PID and removes the temp folder.
// Also a throttling TCP proxy in front of it, so that a test can cancel a pull half-way for sure.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface LocalRegistry {
  /** 127.0.0.1:PORT */
  readonly host: string;
  /** With auth: who may pull and push. */
  readonly user?: string;
  readonly password?: string;
  /** Pushes the OCI layout's one image (an index with all its platforms, when it is one) as host/REPO:TAG; returns the digest pushed. */
  push(ociLayoutDir: string, repoTag: string): Promise<string>;
  /** The manifest digest of REPO:TAG for `arch`, as the registry serves it (an index is followed to that platform). */
  manifestDigest(repoTag: string, arch?: string): string;
  /** What `docker login HOST` writes to ~/.docker/config.json for these credentials. */
  dockerConfig(): string;
  /** Ends the registry (SIGTERM, then SIGKILL) and removes its folder. */
  stop(): Promise<void>;
}

/** A free TCP port of 127.0.0.1 (freed again at once: the caller binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves with the HTTP status of GET url, or undefined when nothing answers. */
function status(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.setTimeout(1_000, () => req.destroy());
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function endProcess(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await done;
  clearTimeout(timer);
}

/** Starts a registry; with `auth`, it refuses every request without the user's password (HTTP 401). */
export async function startLocalRegistry(options: { auth?: boolean } = {}): Promise<LocalRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-registry-'));
  const user = options.auth ? 'mc-puller' : undefined;
  const password = options.auth ? `pw-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}` : undefined;
  let child: ChildProcess | undefined;
  try {
    if (options.auth) {
      const line = execFileSync('htpasswd', ['-nbB', user!, password!], { encoding: 'utf8' }).trim();
      fs.writeFileSync(path.join(dir, 'htpasswd'), `${line}\n`);
    }
    // Another process may take the port between freePort and the registry's bind: a few tries.
    for (let attempt = 0; attempt < 5 && !child; attempt++) {
      const port = await freePort();
      const config = [
        'version: 0.1',
        'log:',
        '  level: error',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${path.join(dir, 'data')}`,
        'http:',
        `  addr: 127.0.0.1:${port}`,
        ...(options.auth ? ['auth:', '  htpasswd:', '    realm: mini-containers-test', `    path: ${path.join(dir, 'htpasswd')}`] : []),
      ].join('\n');
      fs.writeFileSync(path.join(dir, 'config.yml'), `${config}\n`);
      const started = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      started.stderr?.on('data', (d: Buffer) => (stderr += d));
      const deadline = Date.now() + 10_000;
      let answer: number | undefined;
      while (!exited(started) && Date.now() < deadline && (answer = await status(`http://127.0.0.1:${port}/v2/`)) === undefined) {
        await new Promise((r) => setTimeout(r, 50));
      }
      if (answer === 200 || answer === 401) {
        child = started;
        return makeRegistry(`127.0.0.1:${port}`, dir, child, user, password);
      }
      await endProcess(started);
      if (!/address already in use/.test(stderr)) throw new Error(`docker-registry did not start (answer ${answer}): ${stderr}`);
    }
    throw new Error('docker-registry found no free port in 5 tries');
  } catch (error) {
    if (child) await endProcess(child);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function makeRegistry(host: string, dir: string, child: ChildProcess, user?: string, password?: string): LocalRegistry {
  const creds = user ? [`${user}:${password}`] : [];
  const skopeo = (args: string[]) => execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    host,
    user,
    password,
    async push(ociLayoutDir, repoTag) {
      const digestFile = path.join(dir, `push-${Date.now()}-${Math.random().toString(36).slice(2)}`);
      skopeo(['copy', '--multi-arch', 'all', '--dest-tls-verify=false', ...(creds.length ? ['--dest-creds', creds[0]] : []),
        '--digestfile', digestFile, `oci:${ociLayoutDir}`, `docker://${host}/${repoTag}`]);
      const digest = fs.readFileSync(digestFile, 'utf8').trim();
      fs.rmSync(digestFile);
      return digest;
    },
    manifestDigest(repoTag, arch) {
      const inspect = (ref: string) => skopeo(['inspect', '--raw', '--tls-verify=false', ...(creds.length ? ['--creds', creds[0]] : []), `docker://${ref}`]);
      const raw = inspect(`${host}/${repoTag}`);
      const doc = JSON.parse(raw) as { manifests?: { digest: string; platform?: { architecture?: string } }[] };
      if (!doc.manifests) return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
      const entry = doc.manifests.find((m) => m.platform?.architecture === (arch ?? 'amd64'));
      if (!entry) throw new Error(`${repoTag} has no ${arch} manifest`);
      return entry.digest;
    },
    dockerConfig() {
      if (!user) return '{"auths":{}}\n';
      return `${JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }, null, '\t')}\n`;
    },
    async stop() {
      await endProcess(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP proxy on 127.0.0.1 in front of `target` (host:port) that passes at most `bytesPerSecond` from it to each
 * client: a pull through it takes long enough to be cancelled half-way.
 */
export async function throttledProxy(target: string, bytesPerSecond: number): Promise<{ host: string; stop(): Promise<void> }> {
  const [targetHost, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      upstream.pause();
      setTimeout(() => upstream.resume(), (chunk.length / bytesPerSecond) * 1000);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    upstream.on('close', close).on('error', close);
    client.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
