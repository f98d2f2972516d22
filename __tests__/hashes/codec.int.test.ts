import { describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { toNix32 as fixtureToNix32 } from '../support/fixtures.js'
import {
  DIGEST_BYTES,
  FAKE_HASHES,
  HashAlgo,
  InvalidHashError,
  allSpellings,
  encodeLike,
  formatHash,
  fromNix32,
  isFakeHash,
  parseHash,
  toNix32,
  toSri,
  tryParseHash
} from '../../src/hashes/codec.js'
import { parseNixVersion } from '../../src/nix/version.js'

const ALGOS: HashAlgo[] = ['sha1', 'sha256', 'sha512']
const digestOf = (algo: HashAlgo, seed: string) => createHash(algo).update(seed).digest()

// `nix hash to-base32|to-sri` warn as deprecated from 2.20 on, in favour of `nix hash convert`.
const NIX_VERSION = parseNixVersion(execFileSync('nix', ['--version'], { encoding: 'utf8' }))
const HAS_HASH_CONVERT = NIX_VERSION.implementation !== 'lix' && (NIX_VERSION.upstream[0] > 2 || NIX_VERSION.upstream[1] >= 20)

function nixHash(command: 'to-base32' | 'to-sri', algo: HashAlgo, value: string): string {
  const args = HAS_HASH_CONVERT
    ? ['hash', 'convert', '--hash-algo', algo, '--to', command === 'to-sri' ? 'sri' : 'nix32', value]
    : ['hash', command, '--type', algo, value]
  return execFileSync('nix', ['--extra-experimental-features', 'nix-command', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NIX_CONFIG: 'substituters =' }
  }).trim()
}

describe('encodings', () => {
  it('writes nix32 exactly as the fixture toolkit and as Nix itself does', () => {
    for (const algo of ALGOS) {
      const digest = digestOf(algo, `nix32 ${algo}`)
      expect(toNix32(digest)).toBe(fixtureToNix32(digest))
      expect(toNix32(digest)).toBe(nixHash('to-base32', algo, digest.toString('hex')))
      expect(formatHash(algo, digest, { encoding: 'sri', prefixed: false })).toBe(nixHash('to-sri', algo, digest.toString('hex')))
    }
  })

  it('round-trips every spelling of every algorithm', () => {
    for (const algo of ALGOS) {
      for (let i = 0; i < 50; i++) {
        const digest = randomBytes(DIGEST_BYTES[algo])
        for (const { text, form } of allSpellings({ algo, digest, encoding: 'sri', prefixed: false })) {
          const parsed = parseHash(text)
          expect(parsed.algo).toBe(algo)
          expect(parsed.digest.equals(digest)).toBe(true)
          expect({ encoding: parsed.encoding, prefixed: parsed.prefixed }).toEqual(form)
          expect(formatHash(algo, parsed.digest, form)).toBe(text)
          // Any spelling converts to any other.
          expect(toSri(text)).toBe(`${algo}-${digest.toString('base64')}`)
        }
      }
    }
  })

  it('accepts uppercase hex, as Nix does', () => {
    const digest = digestOf('sha256', 'HEX')
    expect(parseHash(digest.toString('hex').toUpperCase()).digest.equals(digest)).toBe(true)
  })

  it('checks a bare hash against the algorithm it is declared with', () => {
    const hex = digestOf('sha256', 'x').toString('hex')
    expect(tryParseHash(hex, 'sha256')?.encoding).toBe('base16')
    expect(tryParseHash(hex, 'sha512')).toBeUndefined()
    expect(tryParseHash(`sha256:${hex}`, 'sha1')).toBeUndefined()
  })
})

