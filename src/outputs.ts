// The action's outputs, as action.yml declares them: setOutput takes only these names.
export const OUTPUTS = [
  'out-paths',
  'build-results',
  'pushed-paths',
  'hash-mismatches',
  'pull-request-number',
  'pull-request-url',
  'pull-request-operation',
  'vm-test-result',
  'version',
  'tag',
  'release-url'
] as const

export type OutputName = (typeof OUTPUTS)[number]
