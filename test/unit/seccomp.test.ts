import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  AUDIT_ARCH, BPF, BPF_MAXINSNS, CLONE_NEWUSER, ERRNO, SECCOMP_ARCHES, SECCOMP_RET, SECCOMP_TABLE, TIOCLINUX, TIOCSTI, X32_SYSCALL_BIT,
  compileSeccomp, compileSeccompInsns, writeSeccompBlob,
  type BpfInsn, type DeniedSyscall, type SeccompArch,
} from '../../src/core/helper/seccomp';

// --- a classic BPF interpreter for what the kernel's seccomp accepts (ld abs, jumps, ret)

interface SeccompData {
  nr: number;
  arch: number;
  args?: readonly number[];
}

/** Reads the blob back exactly as the kernel does: struct sock_filter[], little-endian. */
function decode(blob: Buffer): BpfInsn[] {
  assert.equal(blob.length % 8, 0, 'bubblewrap refuses a length that is not a multiple of 8');
  const out: BpfInsn[] = [];
  for (let o = 0; o < blob.length; o += 8) {
    out.push({ code: blob.readUInt16LE(o), jt: blob.readUInt8(o + 2), jf: blob.readUInt8(o + 3), k: blob.readUInt32LE(o + 4) });
  }
  return out;
}

/** The 32-bit word at `offset` of struct seccomp_data (args are u64, low half first). */
function word(data: SeccompData, offset: number): number {
  if (offset === 0) return data.nr >>> 0;
  if (offset === 4) return data.arch >>> 0;
  if (offset >= 16 && offset < 64 && offset % 4 === 0) {
    const arg = BigInt.asUintN(64, BigInt(data.args?.[(offset - 16) >> 3] ?? 0));
    return Number(offset % 8 === 0 ? arg & 0xffffffffn : arg >> 32n);
  }
  throw new Error(`load from offset ${offset}, outside seccomp_data's words`);
}