describe('strict rejection', () => {
  const sri = toSri(`sha256:${digestOf('sha256', 'strict').toString('hex')}`)
  const nix32 = toNix32(digestOf('sha256', 'strict'))
  const cases: [string, string][] = [
    ['empty', ''],
    ['unknown algorithm', `md5-${'A'.repeat(22)}==`],
    ['sha384 is not supported', `sha384:${'0'.repeat(96)}`],
    ['SRI without padding', sri.slice(0, -1)],
    ['SRI with a character too many', `${sri.slice(0, -1)}AA`],
    ['SRI with stray low bits', `${sri.slice(0, -2)}B=`],
    ['SRI in url-safe base64', `sha256-${'_'.repeat(43)}=`],
    ['SRI algorithm with nix32 body', `sha256-${nix32}`],
    ['nix32 one character short', nix32.slice(1)],
    ['nix32 with a letter outside the alphabet', `${nix32.slice(0, -1)}e`],
    ['nix32 in upper case', nix32.toUpperCase()],
    ['nix32 whose high bits overflow 256 bits', `2${nix32.slice(1)}`],
    ['hex one digit short', `sha256:${'a'.repeat(63)}`],
    ['hex with a non-hex digit', `sha256:${'g'.repeat(64)}`],
    ['surrounding whitespace', ` ${sri}`],
    ['sha1 length under a sha256 prefix', `sha256:${'0'.repeat(40)}`]
  ]
  it.each(cases)('rejects %s', (_what, text) => {
    expect(tryParseHash(text)).toBeUndefined()
    expect(() => parseHash(text)).toThrow(InvalidHashError)
  })

  it('rejects overflow for every algorithm exactly at the first impossible digit', () => {
    for (const algo of ALGOS) {
      const bytes = DIGEST_BYTES[algo]
      const length = Math.ceil((bytes * 8) / 5)
      const spare = length * 5 - bytes * 8
      const maxFirst = (1 << (5 - spare)) - 1
      const rest = '0'.repeat(length - 1)
      expect(fromNix32(`${'0123456789abcdfghijklmnpqrsvwxyz'[maxFirst]}${rest}`, bytes)).toBeDefined()
      expect(fromNix32(`${'0123456789abcdfghijklmnpqrsvwxyz'[maxFirst + 1]}${rest}`, bytes)).toBeUndefined()
    }
  })
})

describe('fake hashes', () => {
  it.each([
    ['lib.fakeHash value', FAKE_HASHES.fakeHash],
    ['lib.fakeSha256 value', FAKE_HASHES.fakeSha256],
    ['lib.fakeSha512 value', FAKE_HASHES.fakeSha512],
    ['empty string', ''],
    ['lib.fakeHash', 'lib.fakeHash'],
    ['pkgs.lib.fakeSha256', 'pkgs.lib.fakeSha256'],
    ['fakeSha512 under with lib', 'fakeSha512'],
    ['all-A sha512 SRI', `sha512-${'A'.repeat(86)}==`],
    ['prefixed zero nix32', `sha256:${'0'.repeat(52)}`],
    ['zero sha1 hex', '0'.repeat(40)]
  ])('recognises %s', (_what, text) => {
    expect(isFakeHash(text)).toBe(true)
  })

  it('does not take real or malformed hashes for fake ones', () => {
    expect(isFakeHash(`sha256-${'A'.repeat(42)}B=`)).toBe(false)
    expect(isFakeHash('0'.repeat(51))).toBe(false)
    expect(isFakeHash(toSri(`sha256:${digestOf('sha256', 'real').toString('hex')}`))).toBe(false)
    expect(isFakeHash('lib.fakeHashes')).toBe(false)
  })
})

describe('encodeLike', () => {
  const got = `sha256-${digestOf('sha256', 'got').toString('base64')}`
  const digest = digestOf('sha256', 'got')
  const old = digestOf('sha256', 'old')

  it.each([
    ['SRI', `sha256-${old.toString('base64')}`, `sha256-${digest.toString('base64')}`],
    ['prefixed nix32', `sha256:${toNix32(old)}`, `sha256:${toNix32(digest)}`],
    ['bare nix32', toNix32(old), toNix32(digest)],
    ['prefixed hex', `sha256:${old.toString('hex')}`, `sha256:${digest.toString('hex')}`],
    ['bare hex', old.toString('hex'), digest.toString('hex')],
    ['upper-case hex', old.toString('hex').toUpperCase(), digest.toString('hex').toUpperCase()],
    ['prefixed base64', `sha256:${old.toString('base64')}`, `sha256:${digest.toString('base64')}`],
    ['lib.fakeSha256 value (nix32 zeros)', FAKE_HASHES.fakeSha256, toNix32(digest)],
    ['all-A SRI', FAKE_HASHES.fakeHash, got],
    ['empty string', '', got],
    ['lib.fakeHash', 'lib.fakeHash', got]
  ])('keeps the form of %s', (_what, oldText, expected) => {
    expect(encodeLike(got, oldText)).toBe(expected)
    expect(encodeLike(parseHash(got), oldText)).toBe(expected)
  })

  it('refuses to put a hash of one algorithm where another was', () => {
    expect(() => encodeLike(got, `sha512-${'A'.repeat(86)}==`)).toThrow(/sha512/)
    expect(() => encodeLike(got, 'lib.fakeSha512')).toThrow(/sha512/)
    expect(() => encodeLike(got, 'not a hash')).toThrow(InvalidHashError)
  })
})
