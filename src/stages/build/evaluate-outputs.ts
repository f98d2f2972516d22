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
import { EvaluationFailure, evaluationFailure } from '../../nix/messages.js'
import type { NixRunner } from '../../nix/runner.js'
import { isDrvStorePath, notADerivation } from '../../nix/store-path.js'
import { EvaluationError } from './evaluate.js'
import { ResolvedPattern, ResolvedSelection, attrPathText } from './select.js'
import { type Answer, type EvalRun, evalApply, runEval } from './eval-run.js'

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

const WRAPPER = `{
  # nix-ci's evaluation wrapper: the flake under test comes in with --override-input target <flake>.
  inputs.target.url = "path:/var/empty";
  outputs = { self, target }: { target = target.outputs; };
}
`

export async function evaluateOutputs(options: EvaluateOutputsOptions): Promise<OutputsEvaluation> {
  const { selection } = options
  const result: OutputsEvaluation = {
    attributes: [],
    problems: [],
    skipped: selection.otherSystems.map(o => ({ attrPath: o.text, reason: `${o.system} is not one of the systems being built` })),
    evalCalls: 0
  }
  if (selection.patterns.length === 0) return result
  const wrapper = await mkdtemp(join(tmpdir(), 'nix-ci-eval-'))
  try {
    await writeFile(join(wrapper, 'flake.nix'), WRAPPER)
    const state: EvalState = { names: new Map(), answers: new Map(), dead: new Set(), from: { p: 0, e: 0 } }
    await evaluateUntilDone(options, wrapper, state, result)
    collect(selection.patterns, state.names, state.answers, options.exclude ?? [], result)
    return result
  } finally {
    await rm(wrapper, { recursive: true, force: true })
  }
}

/** What the calls so far answered, and where the next one resumes. */
interface EvalState {
  names: Map<number, string[][]>
  answers: Map<string, Answer>
  /** Patterns whose names could not be listed. */
  dead: Set<number>
  from: { p: number; e: number }
}

/** One `nix eval` after another, each resuming after the attribute the last one stopped at. */
async function evaluateUntilDone(
  options: EvaluateOutputsOptions,
  wrapper: string,
  state: EvalState,
  result: OutputsEvaluation
): Promise<void> {
  const { patterns } = options.selection
  const nonce = randomBytes(12).toString('hex')
  const exclude = (options.exclude ?? []).map(x => x.attrPath)
  const maxCalls = options.maxCalls ?? 50
  for (;;) {
    if (result.evalCalls >= maxCalls) {
      const why = `Not evaluated: the evaluation stopped at ${maxCalls} errors before reaching it. Fix the errors above and run again.`
      for (const [p, , path] of unanswered(patterns, state.names, state.answers, state.dead, state.from))
        result.problems.push(problem(patterns[p], path, why))
      return
    }
    result.evalCalls++
    const apply = evalApply(nonce, patterns, options.systems, exclude, state.from, [...state.dead])
    const run = await runEval(options, wrapper, apply, nonce)
    for (const [p, paths] of run.names) state.names.set(p, paths)
    for (const [key, answer] of run.answers) state.answers.set(key, answer)
    if (run.cancelled) throw new EvaluationError('The evaluation was cancelled.')
    if (run.ok) return
    recordFailure(options, run, state, result)
  }
}

/** Where Nix stopped: the first pattern or attribute without an answer is the one that failed. */
function recordFailure(options: EvaluateOutputsOptions, run: EvalRun, state: EvalState, result: OutputsEvaluation): void {
  const { patterns } = options.selection
  // Positions are given relative to the flake: 2.8 names its store copy, 2.2x+ its work tree.
  const base = localFlakeDir(options.flake, options.cwd ?? process.cwd())
  const failure = evaluationFailure(run.errorLines)
  if (!run.started) {
    throw new EvaluationError(`Evaluating the outputs of ${options.flake} failed:\n${describeFailure(failure, run.errorLines, base)}`)
  }
  const firstUnnamed = patterns.findIndex((_, p) => p >= state.from.p && !state.dead.has(p) && !state.names.has(p))
  if (firstUnnamed >= 0) {
    // The names under this pattern could not be listed: the pattern itself is the failure.
    state.dead.add(firstUnnamed)
    result.problems.push(problem(patterns[firstUnnamed], undefined, evaluationError(failure, run.errorLines, base), failure, base))
    return
  }
  const next = unanswered(patterns, state.names, state.answers, state.dead, state.from)[0]
  if (next === undefined) {
    throw new EvaluationError(
      `Evaluating the outputs of ${options.flake} failed after every attribute was answered:\n${describeFailure(failure, run.errorLines, base)}`
    )
  }
  const [p, e, path] = next
  result.problems.push(problem(patterns[p], path, evaluationError(failure, run.errorLines, base), failure, base))
  state.from = { p, e: e + 1 }
}

/** Every (pattern, entry, path) at or after `from` that has no answer yet, in evaluation order. */
function unanswered(
  patterns: ResolvedPattern[],
  names: Map<number, string[][]>,
  answers: Map<string, Answer>,
  dead: Set<number>,
  from: { p: number; e: number }
): [number, number, string[] | undefined][] {
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

function collect(
  patterns: ResolvedPattern[],
  names: Map<number, string[][]>,
  answers: Map<string, Answer>,
  exclude: { attrPath: string; reason: string }[],
  result: OutputsEvaluation
): void {
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
      if ('d' in answer) {
        // The flake's value: only a store .drv goes on (to file reads and Nix's command line).
        if (isDrvStorePath(answer.d)) result.attributes.push({ attrPath, kind, system: answer.s, drvPath: answer.d })
        else result.problems.push({ attrPath, kind, system: answer.s, error: notADerivation(attrPath, answer.d) })
      } else if ('missing' in answer) {
        const where = attrPathText(answer.a) || 'the flake'
        const has = answer.available.length > 0 ? answer.available.slice(0, 30).map(quotedName).join(', ') : 'nothing'
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
        result.skipped.push({
          attrPath,
          reason:
            answer.s === null ? 'it does not say which system it is for' : `it is for ${quotedName(answer.s)}, which is not being built`
        })
      } else {
        result.skipped.push({ attrPath, reason: exclude.find(x => x.attrPath === answer.a.join('.'))?.reason ?? 'excluded' })
      }
    }
  }
}

/** A name the flake chose, as it may be printed: a plain one as it is, anything else as JSON (escaped). */
function quotedName(name: unknown): string {
  return typeof name === 'string' ? attrPathText([name]) : JSON.stringify(name)
}

function kindOf(path: string[]): OutputKind {
  const head = path[0]
  return head === 'packages' || head === 'checks' || head === 'devShells' || head === 'formatter' || head === 'nixosConfigurations'
    ? head
    : 'other'
}

function problem(
  pattern: ResolvedPattern,
  path: string[] | undefined,
  error: string,
  evaluation?: EvaluationFailure,
  base?: string
): AttributeProblem {
  return {
    attrPath: path ? attrPathText(path) : pattern.text,
    kind: kindOf(path ?? pattern.segments.map(s => ('name' in s ? s.name : s.glob))),
    ...(pattern.system ? { system: pattern.system } : {}),
    error,
    ...(evaluation
      ? { evaluation: { ...evaluation, ...(evaluation.position ? { position: flakeRelative(evaluation.position, base) } : {}) } }
      : {})
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
