// The servers a test file talks to, fresh for each test: started before it, stopped after it (and
// checked, where the server checks what it saw). Each `use…` registers jest hooks in the calling
// file, so call it at the file's top level; the benches import the servers themselves, not this.
import { afterEach, beforeEach } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startCacheServer, useCacheServer, type CacheTestServer } from './cache-server/server.js'
import { expectNoViolations, startGitHubServer, type GitHubTestServer } from './github-server/index.js'

/**
 * A local GitHub for each test, handed to `onStart` (to keep it, and seed it); after the test it is
 * stopped, and the test fails on any off-spec exchange it saw. Returns `another()`, for a test that
 * starts over on a new server: that one is stopped and checked after the test too.
 *
 *   let github: GitHubTestServer
 *   useGitHubServer(server => { github = server })
 */
export function useGitHubServer(onStart: (server: GitHubTestServer) => void): () => Promise<GitHubTestServer> {
  const started: GitHubTestServer[] = []
  const another = async () => {
    const server = await startGitHubServer()
    started.push(server)
    return server
  }
  beforeEach(async () => onStart(await another()))
  afterEach(async () => {
    for (const server of started.splice(0)) {
      await server.stop()
      expectNoViolations(server)
    }
  })
  return another
}

export interface CacheWorld {
  server: CacheTestServer
  /** A temporary folder of the test's own; the cache client's RUNNER_TEMP is `runner-temp` inside it. */
  temp: string
  /** Puts the environment back before the test ends (done after it anyway). */
  restoreEnv: () => void
}

/**
 * A local cache service for each test, with @actions/cache pointed at it (useCacheServer) and a
 * temporary folder named from `prefix`; after the test the environment is put back, the server
 * stopped and the folder removed.
 */
export function useCacheService(prefix: string, onStart: (world: CacheWorld) => void): void {
  let current: CacheWorld | undefined
  beforeEach(async () => {
    const server = await startCacheServer()
    const temp = mkdtempSync(join(tmpdir(), prefix))
    current = { server, temp, restoreEnv: useCacheServer(server, join(temp, 'runner-temp')) }
    onStart(current)
  })
  afterEach(async () => {
    const world = current
    current = undefined
    if (!world) return
    world.restoreEnv()
    await world.server.stop()
    rmSync(world.temp, { recursive: true, force: true })
  })
}
