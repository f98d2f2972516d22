// Restarts the Nix daemon so that nix.conf changes take effect. Under systemd (GitHub's hosted
// runners) that is `systemctl restart`; without it (containers, chroots, a daemon started by
// hand) the running daemon is stopped and started again with its own command line.
import { existsSync } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import { connect } from 'node:net'
import { HostFacts, runAsRoot } from './host.js'

export interface DaemonRestart {
  ok: boolean
  how: 'systemd' | 'process'
  error?: string
}

export const DAEMON_SOCKET = process.env.NIX_DAEMON_SOCKET_PATH || '/nix/var/nix/daemon-socket/socket'

export async function restartNixDaemon(
  facts: HostFacts,
  options: { systemdDir?: string; procDir?: string; timeoutMs?: number } = {}
): Promise<DaemonRestart> {
  if (existsSync(options.systemdDir ?? '/run/systemd/system')) {
    const restart = await runAsRoot(facts, 'systemctl', ['restart', 'nix-daemon.service'])
    return restart.code === 0
      ? { ok: true, how: 'systemd' }
      : { ok: false, how: 'systemd', error: restart.stderr.trim() || `systemctl exited ${restart.code}` }
  }
  const daemon = await findDaemonProcess(options.procDir ?? '/proc')
  if (daemon === undefined) return { ok: false, how: 'process', error: 'no systemd and no running nix-daemon process was found' }
  // Stop it, wait until it is gone, start its own command line again in a session of its own.
  const script =
    'kill "$1"; for i in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done; shift; setsid "$@" </dev/null >/dev/null 2>&1 &'
  const restart = await runAsRoot(facts, 'sh', ['-c', script, 'sh', String(daemon.pid), ...daemon.argv])
  if (restart.code !== 0) return { ok: false, how: 'process', error: restart.stderr.trim() || `exit ${restart.code}` }
  const up = await waitForSocket(DAEMON_SOCKET, options.timeoutMs ?? 10_000)
  return up
    ? { ok: true, how: 'process' }
    : { ok: false, how: 'process', error: `the daemon did not accept connections on ${DAEMON_SOCKET} again` }
}

/** The daemon's main process: `nix-daemon` whose parent is not a `nix-daemon` (those are per-client workers). */
export async function findDaemonProcess(procDir: string): Promise<{ pid: number; argv: string[] } | undefined> {
  const comm = async (pid: string): Promise<string> => (await readFile(`${procDir}/${pid}/comm`, 'utf8').catch(() => '')).trim()
  for (const entry of await readdir(procDir)) {
    if (!/^\d+$/.test(entry) || (await comm(entry)) !== 'nix-daemon') continue
    const stat = await readFile(`${procDir}/${entry}/stat`, 'utf8').catch(() => '')
    const ppid = /\)\s+\S\s+(\d+)/.exec(stat)?.[1]
    if (ppid !== undefined && (await comm(ppid)) === 'nix-daemon') continue
    const argv = (await readFile(`${procDir}/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean)
    if (argv.length > 0) return { pid: Number(entry), argv }
  }
  return undefined
}

async function waitForSocket(path: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>(resolve => {
      const socket = connect(path)
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return true
    await new Promise(r => setTimeout(r, 100))
  }
  return false
}
