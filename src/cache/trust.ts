// Which paths of a cache entry this run may import, and how Nix checks them. Content-addressed
// (fixed-output) paths verify themselves by hash, so they are always importable. Input-addressed
// paths are only as good as whoever wrote the entry, so:
// - with `cache-signing-key`, they must carry its signature (checked by Nix against the public key);
// - without it, never, whatever key matched: any writer in the cache scope can save any key, the
//   run's exact one included (it is a public function of the repository's files), for paths and
//   NARs of its choosing. Nothing is imported with --no-check-sigs;
// - an untrusted daemon user cannot pass keys: the daemon's own trusted-public-keys decide, so
//   only content-addressed paths are asked for.
// Which paths are content-addressed is the manifest's word, and the manifest is the writer's: Nix
// checks the claim (a content address must produce the store path), so a false one only fails the import.
import { userInfo } from 'node:os'
import { readNixConfig } from '../nix/config.js'
import type { NixRunner } from '../nix/runner.js'
import { isTrustedUser, runCommand, usesNixDaemon } from '../setup/host.js'
import type { ImportCheck } from './binary-cache.js'
import type { SkipReason, StoreTrust } from './types.js'

export async function detectStoreTrust(nix: NixRunner): Promise<StoreTrust> {
  const config = await readNixConfig(nix)
  if (!(await usesNixDaemon(config.store))) return 'trusted'
  const user = userInfo().username
  const groups = await runCommand('id', ['-Gn'])
  return isTrustedUser(config.trustedUsers, user, groups.code === 0 ? groups.stdout.trim().split(/\s+/) : []) ? 'trusted' : 'untrusted'
}

export interface ImportPlan {
  importable: string[]
  skipped: string[]
  check: ImportCheck
  /** Why paths were skipped, when they were. */
  reason?: SkipReason
}

/** What to import of an entry's missing paths: by this user's trust and the signing key. */
export function importPlan(missing: { path: string; ca?: string }[], input: { trust: StoreTrust; publicKey?: string }): ImportPlan {
  const contentAddressed = missing.filter(p => p.ca !== undefined).map(p => p.path)
  const inputAddressed = missing.filter(p => p.ca === undefined).map(p => p.path)
  const all = missing.map(p => p.path)
  if (input.trust === 'untrusted')
    return { importable: contentAddressed, skipped: inputAddressed, check: { kind: 'store' }, reason: 'untrusted-user' }
  if (input.publicKey !== undefined) return { importable: all, skipped: [], check: { kind: 'signature', publicKey: input.publicKey } }
  return { importable: contentAddressed, skipped: inputAddressed, check: { kind: 'content-addressed' }, reason: 'no-signing-key' }
}

export const NO_SIGNING_KEY_HINT =
  'without `cache-signing-key`, only its fixed-output (content-addressed) paths were imported, which Nix checks by hash. ' +
  "Input-addressed paths need a signature: anyone who can write to this repository's cache can save an entry under any key, " +
  "this run's own included, with package outputs of their choosing. To restore them too, set `cache-signing-key` (a secret from " +
  '`nix key generate-secret`): entries are then signed and imported only with a valid signature.'

export const SIGNATURE_HINT =
  'Every input-addressed path of an entry must be signed with cache-signing-key: this entry was saved without the key, with another ' +
  'key, or tampered with, so its unsigned paths were not imported and are built instead.'

export const UNTRUSTED_HINT =
  "The runner's Nix user is not in trusted-users, so the Nix daemon decides by its own trusted-public-keys and refuses the entry's input-addressed paths " +
  '(only fixed-output paths were imported). To restore everything, make the user trusted when installing Nix: ' +
  '`set_as_trusted_user: true` for cachix/install-nix-action, `trust-runner-user: true` for DeterminateSystems/nix-installer-action, ' +
  'or `trusted-users = root <user>` in /etc/nix/nix.conf and restart nix-daemon.'
