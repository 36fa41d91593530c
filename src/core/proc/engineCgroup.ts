// Which container engine made a process, from its /proc/PID/cgroup: Docker and Podman put each container in a
// cgroup named after its 64-hex id. Pure text in, a typed value or undefined out.

/** A container engine whose containers the Containers view names. */
export type EngineKind = 'docker' | 'podman';

/** A container of an engine, as its cgroup names it. */
export interface EngineRef {
  readonly kind: EngineKind;
  /** The engine's full container id: 64 lower-case hex digits. */
  readonly id: string;
}

// One path segment per engine and cgroup driver; the id is 64 hex digits, so a longer run does not match.
//  Docker, cgroupfs driver (v1 and v2):   /docker/<id>
//  Docker, systemd driver:                /system.slice/docker-<id>.scope
//  Podman, systemd (root or rootless):    /machine.slice/libpod-<id>.scope, …/user.slice/libpod-<id>.scope
//  Podman, cgroupfs driver:               /libpod_parent/libpod-<id>
// Podman's conmon lives in `libpod-conmon-<id>.scope`: that is the monitor on the host, not the container, and
// the word "conmon" keeps it from matching. Docker-in-Docker nests `/docker/<outer>/docker/<inner>`: the last
// segment that matches is the innermost engine's container, the one this process is in.
const SEGMENTS: readonly { kind: EngineKind; pattern: RegExp }[] = [
  { kind: 'docker', pattern: /^docker-([0-9a-f]{64})\.scope$/ },
  { kind: 'podman', pattern: /^libpod-([0-9a-f]{64})(?:\.scope)?$/ },
];

/** One line of /proc/PID/cgroup: `HIERARCHY:CONTROLLERS:PATH`. */
export interface CgroupLine {
  /** Hierarchy number: 0 for cgroup v2's line. */
  readonly hierarchy: number;
  /** The controllers bound to that hierarchy (`cpu,cpuacct` → both; `name=systemd` as is); none for v2's line. */
  readonly controllers: readonly string[];
  /** The group's path, relative to the reader's cgroup namespace: `/` is its root. */
  readonly path: string;
}

/** The lines of a /proc/PID/cgroup text (v1, v2 or hybrid); malformed lines are skipped. The one parser of it. */
export function parseCgroupLines(text: string): CgroupLine[] {
  const lines: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    // The path is everything after the second colon (a path may itself hold colons).
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const hierarchy = Number(line.slice(0, first));
    if (!Number.isInteger(hierarchy) || first === 0) continue;
    const controllers = line.slice(first + 1, second);
    lines.push({ hierarchy, controllers: controllers ? controllers.split(',') : [], path: line.slice(second + 1) });
  }
  return lines;
}

/** The engine container that segment `i` of a cgroup path's segments names, if it names one. */
export function engineAt(segments: readonly string[], i: number): EngineRef | undefined {
  const segment = segments[i];
  if (segments[i - 1] === 'docker' && /^[0-9a-f]{64}$/.test(segment)) return { kind: 'docker', id: segment };
  let found: EngineRef | undefined;
  for (const { kind, pattern } of SEGMENTS) {
    const m = pattern.exec(segment);
    if (m) found = { kind, id: m[1] };
  }
  return found;
}

/**
 * The engine container a process is in, from the text of its /proc/PID/cgroup (`HIERARCHY:CONTROLLERS:PATH`
 * lines, cgroup v1, v2 or hybrid); undefined when no line names one (the host, a container started otherwise,
 * or a process in its own cgroup namespace, whose paths read `/`).
 */
export function parseEngineCgroup(text: string): EngineRef | undefined {
  for (const { path } of parseCgroupLines(text)) {
    const segments = path.split('/');
    let inLine: EngineRef | undefined;
    for (let i = 0; i < segments.length; i++) inLine = engineAt(segments, i) ?? inLine;
    // Every hierarchy names the same container; v1's name=systemd line may lag behind (Docker with cgroupfs leaves
    // it on the host's unit on some hosts), so any line that names one is taken, the first that does.
    if (inLine !== undefined) return inLine;
  }
  return undefined;
}
