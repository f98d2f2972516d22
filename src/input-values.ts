// The value parsers behind parseInputs: one per kind of input value. A bad value fails with a
// message that names the input, the value and what is allowed.
import { errorMessage } from './errors.js'
import semver from 'semver'
import { parseSigningKey } from './cache/signing.js'
import { parseByteSize } from './cache/size.js'
import { parsePushTarget } from './push/store-url.js'
import { parseMachine, splitBuilders } from './nix/machines.js'
import { OutputsSelection, parseOutputsSelection } from './stages/build/select.js'
import { DEFAULTS, type Inputs, KNOWN_SYSTEMS, VERSION_SOURCES, type VersionFrom, type VmTest } from './input-spec.js'
import type { PushTarget } from './push/store-url.js'

export class InputError extends Error {
  constructor(input: string, value: string, allowed: string) {
    super(`Input '${input}' has the value '${value}', which is not allowed: ${allowed}`)
    this.name = 'InputError'
  }
}

/** Nix's builders syntax, each machine read now so a typo fails before anything runs. */
export function parseBuilders(value: string): string {
  for (const entry of splitBuilders(value)) {
    if (entry.startsWith('@')) continue
    try {
      parseMachine(entry, 'x86_64-linux')
    } catch (error) {
      throw new InputError('builders', entry, errorMessage(error))
    }
  }
  return value.trim()
}

export function oneOf<T extends string>(input: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw new InputError(input, value, `use one of ${allowed.map(a => `'${a}'`).join(', ')}`)
}

export function parseFlakeRef(value: string): string {
  if (/[\n\r\0]/.test(value)) throw new InputError('flake', value, 'a flake reference is one line, e.g. `.` or `path:./sub`')
  return value
}

const ATTR_NAME = /^[A-Za-z_][A-Za-z0-9_'-]*$/

export function parseAttrName(input: string, value: string): string {
  if (ATTR_NAME.test(value)) return value
  throw new InputError(input, value, "use a plain Nix attribute name (letters, digits, _, ' and -), e.g. `default`")
}

export function parseSystems(value: string): string[] {
  const systems = [...new Set(value.split(/[\s,]+/).filter(Boolean))]
  if (systems.length === 0) throw new InputError('systems', value, 'name at least one system, e.g. `x86_64-linux aarch64-linux`')
  for (const system of systems) {
    if (!(KNOWN_SYSTEMS as readonly string[]).includes(system)) {
      throw new InputError('systems', system, `unknown system; known systems are ${KNOWN_SYSTEMS.join(', ')}`)
    }
  }
  return systems
}

export function parseVmTest(value: string): VmTest {
  if (value === 'auto' || value === 'builtin' || value === 'off') return { mode: value }
  if (/^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)+$/.test(value)) return { mode: 'attribute', attribute: value }
  throw new InputError('vm-test', value, "use 'auto', 'builtin', 'off', or a flake attribute path such as `checks.x86_64-linux.my-test`")
}

export function parsePort(value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : NaN
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return port
  throw new InputError('service-port', value, 'use a TCP port number from 1 to 65535')
}

export function parseMinutes(input: string, value: string): number {
  const minutes = /^\d+$/.test(value) ? Number(value) : NaN
  if (Number.isInteger(minutes) && minutes >= 1 && minutes <= 24 * 60) return minutes
  throw new InputError(input, value, 'use a whole number of minutes from 1 to 1440')
}

export function parseHealthPath(value: string): string {
  if (/^\/[^\s]*$/.test(value)) return value
  throw new InputError('health-path', value, 'use an HTTP path starting with `/`, without spaces, e.g. `/health`')
}

export function parseVersionFrom(value: string): VersionFrom {
  if ((VERSION_SOURCES as readonly string[]).includes(value)) return { source: value as (typeof VERSION_SOURCES)[number] }
  const version = semver.valid(value)
  if (version !== null) return { source: 'literal', version }
  throw new InputError(
    'version-from',
    value,
    `use ${VERSION_SOURCES.map(s => `'${s}'`).join(', ')}, or a literal semver version such as 1.2.3`
  )
}

/** Commas or newlines (a label may hold spaces); empty means no labels, so no default substitution. */
export function parseLabels(value: string | undefined): string[] {
  const text = value === undefined ? DEFAULTS['pull-request-labels'] : value
  const labels = [
    ...new Set(
      text
        .split(/[,\n]/)
        .map(l => l.trim())
        .filter(Boolean)
    )
  ]
  for (const label of labels) {
    if (label.length > 50) throw new InputError('pull-request-labels', label, 'GitHub labels are at most 50 characters')
  }
  return labels
}

