// Evaluates every selected flake attribute (select.ts) to a derivation in one `nix eval`: the names
// under each pattern first, then each attribute's drvPath, each exactly once. Nix stops a whole
// evaluation at the first error `builtins.tryEval` cannot catch (a missing attribute, a type error,
// `abort`), and tryEval gives no message even for the ones it catches, so no error is caught at all:
// every answer is printed as it is made (a `builtins.trace` line tagged with a nonce the flake
// cannot know), and when Nix stops, the first attribute without an answer is the one that failed,
// with Nix's own message and position. The next call resumes after it, so one broken attribute
// costs one more call and nothing is evaluated twice.
//
// The flake's whole `outputs` are reached through a wrapper flake whose `target` input is the flake
// under test (`--override-input`, as the VM test does): the flake stays pure, with its own lock.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { isAbsolute, join, relative } from 'node:path'
import { localFlakeDir } from '../../cache/flake-digest.js'
import { stripAnsi } from '../../nix/internal-json.js'
import { EvaluationFailure, evaluationFailure, traceMessage } from '../../nix/messages.js'
import type { NixRunner } from '../../nix/runner.js'
import { EvaluationError } from './evaluate.js'
import { ResolvedPattern, ResolvedSelection, attrPathText } from './select.js'

export type OutputKind = 'packages' | 'checks' | 'devShells' | 'formatter' | 'nixosConfigurations' | 'other'

export interface EvaluatedAttribute {
  /** As Nix writes it, e.g. `checks.x86_64-linux.lint`. */
  attrPath: string
  kind: OutputKind
  system: string
  drvPath: string
}

export interface AttributeProblem {
  attrPath: string
  kind: OutputKind
  /** The system the attribute is for, when that is known. */
  system?: string
  /** What went wrong, in words that say what to do. */
  error: string
  /** Nix's evaluation error, when it gave one. */
  evaluation?: EvaluationFailure
}

export interface OutputsEvaluation {
  attributes: EvaluatedAttribute[]
  /** Attributes that could not be evaluated to a derivation for a target system. */
  problems: AttributeProblem[]
  /** Attributes left out on purpose (another system, the VM test's, ...), with why. */
  skipped: { attrPath: string; reason: string }[]
  /** How many `nix eval` calls it took (1 + one per error Nix stopped at). */
  evalCalls: number
}

export interface EvaluateOutputsOptions {
  nix: NixRunner
  flake: string
  selection: ResolvedSelection
  systems: string[]
  /** Attribute paths (dot-joined names, unquoted) that another stage builds. */
  exclude?: { attrPath: string; reason: string }[]
  cwd?: string
  signal?: AbortSignal
  /** More stops than this leave the rest unevaluated (each stop is one more nix call). */
  maxCalls?: number
}

type Answer =
  | { a: string[]; s: string; d: string }
  | { a: string[]; missing: string; available: string[] }
  | { a: string[]; notDerivation: string }
  | { a: string[]; s: string | null; otherSystem: true }
  | { a: string[]; excluded: true }

const WRAPPER = `{
  # nix-ci's evaluation wrapper: the flake under test comes in with --override-input target <flake>.
  inputs.target.url = "path:/var/empty";
  outputs = { self, target }: { target = target.outputs; };
}
`

