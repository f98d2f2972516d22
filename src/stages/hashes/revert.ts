// Undoes one written hash (a fix that turned out wrong, e.g. a platform conflict), byte-exactly:
// the text written is put back only where it stands, and nothing else in the file moves.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PatchedHash } from '../../hashes/patch.js'

export function revertPatchedHash(repoDir: string, patched: PatchedHash): void {
  const path = join(repoDir, patched.file)
  const content = readFileSync(path, 'utf8')
  const lines = content.split('\n')
  const line = lines[patched.line - 1]
  const at = [...(line ?? '')].slice(0, patched.column - 1).join('').length
  if (line === undefined || line.slice(at, at + patched.after.length) !== patched.after) {
    throw new Error(`Cannot undo the hash written at ${patched.file}:${patched.line}: the file changed since. Restore it with git.`)
  }
  lines[patched.line - 1] = line.slice(0, at) + patched.before + line.slice(at + patched.after.length)
  writeFileSync(path, lines.join('\n'))
}
