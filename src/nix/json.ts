// The one place that reads Nix's JSON. Each reader recognises every shape the supported Nix
// versions print (captures in __tests__/fixtures/nix-json/) and turns it into one typed form;
// a shape it does not know is an error naming the Nix version, never a guess.
import { errorMessage } from '../errors.js'
import { hash as oneShotHash } from 'node:crypto'
import { toNix32 } from '../hashes/codec.js'
import { NixVersion, describeNix } from './version.js'

export const STORE_DIR = '/nix/store'

export type FixedOutputMethod = 'flat' | 'nar' | 'text' | 'git'

export interface FixedOutputHash {
  /** `sha256`, `sha512`, `sha1` or `md5`. */
  algo: string
  method: FixedOutputMethod
  /** The declared hash in SRI form, whatever form the .drv JSON gave. */
  sri: string
}

export interface DerivationOutput {
  /** Full store path. */
  path: string
  /** Present only on fixed-output derivations. */
  fixed?: FixedOutputHash
}

export interface Derivation {
  /** Full store path of the .drv. */
  drvPath: string
  name: string
  system: string
  outputs: Record<string, DerivationOutput>
  /** Full store paths of the input derivations. */
  inputDrvs: string[]
}

export interface PathInfo {
  path: string
  valid: boolean
  narSize?: number
  closureSize?: number
  /** Content address (`fixed:r:sha256:…`, `text:sha256:…`) when the path has one. */
  ca?: string
}

export interface NixConfigView {
  system: string
  extraPlatforms: string[]
  systemFeatures: string[]
  trustedUsers: string[]
  sandbox: string
  substituters: string[]
  /** sandbox-paths, including what extra-sandbox-paths added. */
  sandboxPaths: string[]
  /** The store URI setting (`auto`, `daemon`, ...). */
  store: string
  /** The `builders` setting as Nix holds it: machine lines, or `@file` (default `@/etc/nix/machines`). */
  builders: string
}

export class NixJsonShapeError extends Error {
  constructor(command: string, version: NixVersion | undefined, detail: string) {
    const who = version ? describeNix(version) : 'this Nix'
    super(
      `nix-ci cannot read what \`nix ${command}\` printed on ${who}: ${detail}. ` +
        'This Nix version may print a JSON shape nix-ci does not know yet: please report it with the output of `nix --version`.'
    )
    this.name = 'NixJsonShapeError'
  }
}

export type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const fullPath = (p: string): string => (p.startsWith('/') ? p : `${STORE_DIR}/${p}`)

function parse(command: string, version: NixVersion | undefined, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new NixJsonShapeError(command, version, `not JSON (${errorMessage(error)})`)
  }
}

/**
 * `nix derivation show -r` / `nix show-derivation -r`. Shapes:
 * - 2.8-2.31 and Lix: `{"/nix/store/…drv": {outputs, inputDrvs, system, env}}`, full paths; a
 *   fixed output is `{path, hashAlgo: "r:sha256" | "sha256" (+ "method"), hash: <hex>}`.
 * - 2.32+: store base names; 2.33+ (version 4) wraps them in `{derivations, version}`, has
 *   `inputs.drvs`/`inputs.srcs`, and a fixed output is `{hash: <SRI>, method}` with no path.
 */
export function parseDerivationShow(text: string, version?: NixVersion): Map<string, Derivation> {
  const command = 'derivation show'
  const fail = (detail: string): never => {
    throw new NixJsonShapeError(command, version, detail)
  }
  const raw = parse(command, version, text)
  if (!isObject(raw)) return fail('expected an object of derivations')
  const entries = isObject(raw.derivations) && typeof raw.version === 'number' ? raw.derivations : raw
  const derivations = new Map<string, Derivation>()
  for (const [key, value] of Object.entries(entries)) {
    if (!key.endsWith('.drv') || !isObject(value)) fail(`unexpected entry '${key}'`)
    const derivation = readDerivationEntry(key, value as Json, fail)
    derivations.set(derivation.drvPath, derivation)
  }
  return derivations
}

/**
 * One derivation of any shape `derivation show` prints (or drv-file.ts reads from a .drv, in
 * 2.8's shape): its name, system, outputs and input derivations.
 */
