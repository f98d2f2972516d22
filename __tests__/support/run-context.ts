// The RunContext of a push to main of acme/mast, as GitHub's environment gives it to the action.
import type { RunContext } from '../../src/github/context.js'

const owner = 'acme'
const repo = 'mast'

export function pushContext(sha: string, overrides: Partial<RunContext> = {}): RunContext {
  return {
    owner,
    repo,
    sha,
    ref: 'refs/heads/main',
    eventName: 'push',
    apiUrl: 'http://unused.invalid',
    serverUrl: 'https://github.com',
    defaultBranch: 'main',
    actor: 'jane',
    ...overrides
  }
}
