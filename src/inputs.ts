// Every input of action.yml is parsed and validated here, once. A bad value fails at once with a
// message that names the input, the value and what is allowed.
import { CHECK_FODS_POLICIES, DEFAULTS, FIX_HASHES_MODES, type Inputs, MATRIX_ROLES, RELEASE_MODES } from './input-spec.js'
import {
  oneOf,
  parseAttrName,
  parseBoolean,
  parseBranchNames,
  parseBuilders,
  parseCacheSigningKey,
  parseFlakeRef,
  parseHealthPath,
  parseLabels,
  parseMinutes,
  parseNixConfigLines,
  parseOutputs,
  parsePort,
  parsePush,
  parseSize,
  parseSystems,
  parseTagPrefix,
  parseVersionFrom,
  parseVmTest
} from './input-values.js'
import { REMOTE_FALLBACKS } from './setup/remote-builders.js'

export * from './input-spec.js'
export { InputError, nixConfigWarnings, parseSystems } from './input-values.js'

/** `get` returns the raw value of an input, or '' / undefined when it is not set. */
export function parseInputs(get: (name: string) => string | undefined): Inputs {
  const raw = (name: string): string => {
    const value = (get(name) ?? '').trim()
    return value === '' ? DEFAULTS[name] : value
  }
  return {
    flake: parseFlakeRef(raw('flake')),
    package: parseAttrName('package', raw('package')),
    systems: parseSystems(raw('systems')),
    fixHashes: oneOf('fix-hashes', raw('fix-hashes'), FIX_HASHES_MODES),
    pullRequestLabels: parseLabels(get('pull-request-labels')),
    checkFods: oneOf('check-fods', raw('check-fods'), CHECK_FODS_POLICIES),
    vmTest: parseVmTest(raw('vm-test')),
    vmTestTimeout: parseMinutes('vm-test-timeout', raw('vm-test-timeout')),
    service: parseAttrName('service', raw('service')),
    servicePort: parsePort(raw('service-port')),
    healthPath: parseHealthPath(raw('health-path')),
    release: oneOf('release', raw('release'), RELEASE_MODES),
    releaseBranches: parseBranchNames('release-branches', get('release-branches') ?? ''),
    versionFrom: parseVersionFrom(raw('version-from')),
    tagPrefix: parseTagPrefix(get('tag-prefix')),
    majorTag: parseBoolean('major-tag', raw('major-tag')),
    cache: parseBoolean('cache', raw('cache')),
    cacheMaxSize: parseSize('cache-max-size', raw('cache-max-size')),
    cacheSigningKey: parseCacheSigningKey(get('cache-signing-key') ?? ''),
    outputs: parseOutputs(raw('outputs')),
    ...parsePush(get),
    extraNixConfig: parseNixConfigLines(get('extra-nix-config') ?? ''),
    githubToken: (get('github-token') ?? '').trim(),
    builders: parseBuilders(get('builders') ?? ''),
    buildersSshKey: (get('builders-ssh-key') ?? '').trim(),
    remoteFallback: oneOf('remote-fallback', raw('remote-fallback'), REMOTE_FALLBACKS),
    matrix: oneOf('matrix', raw('matrix'), MATRIX_ROLES)
  }
}
