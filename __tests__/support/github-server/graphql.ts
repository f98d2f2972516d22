// GitHub's GraphQL endpoint (POST /graphql) for the few fields nix-ci uses, executed against GitHub's
// public schema (@octokit/graphql-schema, GitHub's own introspection result) by graphql-js itself: a query that does
// not validate, variables of the wrong type, or a result that breaks the schema (a null for a
// non-null field) fail exactly as they would on GitHub. Only the fields below are implemented;
// asking for any other is recorded as a violation, never answered with a guess.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildClientSchema, graphql, parse, type GraphQLFieldResolver, type GraphQLSchema, type OperationDefinitionNode } from 'graphql'
import { repositoryNodeId } from './shapes.js'
import type { GitHubStore, Repository } from './store.js'

const ZERO_OID = '0'.repeat(40)

/** The root fields implemented, as hooks and recorded calls name them. */
export const GRAPHQL_FIELDS = ['graphql/repository', 'graphql/updateRefs']

let schema: GraphQLSchema | undefined

/**
 * From the package's schema.json (the introspection answer of api.github.com): its schema.graphql
 * defines a few enterprise fields twice, which graphql-js rightly refuses to build.
 */
function loadSchema(): GraphQLSchema {
  schema ??= buildClientSchema(JSON.parse(readFileSync(schemaFile(), 'utf8')))
  return schema
}

/** The package exports only its JavaScript entry, so its schema.json is found the way Node finds packages. */
function schemaFile(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '@octokit', 'graphql-schema', 'schema.json')
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) throw new Error('@octokit/graphql-schema is not installed: run npm install')
  }
}

/** An error as GitHub's GraphQL API reports it: a `type` beside the message (NOT_FOUND, UNPROCESSABLE, ...). */
export class GraphQLFailure extends Error {
  constructor(
    readonly type: string,
    message: string
  ) {
    super(message)
  }
}

export interface GraphQLExchange {
  /** `graphql/<first root field>`, e.g. `graphql/updateRefs`: what hooks and recorded calls are keyed by. */
  operation: string
  response: { data?: unknown; errors?: unknown[] }
  /** Problems that are client bugs (an invalid document, an unimplemented field) or server bugs. */
  violations: string[]
}

/** The name a document is recorded under (its first root field), or undefined when it does not parse. */
export function graphqlOperationOf(body: unknown): string | undefined {
  const query = (body as { query?: unknown } | undefined)?.query
  if (typeof query !== 'string') return undefined
  try {
    const operation = parse(query).definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')
    const field = operation?.selectionSet.selections.find(s => s.kind === 'Field')
    return field?.kind === 'Field' ? `graphql/${field.name.value}` : undefined
  } catch {
    return undefined
  }
}

export async function executeGraphQL(store: GitHubStore, body: unknown): Promise<GraphQLExchange> {
  const request = (body ?? {}) as { query?: unknown; variables?: unknown; operationName?: unknown }
  const operation = graphqlOperationOf(body) ?? 'graphql/invalid'
  const violations: string[] = []
  if (typeof request.query !== 'string') {
    violations.push('the body has no `query` string')
    return { operation, violations, response: { errors: [{ message: 'A query attribute must be specified and must be a string.' }] } }
  }
  // Every field reads its value from the object the parent returned; one the server does not set
  // is not implemented, and saying so beats answering null.
  const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, args, _context, info) => {
    const value = (source as Record<string, unknown> | null)?.[info.fieldName]
    if (value === undefined) {
      violations.push(`the test server does not implement ${info.parentType.name}.${info.fieldName}`)
      throw new GraphQLFailure('INTERNAL', `${info.parentType.name}.${info.fieldName} is not implemented by the GitHub test server`)
    }
    return typeof value === 'function' ? (value as (a: unknown) => unknown).call(source, args) : value
  }
  const result = await graphql({
    schema: loadSchema(),
    source: request.query,
    variableValues: (request.variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
    rootValue: rootOf(store),
    fieldResolver
  })
  // Without `data`, the document or its variables did not validate: a client bug.
  if (!('data' in result)) violations.push(...(result.errors ?? []).map(e => e.message))
  const errors = (result.errors ?? []).map(error => {
    const failure = error.originalError instanceof GraphQLFailure ? error.originalError : undefined
    // An execution error that is not a deliberate answer (a non-null field left null): a server bug.
    if (!failure && 'data' in result) violations.push(`server bug: ${error.message}`)
    return {
      ...(failure ? { type: failure.type } : {}),
      ...(error.path ? { path: error.path } : {}),
      ...(error.locations ? { locations: error.locations } : {}),
      message: error.message
    }
  })
  return { operation, violations, response: { ...('data' in result ? { data: result.data } : {}), ...(errors.length ? { errors } : {}) } }
}

