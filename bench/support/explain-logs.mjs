// The generated logs bench/explain-throughput.mjs measures the classifier on: ~1 MB chunks of a
// CI log, each ending with one finding of each kind the classifier knows. The first three are the
// shapes issue 15 names (plain -L, internal-json, a job log with timestamps). The fourth looks like
// real compiler output, so that a prefilter tuned on the first three is tested on text full of
// what they lack: gcc/clang, make, autotools, cargo and mix lines with `path:line:col:` colons,
// quoted names, ANSI colour, `error:`/`warning:` and "mismatched types" that are not Nix's, test
// summaries saying "0 failed", and Nix's own `building`/`copying path` announcements between them.
// Its text is ASCII, as gcc's is in a build's C locale: the bench slices lines out of a chunk, and
// one character outside Latin-1 (Elixir 1.15's `│`) would make every line of it a two-byte
// string, which the explain command, decoding line by line, never gives the classifier.

const DRV = '/nix/store/miz229vi87qqrnbm3axzydvm1n3l9vaz-mast-mix-deps-0.1.0.drv'
const esc = '\u001b'
const raw =
  `hash mismatch in fixed-output derivation '${esc}[35;1m${DRV}${esc}[0m':\n` +
  `  specified: ${esc}[35;1msha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=${esc}[0m\n` +
  `     got:    ${esc}[35;1msha256-bRrBBfcCpgMcOx7UJXDr9J4mlbpEeXjlr+kLznzGodA=${esc}[0m`
