// GitHub's official REST description (@octokit/openapi) as a checker: find the operation a request
// is for, then validate its parameters, body and response against that operation's schemas.
// The description is 13 MB, so it is parsed once per test file and only the operations a test
// touches are compiled (each once). Jest gives every test file its own module registry, so this
// cache lives as long as one test file.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

export interface SpecOperation {
  operationId: string
  method: string
  template: string
  documentationUrl: string
  pathParams: Record<string, string>
}

export interface SchemaCheck {
  ok: boolean
  errors: string[]
}

interface CompiledOperation {
  params: ValidateFunction
  query: ValidateFunction
  body?: ValidateFunction
  bodyRequired: boolean
  responses: Map<string, ValidateFunction | null>
}

interface Route {
  method: string
  template: string
  names: string[]
  exact: RegExp
  greedy: RegExp
  literalSegments: number
}

const require = createRequire(import.meta.url)
const SPEC_FILE = require.resolve('@octokit/openapi/generated/api.github.com.json')
// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv
) => Ajv
// Formats GitHub's description uses that JSON Schema does not define: accepted as any string.
const GITHUB_ONLY_FORMATS = ['repo.nwo', 'timestamp', 'int32', 'int64', 'double', 'binary']

/** Path parameters whose values may hold slashes (git refs, file paths). */
const SLASHED_PARAMS = new Set(['ref', 'path', 'tag', 'branch', 'name'])

let spec: JsonObject | undefined
let routes: Route[] | undefined
const compiled = new Map<string, CompiledOperation>()
let bodyAjv: Ajv | undefined
let paramAjv: Ajv | undefined

function loadSpec(): JsonObject {
  if (!spec) {
    spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as JsonObject
    correctKnownInaccuracies(spec)
  }
  return spec
}

/**
 * Where GitHub's answers and its description disagree, and GitHub has confirmed the answer: the
 * description is corrected here, narrowly, so the server can send what GitHub really sends.
 * - `head.repo` is null once the fork a pull request came from is deleted
 *   (github/rest-api-description#161, #424, #1811; api.github.com answers so today).
 */
function correctKnownInaccuracies(description: JsonObject): void {
  const schemas = (description.components as JsonObject).schemas as JsonObject
  for (const name of ['pull-request', 'pull-request-simple']) {
    const head = ((schemas[name] as JsonObject).properties as JsonObject).head as JsonObject
    const properties = head.properties as JsonObject
    properties.repo = { anyOf: [{ type: 'null' }, properties.repo] }
  }
}

function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes, validateSchema: false, logger: false })
  addFormats(ajv)
  for (const format of GITHUB_ONLY_FORMATS) ajv.addFormat(format, true)
  return ajv
}

function resolvePointer(ref: string): Json {
  if (!ref.startsWith('#/')) throw new Error(`Unsupported $ref ${ref}`)
  let node: Json = loadSpec()
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    node = (node as JsonObject)[key]
    if (node === undefined) throw new Error(`Dangling $ref ${ref}`)
  }
  return node
}

/** Follows `$ref`s to components that are not schemas (parameters, responses, request bodies). */
function deref(node: Json): JsonObject {
  let current = node as JsonObject
  while (typeof current.$ref === 'string') current = resolvePointer(current.$ref) as JsonObject
  return current
}

/**
 * Turns an OpenAPI 3.0 schema into a self-contained JSON Schema: component schemas it reaches go into
 * `$defs` (recursion-safe), `nullable` becomes a `null` alternative, and `oneOf` becomes `anyOf`
 * because GitHub's description uses `oneOf` for alternatives that overlap (two loose error objects,
 * for example), which an exact-one check would reject even for GitHub's own answers.
 */
