// The `outputs` input: which flake attributes the build stage builds. `package` (the default) is
// packages.<system>.<package> for each system, as before; `all` is what `nix flake check` would
// build for the target systems; anything else is a list of attribute paths, where `*` and `?` in
// a segment are globs. Pure: the names are expanded by Nix (evaluate-outputs.ts).

export type OutputsSelection = { kind: 'package' } | { kind: 'all' } | { kind: 'list'; patterns: string[] }

/** One segment of an attribute path: a name, or a glob that Nix matches against the names there. */
export type Segment = { name: string } | { glob: string; regex: string }

/** Outputs with the system as their second segment (`packages.<system>.<name>`, `formatter.<system>`). */
export const PER_SYSTEM_OUTPUTS = ['packages', 'checks', 'devShells', 'formatter', 'legacyPackages', 'hydraJobs']

/** What `all` selects: every derivation `nix flake check` builds, plus dev shells and the formatter. */
export const ALL_PATTERNS = ['packages.*.*', 'checks.*.*', 'devShells.*.*', 'formatter.*', 'nixosConfigurations.*']

const NIXOS_TOPLEVEL = ['config', 'system', 'build', 'toplevel']

export class SelectionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SelectionError'
  }
}

/** `outputs`: '' or `package`, `all`, or attribute paths separated by spaces, commas or newlines. */
export function parseOutputsSelection(value: string): OutputsSelection {
  const text = value.trim()
  if (text === '' || text === 'package') return { kind: 'package' }
  if (text === 'all') return { kind: 'all' }
  const patterns = [...new Set(splitList(text))]
  for (const pattern of patterns) parseAttrPattern(pattern)
  return { kind: 'list', patterns }
}

/** Splits on spaces, commas and newlines outside double quotes (a quoted name may hold them). */
function splitList(text: string): string[] {
  const items: string[] = []
  let current = ''
  let quoted = false
  for (const c of text) {
    if (c === '"') quoted = !quoted
    if (!quoted && /[\s,]/.test(c)) {
      if (current !== '') items.push(current)
      current = ''
    } else current += c
  }
  if (quoted) throw new SelectionError(`'${text}' has an unclosed double quote`)
  if (current !== '') items.push(current)
  return items
}

const BARE = /^[A-Za-z0-9_'*?+-]+$/

/** `packages.*.default`, `checks.x86_64-linux."a.b"`: segments split on dots outside quotes. */
export function parseAttrPattern(pattern: string): Segment[] {
  const segments: Segment[] = []
  let i = 0
  while (i <= pattern.length) {
    let raw: string
    let quoted = false
    if (pattern[i] === '"') {
      const end = pattern.indexOf('"', i + 1)
      if (end < 0) throw new SelectionError(`'${pattern}' has an unclosed double quote`)
      raw = pattern.slice(i + 1, end)
      quoted = true
      i = end + 1
      if (i < pattern.length && pattern[i] !== '.')
        throw new SelectionError(`'${pattern}': a quoted name must be followed by '.' or the end`)
    } else {
      const end = pattern.indexOf('.', i)
      raw = pattern.slice(i, end < 0 ? pattern.length : end)
      i = end < 0 ? pattern.length : end
      if (!BARE.test(raw)) {
        throw new SelectionError(
          `'${pattern}' is not an attribute path: each part between dots is a name (letters, digits, _ ' - +), ` +
            'a glob with * or ?, or a "quoted name"'
        )
      }
    }
    segments.push(quoted || !/[*?]/.test(raw) ? { name: raw } : { glob: raw, regex: globRegex(raw) })
    if (i >= pattern.length) break
    i++ // the dot
    if (i === pattern.length) throw new SelectionError(`'${pattern}' ends with a dot`)
  }
  return segments
}

/** A POSIX extended regex (what builtins.match takes) matching the whole name. */
export function globRegex(glob: string): string {
  return glob
    .replace(/[.^$+(){}[\]|\\]/g, c => `\\${c}`)
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
}

export function globMatches(glob: string, name: string): boolean {
  return new RegExp(`^${globRegex(glob)}$`).test(name)
}

/** An attribute path as Nix writes it: names that are not bare identifiers are quoted. */
export function attrPathText(names: string[]): string {
  return names.map(n => (/^[A-Za-z_][A-Za-z0-9_'-]*$/.test(n) ? n : JSON.stringify(n))).join('.')
}

/** One pattern, ready for Nix: the system segment resolved against the target systems. */
export interface ResolvedPattern {
  /** The pattern as the user wrote it (or as `all` spells it). */
  text: string
  segments: Segment[]
  /** The system, when the pattern's output is per-system. */
  system?: string
  /** `nixosConfigurations.<name>`: built as its config.system.build.toplevel. */
  nixos: boolean
  /** A name that is missing is an error (a typo), not an empty match: false for `all`. */
  required: boolean
  /** The system came from a glob: a flake without it has nothing to build there. */
  optionalSystem: boolean
}

export interface ResolvedSelection {
  patterns: ResolvedPattern[]
  /** Patterns that name a system outside the targets (they select nothing, and the summary says so). */
  otherSystems: { text: string; system: string }[]
}

/**
 * Resolves a selection against the target systems: a per-system output's system glob becomes one
 * pattern per matching target system, so Nix never evaluates another system's attributes.
 */
export function resolveSelection(selection: OutputsSelection, systems: string[], pkg: string): ResolvedSelection {
  const texts =
    selection.kind === 'all'
      ? ALL_PATTERNS
      : selection.kind === 'list'
        ? selection.patterns
        : systems.map(s => attrPathText(['packages', s, pkg]))
  const required = selection.kind !== 'all'
  const patterns: ResolvedPattern[] = []
  const otherSystems: ResolvedSelection['otherSystems'] = []
  for (const text of texts) {
    const segments = parseAttrPattern(text)
    const head = segments[0]
    const output = 'name' in head ? head.name : undefined
    if (output === 'nixosConfigurations' && (segments.length === 2 || segments.length === 1)) {
      const withName = segments.length === 1 ? [...segments, { glob: '*', regex: '.*' }] : segments
      patterns.push({
        text,
        segments: [...withName, ...NIXOS_TOPLEVEL.map(name => ({ name }))],
        nixos: true,
        required,
        optionalSystem: false
      })
      continue
    }
    if (output === 'nixosConfigurations') {
      patterns.push({ text, segments, nixos: false, required, optionalSystem: false })
      continue
    }
    if (output !== undefined && PER_SYSTEM_OUTPUTS.includes(output) && segments.length >= 2) {
      const systemSegment = segments[1]
      if ('name' in systemSegment) {
        if (!systems.includes(systemSegment.name)) otherSystems.push({ text, system: systemSegment.name })
        else patterns.push({ text, segments, system: systemSegment.name, nixos: false, required, optionalSystem: false })
        continue
      }
      for (const system of systems.filter(s => globMatches(systemSegment.glob, s))) {
        // A flake without this system's attributes simply has none to build.
        patterns.push({
          text,
          segments: [head, { name: system }, ...segments.slice(2)],
          system,
          nixos: false,
          required,
          optionalSystem: true
        })
      }
      continue
    }
    patterns.push({ text, segments, nixos: false, required, optionalSystem: false })
  }
  return { patterns, otherSystems }
}
