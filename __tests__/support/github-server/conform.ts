// GitHub's response objects have dozens of required fields (a full repository has 75) that no test
// reads. `conform` fills every required field with a neutral value of the documented type, then lays
// the fields the server really tracks on top. The result is still checked against the spec on every
// response, so a wrong tracked field fails the test; the filler only saves hand-writing the rest.
import { componentSchema } from './openapi.js'

type Schema = { [key: string]: unknown }

const filled = new Map<string, unknown>()

export function conform<T extends object>(component: string, fields: object): T {
  if (!filled.has(component)) {
    const schema = componentSchema(component)
    filled.set(component, sample(schema, schema, 0))
  }
  return deepMerge(structuredClone(filled.get(component)), fields) as T
}

function sample(schema: Schema, root: Schema, depth: number): unknown {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/$defs/', '')
    return sample((root.$defs as Record<string, Schema>)[name], root, depth + 1)
  }
  if (depth > 12) return null
  if ('default' in schema && schema.default !== undefined) return schema.default
  if (Array.isArray(schema.enum)) return schema.enum[0]
  if (Array.isArray(schema.allOf)) {
    return (schema.allOf as Schema[]).reduce<unknown>((acc, part) => deepMerge(acc, sample(part, root, depth + 1)), {})
  }
  if (Array.isArray(schema.anyOf)) {
    const options = schema.anyOf as Schema[]
    const nonNull = options.find(o => o.type !== 'null')
    // A nullable field is filled with null: always valid, and honest about "not tracked".
    if (options.some(o => o.type === 'null')) return null
    return sample(nonNull ?? options[0], root, depth + 1)
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      const properties = (schema.properties ?? {}) as Record<string, Schema>
      for (const name of (schema.required as string[] | undefined) ?? []) {
        out[name] = properties[name] ? sample(properties[name], root, depth + 1) : null
      }
      return out
    }
    case 'array':
      return []
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 0
    case 'boolean':
      return false
    case 'null':
      return null
    case 'string':
      return sampleString(schema)
    default:
      return properties(schema) ? sample({ ...schema, type: 'object' }, root, depth) : null
  }
}

function properties(schema: Schema): boolean {
  return schema.properties !== undefined
}

function sampleString(schema: Schema): string {
  switch (schema.format) {
    case 'date-time':
      return new Date(0).toISOString()
    case 'date':
      return '1970-01-01'
    case 'uri':
    case 'uri-template':
      return 'https://github.invalid/'
    case 'email':
      return 'nobody@github.invalid'
  }
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0
  return '0'.repeat(minLength)
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base }
    for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value)
    return out
  }
  return over
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
