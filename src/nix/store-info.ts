// What `nix store info` / `nix store ping` says about a store (a remote builder's, here): its
// URL, the Nix version behind it and whether it trusts us. Nix prints these as notices on stderr
// (captures in __tests__/fixtures/nix-json/*.store-*.txt); a store it cannot open is an error there.
import { NixRunner } from './runner.js'
import { stripAnsi } from './internal-json.js'
import { storeInfoCommand } from './version.js'

export interface StoreInfo {
  url?: string
  /** The Nix version serving the store (ssh-ng and daemon stores; `ssh://` stores say none). */
  version?: string
  /** Whether it trusts this client (Nix 2.15+ says). */
  trusted?: boolean
}

export type StorePing = { reachable: true; info: StoreInfo } | { reachable: false; error: string }

export function parseStoreInfo(stderr: string[]): StoreInfo {
  const info: StoreInfo = {}
  for (const raw of stderr) {
    const line = stripAnsi(raw).trim()
    const m = /^(Store URL|Version|Trusted): (.*)$/.exec(line)
    if (!m) continue
    if (m[1] === 'Store URL') info.url = m[2]
    else if (m[1] === 'Version') info.version = m[2]
    else info.trusted = m[2] === '1'
  }
  return info
}

/** Nix's (and ssh's) last words on a store it could not open, for the report. */
export function storeOpenError(stderr: string[]): string {
  const lines = stderr.map(l => stripAnsi(l).trim()).filter(l => l !== '' && !/^(Store URL|warning):/.test(l))
  return lines.slice(-2).join(' ') || 'no error message'
}

/** Opens the store once and asks who serves it. */
export async function pingStore(
  nix: NixRunner,
  storeUri: string,
  options: { env?: Record<string, string>; signal?: AbortSignal } = {}
): Promise<StorePing> {
  const stderr: string[] = []
  const result = await nix.run({
    args: [...storeInfoCommand(await nix.versionInfo()), '--store', storeUri],
    env: options.env,
    signal: options.signal,
    onLine: line => {
      if (line.stream === 'stderr' && stderr.length < 200) stderr.push(line.text)
    }
  })
  if (result.exitCode !== 0) return { reachable: false, error: storeOpenError(stderr) }
  return { reachable: true, info: parseStoreInfo(stderr) }
}
