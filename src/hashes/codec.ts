// Hash text as Nix reads and writes it: SRI (`sha256-<base64>`), `sha256:`-prefixed nix32, base16
// or base64, and the bare forms that need the algorithm from context. Validation is as strict as
// Nix's own parser (libutil/hash.cc): exact length per algorithm, exact alphabet, canonical
// padding, and nix32 strings whose high bits overflow the digest are rejected.
import { Buffer } from 'node:buffer'

export type HashAlgo = 'sha1' | 'sha256' | 'sha512'
export type HashEncoding = 'sri' | 'nix32' | 'base16' | 'base64'

export const DIGEST_BYTES: Readonly<Record<HashAlgo, number>> = { sha1: 20, sha256: 32, sha512: 64 }
const ALGOS = Object.keys(DIGEST_BYTES) as HashAlgo[]

export interface ParsedHash {
  algo: HashAlgo
  digest: Buffer
  encoding: HashEncoding
  /** `sha256:` in front (never for SRI, whose `sha256-` is part of the encoding). */
  prefixed: boolean
}

export class InvalidHashError extends Error {
  constructor(
    readonly text: string,
    reason: string
  ) {
    super(`'${text}' is not a valid Nix hash: ${reason}`)
    this.name = 'InvalidHashError'
  }
}

export const NIX32_ALPHABET = '0123456789abcdfghijklmnpqrsvwxyz'
const NIX32_INDEX = new Map([...NIX32_ALPHABET].map((c, i) => [c, i]))

export function nix32Length(bytes: number): number {
  return Math.ceil((bytes * 8) / 5)
}

function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4
}

/** Nix's base-32: least significant 5 bits last, alphabet without e, o, u, t. */
export function toNix32(digest: Uint8Array): string {
  let out = ''
  for (let n = nix32Length(digest.length) - 1; n >= 0; n--) {
    const b = n * 5
    const i = b >> 3
    const j = b & 7
    const c = (digest[i] >> j) | (i + 1 < digest.length ? digest[i + 1] << (8 - j) : 0)
    out += NIX32_ALPHABET[c & 0x1f]
  }
  return out
}

/** Inverse of toNix32; undefined for a wrong length, a foreign character or overflowing high bits. */
export function fromNix32(text: string, bytes: number): Buffer | undefined {
  if (text.length !== nix32Length(bytes)) return undefined
  const digest = Buffer.alloc(bytes)
  for (let n = 0; n < text.length; n++) {
    const digit = NIX32_INDEX.get(text[text.length - n - 1])
    if (digit === undefined) return undefined
    const b = n * 5
    const i = b >> 3
    const j = b & 7
    digest[i] |= (digit << j) & 0xff
    const carry = digit >> (8 - j)
    if (i < bytes - 1) digest[i + 1] |= carry
    else if (carry !== 0) return undefined
  }
  return digest
}

function fromBase16(text: string, bytes: number): Buffer | undefined {
  if (text.length !== bytes * 2 || !/^[0-9a-fA-F]*$/.test(text)) return undefined
  return Buffer.from(text, 'hex')
}

