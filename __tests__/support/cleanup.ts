// What a test makes on disk is removed after it: one helper for the tests' temporary folders and
// fixtures, instead of a list, an afterEach and a wrapper in every file. Each `use…` registers its
// afterEach in the calling test file, so call it at the top level of that file.
import { afterEach } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Anything with a `cleanup()`: the fixtures of fixtures.ts, hash-fixtures.ts, outputs-fixture.ts. */
export interface CleanedUp {
  cleanup(): unknown
}

/** Returns `track(resource)`: every resource tracked during a test is cleaned up after it, the last first. */
export function useCleanup(): <T extends CleanedUp>(resource: T) => T {
  const tracked: CleanedUp[] = []
  afterEach(async () => {
    while (tracked.length) await tracked.pop()?.cleanup()
  })
  return resource => {
    tracked.push(resource)
    return resource
  }
}

export interface TempDirOptions {
  /** The folder may hold read-only files (a local Nix store made by --store): make them writable first. */
  readOnlyInside?: boolean
}

/**
 * Returns `tempDir(prefix)`: a new folder under the system's temp folder, removed after the test.
 * Given a file's `track`, the folders are removed in one last-first order with its other resources.
 */
export function useTempDirs(track = useCleanup()): (prefix?: string, options?: TempDirOptions) => string {
  return (prefix = 'nix-ci-test-', options = {}) => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    track({
      cleanup: () => {
        if (options.readOnlyInside) execFileSync('chmod', ['-R', 'u+w', dir])
        rmSync(dir, { recursive: true, force: true })
      }
    })
    return dir
  }
}
