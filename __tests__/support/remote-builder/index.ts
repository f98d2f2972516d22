// A real remote builder for tests: Debian's sshd on 127.0.0.1 (a free high port, keys made by
// ssh-keygen now) in front of a second, empty Nix store, run by remote.sh in private namespaces.
// On the host the remote runs in scripts/nix-world.sh's sid chroot (Nix 2.34, another version
// than the host's); when the tests already run inside a chroot it runs that chroot's Nix, started
// from the host (remote.sh says why).
import { ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { REPO_ROOT } from '../fixtures.js'

const SCRIPT = join(REPO_ROOT, '__tests__', 'support', 'remote-builder', 'remote.sh')

export interface RemoteOptions {
  /** The remote's extra-platforms (what it builds under its own QEMU). */
  extraPlatforms?: string[]
  /** The remote's system-features. */
  systemFeatures?: string[]
}

export interface RemoteBuilder {
  /**
   * `ssh-ng://root@127.0.0.1`, the port going through NIX_SSHOPTS (Nix 2.8 takes none in an ssh-ng
   * URI); through a nix-daemon `ssh-ng://root@127.0.0.1:PORT`, since the daemon's ssh never sees
   * the client's NIX_SSHOPTS (Nix 2.34 takes the port in the URI).
   */
  uri: string
  /** The URI's `user@host[:port]`, as nix-ci reports the machine. */
  host: string
  port: number
  /** NIX_SSHOPTS for the client: the port. */
  sshOpts: string
  /** The remote's host key, base64 of its .pub line, as Nix's machines syntax wants it. */
  hostKeyBase64: string
  /** The client's private key (a path, mode 0600) and its text (as a secret input would hold it). */
  clientKeyPath: string
  clientKeyText: string
  /** Which system runs the remote: a chroot folder, or `/`. */
  root: string
  /** A machines line for this remote: `uri systems key 1 1 features - hostkey`. */
  machine(systems: string[], options?: { features?: string[]; key?: string | null }): string
  /** The remote's own /nix/store, seen from here. */
  storeDir: string
  /** Whether a store path is in the remote's own store. */
  hasPath(storePath: string): boolean
  /** Its sshd's log so far. */
  log(): string
  /** Kills sshd and every session and build it started (the connection drops). */
  kill(): Promise<void>
  stop(): Promise<void>
}

export function remoteRoot(): string {
  if (existsSync('/.nix-world-stamp')) return '/'
  // scripts/test.sh makes it before jest starts; a jest run started by hand makes it here, once
  // (about a minute, under nix-world.sh's lock: other workers wait, none sees it half made).
  execFileSync('bash', [join(REPO_ROOT, 'scripts', 'nix-world.sh'), 'ensure', 'sid'], { stdio: 'inherit' })
  return join(process.env.NIX_CI_WORLD ?? '/var/cache/nix-ci-world', 'chroots', 'sid')
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function keygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'nix-ci-test', '-f', path])
  chmodSync(path, 0o600)
}

export async function startRemoteBuilder(options: RemoteOptions = {}): Promise<RemoteBuilder> {
  const root = remoteRoot()
  const state = mkdtempSync(join(tmpdir(), 'nix-ci-remote-'))
  const ssh = join(state, 'ssh')
  mkdirSync(ssh, { recursive: true })
  mkdirSync(join(state, 'etc-nix'), { recursive: true })
  const clientDir = mkdtempSync(join(tmpdir(), 'nix-ci-remote-client-'))
  const clientKeyPath = join(clientDir, 'id_ed25519')
  keygen(clientKeyPath)
  keygen(join(ssh, 'host_key'))
  writeFileSync(join(ssh, 'authorized_keys'), readFileSync(`${clientKeyPath}.pub`))
  const port = await freePort()
  writeFileSync(
    join(ssh, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      'HostKey /tmp/host_key',
      'AuthorizedKeysFile /tmp/authorized_keys',
      'PidFile /tmp/sshd.pid',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      ''
    ].join('\n')
  )
  writeFileSync(
    join(state, 'etc-nix', 'nix.conf'),
    [
      'build-users-group = nixbld',
      'sandbox = true',
      'substituters =',
      'trusted-users = root',
      ...(options.extraPlatforms?.length ? [`extra-platforms = ${options.extraPlatforms.join(' ')}`] : []),
      ...(options.systemFeatures ? [`system-features = ${options.systemFeatures.join(' ')}`] : []),
      ''
    ].join('\n')
  )
  const hostKeyBase64 = Buffer.from(readFileSync(join(ssh, 'host_key.pub'))).toString('base64')
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n']
  const command = [...sudo, 'bash', SCRIPT, root, state]
  let log = ''
  const child: ChildProcess = spawn(command[0], command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')))
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  let alive = true
  const kill = async (): Promise<void> => {
    if (!alive) return
    alive = false
    // unshare waits out SIGTERM; SIGKILL takes it, and with it (--kill-child) the namespace.
    child.kill('SIGKILL')
    await exited
  }
  // Store paths are read-only and the remote's build users own some: root removes them.
  const remove = (): void => {
    if (sudo.length) execFileSync('sudo', ['-n', 'rm', '-rf', '--', state, clientDir])
    rmSync(state, { recursive: true, force: true })
    rmSync(clientDir, { recursive: true, force: true })
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The remote's sshd did not start in 20 s:\n${log}`)), 20_000)
      const check = (): void => {
        if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stderr?.on('data', check)
      child.once('exit', code => {
        clearTimeout(timer)
        reject(new Error(`The remote's sshd exited (${code}) before listening:\n${log}`))
      })
    })
  } catch (error) {
    await kill()
    remove()
    throw error
  }
  const host = process.env.NIX_REMOTE === 'daemon' ? `root@127.0.0.1:${port}` : 'root@127.0.0.1'
  return {
    uri: `ssh-ng://${host}`,
    host,
    port,
    sshOpts: `-p ${port}`,
    hostKeyBase64,
    clientKeyPath,
    clientKeyText: readFileSync(clientKeyPath, 'utf8'),
    root,
    machine: (systems, machineOptions = {}) => {
      const key = machineOptions.key === undefined ? clientKeyPath : machineOptions.key === null ? '-' : machineOptions.key
      const features = machineOptions.features?.length ? machineOptions.features.join(',') : '-'
      return `ssh-ng://${host} ${systems.join(',')} ${key} 1 1 ${features} - ${hostKeyBase64}`
    },
    storeDir: join(state, 'nix', 'store'),
    hasPath: storePath => existsSync(join(state, 'nix', 'store', basename(storePath))),
    log: () => log,
    kill,
    stop: async () => {
      await kill()
      remove()
    }
  }
}
