// Pushing what a run built to real Nix stores: a file:// binary cache, an HTTP binary cache on
// 127.0.0.1 that stores PUTs, and another machine's store over ssh-ng. In each case a second,
// fresh Nix store substitutes from it with the key's public half in trusted-public-keys, and
// refuses an unsigned or a tampered path.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseSigningKey } from '../../src/cache/signing.js'
import { NixRunner } from '../../src/nix/runner.js'
import { pushToStore } from '../../src/push/push.js'
import { reportPush } from '../../src/push/push-report.js'
import { parsePushTarget } from '../../src/push/store-url.js'
import { runBuildStage } from '../../src/stages/build/build-stage.js'
import { BinaryCacheServer, startBinaryCacheServer } from '../support/binary-cache-server.js'
import { useCleanup, useTempDirs } from '../support/cleanup.js'
import { TEST_NIX_CONFIG, createFixture, sha256, testNix, toNix32 } from '../support/fixtures.js'
import { recordingReporter } from '../support/reporting.js'

const track = useCleanup()
const tempDirs = useTempDirs(track)
// Local stores made by --store hold read-only store paths.
const temp = (prefix: string) => tempDirs(prefix, { readOnlyInside: true })

let secret = ''
let publicKey = ''
let otherPublicKey = ''
beforeAll(() => {
  const nixArgs = ['--extra-experimental-features', 'nix-command', 'key']
  secret = execFileSync('nix', [...nixArgs, 'generate-secret', '--key-name', 'nix-ci-push-test-1'], { encoding: 'utf8' }).trim()
  publicKey = parseSigningKey(secret).publicKey
  const other = execFileSync('nix', [...nixArgs, 'generate-secret', '--key-name', 'nix-ci-push-test-1'], { encoding: 'utf8' }).trim()
  otherPublicKey = parseSigningKey(other).publicKey
})

/** Builds a fresh package; returns the store paths this run built. */
async function buildSomething(): Promise<{ outPath: string; built: string[] }> {
  const f = createFixture({
    systems: ['x86_64-linux'],
    fods: [{ attr: 'deps', content: 'lockfile' }],
    packages: [{ attr: 'app', fods: ['deps'] }]
  })
  track(f)
  const result = await runBuildStage({
    flake: f.dir,
    package: 'default',
    systems: ['x86_64-linux'],
    nix: testNix(),
    reporter: recordingReporter()
  })
  expect(result.ok).toBe(true)
  const outPath = result.systems[0].outPaths[0]
  return { outPath, built: outputsOf(result.builtDerivations) }
}

/** The outputs of these .drv files (nix-store -q --outputs works on every version). */
function outputsOf(drvPaths: string[]): string[] {
  if (drvPaths.length === 0) return []
  return execFileSync('nix-store', ['-q', '--outputs', ...drvPaths], { encoding: 'utf8' })
    .trim()
    .split('\n')
}

/** A second Nix store, empty, substituting only from `substituter` and trusting only `key`. */
async function substituteIntoFreshStore(
  path: string,
  substituter: string,
  key: string,
  env: NodeJS.ProcessEnv = process.env
): Promise<{ ok: boolean; stderr: string }> {
  const store = temp('nix-ci-fresh-store-')
  // Its own narinfo disk cache too: what an earlier substitution read must not stand in for the cache.
  const nix = new NixRunner({ nixConfig: TEST_NIX_CONFIG, env: { ...env, XDG_CACHE_HOME: temp('nix-ci-fresh-cache-') } })
  const lines: string[] = []
  const run = await nix.run({
    args: [
      'build',
      '--store',
      store,
      '--no-link',
      path,
      '--option',
      'substituters',
      substituter,
      '--option',
      'trusted-public-keys',
      key,
      '--option',
      'require-sigs',
      'true'
    ],
    onLine: l => void lines.push(l.text)
  })
  const present = readdirSync(join(store, 'nix', 'store'), { withFileTypes: true }).some(e => e.name === path.replace('/nix/store/', ''))
  return { ok: run.exitCode === 0 && present, stderr: lines.join('\n') }
}