function fromBase64(text: string, bytes: number): Buffer | undefined {
  if (text.length !== base64Length(bytes) || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined
  const digest = Buffer.from(text, 'base64')
  // Canonical only: stray bits in the last character or wrong padding would not round-trip.
  if (digest.length !== bytes || digest.toString('base64') !== text) return undefined
  return digest
}

export function encodeDigest(digest: Uint8Array, encoding: Exclude<HashEncoding, 'sri'>): string {
  const buf = Buffer.from(digest)
  switch (encoding) {
    case 'nix32':
      return toNix32(buf)
    case 'base16':
      return buf.toString('hex')
    case 'base64':
      return buf.toString('base64')
  }
}

function isAlgo(text: string): text is HashAlgo {
  return (ALGOS as string[]).includes(text)
}

function decodeBare(text: string, algo: HashAlgo): { digest: Buffer; encoding: Exclude<HashEncoding, 'sri'> } | undefined {
  const bytes = DIGEST_BYTES[algo]
  // The lengths of the three encodings never coincide for one algorithm, so length picks the decoder.
  if (text.length === bytes * 2) {
    const digest = fromBase16(text, bytes)
    return digest && { digest, encoding: 'base16' }
  }
  if (text.length === nix32Length(bytes)) {
    const digest = fromNix32(text, bytes)
    return digest && { digest, encoding: 'nix32' }
  }
  if (text.length === base64Length(bytes)) {
    const digest = fromBase64(text, bytes)
    return digest && { digest, encoding: 'base64' }
  }
  return undefined
}

/**
 * Parses any hash text Nix accepts. A bare hash (no `algo:` or `algo-` in front) needs `algo`, or is
 * recognised by its length when `algo` is omitted (the length of every bare form is unique).
 */
export function tryParseHash(text: string, algo?: HashAlgo): ParsedHash | undefined {
  const sri = /^(sha1|sha256|sha512)-(.*)$/.exec(text)
  if (sri) {
    const a = sri[1] as HashAlgo
    if (algo !== undefined && algo !== a) return undefined
    const digest = fromBase64(sri[2], DIGEST_BYTES[a])
    return digest && { algo: a, digest, encoding: 'sri', prefixed: false }
  }
  const colon = /^([a-z0-9]+):(.*)$/.exec(text)
  if (colon) {
    if (!isAlgo(colon[1]) || (algo !== undefined && algo !== colon[1])) return undefined
    const bare = decodeBare(colon[2], colon[1])
    return bare && { algo: colon[1], ...bare, prefixed: true }
  }
  for (const a of algo ? [algo] : ALGOS) {
    const bare = decodeBare(text, a)
    if (bare) return { algo: a, ...bare, prefixed: false }
  }
  return undefined
}

export function parseHash(text: string, algo?: HashAlgo): ParsedHash {
  const parsed = tryParseHash(text, algo)
  if (!parsed) {
    throw new InvalidHashError(
      text,
      algo
        ? `expected a ${algo} hash as SRI (${algo}-…), ${algo}:… or bare nix32/base16/base64 of the right length`
        : 'expected SRI (sha256-…), sha256:… , or a bare nix32/base16/base64 digest of a known length'
    )
  }
  return parsed
}

export interface HashForm {
  encoding: HashEncoding
  prefixed: boolean
}

/** Writes a digest in the given form; `sha256-…` for SRI, `sha256:…` when prefixed. */
export function formatHash(algo: HashAlgo, digest: Uint8Array, form: HashForm): string {
  if (digest.length !== DIGEST_BYTES[algo]) {
    throw new Error(`A ${algo} digest has ${DIGEST_BYTES[algo]} bytes, not ${digest.length}`)
  }
  if (form.encoding === 'sri') return `${algo}-${Buffer.from(digest).toString('base64')}`
  const body = encodeDigest(digest, form.encoding)
  return form.prefixed ? `${algo}:${body}` : body
}

export function toSri(hash: string | ParsedHash): string {
  const h = typeof hash === 'string' ? parseHash(hash) : hash
  return formatHash(h.algo, h.digest, { encoding: 'sri', prefixed: false })
}

export function hashesEqual(a: ParsedHash, b: ParsedHash): boolean {
  return a.algo === b.algo && a.digest.equals(b.digest)
}

/** Every spelling of this hash that Nix would accept (lowercase hex; callers match hex case-insensitively). */
export function allSpellings(hash: ParsedHash): { text: string; form: HashForm }[] {
  const forms: HashForm[] = [
    { encoding: 'sri', prefixed: false },
    { encoding: 'nix32', prefixed: true },
    { encoding: 'base16', prefixed: true },
    { encoding: 'base64', prefixed: true },
    { encoding: 'nix32', prefixed: false },
    { encoding: 'base16', prefixed: false },
    { encoding: 'base64', prefixed: false }
  ]
  return forms.map(form => ({ text: formatHash(hash.algo, hash.digest, form), form }))
}

// --- Fake hashes: placeholders people write to make Nix print the real hash. -------------------

/** nixpkgs `lib.fakeHash`, `lib.fakeSha256`, `lib.fakeSha512` and friends, by their values. */
export const FAKE_HASHES = {
  fakeHash: `sha256-${'A'.repeat(43)}=`,
  fakeSha256: '0'.repeat(52),
  fakeSha512: '0'.repeat(128)
} as const

/** `lib.fakeHash`, `pkgs.lib.fakeSha256`, bare `fakeSha512` (under `with lib;`): an expression, not a string. */
export const FAKE_HASH_EXPRESSION = /^(?:[A-Za-z_][\w'-]*\.)*fake(Hash|Sha1|Sha256|Sha512)$/

/** The algorithm a fake-hash expression stands for. */
export function fakeExpressionAlgo(expression: string): HashAlgo | undefined {
  const m = FAKE_HASH_EXPRESSION.exec(expression)
  if (!m) return undefined
  return ({ Hash: 'sha256', Sha1: 'sha1', Sha256: 'sha256', Sha512: 'sha512' } as const)[m[1] as 'Hash']
}

/**
 * True for placeholder hashes: the empty string (Nix assumes `sha256-AAAA…=`), any valid hash whose
 * digest is all zero bits (all-A SRI, all-zero nix32 or hex), and the `lib.fake*` expressions.
 */
export function isFakeHash(text: string): boolean {
  if (text === '' || FAKE_HASH_EXPRESSION.test(text)) return true
  const parsed = tryParseHash(text)
  return parsed !== undefined && isZeroDigest(parsed.digest)
}

export function isZeroDigest(digest: Uint8Array): boolean {
  return digest.every(b => b === 0)
}

/**
 * `newHash` written the way `oldHashText` is written: same encoding, same `algo:` prefix or none.
 * A placeholder that carries no form (`""`, `lib.fakeHash`) gets SRI, Nix's own preferred form.
 * The algorithms must agree: Nix reports `got` in the algorithm that was specified.
 */
export function encodeLike(newHash: string | ParsedHash, oldHashText: string): string {
  const next = typeof newHash === 'string' ? parseHash(newHash) : newHash
  let form: HashForm = { encoding: 'sri', prefixed: false }
  let oldAlgo: HashAlgo | undefined = fakeExpressionAlgo(oldHashText)
  if (oldHashText !== '' && oldAlgo === undefined) {
    const old = tryParseHash(oldHashText, next.algo) ?? tryParseHash(oldHashText)
    if (!old) throw new InvalidHashError(oldHashText, 'cannot tell which form to write the new hash in')
    form = { encoding: old.encoding, prefixed: old.prefixed }
    oldAlgo = old.algo
    // Keep uppercase hex uppercase.
    if (old.encoding === 'base16' && /[A-F]/.test(oldHashText) && !/[a-f]/.test(oldHashText)) {
      if (oldAlgo !== next.algo) throw algoMismatch(next.algo, oldAlgo)
      const text = formatHash(next.algo, next.digest, form)
      return old.prefixed ? `${next.algo}:${text.slice(next.algo.length + 1).toUpperCase()}` : text.toUpperCase()
    }
  }
  if (oldAlgo !== undefined && oldAlgo !== next.algo) throw algoMismatch(next.algo, oldAlgo)
  return formatHash(next.algo, next.digest, form)
}

function algoMismatch(next: HashAlgo, old: HashAlgo): Error {
  return new Error(
    `Refusing to replace a ${old} hash with a ${next} hash: Nix reports the hash it got in the ` +
      'algorithm that was specified, so this pairing means the mismatch and the location do not belong together.'
  )
}