/**
 * Whole branch names (`main`, `release/1.x`), separated by spaces, commas or newlines. A name is
 * compared exactly, so patterns are refused rather than silently matching nothing.
 */
export function parseBranchNames(input: string, value: string): string[] {
  const names = [...new Set(value.split(/[\s,]+/).filter(Boolean))]
  for (const name of names) {
    const gitRefName = /^[A-Za-z0-9._/-]+$/.test(name) && !/\.\.|\/\/|^[/.-]|[/.]$|\.lock$/.test(name)
    if (!gitRefName || name.startsWith('refs/')) {
      throw new InputError(
        input,
        name,
        'use whole branch names, without refs/heads/ and without patterns (letters, digits, . _ / -), separated by spaces or commas, e.g. `main release/1.x`'
      )
    }
  }
  return names
}

export function parseTagPrefix(value: string | undefined): string {
  // An empty prefix is allowed on purpose (tags like `1.2.3`), so no default substitution here.
  const prefix = value === undefined ? DEFAULTS['tag-prefix'] : value.trim()
  if (/^[A-Za-z0-9._/-]*$/.test(prefix) && !prefix.includes('..') && !prefix.startsWith('/') && !prefix.startsWith('-')) return prefix
  throw new InputError('tag-prefix', prefix, 'use characters valid in a git tag name (letters, digits, . _ / -), e.g. `v`')
}

export function parseOutputs(value: string): OutputsSelection {
  try {
    return parseOutputsSelection(value)
  } catch (error) {
    throw new InputError(
      'outputs',
      value,
      `use \`package\` (packages.<system>.<package>), \`all\`, or attribute paths with * globs such as \`packages.*.* checks.*.lint\` (${errorMessage(error)})`
    )
  }
}

export function parsePush(get: (name: string) => string | undefined): Pick<Inputs, 'pushTo' | 'pushSigningKey' | 'pushRequired'> {
  const url = (get('push-to') ?? '').trim()
  let pushTo: PushTarget | undefined
  try {
    pushTo = url === '' ? undefined : parsePushTarget(url)
  } catch (error) {
    // The URL may carry a password: the message shows it without.
    throw new InputError('push-to', '***', errorMessage(error))
  }
  const own = (get('push-signing-key') ?? '').trim()
  const pushSigningKey = own !== '' ? parseCacheSigningKey(own, 'push-signing-key') : parseCacheSigningKey(get('cache-signing-key') ?? '')
  const pushRequired = parseBoolean('push-required', (get('push-required') ?? '').trim() || DEFAULTS['push-required'])
  return { ...(pushTo ? { pushTo } : {}), pushSigningKey, pushRequired }
}

/** Checked at once, so a wrong secret fails the run instead of silently saving unsigned entries. */
export function parseCacheSigningKey(value: string, input = 'cache-signing-key'): string {
  const secret = value.trim()
  if (secret === '') return ''
  try {
    return parseSigningKey(secret).secret
  } catch (error) {
    // The value is a secret: the message names the input, never the value.
    throw new InputError(input, '***', errorMessage(error))
  }
}

export function parseSize(input: string, value: string): number {
  try {
    return parseByteSize(value)
  } catch {
    throw new InputError(input, value, 'give bytes or a number with KiB, MiB, GiB or TiB, e.g. `2GiB` or `500MiB`')
  }
}

export function parseBoolean(input: string, value: string): boolean {
  if (/^(true|yes|1)$/i.test(value)) return true
  if (/^(false|no|0)$/i.test(value)) return false
  throw new InputError(input, value, "use 'true' or 'false'")
}

/** nix.conf lines: `key = value`, comments and blank lines. */
export function parseNixConfigLines(value: string): string {
  for (const line of value.split(/\r?\n/)) {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*\s*=/.test(trimmed)) {
      throw new InputError('extra-nix-config', trimmed, 'write nix.conf lines of the form `key = value`, one per line')
    }
  }
  return value.trim()
}