describe('push to a file:// binary cache', () => {
  it('pushes what the run built, signed, and a fresh store substitutes it with the public key only', async () => {
    const { outPath, built } = await buildSomething()
    const dir = temp('nix-ci-push-file-')
    const target = parsePushTarget(`file://${dir}?compression=none`)
    const reporter = recordingReporter()
    const result = await pushToStore({ nix: testNix(), reporter, target, paths: built, signingKey: secret })
    expect(result).toMatchObject({
      status: 'pushed',
      store: `file://${dir}`,
      alreadyThere: 0,
      onUpstream: 0,
      signedWith: 'nix-ci-push-test-1'
    })
    expect([...result.pushed].sort()).toEqual([...built].sort())
    expect(result.pushedBytes).toBeGreaterThan(1_000_000)
    const narinfo = readFileSync(join(dir, `${outPath.slice(11, 43)}.narinfo`), 'utf8')
    expect(narinfo).toContain(`Sig: nix-ci-push-test-1:`)

    reportPush(result, reporter, false)
    expect(reporter.summary()).toMatch(
      new RegExp(`Pushed 2 store path\\(s\\), [\\d.]+ MiB, to \`file://${dir}\` \\(signed with \`nix-ci-push-test-1\``)
    )

    expect((await substituteIntoFreshStore(outPath, `file://${dir}`, publicKey)).ok).toBe(true)
    const refused = await substituteIntoFreshStore(outPath, `file://${dir}`, otherPublicKey)
    expect(refused.ok).toBe(false)
    expect(refused.stderr).toMatch(/sign/i)

    // A second push finds everything there already.
    const again = await pushToStore({ nix: testNix(), reporter: recordingReporter(), target, paths: built, signingKey: secret })
    expect(again).toMatchObject({ status: 'nothing-to-push', alreadyThere: 2, pushed: [] })
  })

  it('leaves unsigned paths unsubstitutable, and a tampered NAR is refused', async () => {
    const { outPath, built } = await buildSomething()
    const unsigned = temp('nix-ci-push-unsigned-')
    const warned = recordingReporter()
    const plain = await pushToStore({ nix: testNix(), reporter: warned, target: parsePushTarget(`file://${unsigned}`), paths: built })
    expect(plain.status).toBe('pushed')
    expect(warned.text()).toMatch(/unsigned: set push-signing-key/)
    expect((await substituteIntoFreshStore(outPath, `file://${unsigned}`, publicKey)).ok).toBe(false)

    const signed = temp('nix-ci-push-tampered-')
    await pushToStore({
      nix: testNix(),
      reporter: recordingReporter(),
      target: parsePushTarget(`file://${signed}?compression=none`),
      paths: built,
      signingKey: secret
    })
    const narinfo = readFileSync(join(signed, `${outPath.slice(11, 43)}.narinfo`), 'utf8')
    const nar = join(signed, /^URL: (.*)$/m.exec(narinfo)?.[1] ?? '')
    const bytes = readFileSync(nar)
    const at = bytes.indexOf('x86_64')
    expect(at).toBeGreaterThan(0)
    bytes.write('x86_65', at)
    writeFileSync(nar, bytes)
    const tampered = await substituteIntoFreshStore(outPath, `file://${signed}`, publicKey)
    expect(tampered.ok).toBe(false)
    expect(tampered.stderr).toMatch(/hash mismatch/i)
  })

  it('skips paths an upstream substituter already serves', async () => {
    const { outPath, built } = await buildSomething()
    const upstream = temp('nix-ci-upstream-')
    execFileSync('nix', ['--extra-experimental-features', 'nix-command', 'copy', '--to', `file://${upstream}`, outPath])
    const dir = temp('nix-ci-push-')
    const nix = testNix(`substituters = file://${upstream}`)
    const result = await pushToStore({
      nix,
      reporter: recordingReporter(),
      target: parsePushTarget(`file://${dir}`),
      paths: built,
      signingKey: secret
    })
    expect(result).toMatchObject({ status: 'pushed', onUpstream: 1 })
    expect(result.pushed).toEqual(built.filter(p => p !== outPath))
  })
})

