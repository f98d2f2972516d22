// One `nix eval` of the selection (evaluate-outputs.ts): the Nix expression that answers each
// attribute as a nonce-tagged trace line, and the reading of those lines and of Nix's error.
import { stripAnsi } from '../../nix/internal-json.js'
import { traceMessage } from '../../nix/messages.js'
import type { EvaluateOutputsOptions } from './evaluate-outputs.js'
import type { ResolvedPattern } from './select.js'

export type Answer =
  | { a: string[]; s: string; d: unknown }
  | { a: string[]; missing: string; available: string[] }
  | { a: string[]; notDerivation: string }
  | { a: string[]; s: string | null; otherSystem: true }
  | { a: string[]; excluded: true }

export interface EvalRun {
  ok: boolean
  cancelled: boolean
  /** The flake's outputs evaluated far enough to start (else the flake itself is broken). */
  started: boolean
  names: Map<number, string[][]>
  answers: Map<string, Answer>
  errorLines: string[]
}

const HEAD_LINES = 80
const TAIL_LINES = 200

export async function runEval(options: EvaluateOutputsOptions, wrapper: string, apply: string, nonce: string): Promise<EvalRun> {
  const run: EvalRun = { ok: false, cancelled: false, started: false, names: new Map(), answers: new Map(), errorLines: [] }
  const head: string[] = []
  const tail: string[] = []
  let dropped = 0
  const result = await options.nix.run({
    // --show-trace: Nix 2.8 gives a throw's position only in the trace.
    args: ['eval', '--json', '--show-trace', '--override-input', 'target', options.flake, '--apply', apply],
    positional: [`path:${wrapper}#target`],
    cwd: options.cwd,
    captureStdoutBytes: 1 << 16,
    signal: options.signal,
    onLine: line => {
      if (line.stream !== 'stderr') return
      const text = stripAnsi(line.text)
      const traced = traceMessage(text)
      if (traced !== undefined && traced.startsWith(`${nonce} `)) {
        readTrace(traced.slice(nonce.length + 1), run)
        return
      }
      if (head.length < HEAD_LINES) head.push(text)
      else {
        tail.push(text)
        if (tail.length > TAIL_LINES) {
          tail.shift()
          dropped++
        }
      }
    }
  })
  run.errorLines = dropped > 0 ? [...head, `… ${dropped} line(s) left out …`, ...tail] : [...head, ...tail]
  run.ok = result.exitCode === 0
  run.cancelled = result.cancelled
  return run
}

/** Our own trace lines: `start`, `names <p> <json paths>`, `done <p> <e> <json answer>`. */
function readTrace(text: string, run: EvalRun): void {
  if (text === 'start') {
    run.started = true
    return
  }
  const names = /^names (\d+) (.*)$/.exec(text)
  if (names) {
    const paths = JSON.parse(names[2]) as unknown
    if (Array.isArray(paths) && paths.every(p => Array.isArray(p) && p.every(n => typeof n === 'string')))
      run.names.set(Number(names[1]), paths as string[][])
    return
  }
  const done = /^done (\d+) (\d+) (.*)$/.exec(text)
  if (done) {
    const answer = JSON.parse(done[3]) as Answer
    if (Array.isArray(answer?.a)) run.answers.set(`${done[1]}.${done[2]}`, answer)
  }
}

/** A Nix string literal holding this text. */
function nixString(text: string): string {
  return JSON.stringify(text).replace(/\$\{/g, '\\${')
}

/**
 * The --apply function. It reads its request from JSON (patterns with globs as POSIX regexes, the
 * target systems, exclusions, where to resume) and traces each answer as it is made. Forcing the
 * result forces every pattern's names first (concatLists is strict in its lists), in order, then
 * each answer in order: so the first pattern or answer missing from the trace is the one that failed.
 */
export function evalApply(
  nonce: string,
  patterns: ResolvedPattern[],
  systems: string[],
  exclude: string[],
  from: { p: number; e: number },
  dead: number[]
): string {
  const request = {
    nonce,
    systems,
    exclude,
    from,
    dead,
    patterns: patterns.map(p => ({
      segments: p.segments.map(s => ('name' in s ? { name: s.name } : { regex: s.regex })),
      required: p.required,
      optionalSystem: p.optionalSystem,
      ...(p.system ? { system: p.system } : {})
    }))
  }
  return `o: let
  req = builtins.fromJSON ${nixString(JSON.stringify(request))};
  n = req.nonce;
  walk = pat: path: v: segs:
    if segs == [] then [ { inherit path; value = v; } ]
    else let seg = builtins.head segs; rest = builtins.tail segs; in
      if seg ? name then
        (if builtins.isAttrs v && builtins.hasAttr seg.name v then walk pat (path ++ [ seg.name ]) v.\${seg.name} rest
         else if pat.required && !(pat.optionalSystem && builtins.length path == 1)
         then [ { inherit path; missing = seg.name; available = if builtins.isAttrs v then builtins.attrNames v else [ ]; } ]
         else [ ])
      else if builtins.isAttrs v
      then builtins.concatMap (k: walk pat (path ++ [ k ]) v.\${k} rest) (builtins.filter (k: builtins.match seg.regex k != null) (builtins.attrNames v))
      else [ ];
  answer = pat: x:
    if x ? missing then { a = x.path; inherit (x) missing available; }
    else if builtins.elem (builtins.concatStringsSep "." x.path) req.exclude then { a = x.path; excluded = true; }
    else let v = x.value; in
      if !(builtins.isAttrs v && v ? drvPath) then { a = x.path; notDerivation = builtins.typeOf v; }
      else let s = if pat ? system then pat.system else (v.system or null); in
        if s == null || !(builtins.elem s req.systems) then { a = x.path; inherit s; otherSystem = true; }
        else { a = x.path; inherit s; d = v.drvPath; };
  forPattern = p:
    if p < req.from.p || builtins.elem p req.dead then [ ]
    else let
      pat = builtins.elemAt req.patterns p;
      found = walk pat [ ] o pat.segments;
      listed = builtins.trace "\${n} names \${toString p} \${builtins.toJSON (map (x: x.path) found)}" found;
    in builtins.genList (e:
      if p == req.from.p && e < req.from.e then null
      else let r = answer pat (builtins.elemAt listed e); in builtins.trace "\${n} done \${toString p} \${toString e} \${builtins.toJSON r}" null
    ) (builtins.length listed);
  all = builtins.seq o (builtins.trace "\${n} start" (builtins.concatLists (builtins.genList forPattern (builtins.length req.patterns))));
in builtins.foldl' (count: x: builtins.seq x (count + 1)) 0 all`
}
