// A fresh local cache service for each test of a file, with @actions/cache pointed at it.
// useCacheService registers jest hooks in the calling file, so call it at the file's top level; the
// benches import the server itself (cache-server/), not this.
import { afterEach, beforeEach } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startCacheServer, useCacheServer, type CacheTestServer } from './cache-server/server.js'

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