export function bundleSchema(schema: Json): JsonObject {
  const defs: JsonObject = {}
  const visit = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(visit)
    if (node === null || typeof node !== 'object') return node
    if (typeof node.$ref === 'string') {
      const match = /^#\/components\/schemas\/(.+)$/.exec(node.$ref)
      if (!match) return visit(deref(node))
      const name = match[1]
      if (!(name in defs)) {
        defs[name] = true
        defs[name] = visit(resolvePointer(node.$ref))
      }
      return { $ref: `#/$defs/${name}` }
    }
    const out: JsonObject = {}
    for (const [key, value] of Object.entries(node)) {
      if (key === 'example' || key === 'examples' || key === 'nullable' || key.startsWith('x-')) continue
      if (key === 'properties' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v)]))
      } else {
        out[key === 'oneOf' ? 'anyOf' : key] = visit(value)
      }
    }
    if (node.nullable === true) return { anyOf: [{ type: 'null' }, out] }
    return out
  }
  const root = visit(schema) as JsonObject
  return Object.keys(defs).length > 0 ? { ...root, $defs: defs } : root
}

function buildRoutes(): Route[] {
  const list: Route[] = []
  for (const [template, item] of Object.entries(loadSpec().paths as JsonObject)) {
    for (const method of Object.keys(item as JsonObject)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue
      const names: string[] = []
      const segments = template.split('/')
      const pattern = (lastGreedy: boolean): RegExp =>
        new RegExp(
          '^' +
            segments
              .map((segment, i) => {
                const param = /^\{(.+)\}$/.exec(segment)
                if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
                // A client that does not percent-encode `heads/main` still reaches the ref operations.
                return lastGreedy && i === segments.length - 1 && SLASHED_PARAMS.has(param[1]) ? '(.+)' : '([^/]+)'
              })
              .join('/') +
            '$'
        )
      for (const segment of segments) {
        const param = /^\{(.+)\}$/.exec(segment)
        if (param) names.push(param[1])
      }
      list.push({
        method: method.toUpperCase(),
        template,
        names,
        exact: pattern(false),
        greedy: pattern(true),
        literalSegments: segments.length - names.length
      })
    }
  }
  // `/releases/latest` must win over `/releases/{release_id}`: more literal segments first.
  return list.sort((a, b) => b.literalSegments - a.literalSegments)
}

/** The documented operation for a method and a raw (still percent-encoded) path, if any. */
export function findOperation(method: string, rawPath: string): SpecOperation | undefined {
  routes ??= buildRoutes()
  for (const greedy of [false, true]) {
    for (const route of routes) {
      if (route.method !== method) continue
      const match = (greedy ? route.greedy : route.exact).exec(rawPath)
      if (!match) continue
      const pathParams: Record<string, string> = {}
      route.names.forEach((name, i) => (pathParams[name] = decodeURIComponent(match[i + 1])))
      const op = operationObject(route.method, route.template)
      const docs = (op.externalDocs as JsonObject | undefined)?.url
      return {
        operationId: op.operationId as string,
        method: route.method,
        template: route.template,
        documentationUrl: typeof docs === 'string' ? docs : 'https://docs.github.com/rest',
        pathParams
      }
    }
  }
  return undefined
}

function operationObject(method: string, template: string): JsonObject {
  return ((loadSpec().paths as JsonObject)[template] as JsonObject)[method.toLowerCase()] as JsonObject
}

