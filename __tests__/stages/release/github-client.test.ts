// The GitHub client: bounded retries and rate-limit waits, and errors explained as what to do.
import { describe, expect, it } from '@jest/globals'
import { createGitHubClient, explainGitHubError } from '../../../src/github/client.js'
import { faults, testClient, type GitHubTestServer } from '../../support/github-server/index.js'
import { useGitHubServer } from '../../support/github-world.js'

let github: GitHubTestServer
const where = { owner: 'acme', repo: 'app' }

useGitHubServer(server => {
  github = server
  github.seedRepo({ owner: 'acme', repo: 'app' })
})

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (error: unknown) => error
  )
}

describe('createGitHubClient', () => {
  it('gives up on a rate limit after the configured number of retries, saying so', async () => {
    const messages: string[] = []
    const octokit = testClient(github, { log: m => messages.push(m), rateLimitRetries: 2 })
    github.inject({ operation: 'repos/get', times: 5, ...faults.secondaryRateLimit(0) })
    const error = await caught(octokit.rest.repos.get(where))
    expect(github.callsTo('repos/get')).toHaveLength(3)
    expect(messages).toEqual([
      expect.stringMatching(/secondary rate limit hit on GET .*retry 1 of 2/),
      expect.stringMatching(/secondary rate limit hit on GET .*retry 2 of 2/),
      expect.stringMatching(/giving up after 2 retries/)
    ])
    expect(explainGitHubError(error, { action: 'read the repository', ...where })).toMatch(
      /kept rate-limiting nix-ci .* re-run the job later/
    )
  })

  it('retries server errors a bounded number of times', async () => {
    const octokit = testClient(github, { retries: 2 })
    github.inject({ operation: 'repos/get', times: 5, ...faults.serverError(503) })
    const error = await caught(octokit.rest.repos.get(where))
    expect(github.callsTo('repos/get').map(c => c.status)).toEqual([503, 503, 503])
    expect(explainGitHubError(error, { action: 'read the repository', ...where })).toMatch(
      /GitHub failed with 503 .* after several retries .*re-run the job/
    )
  })

  it('fails clearly when GitHub cannot be reached at all', async () => {
    const octokit = testClient(github, { retries: 1 })
    const url = github.url
    await github.stop()
    const error = await caught(octokit.rest.repos.get(where))
    const message = explainGitHubError(error, { action: 'read the repository', ...where })
    expect(message).toContain(`Could not reach GitHub to read the repository (GET ${url}/repos/acme/app)`)
    expect(message).toMatch(/retried and still failed: check the runner can reach the GitHub API/)
  })

  it('uses GITHUB_API_URL (as @actions/github read it) unless a base URL is given', () => {
    const fromEnv = createGitHubClient({ token: 't' })
    expect(fromEnv.request.endpoint.DEFAULTS.baseUrl).toBe(process.env.GITHUB_API_URL || 'https://api.github.com')
    const explicit = createGitHubClient({ token: 't', baseUrl: `${github.url}/` })
    expect(explicit.request.endpoint.DEFAULTS.baseUrl).toBe(github.url)
  })
})

describe('explainGitHubError', () => {
  it('names the permissions block to add for "Resource not accessible by integration"', async () => {
    github.inject({ operation: 'pulls/create', ...faults.notAccessibleByIntegration() })
    const error = await caught(testClient(github).rest.pulls.create({ ...where, head: 'x', base: 'main', title: 't' }))
    const message = explainGitHubError(error, {
      action: 'open the pull request',
      ...where,
      permissions: { contents: 'write', 'pull-requests': 'write' }
    })
    expect(message).toContain('permissions:\n  contents: write\n  pull-requests: write\n')
  })

  it('says the token cannot see a repository that answers 404', async () => {
    const error = await caught(testClient(github).rest.repos.get({ owner: 'acme', repo: 'secret' }))
    expect(explainGitHubError(error, { action: 'read the repository', owner: 'acme', repo: 'secret' })).toMatch(
      /404 Not Found .* acme\/secret: the token cannot see this repository/
    )
  })

  it('lists the validation errors of a 422', async () => {
    github.inject({
      operation: 'repos/create-release',
      ...faults.validationFailed([{ resource: 'Release', code: 'custom', field: 'tag_name', message: 'tag_name is not a valid tag' }])
    })
    const error = await caught(testClient(github).rest.repos.createRelease({ ...where, tag_name: 'bad..tag' }))
    expect(explainGitHubError(error, { action: 'publish the release', ...where })).toBe(
      'GitHub answered 422 while trying to publish the release in acme/app: Validation Failed (tag_name is not a valid tag)'
    )
  })
})
