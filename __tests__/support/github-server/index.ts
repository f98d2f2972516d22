// The local GitHub for tests. Typical use:
//
//   let github: GitHubTestServer
//   useGitHubServer(server => { github = server })      // a fresh one for each test, checked after it
//
//   const { headSha } = github.seedRepo({ owner: 'acme', repo: 'app' })
//   github.inject({ operation: 'git/create-ref', ...faults.notAccessibleByIntegration() })
//   const octokit = testClient(github)
//   github.barrier('pulls/create', 2)                    // two clients race, every time
//   github.beforeNext('git/update-ref', () => github.store.pushChange(...))  // a push between read and write
//   github.store.actor = { login: 'my-app[bot]', ... }  // a PAT / App token instead of GITHUB_TOKEN
//
// useGitHubServer is in ../github-world.ts: jest's hooks stay out of what the benches import.
import { createGitHubClient, type GitHubClient, type GitHubClientOptions } from '../../../src/github/client.js'
import type { GitHubTestServer } from './server.js'

export * as faults from './faults.js'
export { GitHubTestServer, startGitHubServer, type RecordedCall, type Violation } from './server.js'
export type { FileSpec, Repository, SeedRepoOptions } from './store.js'

/** Fails the test with every off-spec request or response the server saw. */
export function expectNoViolations(server: GitHubTestServer): void {
  const violations = server.takeViolations()
  if (violations.length === 0) return
  const lines = violations.map(v => `- ${v.kind} ${v.operation ?? ''} ${v.method} ${v.path}:\n    ${v.errors.join('\n    ')}`)
  throw new Error(`The GitHub test server saw ${violations.length} off-spec exchange(s):\n${lines.join('\n')}`)
}

/** The production client pointed at the test server: real plugins, short back-off, no write pacing. */
export function testClient(server: GitHubTestServer, options: Partial<GitHubClientOptions> = {}): GitHubClient {
  return createGitHubClient({
    token: 'test-token',
    baseUrl: server.url,
    retryAfterBaseMs: 5,
    paceWrites: false,
    throttleId: `test-${Math.random()}`,
    ...options
  })
}
