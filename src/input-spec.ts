// What the action's inputs are: their vocabularies, their parsed form (Inputs) and their defaults
// (DEFAULTS, equal to action.yml's: __tests__/action-yml.test.ts checks).
import type { PushTarget } from './push/store-url.js'
import type { RemoteFallback } from './setup/remote-builders.js'
import type { OutputsSelection } from './stages/build/select.js'

export const FIX_HASHES_MODES = ['pull-request', 'commit', 'write', 'report', 'off'] as const
export type FixHashesMode = (typeof FIX_HASHES_MODES)[number]

export const CHECK_FODS_POLICIES = ['auto', 'always', 'never'] as const
export type CheckFodsPolicy = (typeof CHECK_FODS_POLICIES)[number]

export const MATRIX_ROLES = ['off', 'build', 'aggregate'] as const
export type MatrixRole = (typeof MATRIX_ROLES)[number]

export const RELEASE_MODES = ['off', 'tag'] as const
export type ReleaseMode = (typeof RELEASE_MODES)[number]

export const VERSION_SOURCES = ['auto', 'mix.exs', 'flake', 'package.json'] as const
export type VersionFrom = { source: (typeof VERSION_SOURCES)[number] } | { source: 'literal'; version: string }

export type VmTest = { mode: 'auto' | 'builtin' | 'off' } | { mode: 'attribute'; attribute: string }

/** Systems Nix knows; anything else is a typo, and saying so beats a confusing eval error. */
export const KNOWN_SYSTEMS = [
  'x86_64-linux',
  'aarch64-linux',
  'i686-linux',
  'armv6l-linux',
  'armv7l-linux',
  'riscv64-linux',
  'powerpc64le-linux',
  's390x-linux',
  'loongarch64-linux',
  'x86_64-darwin',
  'aarch64-darwin'
] as const

export interface Inputs {
  flake: string
  package: string
  systems: string[]
  fixHashes: FixHashesMode
  /** Labels of the fix pull request. */
  pullRequestLabels: string[]
  checkFods: CheckFodsPolicy
  vmTest: VmTest
  /** Minutes for the whole VM test build. */
  vmTestTimeout: number
  service: string
  servicePort: number
  healthPath: string
  release: ReleaseMode
  /** `release-branches`: branches besides the default branch whose pushes may release. */
  releaseBranches: string[]
  versionFrom: VersionFrom
  tagPrefix: string
  majorTag: boolean
  cache: boolean
  /** Bytes: a larger store closure is not saved to the cache. */
  cacheMaxSize: number
  /** `cache-signing-key` (a secret from `nix key generate-secret`), or '' when unset. */
  cacheSigningKey: string
  /** `outputs`: the single package (default), `all`, or attribute paths/globs (select.ts). */
  outputs: OutputsSelection
  /** `push-to`: a Nix store URL to push what the run built to. */
  pushTo?: PushTarget
  /** `push-signing-key`, else `cache-signing-key`, else '' (unsigned). */
  pushSigningKey: string
  /** `push-required`: a failed push fails the run. */
  pushRequired: boolean
  extraNixConfig: string
  githubToken: string
  /** `builders`: Nix's builders syntax; '' uses Nix's own config. */
  builders: string
  /** `builders-ssh-key`: an SSH private key (secret) for builders that name no key; '' when unset. */
  buildersSshKey: string
  /** `remote-fallback`: a foreign system no builder takes is emulated here, or an error. */
  remoteFallback: RemoteFallback
  /** `matrix`: one job of a strategy.matrix (`build`), the job that gathers them (`aggregate`), or neither. */
  matrix: MatrixRole
}

export const DEFAULTS: Record<string, string> = {
  flake: '.',
  package: 'default',
  systems: 'x86_64-linux aarch64-linux',
  'fix-hashes': 'pull-request',
  'pull-request-labels': 'dependencies, nix',
  'check-fods': 'auto',
  'vm-test': 'auto',
  'vm-test-timeout': '30',
  service: 'mast',
  'service-port': '4000',
  'health-path': '/',
  release: 'off',
  'release-branches': '',
  'version-from': 'auto',
  'tag-prefix': 'v',
  'major-tag': 'false',
  cache: 'true',
  'cache-max-size': '2GiB',
  'cache-signing-key': '',
  outputs: 'package',
  'push-to': '',
  'push-signing-key': '',
  'push-required': 'false',
  'extra-nix-config': '',
  'github-token': '',
  builders: '',
  'builders-ssh-key': '',
  'remote-fallback': 'emulate',
  matrix: 'off'
}
