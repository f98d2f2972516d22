// Ref updates that cannot overwrite anyone's work. REST's `PATCH git/refs` with `force: true` moves
// a ref wherever it is, so "read, decide, force" loses a push that lands in between. GitHub's
// GraphQL `updateRefs` takes the value the ref must still hold (`beforeOid`): a compare-and-swap,
// applied atomically on GitHub's side. https://docs.github.com/graphql/reference/mutations#updaterefs
import { isGraphQLResponseError, isRequestError, type Repo } from './client.js'

/** `beforeOid` for "the ref must not exist yet", as GitHub documents it. */
export const ZERO_OID = '0'.repeat(40)

const REPOSITORY_ID = 'query RepositoryId($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { id } }'
const UPDATE_REFS = 'mutation SwapRef($input: UpdateRefsInput!) { updateRefs(input: $input) { clientMutationId } }'

export type { Repo }

/** The repository's GraphQL node id (the mutation takes it, not owner/name). */
export async function repositoryNodeId(gh: Repo): Promise<string> {
  const data = await gh.octokit.graphql<{ repository: { id: string } }>(REPOSITORY_ID, { owner: gh.owner, name: gh.repo })
  return data.repository.id
}

export interface RefSwap {
  /** Fully qualified: `refs/heads/<branch>`, `refs/tags/<tag>`. */
  ref: string
  /** What the ref must still point at; undefined: the ref must not exist. */
  before: string | undefined
  after: string
}

/**
 * Points `ref` at `after` only if it still points at `before` (forced: the move need not be a
 * fast-forward). 'stale' when the ref changed since it was read: nothing was written, and the
 * caller reads it again and decides anew.
 */
export async function swapRef(gh: Repo, swap: RefSwap): Promise<'swapped' | 'stale'> {
  const repositoryId = await repositoryNodeId(gh)
  try {
    await gh.octokit.graphql(UPDATE_REFS, {
      input: { repositoryId, refUpdates: [{ name: swap.ref, beforeOid: swap.before ?? ZERO_OID, afterOid: swap.after, force: true }] }
    })
    return 'swapped'
  } catch (error) {
    // GitHub does not document the wording of a failed swap: what the ref holds now tells.
    if (isGraphQLResponseError(error) && (await readRef(gh, swap.ref)) !== swap.before) return 'stale'
    throw error
  }
}

/** The object a fully qualified ref points at, or undefined when it does not exist. */
export async function readRef(gh: Repo, ref: string): Promise<string | undefined> {
  try {
    const { data } = await gh.octokit.rest.git.getRef({ owner: gh.owner, repo: gh.repo, ref: ref.replace(/^refs\//, '') })
    return data.object.sha
  } catch (error) {
    if (isRequestError(error) && error.status === 404) return undefined
    throw error
  }
}