export function readDerivationEntry(key: string, d: Json, fail: (detail: string) => never): Derivation {
  const drvPath = fullPath(key)
  const env = isObject(d.env) ? (d.env as Record<string, unknown>) : {}
  const name =
    typeof d.name === 'string'
      ? d.name
      : typeof env.name === 'string'
        ? env.name
        : drvPath.replace(/^.*\/[a-z0-9]{32}-/, '').replace(/\.drv$/, '')
  if (typeof d.system !== 'string') fail(`'${key}' has no system`)
  if (!isObject(d.outputs)) fail(`'${key}' has no outputs`)
  const inputs = isObject(d.inputs) ? d.inputs : undefined
  const inputDrvs = isObject(inputs?.drvs)
    ? inputs.drvs
    : isObject(d.inputDrvs)
      ? d.inputDrvs
      : fail(`'${key}' has neither inputDrvs nor inputs.drvs`)
  const outputs: Record<string, DerivationOutput> = {}
  for (const [outName, o] of Object.entries(d.outputs as Json)) {
    if (!isObject(o)) fail(`'${key}' output '${outName}' is not an object`)
    outputs[outName] = readOutput(key, outName, o as Json, name, env, fail)
  }
  return { drvPath, name, system: d.system as string, outputs, inputDrvs: Object.keys(inputDrvs as Json).map(fullPath) }
}

function readOutput(
  key: string,
  outName: string,
  o: Json,
  drvName: string,
  env: Record<string, unknown>,
  fail: (d: string) => never
): DerivationOutput {
  const path = typeof o.path === 'string' && o.path !== '' ? fullPath(o.path) : undefined
  if (o.hash === undefined || o.hash === '') {
    if (path === undefined)
      fail(`'${key}' output '${outName}' has no path (a content-addressed derivation? nix-ci builds input-addressed and fixed-output ones)`)
    return { path: path as string }
  }
  if (typeof o.hash !== 'string') return fail(`'${key}' output '${outName}' has a non-string hash`)
  const fixed = readFixedHash(o, fail, `'${key}' output '${outName}'`)
  // Version 4 gives no path for a fixed output: it follows from the hash, as Nix computes it.
  const computed = fixedOutputPath(outName === 'out' ? drvName : `${drvName}-${outName}`, fixed)
  const declared = path ?? (typeof env[outName] === 'string' ? (env[outName] as string) : undefined)
  if (declared !== undefined && computed !== undefined && declared !== computed) {
    fail(`'${key}' output '${outName}' is at ${declared}, not at ${computed} as its hash implies`)
  }
  const resolved = declared ?? computed
  if (resolved === undefined) return fail(`'${key}' output '${outName}' has no path and its hash method '${fixed.method}' gives none`)
  return { path: resolved, fixed }
}

const HEX_BYTES: Record<string, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 }
const METHODS: FixedOutputMethod[] = ['flat', 'nar', 'text', 'git']

function readFixedHash(o: Json, fail: (d: string) => never, where: string): FixedOutputHash {
  const hash = o.hash as string
  const sri = /^(md5|sha1|sha256|sha512)-([A-Za-z0-9+/]+=*)$/.exec(hash)
  if (sri) {
    const method = o.method
    if (typeof method !== 'string' || !METHODS.includes(method as FixedOutputMethod))
      fail(`${where} has an SRI hash but method '${String(method)}'`)
    return { algo: sri[1], method: method as FixedOutputMethod, sri: hash }
  }
  // hashAlgo "r:sha256" (2.8-2.2x: recursive) or "sha256" with "method" (2.2x+).
  const algoField = typeof o.hashAlgo === 'string' ? o.hashAlgo : fail(`${where} has a hash but no hashAlgo`)
  const prefixed = /^(r:|text:|git:)?(md5|sha1|sha256|sha512)$/.exec(algoField) ?? fail(`${where} has an unknown hashAlgo '${algoField}'`)
  const prefixMethod: Record<string, FixedOutputMethod> = { 'r:': 'nar', 'text:': 'text', 'git:': 'git' }
  const method = (typeof o.method === 'string' ? o.method : (prefixMethod[prefixed[1] ?? ''] ?? 'flat')) as FixedOutputMethod
  if (!METHODS.includes(method)) fail(`${where} has an unknown method '${method}'`)
  const algo = prefixed[2]
  if (!new RegExp(`^[0-9a-f]{${HEX_BYTES[algo] * 2}}$`).test(hash)) fail(`${where} has a hash that is not ${algo} in hex`)
  return { algo, method, sri: `${algo}-${Buffer.from(hash, 'hex').toString('base64')}` }
}

/**
 * The output path of a fixed-output derivation (libstore's makeFixedOutputPath): sha256 + nar is
 * a "source" path of the NAR hash; anything else hashes `fixed:out:[r:]<algo>:<hex>:` first.
 */