function run(prog: readonly BpfInsn[], data: SeccompData): number {
  let a = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc];
    switch (code) {
      case BPF.LD_W_ABS: a = word(data, k); break;
      case BPF.JMP_JA: pc += k; break;
      case BPF.JMP_JEQ_K: pc += a === k ? jt : jf; break;
      case BPF.JMP_JSET_K: pc += (a & k) !== 0 ? jt : jf; break;
      case BPF.RET_K: return k;
      default: throw new Error(`opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('ran off the end of the program');
}

const prog = decode(compileSeccomp());
const errno = (e: keyof typeof ERRNO) => SECCOMP_RET.ERRNO | ERRNO[e];
const EPERM = errno('EPERM');
const ENOSYS = errno('ENOSYS');
const ALLOW = SECCOMP_RET.ALLOW;
const row = (name: string) => {
  const found = SECCOMP_TABLE.find((r) => r.name === name);
  assert.ok(found, `${name} is in the table`);
  return found;
};
const nrOf = (name: string, arch: SeccompArch) => {
  const nr = row(name).nr[arch];
  assert.ok(nr !== undefined, `${name} has a number on ${arch}`);
  return nr;
};

// Calls a shell needs, with their numbers (cross-checked against the headers below).
const ordinary: Record<SeccompArch, Record<string, number>> = {
  x86_64: { read: 0, write: 1, execve: 59, getpid: 39, ptrace: 101, personality: 135 },
  aarch64: { read: 63, write: 64, execve: 221, getpid: 172, ptrace: 117, personality: 92 },
  i386: { read: 3, write: 4, execve: 11, getpid: 20, ptrace: 26, personality: 136 },
};

const CLONE_THREAD_FLAGS = 0x3d0f00; // what glibc's pthread_create passes
const SIGCHLD = 17;
const CLONE_NEWNS = 0x00020000;
const CLONE_NEWNET = 0x40000000;
const CLONE_NEWPID = 0x20000000;

describe('seccomp filter: what each architecture gets', () => {
  for (const arch of SECCOMP_ARCHES) {
    const call = (nr: number, ...args: number[]) => run(prog, { nr, arch: AUDIT_ARCH[arch], args });

    it(`${arch}: every unconditional row returns its errno`, () => {
      const rows = SECCOMP_TABLE.filter((r) => !r.when && r.nr[arch] !== undefined);
      assert.ok(rows.length > 20, `${arch} has rows`);
      for (const r of rows) assert.equal(call(r.nr[arch] as number), errno(r.errno), r.name);
    });

    it(`${arch}: ordinary calls are allowed`, () => {
      for (const [name, nr] of Object.entries(ordinary[arch])) assert.equal(call(nr, 3, 0, 0), ALLOW, name);
    });

    it(`${arch}: clone is refused only with CLONE_NEWUSER`, () => {
      const clone = nrOf('clone', arch);
      assert.equal(call(clone, CLONE_THREAD_FLAGS), ALLOW, 'thread');
      assert.equal(call(clone, SIGCHLD), ALLOW, 'fork');
      assert.equal(call(clone, CLONE_NEWNS | CLONE_NEWPID | SIGCHLD), ALLOW, 'other namespaces are left to capabilities');
      assert.equal(call(clone, CLONE_NEWUSER | SIGCHLD), EPERM, 'user namespace');
      assert.equal(call(clone, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | SIGCHLD), EPERM, 'user namespace among others');
      assert.equal(call(clone, 0xffffffff), EPERM, 'every flag');
    });

    it(`${arch}: unshare is refused only with CLONE_NEWUSER`, () => {
      const unshare = nrOf('unshare', arch);
      assert.equal(call(unshare, CLONE_NEWUSER), EPERM);
      assert.equal(call(unshare, CLONE_NEWUSER | CLONE_NEWNS), EPERM);
      assert.equal(call(unshare, CLONE_NEWNS), ALLOW);
      assert.equal(call(unshare, CLONE_NEWNET), ALLOW);
    });

    it(`${arch}: setns is refused for nstype 0 and user namespaces`, () => {
      const setns = nrOf('setns', arch);
      assert.equal(call(setns, 3, 0), EPERM, 'any kind');
      assert.equal(call(setns, 3, CLONE_NEWUSER), EPERM, 'user');
      assert.equal(call(setns, 3, CLONE_NEWNET), ALLOW, 'network');
      assert.equal(call(setns, 3, CLONE_NEWNS), ALLOW, 'mount');
      // The fd (argument 0) plays no part.
      assert.equal(call(setns, CLONE_NEWUSER, CLONE_NEWNET), ALLOW, 'fd that looks like the flag');
    });

    it(`${arch}: ioctl is refused only for TIOCSTI and TIOCLINUX, whatever the upper 32 bits hold`, () => {
      const ioctl = nrOf('ioctl', arch);
      assert.equal(call(ioctl, 0, TIOCSTI), EPERM, 'TIOCSTI');
      assert.equal(call(ioctl, 0, TIOCLINUX), EPERM, 'TIOCLINUX');
      // The kernel reads the request as an unsigned int: bits above 32 must not hide it from the filter.
      assert.equal(call(ioctl, 0, 2 ** 32 + TIOCSTI), EPERM, 'TIOCSTI with high bits set');
      for (const [name, request] of [['TCGETS', 0x5401], ['TIOCGWINSZ', 0x5413], ['TIOCSWINSZ', 0x5414], ['TIOCSPGRP', 0x5410], ['FIONREAD', 0x541b]] as const) {
        assert.equal(call(ioctl, 0, request), ALLOW, name);
      }
      // The fd (argument 0) plays no part.
      assert.equal(call(ioctl, TIOCSTI, 0x5401), ALLOW, 'fd that looks like the request');
    });

    it(`${arch}: ioctl is refused only for TIOCSTI and TIOCLINUX, whatever the upper 32 bits hold`, () => {
      const ioctl = nrOf('ioctl', arch);
      assert.equal(call(ioctl, 0, TIOCSTI), EPERM, 'TIOCSTI');
      assert.equal(call(ioctl, 0, TIOCLINUX), EPERM, 'TIOCLINUX');
      // The kernel reads the request as an unsigned int: bits above 32 must not hide it from the filter.
      assert.equal(call(ioctl, 0, 2 ** 32 + TIOCSTI), EPERM, 'TIOCSTI with high bits set');
      const allowed = { TCGETS: 0x5401, TIOCSPGRP: 0x5410, TIOCGWINSZ: 0x5413, TIOCSWINSZ: 0x5414, FIONREAD: 0x541b };
      for (const [name, request] of Object.entries(allowed)) assert.equal(call(ioctl, 0, request), ALLOW, name);
      // The fd (argument 0) plays no part.
      assert.equal(call(ioctl, TIOCSTI, 0x5401), ALLOW, 'fd that looks like the request');
    });

    it(`${arch}: clone3 is ENOSYS, so libc falls back to clone`, () => {
      assert.equal(call(nrOf('clone3', arch)), ENOSYS);
    });

    it(`${arch}: a condition's argument is reloaded, so rows after it still match`, () => {
      // Rows after clone/unshare/setns see the number again, not the argument the condition loaded.
      const last = SECCOMP_TABLE.filter((r) => !r.when && r.nr[arch] !== undefined).at(-1) as DeniedSyscall;
      assert.equal(call(last.nr[arch] as number, CLONE_NEWUSER, CLONE_NEWUSER), errno(last.errno), last.name);
      const clone = nrOf('clone', arch);
      assert.equal(call(clone, clone), ALLOW, 'clone whose flags equal its own number');
    });
  }

  it('x86_64: the x32 ABI is refused whole, even for calls x86_64 allows', () => {
    for (const nr of [0, 1, 39, 59, nrOf('keyctl', 'x86_64'), 512, 547]) {
      assert.equal(run(prog, { nr: X32_SYSCALL_BIT | nr, arch: AUDIT_ARCH.x86_64 }), ENOSYS, `x32 ${nr}`);
    }
  });

  it('an unknown architecture is never allowed', () => {
    for (const arch of [0x40000028 /* 32-bit ARM */, 0, 0xffffffff, 0xc000003f, 0x4000003e]) {
      for (let nr = 0; nr < 600; nr++) {
        assert.notEqual(run(prog, { nr, arch }), ALLOW, `arch 0x${arch.toString(16)} nr ${nr}`);
      }
      assert.equal(run(prog, { nr: 0, arch }), SECCOMP_RET.KILL_PROCESS);
    }
  });

  it('every architecture denies the calls issue 9 names', () => {
    const required = ['keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd', 'kexec_load',
      'init_module', 'finit_module', 'delete_module', 'open_by_handle_at', 'mount', 'umount2', 'pivot_root', 'swapon',
      'swapoff', 'reboot', 'acct', 'settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex'];
    for (const arch of SECCOMP_ARCHES) {
      for (const name of required) assert.equal(run(prog, { nr: nrOf(name, arch), arch: AUDIT_ARCH[arch] }), EPERM, `${arch} ${name}`);
    }
    for (const arch of ['x86_64', 'aarch64'] as const) assert.equal(run(prog, { nr: nrOf('kexec_file_load', arch), arch: AUDIT_ARCH[arch] }), EPERM, arch);
    for (const name of ['iopl', 'ioperm']) for (const arch of ['x86_64', 'i386'] as const) assert.equal(run(prog, { nr: nrOf(name, arch), arch: AUDIT_ARCH[arch] }), EPERM, `${arch} ${name}`);
    for (const name of ['stime', 'clock_settime64', 'clock_adjtime64', 'umount']) assert.equal(run(prog, { nr: nrOf(name, 'i386'), arch: AUDIT_ARCH.i386 }), EPERM, name);
  });
});

