// Which paths of a cache entry this run may import, and how Nix checks them. Content-addressed
// (fixed-output) paths verify themselves by hash, so they are always importable. Input-addressed
// paths are only as good as whoever wrote the entry, so:
// - with `cache-signing-key`, they must carry its signature (checked by Nix against the public key);
// - without it, they come only from an entry of the run's exact key: a restore key matches entries
//   any writer in the cache scope can make, for paths of its choosing;
// - an untrusted daemon user cannot pass keys or --no-check-sigs: the daemon's own
//   trusted-public-keys decide, so only content-addressed paths are asked for.
import { userInfo } from 'node:os'
import { readNixConfig } from '../nix/config.js'
import type { NixRunner } from '../nix/runner.js'
import { isTrustedUser, runCommand, usesNixDaemon } from '../setup/host.js'
import type { ImportCheck } from './binary-cache.js'
import type { StoreTrust } from './types.js'

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
  reason?: 'untrusted-user' | 'restore-key-without-signing-key'
}

/** What to import of an entry's missing paths: by this user's trust, the key that matched and the signing key. */
export function importPlan(
  missing: { path: string; ca?: string }[],
  input: { trust: StoreTrust; exactKey: boolean; publicKey?: string }
): ImportPlan {
  const contentAddressed = missing.filter(p => p.ca !== undefined).map(p => p.path)
  const inputAddressed = missing.filter(p => p.ca === undefined).map(p => p.path)
  const all = missing.map(p => p.path)
  if (input.trust === 'untrusted')
    return { importable: contentAddressed, skipped: inputAddressed, check: { kind: 'store' }, reason: 'untrusted-user' }
  if (input.publicKey !== undefined) return { importable: all, skipped: [], check: { kind: 'signature', publicKey: input.publicKey } }
  if (input.exactKey) return { importable: all, skipped: [], check: { kind: 'unchecked' } }
  return { importable: contentAddressed, skipped: inputAddressed, check: { kind: 'store' }, reason: 'restore-key-without-signing-key' }
}

export const RESTORE_KEY_HINT =
  'only its fixed-output (content-addressed) paths were imported, which Nix checks by hash. Input-addressed paths come only from ' +
  "an entry of this run's exact key, because anyone who can write to this repository's cache could have saved an entry under a " +
  'restore key. To restore them too, set `cache-signing-key` (a secret from `nix key generate-secret`): entries are then signed ' +
  'and imported only with a valid signature.'

export const SIGNATURE_HINT =
  'Every input-addressed path of an entry must be signed with cache-signing-key: this entry was saved without the key, with another ' +
  'key, or tampered with, so its unsigned paths were not imported and are built instead.'

export const UNTRUSTED_HINT =
  "The runner's Nix user is not in trusted-users, so the Nix daemon decides by its own trusted-public-keys and refuses the entry's input-addressed paths " +
  '(only fixed-output paths were imported). To restore everything, make the user trusted when installing Nix: ' +
  '`set_as_trusted_user: true` for cachix/install-nix-action, `trust-runner-user: true` for DeterminateSystems/nix-installer-action, ' +
  'or `trusted-users = root <user>` in /etc/nix/nix.conf and restart nix-daemon.'
