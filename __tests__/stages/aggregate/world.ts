// One workflow run of the matrix mode, for the aggregate tests: a fresh local artifact service per
// test, fixtures that are removed after it, and `job()`: one job of the run (its own runtime token,
// the action's inputs, the real pipeline with real Nix). With a GitHub target the jobs see the
// repository as on GitHub: the aggregate job then opens its fix PR and makes its release there.
import { afterAll, afterEach, beforeEach, expect } from '@jest/globals'
import { parseInputs } from '../../../src/inputs.js'
import { runPipeline, type GitHubTarget } from '../../../src/pipeline.js'
import { ArtifactTestServer, startArtifactServer } from '../../support/artifact-server/index.js'
import { Fixture, FixtureSpec, REPO_ROOT, createFixture, testNix } from '../../support/fixtures.js'
import { recordingReporter } from '../../support/reporting.js'

export const BOTH = ['x86_64-linux', 'aarch64-linux']

export interface MatrixWorld {
  /** This test's artifact service. */
  artifacts(): ArtifactTestServer
  fixture(spec: FixtureSpec): Fixture
  job(jobId: string, f: Fixture, inputs: Record<string, string>, github?: GitHubTarget): ReturnType<typeof runJob>
}

/** Registers the per-test artifact service and clean-up hooks in the calling test file. */
export function matrixWorld(): MatrixWorld {
  let server: ArtifactTestServer | undefined
  const fixtures: Fixture[] = []
  const saved = { token: process.env.ACTIONS_RUNTIME_TOKEN, url: process.env.ACTIONS_RESULTS_URL }
  // One workflow run per test: a fresh service.
  beforeEach(async () => {
    server = await startArtifactServer()
  })
  afterEach(async () => {
    while (fixtures.length) fixtures.pop()?.cleanup()
    const s = server
    server = undefined
    await s?.stop()
    expect(s?.violations).toEqual([])
  })
  afterAll(() => {
    for (const [name, value] of [
      ['ACTIONS_RUNTIME_TOKEN', saved.token],
      ['ACTIONS_RESULTS_URL', saved.url]
    ] as const) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
  const artifacts = (): ArtifactTestServer => {
    if (!server) throw new Error('matrixWorld: the artifact service runs only inside a test')
    return server
  }
  return {
    artifacts,
    fixture: spec => {
      const f = createFixture(spec)
      fixtures.push(f)
      return f
    },
    job: (jobId, f, inputs, github) => runJob(artifacts(), jobId, f, inputs, github)
  }
}

async function runJob(server: ArtifactTestServer, jobId: string, f: Fixture, inputs: Record<string, string>, github?: GitHubTarget) {
  Object.assign(process.env, server.jobEnv(jobId))
  const reporter = recordingReporter()
  const parsed = parseInputs(name => ({ flake: f.dir, 'vm-test': 'off', cache: 'false', 'fix-hashes': 'pull-request', ...inputs })[name])
  const result = await runPipeline(parsed, { nix: testNix(), reporter, cwd: f.dir, actionDir: REPO_ROOT, github })
  return { result, reporter }
}