const jsonFindings = [
  `@nix ${JSON.stringify({ action: 'msg', column: null, file: null, level: 0, line: null, msg: `${esc}[31;1merror:${esc}[0m ${raw}`, raw_msg: raw })}`,
  `@nix ${JSON.stringify({ action: 'msg', level: 0, msg: "error: a 'aarch64-linux' with features {} is required to build '/nix/store/5v8aiv0s817k33a7rc6720dy22vdlwgn-mast-0.1.0.drv', but I am a 'x86_64-linux' with features {benchmark, big-parallel}", raw_msg: "a 'aarch64-linux' with features {} is required to build '/nix/store/5v8aiv0s817k33a7rc6720dy22vdlwgn-mast-0.1.0.drv', but I am a 'x86_64-linux' with features {benchmark, big-parallel}" })}`
]
const plainFindings = [
  `error: hash mismatch in fixed-output derivation '${DRV}':`,
  '         specified: sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  '            got:    sha256-bRrBBfcCpgMcOx7UJXDr9J4mlbpEeXjlr+kLznzGodA=',
  "error: builder for '/nix/store/phinrkkcw544r33qyd888yrhkdq44mqi-mast-broken-0.1.0.drv' failed with exit code 2;",
  "       > executing '/nix/store/z6ymql1qv79xy8l5kfbhxy18p929hmvd-bb/busybox': Exec format error"
]

function syntheticLine(seed, i, format) {
  if (format === 'internal-json') {
    switch (i % 8) {
      case 0:
        return `@nix {"action":"result","fields":[${i},${seed},0,0],"id":22806276341761,"type":105}`
      case 1:
        return `@nix {"action":"start","fields":["${DRV}","",1,1],"id":${seed * 1000 + i},"level":3,"text":"building '${DRV}'","type":105}`
      case 2:
        return `@nix {"action":"stop","id":${seed * 1000 + i - 1}}`
      default:
        return `@nix {"action":"result","fields":["  CC       src/lib/file_${i}.o  [${seed}] some builder output text that is reasonably long"],"id":${seed},"type":101}`
    }
  }
  return i % 16 === 0
    ? `building '/nix/store/ks6bgr0b45yvly113qdpkqrhzph3kr0d-npm-deps-${seed}.${i}.drv'...`
    : `mast-${seed}> compiling lib/mast/module_${i}.ex (${i} of 4000) with some output text`
}

const GLIBC = '/nix/store/4nlgxhb09sdr51nc9hdm8az5b08vzkgx-glibc-2.39-52-dev'
const OUT = '/nix/store/b1ml6cza8yd0a7nnqrwz2a8cf4v0lzq2-hello-2.12.1'
const RED = `${esc}[0;1;31m`
const BOLD = `${esc}[1m`
const OFF = `${esc}[0m`

/** One builder line of a build of hello (autotools, gcc), ripgrep (cargo) or mast (mix), by `i`. */
function buildOutputLine(seed, i) {
  const n = (i * 7919 + seed) % 997
  const f = `file_${n % 61}`
  const hello = [
    `hello> checking whether ${f}.h is usable... yes`,
    `hello> checking for ${f}.h... (cached) yes`,
    `hello> config.status: creating lib/${f}/Makefile`,
    `hello> make[${n % 4}]: Entering directory '/build/hello-2.12.1/lib/${f}'`,
    `hello> make[${n % 4}]: Leaving directory '/build/hello-2.12.1/lib/${f}'`,
    `hello> gcc -DHAVE_CONFIG_H -I. -I..  -I${GLIBC}/include -g -O2 -MT lib/${f}.o -MD -MP -MF lib/.deps/${f}.Tpo -c -o lib/${f}.o lib/${f}.c`,
    `hello>   CC       lib/${f}.o`,
    `hello> libtool: compile:  gcc -DHAVE_CONFIG_H -I. -I.. -g -O2 -c lib/${f}.c  -fPIC -DPIC -o lib/.libs/${f}.o`,
    `hello> lib/${f}.c: In function '${f}_init':`,
    `hello> lib/${f}.c:${n}:${n % 40}: warning: unused variable 'len' [-Wunused-variable]`,
    `hello> ${BOLD}lib/${f}.c:${n}:7:${OFF} ${BOLD}${esc}[35mwarning: ${OFF}comparison of integer expressions of different signedness: 'int' and 'size_t' [${esc}[35m-Wsign-compare${OFF}]`,
    `hello>   ${n} |   for (i = 0; i < len; i++)`,
    `hello>       |                 ^`,
    `hello> In file included from ${GLIBC}/include/stdio.h:${n % 900},`,
    `hello>                  from lib/${f}.c:23:`,
    `hello> lib/${f}.h:${n}:12: note: expected 'const char *' but argument is of type 'int'`,
    `hello> ${RED}lib/${f}.c:${n}:3: error:${OFF} 'struct foo' has no member named 'bar'; did you mean 'baz'?`,
    `hello> [${String(n % 100).padStart(3)}%] Building C object src/CMakeFiles/hello.dir/${f}.c.o`,
    `hello> [${n}/997] Linking C executable bin/${f}`,
    `hello> PASS: tests/${f}.sh`,
    `hello> # FAIL:  0`,
    `hello> shrinking ${OUT}/bin/${f}`,
    `hello> patching script interpreter paths in ${OUT}`,
    `hello> stripping (with command strip and flags -S -p) in  ${OUT}/lib ${OUT}/bin`
  ]
  const cargo = [
    `ripgrep>    Compiling ${f} v1.0.${n}`,
    `ripgrep>    Compiling proc-macro2 v1.0.${n} (/build/cargo-vendor-dir/proc-macro2-1.0.${n})`,
    `ripgrep> warning: unused import: \`std::io::Read\``,
    `ripgrep>   --> crates/core/${f}.rs:${n}:5`,
    `ripgrep>    |`,
    `ripgrep> ${n} | use std::io::Read;`,
    `ripgrep>    = note: \`#[warn(unused_imports)]\` on by default`,
    `ripgrep> test ${f}::tests::parses_${n} ... ok`,
    `ripgrep> test result: ok. ${n} passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.${n}s`,
    `ripgrep>     Finished \`release\` profile [optimized] target(s) in 1m ${n % 60}s`,
    `ripgrep> Executing cargoBuildHook`,
    `ripgrep> ++ env CC_x86_64-unknown-linux-gnu=/nix/store/0k0wg3wkdqm2szjqp5gxcr4dkxlvpb9a-gcc-wrapper-13.3.0/bin/cc cargo build -j 2 --target x86_64-unknown-linux-gnu --frozen --profile release`
  ]
  const mix = [
    `mast> ==> ${f}`,
    `mast> Compiling ${n % 40} files (.ex)`,
    `mast> Generated ${f} app`,
    `mast> ${esc}[33mwarning:${esc}[0m variable "conn" is unused (if the variable is not meant to be used, prefix it with an underscore)`,
    `mast>   lib/mast_web/controllers/${f}_controller.ex:${n}:13: MastWeb.PageController.index/2`,
    `mast>     lib/mast/${f}.ex:${n}: Mast.${f}.init/1`,
    `mast> ** (CompileError) lib/mast/${f}.ex:${n}: undefined function foo/0 (there is no such import)`,
    `mast> Finished in 0.${n} seconds (0.1s async, 0.2s sync)`,
    `mast> ${n} tests, 0 failures`
  ]
  const nix = [
    `building '/nix/store/ks6bgr0b45yvly113qdpkqrhzph3kr0d-${f}-${seed}.${i}.drv'...`,
    `copying path '/nix/store/6yx1jbrm4bw9kvdxpgwnlqcjq4zqxwp6-${f}-1.${n}' from 'https://cache.nixos.org'...`,
    `hello> Running phase: ${['unpackPhase', 'patchPhase', 'configurePhase', 'buildPhase', 'checkPhase', 'installPhase', 'fixupPhase'][n % 7]}`,
    `hello> unpacking source archive /nix/store/pa10z4ngm0g83kx9mssrqzz30s84vq7k-hello-2.12.1.tar.gz`
  ]
  // Mostly gcc and make, as in a C build; cargo and mix in between; Nix's announcements now and then.
  // Now and then, rustc's "mismatched types" (it says "mismatch", so it wakes the parser) and an
  // Elixir stack trace (it names erl and elixir, which the BEAM crash recogniser reads).
  if (i % 1000 === 999) return `ripgrep> error[E0308]: mismatched types`
  if (i % 1000 === 500)
    return `mast>     (elixir 1.14.5) lib/kernel/parallel_compiler.ex:${n}: anonymous fn/5 in Kernel.ParallelCompiler.spawn_workers/7`
  if (i % 1000 === 501) return `mast>     (stdlib 4.3.1) erl_eval.erl:${n}: :erl_eval.do_apply/7`
  const r = i % 100
  if (r < 55) return hello[n % hello.length]
  if (r < 75) return cargo[n % cargo.length]
  if (r < 95) return mix[n % mix.length]
  return nix[n % nix.length]
}

function makeChunk(seed, format, timestamps) {
  const lines = []
  let bytes = 0
  for (let i = 0; bytes < 1 << 20; i++) {
    const line = format === 'build-output' ? buildOutputLine(seed, i) : syntheticLine(seed, i, format)
    lines.push(line)
    bytes += line.length + 1
  }
  lines.push(...(format === 'internal-json' ? jsonFindings : plainFindings))
  const stamp = timestamps ? '2024-05-01T12:34:56.1234567Z ' : ''
  return lines.map(l => stamp + l).join('\n') + '\n'
}

/** Eight ~1 MB chunks per log (or `count`), fed round-robin up to the total size. */
export function explainLogs(count = 8) {
  const chunks = (format, timestamps) => Array.from({ length: count }, (_, i) => makeChunk(i, format, timestamps))
  return {
    'plain -L log': chunks('plain', false),
    'internal-json log': chunks('internal-json', false),
    'job log with timestamps': chunks('plain', true),
    'compiler output (-L)': chunks('build-output', false)
  }
}