export async function evaluateOutputs(options: EvaluateOutputsOptions): Promise<OutputsEvaluation> {
  const { selection } = options
  const patterns = selection.patterns
  const result: OutputsEvaluation = {
    attributes: [],
    problems: [],
    skipped: selection.otherSystems.map(o => ({ attrPath: o.text, reason: `${o.system} is not one of the systems being built` })),
    evalCalls: 0
  }
  if (patterns.length === 0) return result
  const nonce = randomBytes(12).toString('hex')
  const wrapper = await mkdtemp(join(tmpdir(), 'nix-ci-eval-'))
  const exclude = options.exclude ?? []
  // Positions are given relative to the flake: 2.8 names its store copy, 2.2x+ its work tree.
  const base = localFlakeDir(options.flake, options.cwd ?? process.cwd())
  try {
    await writeFile(join(wrapper, 'flake.nix'), WRAPPER)
    const names = new Map<number, string[][]>()
    const answers = new Map<string, Answer>()
    const dead = new Set<number>()
    let from = { p: 0, e: 0 }
    const maxCalls = options.maxCalls ?? 50
    for (;;) {
      if (result.evalCalls >= maxCalls) {
        for (const [p, , path] of unanswered(patterns, names, answers, dead, from)) {
          result.problems.push(problem(patterns[p], path, `Not evaluated: the evaluation stopped at ${maxCalls} errors before reaching it. Fix the errors above and run again.`))
        }
        break
      }
      result.evalCalls++
      const run = await runEval(options, wrapper, evalApply(nonce, patterns, options.systems, exclude.map(x => x.attrPath), from, [...dead]), nonce)
      for (const [p, paths] of run.names) names.set(p, paths)
      for (const [key, answer] of run.answers) answers.set(key, answer)
      if (run.cancelled) throw new EvaluationError('The evaluation was cancelled.')
      if (run.ok) break
      const failure = evaluationFailure(run.errorLines)
      if (!run.started) {
        throw new EvaluationError(`Evaluating the outputs of ${options.flake} failed:\n${describeFailure(failure, run.errorLines, base)}`)
      }
      const firstUnnamed = patterns.findIndex((_, p) => p >= from.p && !dead.has(p) && !names.has(p))
      if (firstUnnamed >= 0) {
        // The names under this pattern could not be listed: the pattern itself is the failure.
        dead.add(firstUnnamed)
        result.problems.push(problem(patterns[firstUnnamed], undefined, evaluationError(failure, run.errorLines, base), failure, base))
        continue
      }
      const next = unanswered(patterns, names, answers, dead, from)[0]
      if (next === undefined) {
        throw new EvaluationError(`Evaluating the outputs of ${options.flake} failed after every attribute was answered:\n${describeFailure(failure, run.errorLines, base)}`)
      }
      const [p, e, path] = next
      result.problems.push(problem(patterns[p], path, evaluationError(failure, run.errorLines, base), failure, base))
      from = { p, e: e + 1 }
    }
    collect(patterns, names, answers, exclude, result)
    return result
  } finally {
    await rm(wrapper, { recursive: true, force: true })
  }
}

/** Every (pattern, entry, path) at or after `from` that has no answer yet, in evaluation order. */
function unanswered(patterns: ResolvedPattern[], names: Map<number, string[][]>, answers: Map<string, Answer>, dead: Set<number>, from: { p: number; e: number }): [number, number, string[] | undefined][] {
  const out: [number, number, string[] | undefined][] = []
  for (let p = from.p; p < patterns.length; p++) {
    if (dead.has(p)) continue
    const paths = names.get(p)
    if (paths === undefined) {
      out.push([p, 0, undefined])
      continue
    }
    for (let e = p === from.p ? from.e : 0; e < paths.length; e++) if (!answers.has(`${p}.${e}`)) out.push([p, e, paths[e]])
  }
  return out
}

