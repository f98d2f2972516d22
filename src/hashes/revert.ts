// Undoes one written hash (a fix that turned out wrong, e.g. a platform conflict), byte-exactly:
// the file is handled as bytes (never decoded as UTF-8, which would turn a Latin-1 `é` into U+FFFD),
// the bytes written are put back only where they stand, and nothing else in the file moves.
import { lstatSync, readFileSync } from 'node:fs'
import { HashPatchError, PatchedHash, insideRepo, writePreservingMode } from './patch.js'
import { pathAt } from '../report/quoted-path.js'

export function revertPatchedHash(repoDir: string, patched: PatchedHash): void {
  const path = insideRepo(repoDir, patched.file)
  const bytes = readFileSync(path)
  const lineStart = startOfLine(bytes, patched.line)
  const lineEnd = lineStart === undefined ? -1 : bytes.indexOf(0x0a, lineStart)
  const line = lineStart === undefined ? undefined : bytes.subarray(lineStart, lineEnd === -1 ? bytes.length : lineEnd).toString('latin1')
  const at = line === undefined ? -1 : whereWritten(line, patched)
  if (lineStart === undefined || at === -1) {
    throw new HashPatchError(
      `Cannot undo the hash written at ${pathAt(patched.file, patched.line)}: the file changed since. Restore it with git.`
    )
  }
  const from = lineStart + at
  const reverted = Buffer.concat([
    bytes.subarray(0, from),
    Buffer.from(patched.before, 'latin1'),
    bytes.subarray(from + Buffer.byteLength(patched.after, 'latin1'))
  ])
  writePreservingMode(path, reverted, lstatSync(path).mode)
}

/** Byte offset where 1-based line `line` starts, or undefined past the end. */
function startOfLine(bytes: Buffer, line: number): number | undefined {
  let start = 0
  for (let n = 1; n < line; n++) {
    const newline = bytes.indexOf(0x0a, start)
    if (newline === -1) return undefined
    start = newline + 1
  }
  return start
}

/**
 * Where the written text stands in its line: at the recorded offset, or (when another revert on the
 * same line moved it) at its only occurrence in the line. Anything else means the file changed.
 */
function whereWritten(line: string, patched: PatchedHash): number {
  if (line.startsWith(patched.after, patched.lineByteOffset)) return patched.lineByteOffset
  const first = line.indexOf(patched.after)
  return first !== -1 && line.indexOf(patched.after, first + 1) === -1 ? first : -1
}
