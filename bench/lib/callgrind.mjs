// @ts-check
// Instruction counts of a server process under valgrind's callgrind: the process runs with
// `valgrind --tool=callgrind`, its counters are zeroed when the measured window starts
// (`callgrind_control -z`) and dumped when it ends (`callgrind_control -d`), and the dump is
// summarised by category (V8's JIT code, its builtins and interpreter, the garbage
// collector, the rest of V8, Node's C++, llhttp, libuv, OpenSSL, libc). Instruction counts
// do not depend on how busy the machine is, unlike wall-clock throughput or CPU time.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runToEnd } from './proc.mjs';

/** `valgrind …` arguments that run `cmd` under callgrind, dumps into `dir`. @param {string} dir */
export function callgrindPrefix(dir) {
  return [
    'valgrind',
    '--tool=callgrind',
    '--trace-children=no',
    `--callgrind-out-file=${join(dir, 'callgrind.out')}`,
    // JIT code is written and rewritten in place: valgrind must notice it (its default
    // checks only the stack).
    '--smc-check=all',
    // Start-up and the first warm-up requests run uninstrumented (several times faster);
    // instrumentOn() switches counting on before the rest of the warm-up.
    '--instr-atstart=no',
  ];
}

/** @param {number} pid @param {string[]} what */
async function control(pid, ...what) {
  const r = await runToEnd(null, 'callgrind_control', [...what, String(pid)], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`callgrind_control ${what.join(' ')} ${pid} failed: ${r.stdout}${r.stderr}`);
}

/** Switches instrumentation on (the process started with it off). @param {number} pid */
export const instrumentOn = (pid) => control(pid, '-i', 'on');

/** Starts the measured window. @param {number} pid */
export const zeroCounters = (pid) => control(pid, '-z');

/** Ends the window: dumps the counters since zeroCounters; resolves with the dump's path. @param {number} pid @param {string} dir */
export async function dumpCounters(pid, dir) {
  const before = new Set(await readdir(dir));
  await control(pid, '-d');
  const added = (await readdir(dir)).filter((f) => f.startsWith('callgrind.out') && !before.has(f));
  if (added.length !== 1)
    throw new Error(`expected one new callgrind dump in ${dir}, found ${added.join(', ') || 'none'}`);
  return join(dir, /** @type {string} */ (added[0]));
}

/** @typedef {{ category: string, ir: number }} IrShare */
/** @typedef {{ total: number, categories: IrShare[], functions: { name: string, ir: number }[] }} IrSummary */

/** Where a function's instructions belong. @param {string} fn @param {string} object */
export function categoryOf(fn, object) {
  if (object === '???' || /^0x[0-9a-f]+$/.test(fn)) return 'V8 JIT code (optimised JS, no symbols)';
  if (fn.startsWith('Builtins_')) {
    return /Handler$|Interpreter|Bytecode/.test(fn)
      ? 'V8 interpreter (Ignition handlers)'
      : 'V8 builtins (ICs, calls, strings, maps, promises…)';
  }
  if (
    /IterateObjectCache|v8::internal::(Heap|Scavenger|MarkCompact|MinorMarkCompact|MarkingVisitor|ConcurrentMarking|Sweeper|GC|Evacuat|PagedSpace|NewSpace|SemiSpace|MemoryAllocator|RememberedSet|Scaveng|IncrementalMarking|MainMarking|LocalHeap|ArrayBufferSweeper)/.test(
      fn,
    )
  )
    return 'V8 garbage collector';
  if (/v8::internal::(compiler|maglev|baseline|Compiler|Turbo|Maglev|Baseline)|v8::internal::wasm/.test(fn))
    return 'V8 compilers (TurboFan, Maglev, Sparkplug)';
  if (/^(v8::|Builtin|v8_|cppgc::|heap::base::)/.test(fn)) return 'V8 runtime (C++: runtime calls, API, handles…)';
  if (/^llhttp|^llparse/.test(fn)) return 'llhttp (HTTP parser)';
  if (/^uv_|^uv__/.test(fn)) return 'libuv';
  if (/libcrypto|libssl/.test(object) || /^(EVP_|BN_|EC_|ec_|bn_|SHA|sha|ecp_|OPENSSL|CRYPTO)/.test(fn))
    return 'OpenSSL';
  if (/^node::/.test(fn)) return 'Node C++ (node::)';
  if (/libc\.so|libc-|ld-linux|libm\.so|libstdc\+\+|libgcc/.test(object)) return 'libc, libstdc++, loader';
  return 'other native';
}

/**
 * Exclusive instruction counts per function from a callgrind dump (its text format: `fn=`
 * starts a function's cost lines, `calls=` announces a call whose next line is the callee's
 * inclusive cost, skipped here; names are compressed as `(id) name` on first use).
 * callgrind_annotate is not used: after `-z` it charges the frames that were on the stack
 * with their callees' cost.
 * @param {string} file
 * @returns {Promise<IrSummary>}
 */
export async function summarizeDump(file) {
  const text = await readFile(file, 'utf8');
  /** @type {Map<string, string>} */
  const fnNames = new Map();
  /** @type {Map<string, string>} */
  const obNames = new Map();
  /** @type {Map<string, number>} */
  const self = new Map();
  let current = '';
  let object = '';
  let total = 0;
  let skipNext = false;
  /** @param {Map<string, string>} names @param {string} rest */
  const name = (names, rest) => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(rest);
    if (!m) return rest;
    const id = m[1] ?? '';
    if (m[2] !== undefined) names.set(id, m[2]);
    return names.get(id) ?? `(${id})`;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('fn=')) {
      // Recursion depth suffixes ('2, '3…) name the same function.
      current = `${name(fnNames, line.slice(3)).replace(/'\d+$/, '')}\0${object}`;
    } else if (line.startsWith('ob=')) object = name(obNames, line.slice(3));
    else if (line.startsWith('cfn=') || line.startsWith('cfni=')) name(fnNames, line.slice(line.indexOf('=') + 1));
    else if (line.startsWith('cob=')) name(obNames, line.slice(4));
    else if (line.startsWith('calls=')) skipNext = true;
    else if (line.startsWith('summary:')) total = Number(line.slice(8).trim());
    else if (/^[\d+\-*]/.test(line)) {
      if (skipNext) {
        skipNext = false;
        continue;
      }
      const ir = Number(line.split(' ')[1] ?? 0);
      if (ir > 0) self.set(current, (self.get(current) ?? 0) + ir);
    }
  }
  if (total === 0) throw new Error(`no summary line in ${file}`);
  /** @type {Map<string, number>} */
  const byCategory = new Map();
  /** @type {{ name: string, ir: number }[]} */
  const functions = [];
  for (const [key, ir] of self) {
    const [fn = '', ob = ''] = key.split('\0');
    const c = categoryOf(fn, ob);
    byCategory.set(c, (byCategory.get(c) ?? 0) + ir);
    functions.push({ name: `${fn} [${ob.split('/').pop()}]`, ir });
  }
  const categories = [...byCategory].map(([category, ir]) => ({ category, ir })).sort((a, b) => b.ir - a.ir);
  return { total, categories, functions: functions.sort((a, b) => b.ir - a.ir) };
}