describe('push to an HTTP binary cache', () => {
  let server: BinaryCacheServer
  beforeAll(async () => {
    server = await startBinaryCacheServer()
  })
  afterAll(async () => {
    await server.close()
  })

  it('PUTs signed narinfos and NARs; a fresh store substitutes over HTTP and refuses a narinfo tampered with after signing', async () => {
    const { outPath, built } = await buildSomething()
    const result = await pushToStore({
      nix: testNix(),
      reporter: recordingReporter(),
      target: parsePushTarget(server.url),
      paths: built,
      signingKey: secret
    })
    expect(result).toMatchObject({ status: 'pushed', store: server.url })
    expect(server.requests).toEqual(
      expect.arrayContaining([expect.stringMatching(/^PUT \/[a-z0-9]{32}\.narinfo 200$/), expect.stringMatching(/^PUT \/nar\/.* 200$/)])
    )
    expect((await substituteIntoFreshStore(outPath, server.url, publicKey)).ok).toBe(true)

    const name = `/${outPath.slice(11, 43)}.narinfo`
    const original = server.files.get(name) as Buffer
    // Someone with write access to the cache points the narinfo at other content (its NAR hash).
    const evil = `sha256:${toNix32(sha256('evil'))}`
    server.files.set(name, Buffer.from(original.toString('utf8').replace(/^NarHash: .*$/m, `NarHash: ${evil}`)))
    const refused = await substituteIntoFreshStore(outPath, server.url, publicKey)
    expect(refused.ok).toBe(false)
    expect(refused.stderr).toMatch(/sign/i)
  })

  it('a failed upload names the store and what to do, and fails the run only with push-required', async () => {
    const { built } = await buildSomething()
    const broken = await startBinaryCacheServer()
    // A cache that exists (its nix-cache-info is there) but refuses uploads.
    broken.files.set('/nix-cache-info', Buffer.from('StoreDir: /nix/store\n'))
    broken.failPuts = 403
    try {
      const target = parsePushTarget(broken.url.replace('http://', 'http://ci:hunter2@'))
      const result = await pushToStore({ nix: testNix(), reporter: recordingReporter(), target, paths: built, signingKey: secret })
      expect(result.status).toBe('failed')
      expect(result.error).toMatch(
        new RegExp(
          `^Pushing to http://ci:\\*\\*\\*@127\\.0\\.0\\.1:\\d+ failed:\\n[^]*403[^]*\\nCheck the URL, that the server accepts PUT uploads`
        )
      )
      expect(result.error).not.toContain('hunter2')
      const lenient = recordingReporter()
      expect(reportPush(result, lenient, false)).toBeUndefined()
      expect(lenient.text()).toMatch(/warning: Pushing to .* failed[^]*The build's result is unaffected/)
      const strict = recordingReporter()
      expect(reportPush(result, strict, true)).toMatch(/^Pushing to .* failed/)
    } finally {
      await broken.close()
    }
  })
})

// The remote is scripts/nix-world.sh's sid chroot (Nix 2.34) when the tests run on the host, and
// the tests' own chroot (started from the host) when they run inside one.

describe("push to another machine's store over ssh-ng", () => {
  it('sends the closure signed; a fresh store substitutes from that machine with the public key, and refuses an unsigned path', async () => {
    const { startRemoteBuilder } = await import('../support/remote-builder/index.js')
    const remote = await startRemoteBuilder()
    try {
      const sshOpts = `${remote.sshOpts} -i ${remote.clientKeyPath} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`
      const env = { ...process.env, NIX_SSHOPTS: sshOpts }
      // The remote store takes signed paths from its trusted keys only (nothing is pushed with --no-check-sigs).
      execFileSync('ssh', [...sshOpts.split(' '), 'root@127.0.0.1', `echo 'trusted-public-keys = ${publicKey}' >> /etc/nix/nix.conf`])
      const { outPath, built } = await buildSomething()
      const nix = new NixRunner({ nixConfig: TEST_NIX_CONFIG, env })
      const target = parsePushTarget(remote.uri)
      const result = await pushToStore({ nix, reporter: recordingReporter(), target, paths: built, signingKey: secret })
      expect(result).toMatchObject({ status: 'pushed', store: remote.uri, signedWith: 'nix-ci-push-test-1' })
      // Whatever else the closure holds goes too (a store takes a path only after its references).
      expect(result.pushed).toEqual(expect.arrayContaining(built))
      for (const path of result.pushed) expect(remote.hasPath(path)).toBe(true)
      expect((await substituteIntoFreshStore(outPath, remote.uri, publicKey, env)).ok).toBe(true)
      expect((await substituteIntoFreshStore(outPath, remote.uri, otherPublicKey, env)).ok).toBe(false)

      // Unsigned, the remote refuses it (nix-ci never pushes with --no-check-sigs), and the error
      // says how to make it accept what this runner pushes.
      const second = await buildSomething()
      const unsigned = await pushToStore({ nix, reporter: recordingReporter(), target, paths: second.built })
      expect(unsigned.status).toBe('failed')
      expect(unsigned.error).toMatch(
        new RegExp(
          `^Pushing to ${remote.uri.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} failed:\n[^]*sign[^]*\nCheck that this runner can ssh to the host`
        )
      )
      expect(remote.hasPath(second.outPath)).toBe(false)
    } finally {
      await remote.stop()
    }
  })
})

describe('ssh-ng signs only what this run built (issue 26, item 5)', () => {
  it('a dependency another step put in the store is never signed with the key: it goes with its own signature, or the push stops and names it', async () => {
    const { startRemoteBuilder } = await import('../support/remote-builder/index.js')
    const remote = await startRemoteBuilder()
    try {
      const sshOpts = `${remote.sshOpts} -i ${remote.clientKeyPath} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`
      const env = { ...process.env, NIX_SSHOPTS: sshOpts }
      const onRemote = (command: string) => execFileSync('ssh', [...sshOpts.split(' '), 'root@127.0.0.1', command])
      onRemote(`echo 'trusted-public-keys = ${publicKey}' >> /etc/nix/nix.conf`)
      // `app` keeps a reference to `lib` at run time, so `lib` is in its closure.
      const f = createFixture({
        systems: ['x86_64-linux'],
        packages: [
          { attr: 'app', fods: ['lib'], script: 'mkdir -p $out && echo $deps > $out/deps' },
          { attr: 'lib', script: 'mkdir -p $out && uname -m > $out/arch' }
        ]
      })
      track(f)
      const build = (pkg: string) =>
        runBuildStage({ flake: f.dir, package: pkg, systems: ['x86_64-linux'], nix: testNix(), reporter: recordingReporter() })
      // Another step (or a cache restore) put `lib` in the store before this run.
      const lib = (await build('lib')).systems[0].outPaths[0]
      const run = await build('app')
      expect(run.ok).toBe(true)
      const built = outputsOf(run.builtDerivations)
      const app = run.systems[0].outPaths[0]
      expect(built).toEqual([app])
      const sigs = (path: string) =>
        execFileSync('nix', ['--extra-experimental-features', 'nix-command', 'path-info', '--sigs', path], { encoding: 'utf8' })

      const nix = new NixRunner({ nixConfig: TEST_NIX_CONFIG, env })
      const target = parsePushTarget(remote.uri)
      const refused = await pushToStore({ nix, reporter: recordingReporter(), target, paths: built, signingKey: secret })
      expect(sigs(lib)).not.toContain('nix-ci-push-test-1:')
      expect(refused.status).toBe('failed')
      expect(refused.error).toContain(lib)
      expect(refused.error).toMatch(/not built in this run[^]*own signature/)
      expect(remote.hasPath(lib)).toBe(false)
      expect(remote.hasPath(app)).toBe(false)

      // Signed by whoever built it, with a key the remote trusts, it travels with that signature.
      const upstream = execFileSync(
        'nix',
        ['--extra-experimental-features', 'nix-command', 'key', 'generate-secret', '--key-name', 'upstream-builder-1'],
        { encoding: 'utf8' }
      ).trim()
      const upstreamKeyFile = join(temp('nix-ci-upstream-key-'), 'key')
      writeFileSync(upstreamKeyFile, upstream)
      execFileSync('nix', ['--extra-experimental-features', 'nix-command', 'store', 'sign', '--key-file', upstreamKeyFile, lib])
      onRemote(`echo 'extra-trusted-public-keys = ${parseSigningKey(upstream).publicKey}' >> /etc/nix/nix.conf`)
      const pushed = await pushToStore({ nix, reporter: recordingReporter(), target, paths: built, signingKey: secret })
      expect(pushed).toMatchObject({ status: 'pushed', signedWith: 'nix-ci-push-test-1' })
      expect([...pushed.pushed].sort()).toEqual([app, lib].sort())
      expect(remote.hasPath(lib)).toBe(true)
      expect(remote.hasPath(app)).toBe(true)
      expect(sigs(lib)).not.toContain('nix-ci-push-test-1:')
      expect(sigs(app)).toContain('nix-ci-push-test-1:')
    } finally {
      await remote.stop()
    }
  })
})
