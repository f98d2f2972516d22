// Writes Nix's `got` over a located stale hash, in the form the old one was written (encodeLike),
// and changes nothing else: line endings, final newline, every other byte and the file mode stay.
// After writing, the file is read back and compared byte for byte; any difference outside the
// replaced hashes restores the original and fails.
import { errorMessage } from '../errors.js'
import { randomBytes } from 'node:crypto'
import { chmodSync, lstatSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { ParsedHash, encodeLike, isZeroDigest, parseHash } from './codec.js'
import type { HashOccurrence } from './locate.js'
import { pathAt, quotedPath } from '../report/quoted-path.js'

export interface HashPatch {
  occurrence: HashOccurrence
  /** The hash Nix printed as `got`, verbatim. Nothing else is ever written. */
  got: string
}

export interface PatchedHash {
  file: string
  line: number
  /** 1-based, in characters (for people). */
  column: number
  /** Where `after` starts in its line of the patched file, in bytes (for revertPatchedHash). */
  lineByteOffset: number
  /** The bytes replaced, as latin1 (one character per byte). */
  before: string
  /** The bytes written, as latin1. */
  after: string
}

export class HashPatchError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'HashPatchError'
  }
}

/** Applies the patches (any number, any files); all edits of one file are written at once. */
export function patchStaleHashes(repoDir: string, patches: HashPatch[]): PatchedHash[] {
  const byFile = new Map<string, HashPatch[]>()
  for (const p of patches) byFile.set(p.occurrence.file, [...(byFile.get(p.occurrence.file) ?? []), p])
  const results: PatchedHash[] = []
  for (const [file, filePatches] of byFile) results.push(...patchFile(repoDir, file, filePatches))
  return results
}

interface Edit {
  start: number
  end: number
  replacement: Buffer
  patch: HashPatch
  after: string
}

function patchFile(repoDir: string, file: string, patches: HashPatch[]): PatchedHash[] {
  const path = insideRepo(repoDir, file)
  const stat = lstatSync(path)
  if (!stat.isFile()) throw new HashPatchError(`${quotedPath(file)} is not a regular file (symlink?); nix-ci only edits regular files.`)
  // insideRepo is lexical: a folder on the way may be a symlink that leads out of the checkout.
  const realRoot = realpathSync(repoDir)
  if (relative(realRoot, realpathSync(dirname(path))).split(sep)[0] === '..')
    throw new HashPatchError(
      `${quotedPath(file)} is reached through a symlink that leads out of the repository; nix-ci only edits files inside it.`
    )
  const original = readFileSync(path)
  const edits = patches.map(p => planEdit(original, p)).sort((a, b) => a.start - b.start)
  for (let i = 1; i < edits.length; i++) {
    if (edits[i].start < edits[i - 1].end || (edits[i].start === edits[i - 1].start && edits[i].end === edits[i - 1].end)) {
      throw new HashPatchError(`Two patches overlap in ${quotedPath(file)} at byte ${edits[i].start}; locate the hashes again.`)
    }
  }
  const parts: Buffer[] = []
  let cursor = 0
  for (const e of edits) {
    parts.push(original.subarray(cursor, e.start), e.replacement)
    cursor = e.end
  }
  parts.push(original.subarray(cursor))
  const updated = Buffer.concat(parts)

  writePreservingMode(path, updated, stat.mode)
  try {
    verify(path, original, updated, edits, stat.mode)
  } catch (err) {
    writePreservingMode(path, original, stat.mode)
    throw err
  }
  let shift = 0
  return edits.map(e => {
    const start = e.start + shift
    shift += e.replacement.length - (e.end - e.start)
    return {
      file,
      line: e.patch.occurrence.line,
      column: e.patch.occurrence.column,
      lineByteOffset: start - (updated.lastIndexOf(0x0a, start - 1) + 1),
      before: e.patch.occurrence.text,
      after: e.after
    }
  })
}

function planEdit(original: Buffer, patch: HashPatch): Edit {
  const o = patch.occurrence
  let got: ParsedHash
  try {
    got = parseHash(patch.got)
  } catch (err) {
    throw new HashPatchError(`Refusing to write '${patch.got}' into ${pathAt(o.file, o.line)}: ${errorMessage(err)}`)
  }
  if (isZeroDigest(got.digest)) {
    throw new HashPatchError(
      `Refusing to write the placeholder '${patch.got}' into ${pathAt(o.file, o.line)}: Nix never reports it as "got".`
    )
  }
  const start = o.offset
  const end = o.offset + Buffer.byteLength(o.text, 'latin1')
  const found = original.subarray(start, end).toString('latin1')
  if (found !== o.text || end > original.length) {
    throw new HashPatchError(
      `${pathAt(o.file, o.line, o.column)} no longer holds '${o.text}' (the file changed after the hash was located); locate it again.`
    )
  }
  const encoded = encodeLike(got, o.encoding === 'empty-string' ? '' : o.text)
  // A placeholder expression (`lib.fakeHash`) becomes a string; everything else keeps its quotes.
  const after = o.encoding === 'fake-expression' ? `"${encoded}"` : encoded
  return { start, end, replacement: Buffer.from(after, 'latin1'), patch, after }
}

function verify(path: string, original: Buffer, expected: Buffer, edits: Edit[], mode: number): void {
  const written = readFileSync(path)
  const stat = lstatSync(path)
  if (!written.equals(expected)) throw new HashPatchError(`${quotedPath(path)} does not hold what nix-ci wrote; it was restored.`)
  if ((stat.mode & 0o7777) !== (mode & 0o7777))
    throw new HashPatchError(`${quotedPath(path)} changed mode while patching; it was restored.`)
  // Outside the edits, every byte must be the original's, in order.
  let o = 0
  let w = 0
  for (const e of edits) {
    const same = e.start - o
    if (!written.subarray(w, w + same).equals(original.subarray(o, e.start))) {
      throw new HashPatchError(`Unexpected bytes changed in ${quotedPath(path)}; it was restored.`)
    }
    w += same + e.replacement.length
    o = e.end
  }
  if (!written.subarray(w).equals(original.subarray(o)))
    throw new HashPatchError(`Unexpected bytes changed in ${quotedPath(path)}; it was restored.`)
}

/** Replace by rename, so a crash never leaves half a file; then give the new inode the old mode. */
export function writePreservingMode(path: string, bytes: Buffer, mode: number): void {
  const temp = join(dirname(path), `.${basename(path)}.nix-ci-${randomBytes(4).toString('hex')}`)
  try {
    writeFileSync(temp, bytes, { mode: mode & 0o7777, flag: 'wx' })
    chmodSync(temp, mode & 0o7777) // the umask may have taken bits away
    renameSync(temp, path)
  } catch (err) {
    rmSync(temp, { force: true })
    throw err
  }
}

export function insideRepo(repoDir: string, file: string): string {
  const root = resolve(repoDir)
  const path = resolve(root, file)
  const rel = relative(root, path)
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || resolve(root, rel) !== path) {
    throw new HashPatchError(`${quotedPath(file)} is outside the repository ${quotedPath(repoDir)}.`)
  }
  return path
}
