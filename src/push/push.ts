// After the build: push what this run built to a Nix store others substitute from (`push-to`),
// signed with `push-signing-key` (or `cache-signing-key`). Only paths this run built, and of those
// only what the destination lacks and the upstream substituters (cache.nixos.org, ...) do not
// already serve. The key signs only those: a signature says "this run built it", so a path
// restored from a cache or put in the store by another step never gets one from nix-ci (to an
// ssh store it travels with the signatures it has). A failed push is a warning unless
// `push-required`, and says what to do.
import { errorMessage } from '../errors.js'
import { stripAnsi } from '../nix/internal-json.js'
import { readNixConfig } from '../nix/config.js'
import { NixCommandError, NixRunner } from '../nix/runner.js'
import { type PathInfo, pathInfo } from '../nix/store.js'
import { type SigningKey, parseSigningKey, withKeyFile } from '../cache/signing.js'
import type { Reporter } from '../report/reporter.js'
import { PushTarget, displayStore, withSecretKey } from './store-url.js'

export interface PushOptions {
  nix: NixRunner
  reporter: Reporter
  target: PushTarget
  /** Store paths this run built (outputs of the derivations Nix built); their closures are considered. */
  paths: string[]
  /** A secret key in `nix key generate-secret` format; unsigned pushes are allowed but warned about. */
  signingKey?: string
  signal?: AbortSignal
}

export type PushStatus = 'pushed' | 'nothing-to-push' | 'failed'

export interface PushResult {
  status: PushStatus
  store: string
  /** Paths copied to the store in this run. */
  pushed: string[]
  /** Their NAR size. */
  pushedBytes: number
  /** Paths the store already had. */
  alreadyThere: number
  /** Paths left out because an upstream substituter has them (binary caches only). */
  onUpstream: number
  signedWith?: string
  /** Why the push failed, in words that say what to do. */
  error?: string
  durationMs: number
}

