// Nix's own view of its configuration (`nix show-config --json`): the authority on which systems
// and features this Nix will really build for. Settings we asked for are confirmed here, not assumed.
import { NixRunner, ensureSuccess } from './runner.js'

export interface NixConfigView {
  system: string
  extraPlatforms: string[]
  systemFeatures: string[]
  trustedUsers: string[]
  sandbox: string
  substituters: string[]
  /** sandbox-paths, including what extra-sandbox-paths added. */
  sandboxPaths: string[]
  /** The store URI setting (`auto`, `daemon`, ...). */
  store: string
}

export async function readNixConfig(nix: NixRunner): Promise<NixConfigView> {
  const result = await nix.run({ args: ['show-config', '--json'], captureStdoutBytes: 4 << 20 })
  ensureSuccess(result, 'nix show-config --json')
  return parseNixConfig(result.stdout)
}

export function parseNixConfig(json: string): NixConfigView {
  const raw = JSON.parse(json) as Record<string, { value?: unknown }>
  const value = (key: string): unknown => raw[key]?.value
  const list = (key: string): string[] => {
    const v = value(key)
    if (Array.isArray(v)) return v.map(String)
    if (typeof v === 'string') return v.split(/\s+/).filter(Boolean)
    return []
  }
  const system = value('system')
  if (typeof system !== 'string') throw new Error("nix show-config --json has no 'system' setting")
  return {
    system,
    extraPlatforms: list('extra-platforms'),
    systemFeatures: list('system-features'),
    trustedUsers: list('trusted-users'),
    sandbox: String(value('sandbox')),
    substituters: list('substituters'),
    sandboxPaths: list('sandbox-paths'),
    store: String(value('store') ?? 'auto')
  }
}