describe('seccomp filter: a program the kernel loads', () => {
  it('fits BPF_MAXINSNS, loads only aligned words of seccomp_data, jumps only forward inside it, ends in ret', () => {
    assert.ok(prog.length > 0 && prog.length <= BPF_MAXINSNS, `${prog.length} instructions`);
    assert.equal(prog.at(-1)?.code, BPF.RET_K);
    prog.forEach((insn, pc) => {
      assert.ok([BPF.LD_W_ABS, BPF.JMP_JA, BPF.JMP_JEQ_K, BPF.JMP_JSET_K, BPF.RET_K].includes(insn.code as never), `opcode at ${pc}`);
      if (insn.code === BPF.LD_W_ABS) assert.ok(insn.k % 4 === 0 && insn.k < 64, `load at ${pc}`);
      if (insn.code === BPF.JMP_JA) assert.ok(pc + 1 + insn.k < prog.length, `ja at ${pc}`);
      if (insn.code === BPF.JMP_JEQ_K || insn.code === BPF.JMP_JSET_K) {
        assert.ok(insn.jt <= 255 && insn.jf <= 255, `jump at ${pc}`);
        assert.ok(pc + 1 + Math.max(insn.jt, insn.jf) < prog.length, `jump at ${pc} stays inside`);
      }
    });
  });

  it('the blob is the instructions, 8 little-endian bytes each', () => {
    assert.deepEqual(prog, compileSeccompInsns());
  });

  it('writeSeccompBlob writes exactly the compiled filter', (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mc-seccomp-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'seccomp.bpf');
    assert.equal(writeSeccompBlob(file), compileSeccomp().length);
    assert.deepEqual(readFileSync(file), compileSeccomp());
  });

  it('refuses a table that would compile into a wrong filter', () => {
    const ok = row('keyctl');
    const bad: [string, DeniedSyscall[]][] = [
      ['twice', [ok, ok]],
      ['shared number', [ok, { ...row('bpf'), nr: { x86_64: 250 } }]],
      ['no number', [{ ...ok, nr: {} }]],
      ['x32 bit', [{ ...ok, nr: { x86_64: X32_SYSCALL_BIT } }]],
      ['negative', [{ ...ok, nr: { aarch64: -1 } }]],
      ['unknown arch', [{ ...ok, nr: { mips: 1 } as never }]],
      ['argument 6', [{ ...ok, when: { arg: 6, anyOf: [{ kind: 'eq', value: 0 }] } }]],
      ['no test', [{ ...ok, when: { arg: 0, anyOf: [] } }]],
      ['64-bit value', [{ ...ok, when: { arg: 0, anyOf: [{ kind: 'anyBit', mask: 2 ** 32 }] } }]],
    ];
    for (const [why, table] of bad) assert.throws(() => compileSeccomp(table), /seccomp table/, why);
  });

  it('a condition with many tests still only jumps forward to its own return', () => {
    const anyOf = Array.from({ length: 40 }, (_, i) => ({ kind: 'eq' as const, value: 1000 + i }));
    const table: DeniedSyscall[] = [{ name: 'x', nr: { aarch64: 7 }, errno: 'EPERM', when: { arg: 2, anyOf }, why: 'test' }];
    const p = decode(compileSeccomp(table));
    const call = (nr: number, arg2: number) => run(p, { nr, arch: AUDIT_ARCH.aarch64, args: [0, 0, arg2] });
    assert.equal(call(7, 1000), EPERM);
    assert.equal(call(7, 1039), EPERM);
    assert.equal(call(7, 1040), ALLOW);
    assert.equal(call(8, 1000), ALLOW);
  });
});