/** What each nix.conf setting gives away when extra-nix-config sets it (`extra-` forms included). */
const WEAKENING_SETTINGS: { setting: string; when?: (value: string) => boolean; weakens: string }[] = [
  {
    setting: 'sandbox',
    when: v => !/^true$/i.test(v),
    weakens:
      "builders run outside the Nix sandbox: with the network, the whole file system of the runner (the checkout, its .git credentials, other users' files) and no isolation between builds"
  },
  {
    setting: 'sandbox-fallback',
    when: v => /^true$/i.test(v),
    weakens: 'where the sandbox cannot be set up, Nix builds without it instead of failing'
  },
  { setting: 'sandbox-paths', weakens: "these host paths are visible inside every build's sandbox" },
  {
    setting: 'allowed-impure-host-deps',
    weakens: 'derivations may read these host paths, so outputs depend on the runner and not only on their inputs'
  },
  {
    setting: 'build-users-group',
    when: v => v === '',
    weakens: 'builds run as the user Nix runs as (root on a single-user install), not as unprivileged build users'
  },
  {
    setting: 'filter-syscalls',
    when: v => /^false$/i.test(v),
    weakens: 'builders may use system calls the sandbox normally blocks (setuid files, extended attributes)'
  },
  { setting: 'allow-new-privileges', when: v => /^true$/i.test(v), weakens: 'builders may gain privileges through setuid programs' },
  { setting: 'impure-env', weakens: 'these variables are handed to fixed-output derivations: never put a secret here' },
  {
    setting: 'post-build-hook',
    weakens:
      "this program runs after every build as the user Nix runs as (root on a single-user install), with the build's outputs: a common way to leak a cache's signing key or upload what a builder planted"
  },
  {
    setting: 'pre-build-hook',
    weakens: 'this program runs before every build, as the user Nix runs as, and decides what the sandbox contains'
  },
  { setting: 'diff-hook', weakens: 'this program runs as the user Nix runs as whenever a check build differs' },
  {
    setting: 'builders',
    when: v => v !== '' && v !== '@/dev/null',
    weakens: 'builds (and their outputs, which this machine then trusts) come from the remote machines listed'
  },
  {
    setting: 'trusted-users',
    weakens: 'these users may change any Nix setting and import unsigned store paths: they are root-equivalent for the Nix store'
  },
  { setting: 'allowed-users', weakens: 'these users may talk to the Nix daemon' },
  {
    setting: 'require-sigs',
    when: v => /^false$/i.test(v),
    weakens: 'store paths are accepted from substituters and imports without a valid signature: whoever serves them decides what gets built'
  },
  {
    setting: 'substituters',
    when: v => v !== '',
    weakens: 'store paths are fetched from these caches instead of being built: check they are ones you trust'
  },
  { setting: 'trusted-substituters', weakens: 'unprivileged users may add these caches' },
  { setting: 'trusted-public-keys', weakens: 'store paths signed by these keys are accepted without building them' },
  {
    setting: 'accept-flake-config',
    when: v => /^true$/i.test(v),
    weakens:
      "a flake's nixConfig (its own substituters, keys and settings) is applied without asking: the code you build chooses its trust settings"
  },
  {
    setting: 'allow-unsafe-native-code-during-evaluation',
    when: v => /^true$/i.test(v),
    weakens: 'Nix expressions may run arbitrary programs while they are evaluated'
  },
  { setting: 'plugin-files', weakens: 'these shared libraries are loaded into every Nix process' },
  {
    setting: 'access-tokens',
    weakens:
      "nix-ci never passes access tokens through the environment (a fixed-output derivation could read them): they are dropped. Put them in a nix.conf only root can read (`/etc/nix/nix.conf`, e.g. with install-nix-action's `github_access_token`)"
  }
]

/**
 * Warnings for extra-nix-config lines that weaken the sandbox or what Nix trusts. Only workflow
 * authors set the input, so nothing is refused: they are told what they give away.
 */
export function nixConfigWarnings(config: string): string[] {
  const warnings: string[] = []
  for (const line of config.split(/\r?\n/)) {
    const m = /^\s*(?:extra-)?([A-Za-z0-9-]+)\s*=\s*(.*?)\s*$/.exec(line)
    if (!m || line.trim().startsWith('#')) continue
    const [, setting, value] = m
    const rule = WEAKENING_SETTINGS.find(r => r.setting === setting && (r.when === undefined || r.when(value)))
    if (!rule) continue
    const shown = setting === 'access-tokens' ? `${line.trim().split('=')[0].trim()} = ***` : line.trim()
    warnings.push(`extra-nix-config sets \`${shown}\`: ${rule.weakens}. Remove the line unless the build needs it.`)
  }
  return warnings
}