function compileOperation(op: SpecOperation): CompiledOperation {
  const key = `${op.method} ${op.template}`
  const cached = compiled.get(key)
  if (cached) return cached
  bodyAjv ??= makeAjv(false)
  paramAjv ??= makeAjv(true)
  const item = (loadSpec().paths as JsonObject)[op.template] as JsonObject
  const operation = operationObject(op.method, op.template)
  const parameters = [...((item.parameters as Json[]) ?? []), ...((operation.parameters as Json[]) ?? [])].map(deref)
  const paramSchema = (where: string, closed: boolean): JsonObject => {
    const own = parameters.filter(p => p.in === where)
    return {
      type: 'object',
      properties: Object.fromEntries(own.map(p => [p.name as string, bundleSchema(p.schema ?? {})])),
      required: own.filter(p => p.required === true).map(p => p.name as string),
      // Unknown query parameters are a client bug GitHub would silently ignore: flag them.
      additionalProperties: !closed
    }
  }
  const requestBody = operation.requestBody ? deref(operation.requestBody) : undefined
  const bodySchemaRaw = (requestBody?.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined
  let body: ValidateFunction | undefined
  if (bodySchemaRaw?.schema) {
    const schema = bundleSchema(bodySchemaRaw.schema)
    // Stricter than GitHub on purpose: a misspelt field (`generate_release_note`) is ignored by
    // GitHub and would hide a bug, so unknown top-level fields are violations here.
    if (schema.type === 'object' && schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false
    body = bodyAjv.compile(schema)
  }
  const responses = new Map<string, ValidateFunction | null>()
  for (const [status, response] of Object.entries(operation.responses as JsonObject)) {
    const content = deref(response).content as JsonObject | undefined
    const json = content?.['application/json'] as JsonObject | undefined
    responses.set(status, json?.schema ? bodyAjv.compile(bundleSchema(json.schema)) : null)
  }
  const result: CompiledOperation = {
    params: paramAjv.compile(paramSchema('path', true)),
    query: paramAjv.compile(paramSchema('query', true)),
    body,
    bodyRequired: requestBody?.required === true,
    responses
  }
  compiled.set(key, result)
  return result
}

let basicError: ValidateFunction | undefined

function describe(errors: ErrorObject[] | null | undefined, where: string): string[] {
  return (errors ?? []).map(
    e =>
      `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`
  )
}

/** Checks path parameters, query and body of a request; query values are strings and get coerced. */
export function checkRequest(op: SpecOperation, query: Record<string, string | string[]>, body: unknown): SchemaCheck {
  const compiledOp = compileOperation(op)
  const errors: string[] = []
  const params = { ...op.pathParams }
  if (!compiledOp.params(params)) errors.push(...describe(compiledOp.params.errors, 'path'))
  const queryCopy = { ...query }
  if (!compiledOp.query(queryCopy)) errors.push(...describe(compiledOp.query.errors, 'query'))
  if (body === undefined) {
    if (compiledOp.bodyRequired) errors.push('body is required')
  } else if (!compiledOp.body) {
    errors.push('body is not accepted by this operation')
  } else if (!compiledOp.body(body)) {
    errors.push(...describe(compiledOp.body.errors, 'body'))
  }
  return { ok: errors.length === 0, errors }
}

/**
 * Checks a response. A documented status must match its schema; an undocumented error status must
 * still have GitHub's basic error shape (GitHub answers 403/429/5xx on any operation); an
 * undocumented success status is a violation.
 */
export function checkResponse(op: SpecOperation, status: number, body: unknown): SchemaCheck {
  const compiledOp = compileOperation(op)
  const documented = compiledOp.responses.get(String(status)) ?? compiledOp.responses.get(`${String(status)[0]}XX`)
  if (documented === undefined && !compiledOp.responses.has(String(status))) {
    if (status < 400) return { ok: false, errors: [`status ${status} is not documented for ${op.operationId}`] }
    bodyAjv ??= makeAjv(false)
    basicError ??= bodyAjv.compile({ ...bundleSchema({ $ref: '#/components/schemas/basic-error' }), required: ['message'] })
    return basicError(body) ? { ok: true, errors: [] } : { ok: false, errors: describe(basicError.errors, 'response') }
  }
  if (documented === null || documented === undefined) {
    const empty = body === undefined || body === ''
    return empty || status >= 400 ? { ok: true, errors: [] } : { ok: false, errors: [`status ${status} has no documented body`] }
  }
  return documented(body) ? { ok: true, errors: [] } : { ok: false, errors: describe(documented.errors, 'response') }
}

/** The bundled JSON Schema of a component, e.g. `full-repository` (used to build conforming objects). */
export function componentSchema(name: string): JsonObject {
  return bundleSchema({ $ref: `#/components/schemas/${name}` })
}
