// The test server's GraphQL endpoint against GitHub's schema: documents and variables are validated
// by graphql-js, and updateRefs keeps GitHub's documented compare-and-swap and all-or-nothing rules.
import { describe, expect, it } from '@jest/globals'
import { testClient, type GitHubTestServer } from '../support/github-server/index.js'
import { useGitHubServer } from '../support/github-world.js'

const UPDATE_REFS = 'mutation($input: UpdateRefsInput!) { updateRefs(input: $input) { clientMutationId } }'
let github: GitHubTestServer
let main: string

useGitHubServer(server => {
  github = server
  main = github.seedRepo({ owner: 'acme', repo: 'app' }).headSha
})

const repo = () => github.store.repo('acme', 'app')
const octokit = () => testClient(github)
const repositoryId = async () =>
  (
    await octokit().graphql<{ repository: { id: string } }>('query($o: String!, $n: String!) { repository(owner: $o, name: $n) { id } }', {
      o: 'acme',
      n: 'app'
    })
  ).repository.id
const errorsOf = async (promise: Promise<unknown>) => {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e
  )) as { name?: string; errors?: { type?: string; message: string }[] } | undefined
  expect(error?.name).toBe('GraphqlResponseError')
  return error?.errors ?? []
}

describe('GraphQL documents', () => {
  it('answers repository { id } with the node id REST gives, and NOT_FOUND for a missing repository', async () => {
    const { data } = await octokit().rest.repos.get({ owner: 'acme', repo: 'app' })
    expect(await repositoryId()).toBe(data.node_id)
    const errors = await errorsOf(octokit().graphql('query { repository(owner: "acme", name: "nope") { id } }'))
    expect(errors).toEqual([
      expect.objectContaining({ type: 'NOT_FOUND', message: "Could not resolve to a Repository with the name 'acme/nope'." })
    ])
  })

  it('rejects a field GitHub does not have, and variables of the wrong type, as client bugs', async () => {
    const unknown = await errorsOf(octokit().graphql('query { repository(owner: "acme", name: "app") { idd } }'))
    expect(unknown[0].message).toMatch(/Cannot query field "idd" on type "Repository"/)
    const wrongType = await errorsOf(
      octokit().graphql(UPDATE_REFS, { input: { repositoryId: 'x', refUpdates: [{ name: 'refs/heads/x' }] } })
    )
    expect(wrongType[0].message).toMatch(/Field "afterOid" of required type "GitObjectID!" was not provided/)
    const violations = github.takeViolations()
    expect(violations.map(v => v.operation)).toEqual(['graphql/repository', 'graphql/updateRefs'])
  })

  it('reports a field the schema has but the server does not implement, instead of answering null', async () => {
    await errorsOf(octokit().graphql('query { repository(owner: "acme", name: "app") { id stargazerCount } }'))
    expect(github.takeViolations()[0].errors).toEqual(['the test server does not implement Repository.stargazerCount'])
  })
})

describe('updateRefs', () => {
  it('moves a ref only from the value given as beforeOid; a stale beforeOid writes nothing', async () => {
    const id = await repositoryId()
    const next = github.store.pushChange('acme', 'app', 'main', { 'a.txt': 'a\n' })
    const stale = await errorsOf(
      octokit().graphql(UPDATE_REFS, {
        input: { repositoryId: id, refUpdates: [{ name: 'refs/heads/main', beforeOid: main, afterOid: main, force: true }] }
      })
    )
    expect(stale[0]).toMatchObject({ type: 'UNPROCESSABLE' })
    expect(repo().refs.get('refs/heads/main')).toBe(next)
    await octokit().graphql(UPDATE_REFS, {
      input: { repositoryId: id, refUpdates: [{ name: 'refs/heads/main', beforeOid: next, afterOid: main, force: true }] }
    })
    expect(repo().refs.get('refs/heads/main')).toBe(main)
  })

  it('applies all updates or none, creates with the zero oid as beforeOid, and needs force for a non-fast-forward', async () => {
    const id = await repositoryId()
    const zero = '0'.repeat(40)
    const next = github.store.pushChange('acme', 'app', 'main', { 'a.txt': 'a\n' })
    // The second update is stale: the first (a create) must not happen either.
    await errorsOf(
      octokit().graphql(UPDATE_REFS, {
        input: {
          repositoryId: id,
          refUpdates: [
            { name: 'refs/tags/v1', beforeOid: zero, afterOid: main },
            { name: 'refs/heads/main', beforeOid: main, afterOid: main }
          ]
        }
      })
    )
    expect(repo().refs.has('refs/tags/v1')).toBe(false)
    await octokit().graphql(UPDATE_REFS, {
      input: { repositoryId: id, refUpdates: [{ name: 'refs/tags/v1', beforeOid: zero, afterOid: main }] }
    })
    expect(repo().refs.get('refs/tags/v1')).toBe(main)
    const created = await errorsOf(
      octokit().graphql(UPDATE_REFS, {
        input: { repositoryId: id, refUpdates: [{ name: 'refs/tags/v1', beforeOid: zero, afterOid: next }] }
      })
    )
    expect(created[0].type).toBe('UNPROCESSABLE')
    // main -> its parent is not a fast-forward.
    const backwards = await errorsOf(
      octokit().graphql(UPDATE_REFS, {
        input: { repositoryId: id, refUpdates: [{ name: 'refs/heads/main', beforeOid: next, afterOid: main }] }
      })
    )
    expect(backwards[0].message).toMatch(/not a fast forward/)
    expect(repo().refs.get('refs/heads/main')).toBe(next)
    // The zero oid as afterOid deletes.
    await octokit().graphql(UPDATE_REFS, {
      input: { repositoryId: id, refUpdates: [{ name: 'refs/tags/v1', beforeOid: main, afterOid: zero }] }
    })
    expect(repo().refs.has('refs/tags/v1')).toBe(false)
    expect(github.callsTo('graphql/updateRefs')).toHaveLength(5)
  })
})