function collect(patterns: ResolvedPattern[], names: Map<number, string[][]>, answers: Map<string, Answer>, exclude: { attrPath: string; reason: string }[], result: OutputsEvaluation): void {
  const seen = new Set<string>()
  for (let p = 0; p < patterns.length; p++) {
    const paths = names.get(p) ?? []
    for (let e = 0; e < paths.length; e++) {
      const answer = answers.get(`${p}.${e}`)
      if (answer === undefined) continue
      const attrPath = attrPathText(answer.a)
      // Two patterns may select the same attribute (`all` and a list both name it): built once.
      if (seen.has(attrPath)) continue
      seen.add(attrPath)
      const kind = kindOf(answer.a)
      if ('d' in answer) result.attributes.push({ attrPath, kind, system: answer.s, drvPath: answer.d })
      else if ('missing' in answer) {
        const where = attrPathText(answer.a) || 'the flake'
        const has = answer.available.length > 0 ? answer.available.slice(0, 30).join(', ') : 'nothing'
        result.problems.push({
          attrPath: attrPathText([...answer.a, answer.missing]),
          kind,
          ...(patterns[p].system ? { system: patterns[p].system } : {}),
          error: `${where} has no attribute '${answer.missing}' (it has: ${has}). Fix the \`outputs\` input (${patterns[p].text}).`
        })
      } else if ('notDerivation' in answer) {
        result.problems.push({
          attrPath,
          kind,
          ...(patterns[p].system ? { system: patterns[p].system } : {}),
          error: `${attrPath} is a ${answer.notDerivation}, not a derivation: nothing to build. Select derivations only (${patterns[p].text}).`
        })
      } else if ('otherSystem' in answer) {
        result.skipped.push({ attrPath, reason: answer.s === null ? 'it does not say which system it is for' : `it is for ${answer.s}, which is not being built` })
      } else {
        result.skipped.push({ attrPath, reason: exclude.find(x => x.attrPath === answer.a.join('.'))?.reason ?? 'excluded' })
      }
    }
  }
}

function kindOf(path: string[]): OutputKind {
  const head = path[0]
  return head === 'packages' || head === 'checks' || head === 'devShells' || head === 'formatter' || head === 'nixosConfigurations' ? head : 'other'
}

function problem(pattern: ResolvedPattern, path: string[] | undefined, error: string, evaluation?: EvaluationFailure, base?: string): AttributeProblem {
  return {
    attrPath: path ? attrPathText(path) : pattern.text,
    kind: kindOf(path ?? pattern.segments.map(s => ('name' in s ? s.name : s.glob))),
    ...(pattern.system ? { system: pattern.system } : {}),
    error,
    ...(evaluation ? { evaluation: { ...evaluation, ...(evaluation.position ? { position: flakeRelative(evaluation.position, base) } : {}) } } : {})
  }
}

function evaluationError(failure: EvaluationFailure | undefined, lines: string[], base?: string): string {
  return `Nix could not evaluate it: ${describeFailure(failure, lines, base)}`
}

function describeFailure(failure: EvaluationFailure | undefined, lines: string[], base?: string): string {
  if (!failure) return lines.slice(-15).join('\n') || 'nix eval failed without a message'
  return failure.position ? `${failure.message} (at ${flakeRelative(failure.position, base)})` : failure.message
}

/** `/nix/store/<hash>-source/flake.nix:7:7` → `flake.nix:7:7`; a path in the flake's work tree relative to it. */
export function flakeRelative(position: string, base?: string): string {
  const store = /^\/nix\/store\/[0-9a-z]{32}-source\/(.*)$/.exec(position)
  if (store) return store[1]
  if (base && isAbsolute(position)) {
    const rel = relative(base, position)
    if (!rel.startsWith('..')) return rel
  }
  return position
}

interface EvalRun {
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

async function runEval(options: EvaluateOutputsOptions, wrapper: string, apply: string, nonce: string): Promise<EvalRun> {
  const run: EvalRun = { ok: false, cancelled: false, started: false, names: new Map(), answers: new Map(), errorLines: [] }
  const head: string[] = []
  const tail: string[] = []
  let dropped = 0
  const result = await options.nix.run({
    // --show-trace: Nix 2.8 gives a throw's position only in the trace.
    args: ['eval', '--json', '--show-trace', `path:${wrapper}#target`, '--override-input', 'target', options.flake, '--apply', apply],
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
    if (Array.isArray(paths) && paths.every(p => Array.isArray(p) && p.every(n => typeof n === 'string'))) run.names.set(Number(names[1]), paths as string[][])
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
export function evalApply(nonce: string, patterns: ResolvedPattern[], systems: string[], exclude: string[], from: { p: number; e: number }, dead: number[]): string {
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
