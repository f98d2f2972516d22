// A fresh local GitHub for each test of a file, stopped and spec-checked after it. useGitHubServer
// registers jest hooks in the calling file, so call it at the file's top level; the benches import
// the server itself (github-server/), not this.
import { afterEach, beforeEach } from '@jest/globals'
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