export function fixedOutputPath(name: string, fixed: FixedOutputHash): string | undefined {
  if (fixed.method !== 'flat' && fixed.method !== 'nar') return undefined
  const digest = Buffer.from(fixed.sri.slice(fixed.sri.indexOf('-') + 1), 'base64')
  if (fixed.method === 'nar' && fixed.algo === 'sha256') return makeStorePath('source', `sha256:${digest.toString('hex')}`, name)
  const inner = `fixed:out:${fixed.method === 'nar' ? 'r:' : ''}${fixed.algo}:${digest.toString('hex')}:`
  return makeStorePath('output:out', `sha256:${oneShotHash('sha256', inner)}`, name)
}

export function makeStorePath(type: string, hash: string, name: string): string {
  // One-shot: a graph read from .drv files makes one of these per derivation.
  const digest = Buffer.from(oneShotHash('sha256', `${type}:${hash}:${STORE_DIR}:${name}`), 'hex')
  const compressed = Buffer.alloc(20)
  for (let i = 0; i < digest.length; i++) compressed[i % 20] ^= digest[i]
  return `${STORE_DIR}/${toNix32(compressed)}-${name}`
}

/**
 * `nix path-info --json [-S] [-r]`. Shapes:
 * - 2.8-2.18 and Lix: an array of `{path, narSize, …}`, with `"valid": false` for an invalid path.
 * - 2.19+ (and `--json-format 1` on 2.33+): an object keyed by full path, `null` for an invalid
 *   path; 2.33+ adds `"version": 1` and `storeDir` to each entry.
 */
export function parsePathInfo(text: string, version?: NixVersion): Map<string, PathInfo> {
  const command = 'path-info --json'
  const raw = parse(command, version, text)
  const infos = new Map<string, PathInfo>()
  const add = (path: string, entry: Json | null): void => {
    if (entry === null) {
      infos.set(path, { path, valid: false })
      return
    }
    if (entry.version !== undefined && entry.version !== 1)
      throw new NixJsonShapeError(command, version, `'${path}' is in format version ${String(entry.version)}, nix-ci asks for 1`)
    if (entry.ca !== undefined && entry.ca !== null && typeof entry.ca !== 'string')
      throw new NixJsonShapeError(command, version, `'${path}' has a structured content address`)
    infos.set(path, {
      path,
      valid: entry.valid !== false,
      ...(typeof entry.narSize === 'number' ? { narSize: entry.narSize } : {}),
      ...(typeof entry.closureSize === 'number' ? { closureSize: entry.closureSize } : {}),
      ...(typeof entry.ca === 'string' && entry.ca !== '' ? { ca: entry.ca } : {})
    })
  }
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      if (!isObject(entry) || typeof entry.path !== 'string') throw new NixJsonShapeError(command, version, 'an array entry has no path')
      add(entry.path, entry)
    }
  } else if (isObject(raw)) {
    for (const [key, entry] of Object.entries(raw)) {
      if (entry !== null && !isObject(entry)) throw new NixJsonShapeError(command, version, `'${key}' is neither an object nor null`)
      add(fullPath(key), entry as Json | null)
    }
  } else {
    throw new NixJsonShapeError(command, version, 'expected an array or an object')
  }
  return infos
}

/** `nix config show --json` / `nix show-config --json`: `{"<setting>": {"value": …, …}}` on every version. */
export function parseNixConfig(text: string, version?: NixVersion): NixConfigView {
  const command = 'config show --json'
  const raw = parse(command, version, text)
  if (!isObject(raw)) throw new NixJsonShapeError(command, version, 'expected an object of settings')
  const value = (key: string): unknown => (isObject(raw[key]) ? (raw[key] as Json).value : undefined)
  const list = (key: string): string[] => {
    const v = value(key)
    if (Array.isArray(v)) return v.map(String)
    if (typeof v === 'string') return v.split(/\s+/).filter(Boolean)
    // 2.3x prints sandbox-paths as {"<target>": {"source": …, "optional": …}}: back to nix.conf's
    // own spelling, `target[=source][?]`.
    if (isObject(v)) {
      return Object.entries(v).map(([target, spec]) => {
        const source = isObject(spec) && typeof spec.source === 'string' ? spec.source : target
        return `${target}${source === target ? '' : `=${source}`}${isObject(spec) && spec.optional === true ? '?' : ''}`
      })
    }
    return []
  }
  const system = value('system')
  if (typeof system !== 'string') throw new NixJsonShapeError(command, version, "it has no 'system' setting")
  return {
    system,
    extraPlatforms: list('extra-platforms'),
    systemFeatures: list('system-features'),
    trustedUsers: list('trusted-users'),
    sandbox: String(value('sandbox')),
    substituters: list('substituters'),
    sandboxPaths: list('sandbox-paths'),
    store: String(value('store') ?? 'auto'),
    builders: typeof value('builders') === 'string' ? (value('builders') as string) : ''
  }
}
