// A derivation graph read straight from the store's .drv files, without a `nix derivation show`
// call: on a real closure (thousands of derivations) that call is the build stage's costliest
// query after evaluation, and most of its time is Nix printing JSON that is read back here.
// A .drv file is Nix's own ATerm text, the same on every Nix version since 1.x:
//   Derive([("out","/nix/store/…","r:sha256","<hex>")],[("/nix/store/….drv",["out"])],
//          ["/nix/store/<src>"],"<system>","<builder>",[<args>],[(<env>)])
// Nothing here is taken on trust: a .drv's store path is the hash of its text and references
// (a "text" path, libstore's makeTextPath), so a file is used only when its path checks out.
// Anything else (no such file, a store elsewhere, an experimental shape, a path that does not
// match) gives undefined, and the caller asks Nix instead.
import { hash } from 'node:crypto'
import { closeSync, openSync, readSync } from 'node:fs'
import { Derivation, Json, makeStorePath, readDerivationEntry } from './json.js'
import { DRV_STORE_PATH } from './store-path.js'

/** The largest .drv read; a bigger one (a huge env) is left to Nix. */
const MAX_DRV_BYTES = 16 << 20

export interface DrvFileOptions {
  /** Where STORE_DIR is on this filesystem (tests: a copy of some .drv files). */
  root?: string
}

/** The closure of these derivations through their inputs, keyed by .drv path; undefined when any file cannot be used. */
export function readDerivationClosure(drvPaths: string[], options: DrvFileOptions = {}): Map<string, Derivation> | undefined {
  const derivations = new Map<string, Derivation>()
  const stack = [...drvPaths]
  while (stack.length > 0) {
    const drvPath = stack.pop() as string
    if (derivations.has(drvPath)) continue
    const derivation = readDrvFile(drvPath, options.root ?? '')
    if (derivation === undefined) return undefined
    derivations.set(drvPath, derivation.derivation)
    // As `derivation show -r`, which lists the store closure's .drv files: a .drv can also be a
    // source (a string context of unsafeDiscardOutputDependency), with a closure of its own.
    for (const input of derivation.references) if (input.endsWith('.drv') && !derivations.has(input)) stack.push(input)
  }
  return derivations
}

/** One .drv file, parsed and checked against its own store path; with the paths it refers to. */
export function readDrvFile(drvPath: string, root = ''): { derivation: Derivation; references: string[] } | undefined {
  const base = DRV_STORE_PATH.exec(drvPath)
  if (!base) return undefined
  const bytes = readSmallFile(root + drvPath)
  if (bytes === undefined) return undefined
  const parsed = parseDrvText(bytes.toString('latin1'))
  if (parsed === undefined) return undefined
  const references = [...parsed.inputSrcs, ...Object.keys(parsed.inputDrvs)].sort()
  const type = ['text', ...references].join(':')
  const digest = hash('sha256', bytes)
  if (makeStorePath(type, `sha256:${digest}`, base[1]) !== drvPath) return undefined
  try {
    const derivation = readDerivationEntry(drvPath, parsed as unknown as Json, detail => {
      throw new Error(detail)
    })
    return { derivation, references }
  } catch {
    return undefined
  }
}

/** A reused buffer: most .drv files are a few kilobytes, and a graph reads thousands. */
let buffer = Buffer.alloc(1 << 16)

/** A file's bytes (a view of `buffer` until the next call), or undefined when unreadable or too big. */
function readSmallFile(path: string): Buffer | undefined {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return undefined
  }
  try {
    let length = 0
    for (;;) {
      if (length === buffer.length) {
        if (buffer.length >= MAX_DRV_BYTES) return undefined
        const bigger = Buffer.alloc(buffer.length * 2)
        buffer.copy(bigger)
        buffer = bigger
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) return buffer.subarray(0, length)
      length += n
    }
  } catch {
    return undefined
  } finally {
    closeSync(fd)
  }
}

interface DrvText {
  outputs: Record<string, { path: string; hashAlgo: string; hash: string }>
  inputDrvs: Record<string, string[]>
  inputSrcs: string[]
  system: string
}

/** The fields of a .drv that the graph needs (outputs, inputs, system); undefined for any other shape. */
export function parseDrvText(text: string): DrvText | undefined {
  const reader = new ATermReader(text)
  try {
    reader.expect('Derive(')
    const outputs: DrvText['outputs'] = {}
    reader.list(() => {
      reader.expect('(')
      const name = reader.string()
      const path = reader.comma().string()
      const hashAlgo = reader.comma().string()
      const hash = reader.comma().string()
      reader.expect(')')
      outputs[name] = { path, hashAlgo, hash }
    })
    const inputDrvs: DrvText['inputDrvs'] = {}
    reader.comma().list(() => {
      reader.expect('(')
      const path = reader.string()
      const names: string[] = []
      reader.comma().list(() => names.push(reader.string()))
      reader.expect(')')
      inputDrvs[path] = names
    })
    const inputSrcs: string[] = []
    reader.comma().list(() => inputSrcs.push(reader.string()))
    const system = reader.comma().string()
    // The builder, its arguments and environment follow; the store path's check covers them.
    reader.comma().expect('"')
    return { outputs, inputDrvs, inputSrcs, system }
  } catch (error) {
    if (error instanceof ATermError) return undefined
    throw error
  }
}

class ATermError extends Error {}

/** A cursor over ATerm text: exactly the subset Nix writes for a derivation. */
class ATermReader {
  private at = 0
  /** The next backslash at or after `at` (Infinity: none), found once, not once per string. */
  private backslash = -1

  constructor(private readonly text: string) {}

  expect(token: string): this {
    if (!this.text.startsWith(token, this.at)) throw new ATermError(`expected ${token} at ${this.at}`)
    this.at += token.length
    return this
  }

  comma(): this {
    return this.expect(',')
  }

  /** `[item,item,…]`. */
  list(item: () => void): void {
    this.expect('[')
    if (this.text.charCodeAt(this.at) === 93) {
      this.at++
      return
    }
    for (;;) {
      item()
      const c = this.text.charCodeAt(this.at++)
      if (c === 93) return
      if (c !== 44) throw new ATermError(`expected , or ] at ${this.at - 1}`)
    }
  }

  /** A quoted string with Nix's escapes (\" \\ \n \r \t). */
  string(): string {
    this.expect('"')
    let out = ''
    for (let from = this.at; ;) {
      const end = this.nextSpecial(from)
      if (end === -1) throw new ATermError('unterminated string')
      out += this.text.slice(from, end)
      if (this.text.charCodeAt(end) === 34) {
        this.at = end + 1
        return out
      }
      const escaped = this.text[end + 1]
      if (escaped === undefined) throw new ATermError('unterminated escape')
      out += escaped === 'n' ? '\n' : escaped === 'r' ? '\r' : escaped === 't' ? '\t' : escaped
      from = end + 2
    }
  }

  /** The next `"` or `\` from `from`, or -1. */
  private nextSpecial(from: number): number {
    if (this.backslash < from) {
      const found = this.text.indexOf('\\', from)
      this.backslash = found === -1 ? Infinity : found
    }
    const quote = this.text.indexOf('"', from)
    return quote !== -1 && quote < this.backslash ? quote : this.backslash === Infinity ? -1 : this.backslash
  }
}
