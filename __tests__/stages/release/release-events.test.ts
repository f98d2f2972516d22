// Which runs may release: only a push to the default branch, or to a branch named in
// `release-branches`. Everything else (a pull request's merge commit above all, an unknown event or
// ref) is refused before GitHub is touched, with a message that says how to allow it.
import { describe, expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RunContext } from '../../../src/github/context.js'
import { parseInputs } from '../../../src/inputs.js'
import { NixRunner } from '../../../src/nix/runner.js'
import { TerminalReporter } from '../../../src/report/terminal-reporter.js'
import { releaseFromInputs } from '../../../src/stages/release/from-inputs.js'
import { useTempDirs } from '../../support/cleanup.js'
import { testClient, type GitHubTestServer } from '../../support/github-server/index.js'
import { useGitHubServer } from '../../support/github-world.js'
import { pushContext } from '../../support/run-context.js'

const owner = 'acme'
const repo = 'mast'
let github: GitHubTestServer
let workdir: string
let headSha: string

const tempDir = useTempDirs()
useGitHubServer(server => {
  github = server
  headSha = github.seedRepo({ owner, repo }).headSha
  workdir = tempDir('nix-ci-release-events-')
  writeFileSync(join(workdir, 'package.json'), JSON.stringify({ name: 'mast', version: '1.2.3' }))
})

const context = (overrides: Partial<RunContext>): RunContext => pushContext(headSha, overrides)

/** The action's release step, as the pipeline calls it, for a run of this event. */
async function releaseOn(run: Partial<RunContext>, inputs: Record<string, string> = {}) {
  const log: string[] = []
  const reporter = new TerminalReporter(text => log.push(text))
  const failures: string[] = []
  const result = await releaseFromInputs(
    parseInputs(name => ({ release: 'tag', 'version-from': 'package.json', ...inputs })[name]),
    {
      github: { octokit: testClient(github), owner, repo, sha: headSha, context: context(run) },
      system: 'x86_64-linux',
      buildOk: true,
      cwd: workdir,
      nix: new NixRunner({ nixConfig: 'substituters =' }),
      reporter
    },
    failures
  )
  return { result, failures, log: log.join(''), summary: reporter.summary() }
}

const tagRefs = () => [...github.store.repo(owner, repo).refs.keys()].filter(r => r.startsWith('refs/tags/'))
const releases = () => github.store.repo(owner, repo).releases

describe('only a push to the default branch or a release branch releases', () => {
  it('releases a push to the default branch', async () => {
    const { result } = await releaseOn({})
    expect(result).toMatchObject({ ok: true, status: 'released', tag: 'v1.2.3' })
    expect(tagRefs()).toEqual(['refs/tags/v1.2.3'])
  })

  it('never releases a pull request, even its merge commit with release: tag (exits non-zero, says how to allow it)', async () => {
    const pr = { eventName: 'pull_request', ref: 'refs/pull/5/merge' }
    const { result, failures, log, summary } = await releaseOn(pr)
    expect(result).toMatchObject({ ok: false, status: 'refused' })
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatch(/Not releasing on a 'pull_request' event \(refs\/pull\/5\/merge\)/)
    expect(failures[0]).toMatch(/only from a push to the default branch \(main\) or to a branch named in 'release-branches'/)
    expect(failures[0]).toMatch(/release: \$\{\{ github\.event_name == 'push' && 'tag' \|\| 'off' \}\}/)
    expect(log).toMatch(/error: Not releasing on a 'pull_request' event/)
    expect(summary).toMatch(/\*\*Release:\*\* refused — Not releasing on a 'pull_request' event/)
    expect(tagRefs()).toEqual([])
    expect(releases()).toEqual([])
    expect(github.callsTo('git/create-tag')).toHaveLength(0)
  })

  it.each([
    ['pull_request_target', 'refs/heads/main'],
    ['workflow_run', 'refs/heads/main'],
    ['issue_comment', 'refs/heads/main'],
    ['merge_group', 'refs/heads/gh-readonly-queue/main/pr-5-abc'],
    ['', 'refs/heads/main'],
    ['some_future_event', 'refs/heads/main']
  ])("refuses the '%s' event (%s): an event that is not a push never releases", async (eventName, ref) => {
    const { result, failures } = await releaseOn({ eventName, ref })
    expect(result).toMatchObject({ ok: false, status: 'refused' })
    expect(failures[0]).toMatch(/a release is made only from a push/)
    expect(tagRefs()).toEqual([])
    expect(github.callsTo('git/create-tag')).toHaveLength(0)
  })

  it('refuses a push to another branch, and names the input that would allow it', async () => {
    const { result, failures } = await releaseOn({ ref: 'refs/heads/feature' })
    expect(result).toMatchObject({ ok: false, status: 'refused' })
    expect(failures[0]).toMatch(/Not releasing from the branch feature: .* default branch \(main\)/)
    expect(failures[0]).toMatch(/add feature to 'release-branches'/)
    expect(tagRefs()).toEqual([])
  })

  it('refuses a push of a tag or of an unknown ref', async () => {
    for (const ref of ['refs/tags/v9.9.9', '', 'main', 'refs/heads/']) {
      const { result, failures } = await releaseOn({ ref })
      expect(result).toMatchObject({ ok: false, status: 'refused' })
      expect(failures[0]).toMatch(/Not releasing from /)
    }
    expect(tagRefs()).toEqual([])
  })

  it('refuses when the event does not name the default branch (fails closed), and says to name it', async () => {
    const { result, failures } = await releaseOn({ defaultBranch: undefined })
    expect(result).toMatchObject({ ok: false, status: 'refused' })
    expect(failures[0]).toMatch(/does not know the repository's default branch.*'release-branches: main'/)
    expect(tagRefs()).toEqual([])
  })

  it("releases a push to a branch named in 'release-branches', and the default branch still", async () => {
    const onBranch = await releaseOn({ ref: 'refs/heads/release/1.x' }, { 'release-branches': 'release/1.x, maint' })
    expect(onBranch.result).toMatchObject({ ok: true, status: 'released' })
    const onMain = await releaseOn({}, { 'release-branches': 'release/1.x' })
    expect(onMain.result).toMatchObject({ ok: true, status: 'already-released' })
    // A listed name is a whole branch name, not a prefix or a pattern.
    const prefix = await releaseOn({ ref: 'refs/heads/release/1.x-evil' }, { 'release-branches': 'release/1.x' })
    expect(prefix.result).toMatchObject({ ok: false, status: 'refused' })
  })

  it("releases a push when the default branch is unknown but the branch is in 'release-branches'", async () => {
    const { result } = await releaseOn({ defaultBranch: undefined }, { 'release-branches': 'main' })
    expect(result).toMatchObject({ ok: true, status: 'released' })
  })
})