// --- the table against this machine's kernel headers (linux-libc-dev)

/** `#define __NR_name number` of a header with no conditionals. */
function flatHeader(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of readFileSync(file, 'utf8').matchAll(/^#define __NR_(\w+)\s+(\d+)\s*$/gm)) out.set(m[1], Number(m[2]));
  return out;
}

/**
 * asm-generic/unistd.h as arm64 sees it: its numbers depend on `#if`s over __BITS_PER_LONG and the
 * __ARCH_WANT_* that arch/arm64/include/uapi/asm/unistd.h defines. Anything this small evaluator does not
 * understand throws, so a changed header fails the test instead of passing it.
 */
function genericHeader(file: string, bitsPerLong: number, defined: readonly string[]): Map<string, number> {
  const macros = new Set(defined);
  const atom = (s: string): boolean => {
    let m = /^(!?)\s*defined\s*\(?\s*(\w+)\s*\)?$/.exec(s);
    if (m) return (m[1] === '!') !== macros.has(m[2]);
    m = /^__BITS_PER_LONG\s*(==|!=)\s*(\d+)$/.exec(s);
    if (m) return (m[1] === '==') === (bitsPerLong === Number(m[2]));
    throw new Error(`asm-generic/unistd.h: cannot evaluate "${s}"`);
  };
  const expr = (s: string) => s.split('||').some((or) => or.split('&&').every((and) => atom(and.trim())));
  const out = new Map<string, number>();
  const stack: { active: boolean; taken: boolean }[] = [];
  const active = () => stack.every((f) => f.active);
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/\/\*.*?\*\//g, '').trim();
    let m: RegExpExecArray | null;
    if ((m = /^#\s*ifdef\s+(\w+)$/.exec(line))) stack.push({ active: macros.has(m[1]), taken: macros.has(m[1]) });
    else if ((m = /^#\s*ifndef\s+(\w+)$/.exec(line))) stack.push({ active: !macros.has(m[1]), taken: !macros.has(m[1]) });
    else if ((m = /^#\s*if\s+(.+)$/.exec(line))) { const v = expr(m[1]); stack.push({ active: v, taken: v }); }
    else if (/^#\s*else$/.test(line)) { const f = stack.at(-1) as { active: boolean; taken: boolean }; f.active = !f.taken; f.taken = true; }
    else if (/^#\s*endif$/.test(line)) stack.pop();
    else if (/^#\s*el/.test(line)) throw new Error(`asm-generic/unistd.h: cannot evaluate "${line}"`);
    else if (!active()) continue;
    else if ((m = /^#\s*define\s+(\w+)(?:\s+(\S+))?/.exec(line))) {
      macros.add(m[1]);
      const nr = /^__NR_(\w+)$/.exec(m[1]);
      if (nr && m[2] && /^\d+$/.test(m[2])) out.set(nr[1], Number(m[2]));
    } else if ((m = /^#\s*undef\s+(\w+)$/.exec(line))) macros.delete(m[1]);
  }
  assert.equal(stack.length, 0, 'balanced #if/#endif');
  return out;
}

const headers: Record<SeccompArch, { file: string; read: (file: string) => Map<string, number> }> = {
  x86_64: { file: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h', read: flatHeader },
  i386: { file: '/usr/include/x86_64-linux-gnu/asm/unistd_32.h', read: flatHeader },
  // arm64's uapi unistd.h (Linux 6.1): these __ARCH_WANT_*, then asm-generic/unistd.h.
  aarch64: {
    file: '/usr/include/asm-generic/unistd.h',
    read: (file) => genericHeader(file, 64, ['__ARCH_WANT_RENAMEAT', '__ARCH_WANT_NEW_STAT', '__ARCH_WANT_SET_GET_RLIMIT',
      '__ARCH_WANT_TIME32_SYSCALLS', '__ARCH_WANT_SYS_CLONE3', '__ARCH_WANT_MEMFD_SECRET']),
  },
};

describe('seccomp table: numbers match the kernel headers', () => {
  for (const arch of SECCOMP_ARCHES) {
    const { file, read } = headers[arch];
    it(`${arch} (${file})`, { skip: !existsSync(file) && `${file} is absent: apt-get install linux-libc-dev` }, () => {
      const nrs = read(file);
      assert.ok(nrs.size > 250, `${file} lists system calls`);
      for (const r of SECCOMP_TABLE) {
        assert.equal(r.nr[arch], nrs.get(r.name), `${arch} ${r.name}: table ${r.nr[arch]}, header ${nrs.get(r.name)}`);
      }
      for (const [name, nr] of Object.entries(ordinary[arch])) assert.equal(nrs.get(name), nr, `${arch} ${name}`);
    });
  }
});
