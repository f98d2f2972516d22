// Facts about the runner that decide how emulation and Nix settings can be put in place:
// who we are, whether we may become root, whether Nix goes through a daemon.
import { childEnv } from '../process-env.js'
import { execFile } from 'node:child_process'
import { access, constants } from 'node:fs/promises'
import { userInfo } from 'node:os'

export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

export type CommandRunner = (command: string, args: string[]) => Promise<CommandResult>

export const runCommand: CommandRunner = (command, args) =>
  new Promise(resolve => {
    // sudo, update-binfmts, apt-get, systemctl, udevadm: none needs the action's tokens.
    execFile(command, args, { maxBuffer: 16 << 20, env: childEnv(process.env) }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (error && !stdout ? error.message : '')) })
    })
  })

export interface HostFacts {
  user: string
  groups: string[]
  isRoot: boolean
  /** Passwordless sudo works (GitHub's hosted runners have it). */
  canSudo: boolean
  /** Where binfmt_misc handlers are listed. */
  binfmtDir: string
  nixConfPath: string
  run: CommandRunner
}

export async function detectHostFacts(run: CommandRunner = runCommand): Promise<HostFacts> {
  const user = userInfo().username
  const isRoot = process.getuid?.() === 0
  const groupsResult = await run('id', ['-Gn'])
  const canSudo = isRoot ? true : (await run('sudo', ['-n', 'true'])).code === 0
  return {
    user,
    groups: groupsResult.code === 0 ? groupsResult.stdout.trim().split(/\s+/) : [],
    isRoot,
    canSudo,
    binfmtDir: '/proc/sys/fs/binfmt_misc',
    nixConfPath: '/etc/nix/nix.conf',
    run
  }
}

/** Runs a command as root: directly when we are root, else through passwordless sudo. */
export function runAsRoot(facts: HostFacts, command: string, args: string[]): Promise<CommandResult> {
  if (facts.isRoot) return facts.run(command, args)
  return facts.run('sudo', ['-n', command, ...args])
}

/** Whether this user's Nix client talks to a daemon (and so the daemon's trust rules apply). */
export async function usesNixDaemon(store: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const chosen = env.NIX_REMOTE || store
  if (chosen === 'daemon' || chosen.startsWith('unix://')) return true
  if (chosen !== 'auto' && chosen !== '') return false
  // Nix's "auto": a local store when it may write the database, else the daemon.
  try {
    await access('/nix/var/nix/db', constants.W_OK)
    return false
  } catch {
    return true
  }
}

/** trusted-users semantics: a name, `@group`, or `*`. */
export function isTrustedUser(trustedUsers: string[], user: string, groups: string[]): boolean {
  return trustedUsers.some(entry => entry === '*' || entry === user || (entry.startsWith('@') && groups.includes(entry.slice(1))))
}
