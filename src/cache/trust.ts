// Whether this user's Nix accepts unsigned paths from a cache entry. Entries are unsigned (a key
// that signs them would have to live in the same cache, proving nothing), so:
// - a local store (root, single-user Nix) or a trusted daemon user imports everything with
//   --no-check-sigs;
// - an untrusted daemon user can only import content-addressed paths (fixed-output derivations'
//   outputs verify themselves); the daemon would refuse the rest.
import { userInfo } from 'node:os'
import { readNixConfig } from '../nix/config.js'
import type { NixRunner } from '../nix/runner.js'
import { isTrustedUser, runCommand, usesNixDaemon } from '../setup/host.js'
import type { StoreTrust } from './types.js'

export async function detectStoreTrust(nix: NixRunner): Promise<StoreTrust> {
  const config = await readNixConfig(nix)
  if (!(await usesNixDaemon(config.store))) return 'trusted'
  const user = userInfo().username
  const groups = await runCommand('id', ['-Gn'])
  return isTrustedUser(config.trustedUsers, user, groups.code === 0 ? groups.stdout.trim().split(/\s+/) : []) ? 'trusted' : 'untrusted'
}

/** Which missing paths of an entry this user can import, and which it must leave out. */
export function importablePaths(missing: { path: string; ca?: string }[], trust: StoreTrust): { importable: string[]; skipped: string[] } {
  if (trust === 'trusted') return { importable: missing.map(p => p.path), skipped: [] }
  return {
    importable: missing.filter(p => p.ca !== undefined).map(p => p.path),
    skipped: missing.filter(p => p.ca === undefined).map(p => p.path)
  }
}

export const UNTRUSTED_HINT =
  "The runner's Nix user is not in trusted-users, so the Nix daemon refuses the entry's unsigned, input-addressed paths " +
  '(only fixed-output paths were imported). To restore everything, make the user trusted when installing Nix: ' +
  '`set_as_trusted_user: true` for cachix/install-nix-action, `trust-runner-user: true` for DeterminateSystems/nix-installer-action, ' +
  'or `trusted-users = root <user>` in /etc/nix/nix.conf and restart nix-daemon.'
