// The classifier's fast path skips builder output without handing it to the recognisers, and a
// compiler's output is full of what the first prefilter lets through: `path:line:col:` colons,
// quoted names, `error:` and "mismatched types" that are no Nix error. These tests put real
// excerpts (the fixtures' own, see their .source.txt) among such output, as a parallel `nix build
// -L` interleaves other builds' lines with them, and expect the same findings as from the excerpt
// alone: nothing the excerpt says may be skipped, and nothing the compiler says may be taken.
import { describe, expect, it } from '@jest/globals'
import { classifyLines } from '../../src/explain/classify.js'
import { Findings } from '../../src/explain/types.js'
import { linesOf, nixLog } from './support.js'

/** Lines in the shapes gcc, make, autotools, cargo and mix print under `nix build -L`. */
const COMPILER_OUTPUT = [
  'hello> checking for stdio.h... (cached) yes',
  'hello> config.status: creating lib/Makefile',
  "hello> make[2]: Entering directory '/build/hello-2.12.1/lib'",
  'hello> libtool: compile:  gcc -DHAVE_CONFIG_H -I. -I.. -g -O2 -c lib/c-stack.c  -fPIC -DPIC -o lib/.libs/c-stack.o',
  "hello> lib/c-stack.c: In function 'c_stack_action':",
  "hello> lib/c-stack.c:214:7: warning: unused variable 'len' [-Wunused-variable]",
  "hello> lib/c-stack.c:301:3: error: 'struct foo' has no member named 'bar'; did you mean 'baz'?",
  "hello> lib/c-stack.h:40:12: note: expected 'const char *' but argument is of type 'int'",
  'hello> In file included from /nix/store/4nlgxhb09sdr51nc9hdm8az5b08vzkgx-glibc-2.39-52-dev/include/stdio.h:27,',
  "hello> \u001b[1mlib/c-stack.c:88:7:\u001b[0m \u001b[35mwarning: \u001b[0mcomparison of integer expressions of different signedness: 'int' and 'size_t'",
  'hello> PASS: tests/hello-1.sh',
  'ripgrep> warning: unused import: `std::io::Read`',
  'ripgrep>   --> crates/core/main.rs:3:5',
  'ripgrep>    = note: `#[warn(unused_imports)]` on by default',
  'ripgrep> error[E0308]: mismatched types',
  'ripgrep>     expected `u32`, found `i64`',
  'ripgrep> test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s',
  'ripgrep>     Finished `release` profile [optimized] target(s) in 1m 02s',
  'mast-deps> warning: variable "conn" is unused (if the variable is not meant to be used, prefix it with an underscore)',
  'mast-deps>   lib/mast_web/controllers/page_controller.ex:12:13: MastWeb.PageController.index/2',
  'mast-deps>     (elixir 1.14.5) lib/kernel/parallel_compiler.ex:346: anonymous fn/5 in Kernel.ParallelCompiler.spawn_workers/7',
  'mast-deps>     (stdlib 4.3.1) erl_eval.erl:748: :erl_eval.do_apply/7'
]

/**
 * A message starts a line at column 0, or a builder's at the column after its `name> `; its
 * indented lines go on with it (a builder's report is one message as well: the MismatchParser
 * reads one stream of builder lines, so another build's line inside one ends it).
 */
function startsMessage(line: string): boolean {
  const prefix = /^[A-Za-z0-9+\-._?=]+> ?/.exec(line)
  return /^\S/.test(prefix ? line.slice(prefix[0].length) : line)
}

/** The excerpt with compiler output before each message or builder line, and after the last. */
function amidCompilerOutput(excerpt: string[]): string[] {
  const out: string[] = []
  excerpt.forEach((line, i) => {
    if (startsMessage(line)) out.push(...COMPILER_OUTPUT.slice(0, 3 + (i % (COMPILER_OUTPUT.length - 3))))
    out.push(line)
  })
  return [...out, ...COMPILER_OUTPUT]
}

/** How many findings of each kind (the kinds with none left out). */
const counts = (f: Findings): Record<string, number> =>
  Object.fromEntries(Object.entries(f).flatMap(([kind, list]) => (Array.isArray(list) && list.length > 0 ? [[kind, list.length]] : [])))

describe('the fast path among compiler output', () => {
  it('finds nothing in the compiler output itself', () => {
    const findings = classifyLines([...COMPILER_OUTPUT, ...COMPILER_OUTPUT])
    expect(findings).toEqual({
      fodMismatches: [],
      otherHashErrors: [],
      platformMismatches: [],
      execFormatErrors: [],
      vmTests: [],
      failedBuilds: [],
      beamCrashes: [],
      truncated: false
    })
  })

  // What each excerpt holds, by kind (classifier.test.ts asserts the findings themselves).
  it.each<[string, Partial<Record<keyof Findings, number>>]>([
    ['nix-2.8-fod-L.stderr.log', { fodMismatches: 1 }],
    ['nix-2.8-forged-L.stderr.log', { fodMismatches: 2 }],
    ['nix-2.8-builder-failed-L.stderr.log', { failedBuilds: 1 }],
    ['nix-2.8-exec-format-error.stderr.log', { execFormatErrors: 1, failedBuilds: 1 }],
    ['nix-2.2x-vm-test.excerpt.log', { vmTests: 2, failedBuilds: 1 }],
    ['qemu-kvm-denied.excerpt.log', { vmTests: 1, failedBuilds: 1 }],
    ['nix-2.2x-remote-build.excerpt.log', { fodMismatches: 1, failedBuilds: 1 }]
  ])('keeps every finding of %s', (fixture, kinds) => {
    const excerpt = linesOf(nixLog(fixture))
    const alone = classifyLines(excerpt)
    expect(counts(alone)).toEqual(kinds)
    expect(classifyLines(amidCompilerOutput(excerpt))).toEqual(alone)
  })

  it('keeps a BEAM crash under `nix build -L`, bash’s report of it full of colons', () => {
    const sections = linesOf(nixLog('beam-crash.excerpt.log'))
      .join('\n')
      .split(/^=== .* ===$/m)
    const excerpt = linesOf(sections[4].replace(/^\n/, ''))
    const alone = classifyLines(excerpt)
    expect(alone.beamCrashes).toEqual([
      { program: 'mix', signal: 'SIGILL', underQemu: true, derivation: '/nix/store/1r7vq7a9w3mfl8v8z4xh3r6a2qf1rk0n-mast-0.1.0.drv' }
    ])
    expect(classifyLines(amidCompilerOutput(excerpt))).toEqual(alone)
  })
})