export async function pushToStore(options: PushOptions): Promise<PushResult> {
  const { nix, reporter, target } = options
  const started = Date.now()
  const result: PushResult = {
    status: 'nothing-to-push',
    store: target.display,
    pushed: [],
    pushedBytes: 0,
    alreadyThere: 0,
    onUpstream: 0,
    durationMs: 0
  }
  const key = options.signingKey ? parseSigningKey(options.signingKey) : undefined
  if (key) result.signedWith = key.name
  let notBuilt: string[] = []
  try {
    const candidates = await pushCandidates(options, result)
    const atDestination = await pathInfo(
      nix,
      candidates.map(p => p.path),
      { store: target.url }
    )
    const missing = candidates.filter(p => atDestination.get(p.path)?.valid !== true)
    result.alreadyThere = candidates.length - missing.length
    if (missing.length === 0) {
      reporter.info(
        `Push to ${target.display}: nothing new (${result.alreadyThere} path(s) already there, ${result.onUpstream} on upstream substituters).`
      )
      return finish(result, started)
    }
    if (!key)
      reporter.warning(
        `Pushing to ${target.display} unsigned: set push-signing-key (or cache-signing-key) so substituters can verify what they get.`,
        { title: 'Binary cache push' }
      )
    const paths = missing.map(p => p.path)
    const built = new Set(options.paths)
    notBuilt = paths.filter(p => !built.has(p))
    if (notBuilt.length > 0)
      reporter.info(
        `Push to ${target.display}: ${notBuilt.length} path(s) of the closure were not built in this run; they go with their own signatures, not ${key ? `\`${key.name}\`` : 'the push key'}.`
      )
    await copyToStore(options, paths, key, { sign: paths.filter(p => built.has(p)) })
    result.pushed = paths
    result.pushedBytes = missing.reduce((sum, p) => sum + (p.narSize ?? 0), 0)
    result.status = 'pushed'
    return finish(result, started)
  } catch (error) {
    result.status = 'failed'
    result.error = pushFailure(error, target, key?.publicKey, notBuilt)
    return finish(result, started)
  }
}

/**
 * The valid paths that may go: to another machine's store, their whole closure; to a binary cache,
 * those the upstream substituters do not serve (how many they do is counted in result.onUpstream).
 */
async function pushCandidates(options: PushOptions, result: PushResult): Promise<PathInfo[]> {
  const { nix, reporter, target } = options
  const built = await pathInfo(nix, [...new Set(options.paths)])
  const candidates = [...built.values()].filter(p => p.valid)
  if (target.kind === 'ssh') {
    // A store on another machine takes a path only after its references: the whole closure goes,
    // minus what the destination already has (Nix skips those itself; counted here for the summary).
    const closure = await pathInfo(
      nix,
      candidates.map(p => p.path),
      { recursive: true }
    )
    return [...closure.values()].filter(p => p.valid)
  }
  const upstream = await onUpstreamSubstituters(
    nix,
    candidates.map(p => p.path),
    target,
    reporter
  )
  result.onUpstream = candidates.filter(p => upstream.has(p.path)).length
  return candidates.filter(p => !upstream.has(p.path))
}

/** `nix copy --to` the store; with a key, `sign` (what this run built) is signed, and nothing else. */
async function copyToStore(
  options: PushOptions,
  paths: string[],
  key: SigningKey | undefined,
  { sign }: { sign: string[] }
): Promise<void> {
  const { nix, reporter, target } = options
  const copy = async (url: string): Promise<void> => {
    // Binary caches: --no-recursive, because what this run did not build is left to upstream.
    const args = ['copy', '--to', url, ...(target.kind === 'binary-cache' ? ['--no-recursive'] : [])]
    const tail: string[] = []
    const run = await nix.run({
      args,
      positional: paths,
      signal: options.signal,
      onLine: line => {
        tail.push(stripAnsi(line.text))
        if (tail.length > 20) tail.shift()
      }
    })
    if (run.exitCode !== 0) throw new NixCommandError(`nix copy --to ${target.display}`, run, tail)
  }
  await reporter.group(`Push ${paths.length} path(s) to ${target.display}`, async () => {
    if (!key) return copy(target.url)
    return withKeyFile(key, async file => {
      // --no-recursive: the binary cache store signs exactly the paths named, all built here.
      if (target.kind === 'binary-cache') return copy(withSecretKey(target.url, file))
      // Another machine's store keeps the signatures the paths carry: sign here first, but only
      // what this run built; the rest of the closure keeps the signatures its builder gave it.
      await signLocally(nix, file, sign)
      return copy(target.url)
    })
  })
}

function finish(result: PushResult, started: number): PushResult {
  result.durationMs = Date.now() - started
  return result
}

async function signLocally(nix: NixRunner, keyFile: string, paths: string[]): Promise<void> {
  if (paths.length === 0) return
  const tail: string[] = []
  const run = await nix.run({
    args: ['store', 'sign', '--key-file', keyFile],
    positional: paths,
    onLine: line => void tail.push(stripAnsi(line.text))
  })
  if (run.exitCode !== 0) throw new NixCommandError('nix store sign', run, tail.slice(-10))
}

/** Which of these paths the configured substituters already serve (each asked once, for all paths). */
async function onUpstreamSubstituters(nix: NixRunner, paths: string[], target: PushTarget, reporter: Reporter): Promise<Set<string>> {
  const found = new Set<string>()
  if (paths.length === 0) return found
  const config = await readNixConfig(nix)
  for (const substituter of config.substituters.filter(s => s !== target.url && displayStore(s) !== target.display)) {
    try {
      const infos = await pathInfo(nix, paths, { store: substituter })
      for (const [path, info] of infos) if (info.valid) found.add(path)
    } catch (error) {
      // An unreachable upstream only means more is pushed than needed.
      reporter.info(`Could not ask ${displayStore(substituter)} which paths it has (${firstLine(error)}); pushing them all.`)
    }
  }
  return found
}

function firstLine(error: unknown): string {
  return errorMessage(error).split('\n')[0]
}

/**
 * What failed and what to do, naming the store (never its password or query). `notBuilt`: paths
 * that were to go but this run did not build, which nix-ci does not sign.
 */
export function pushFailure(error: unknown, target: PushTarget, publicKey?: string, notBuilt: string[] = []): string {
  const lines =
    error instanceof NixCommandError ? error.lastLines.filter(l => l.trim() !== '' && !/^copying /.test(l)).slice(-6) : [firstLine(error)]
  // Nix quotes the URL, maybe with a path after it: no password survives into the message.
  const said = lines.join('\n').replace(/(:\/\/[^/@:\s]*):[^/@\s]*@/g, '$1:***@')
  // With a key, what this run built was signed: a refused signature is then one of the others'.
  if (target.kind === 'ssh' && publicKey !== undefined && notBuilt.length > 0 && /signature/i.test(said))
    return `Pushing to ${target.display} failed:\n${said}\n${foreignPaths(notBuilt)}`
  const what =
    target.kind === 'ssh'
      ? 'Check that this runner can ssh to the host (its key, known_hosts, NIX_SSHOPTS), that Nix is installed there, and that the remote accepts the paths: ' +
        `make the ssh user a trusted user there, or add ${publicKey ? `\`${publicKey}\`` : "the signing key's public half"} to its trusted-public-keys.`
      : /^https?:/.test(target.url)
        ? 'Check the URL, that the server accepts PUT uploads, and the credentials Nix sends (netrc-file).'
        : /^s3:/.test(target.url)
          ? 'Check the bucket, its region and endpoint parameters, and the AWS credentials of the runner.'
          : 'Check that the directory exists or can be created, and is writable by the user Nix runs as.'
  return `Pushing to ${target.display} failed:\n${said}\n${what}`
}

/** Why a closure's foreign paths were refused, and the ways out. */
function foreignPaths(notBuilt: string[]): string {
  const shown = notBuilt.slice(0, 5).join(', ') + (notBuilt.length > 5 ? ` and ${notBuilt.length - 5} more` : '')
  return (
    `${notBuilt.length} path(s) of the closure were not built in this run (restored from a cache, or put in the store by another step): ${shown}. ` +
    'nix-ci signs only what this run built, so these go with their own signature, and the remote has none it trusts. ' +
    "Add their builder's public key to the remote's trusted-public-keys (for paths restored from the Actions cache, that is cache-signing-key's), " +
    'or push them from the run that built them.'
  )
}