/** The root Query and Mutation fields nix-ci uses. */
function rootOf(store: GitHubStore): Record<string, unknown> {
  return {
    repository: ({ owner, name }: { owner: string; name: string }) => {
      const repo = store.findRepo(owner, name)
      if (!repo) throw new GraphQLFailure('NOT_FOUND', `Could not resolve to a Repository with the name '${owner}/${name}'.`)
      return repositoryObject(repo)
    },
    updateRefs: ({ input }: { input: UpdateRefsInput }) => {
      const repo = store.all().find(r => repositoryNodeId(r) === input.repositoryId)
      if (!repo) throw new GraphQLFailure('NOT_FOUND', `Could not resolve to a node with the global id of '${input.repositoryId}'`)
      applyRefUpdates(store, repo, input.refUpdates)
      return { clientMutationId: input.clientMutationId ?? null }
    }
  }
}

function repositoryObject(repo: Repository): Record<string, unknown> {
  return { id: repositoryNodeId(repo), databaseId: repo.id, name: repo.name, nameWithOwner: `${repo.owner}/${repo.name}` }
}

interface RefUpdate {
  name: string
  afterOid: string
  beforeOid?: string | null
  force?: boolean | null
}

interface UpdateRefsInput {
  repositoryId: string
  refUpdates: RefUpdate[]
  clientMutationId?: string | null
}

/**
 * updateRefs as GitHub documents it: every update is checked first and then all are applied, or
 * none; `beforeOid` is a compare-and-swap (the zero oid: the ref must not exist); the zero oid as
 * `afterOid` deletes; without `force` only a fast-forward is allowed. GitHub does not document the
 * wording of its refusals, so clients must not match on these messages.
 */
function applyRefUpdates(store: GitHubStore, repo: Repository, updates: RefUpdate[]): void {
  for (const update of updates) {
    const { name, afterOid } = update
    if (!/^refs\/[^/]+\/.+/.test(name) || name.endsWith('/') || name.includes('..'))
      throw new GraphQLFailure('UNPROCESSABLE', `${name} is not a valid ref name.`)
    for (const oid of [afterOid, update.beforeOid]) {
      if (oid != null && !/^[0-9a-f]{40}$/.test(oid)) throw new GraphQLFailure('UNPROCESSABLE', `'${oid}' is not a valid Git object ID.`)
    }
    const current = repo.refs.get(name)
    if (update.beforeOid != null && update.beforeOid !== (current ?? ZERO_OID)) {
      throw new GraphQLFailure(
        'UNPROCESSABLE',
        `Expected ${name} to point to ${update.beforeOid}, but it points to ${current ?? 'nothing'}.`
      )
    }
    if (afterOid === ZERO_OID) {
      if (current === undefined) throw new GraphQLFailure('UNPROCESSABLE', `${name} does not exist.`)
    } else {
      if (!repo.objects.has(afterOid)) throw new GraphQLFailure('UNPROCESSABLE', `Object ${afterOid} does not exist.`)
      if (current !== undefined && current !== afterOid && update.force !== true) {
        const from = store.peel(repo, current)
        const to = store.peel(repo, afterOid)
        if (!from || !to || !store.isAncestor(repo, from, to))
          throw new GraphQLFailure('UNPROCESSABLE', `Update of ${name} is not a fast forward.`)
      }
    }
    if (name.startsWith('refs/tags/') && repo.releases.some(r => r.immutable && r.tagName === name.slice('refs/tags/'.length))) {
      throw new GraphQLFailure('UNPROCESSABLE', 'Repository rule violations found\n\nCannot update this protected ref.\n\n')
    }
  }
  for (const { name, afterOid } of updates) {
    if (afterOid === ZERO_OID) repo.refs.delete(name)
    else repo.refs.set(name, afterOid)
  }
}
