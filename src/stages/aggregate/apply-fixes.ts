// Writes the fixes every system agreed on into the aggregate job's checkout: the same commit the
// matrix built, so each old hash is exactly where the matrix jobs found it. A fix comes from
// another job's artifact, so it is taken only as the locator sees the checkout: the old hash (or
// placeholder) must be one the locator finds at that very place in a tracked, regular text file.
// Then the byte-exact patcher writes it (no symlink followed, every other byte kept). Anything
// else means the checkout is not that commit, or the fix is forged, and nothing is written.
import { findHashOccurrences, findPlaceholders, type HashOccurrence } from '../../hashes/locate.js'
import { parseHash, tryParseHash } from '../../hashes/codec.js'
import { type HashPatch, patchStaleHashes } from '../../hashes/patch.js'
import { readTrackedTextFiles, type RepoTextFile } from '../../hashes/repo-files.js'
import type { HashFix } from '../fix-hashes/types.js'
import { pathAt } from '../../report/quoted-path.js'

export class ApplyFixError extends Error {}

/** Returns the files written. */
export async function applyAgreedFixes(repoDir: string, fixes: HashFix[]): Promise<string[]> {
  const files = (await readTrackedTextFiles(repoDir)).files
  const patches: HashPatch[] = fixes.map(fix => ({ occurrence: locatedAt(files, fix), got: fix.new }))
  patchStaleHashes(repoDir, patches)
  return [...new Set(fixes.map(f => f.file))]
}

/** The locator's occurrence of `fix.old` at the fix's place; an ApplyFixError when there is none. */
function locatedAt(files: RepoTextFile[], fix: HashFix): HashOccurrence {
  const file = files.filter(f => f.path === fix.file)
  // readSystemResult checked that new is a hash and old one of the same algorithm, or a placeholder.
  const next = parseHash(fix.new)
  const old = fix.old === '' ? undefined : tryParseHash(fix.old, next.algo)
  const candidates = old === undefined ? findPlaceholders(file, next.algo) : findHashOccurrences(file, old)
  const found = candidates.find(o => o.line === fix.line && o.column === fix.column && o.text === fix.old)
  if (found === undefined) {
    // readSystemResult refused control characters; `::` or `##[` in a name is still quoted.
    throw new ApplyFixError(
      `${pathAt(fix.file, fix.line, fix.column)} does not hold the hash ${fix.old || '""'} in this checkout (in a tracked, regular ` +
        'text file, outside comments): check out the commit the matrix jobs built (actions/checkout with the same ref).'
    )
  }
  return found
}
