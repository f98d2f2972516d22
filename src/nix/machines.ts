// Nix's own `builders` syntax (libstore/machines.cc), read and written back unchanged in meaning:
// machines separated by newlines or `;`, each `URI [systems [ssh-key [max-jobs [speed-factor
// [supported-features [mandatory-features [public-host-key]]]]]]]`, `-` for a default field,
// lists comma-separated, `#` comments. `@file` entries name a file of machines.

export interface Machine {
  /** The store URI as written (a bare host means `ssh://host`, as Nix reads it). */
  uri: string
  systems: string[]
  /** Path of the SSH private key, when the line names one. */
  sshKey?: string
  maxJobs: number
  speedFactor: number
  supportedFeatures: string[]
  mandatoryFeatures: string[]
  /** base64 of the host's public key line, when given (Nix pins it instead of known_hosts). */
  publicHostKey?: string
}

export class MachinesSyntaxError extends Error {
  constructor(entry: string, detail: string) {
    super(
      `Cannot read the builder '${entry}': ${detail}. Nix's syntax is \`URI systems ssh-key max-jobs speed-factor supported-features mandatory-features public-host-key\` (\`-\` for a default).`
    )
    this.name = 'MachinesSyntaxError'
  }
}

/** The entries of a builders value: machine lines and `@file` references, comments dropped. */
export function splitBuilders(value: string): string[] {
  return value
    .split(/[\n;]/)
    .map(line => line.replace(/#.*$/, '').trim())
    .filter(Boolean)
}

/** One machine line; `localSystem` is what Nix assumes when the systems field is absent. */
export function parseMachine(line: string, localSystem: string): Machine {
  const fields = line.trim().split(/\s+/)
  const field = (i: number): string | undefined =>
    fields[i] === undefined || fields[i] === '-' || fields[i] === '' ? undefined : fields[i]
  const list = (i: number): string[] => (field(i) ?? '').split(',').filter(Boolean)
  const number = (i: number, name: string, fallback: number): number => {
    const text = field(i)
    if (text === undefined) return fallback
    if (!/^\d+$/.test(text)) throw new MachinesSyntaxError(line, `${name} '${text}' is not a whole number`)
    return Number(text)
  }
  if (fields.length > 8) throw new MachinesSyntaxError(line, `it has ${fields.length} fields, Nix reads at most 8`)
  const uri = fields[0]
  if (!uri) throw new MachinesSyntaxError(line, 'it has no URI')
  const publicHostKey = field(7)
  if (publicHostKey !== undefined && !/^[A-Za-z0-9+/]+=*$/.test(publicHostKey))
    throw new MachinesSyntaxError(line, 'the public host key is not base64')
  return {
    uri: uri.includes('://') ? uri : `ssh://${uri}`,
    systems: field(1) === undefined ? [localSystem] : list(1),
    ...(field(2) !== undefined ? { sshKey: field(2) } : {}),
    maxJobs: number(3, 'max-jobs', 1),
    speedFactor: number(4, 'speed-factor', 1),
    supportedFeatures: list(5),
    mandatoryFeatures: list(6),
    ...(publicHostKey !== undefined ? { publicHostKey } : {})
  }
}

/** A machine back in Nix's syntax (every field spelt out, so a key or host key can follow). */
export function formatMachine(m: Machine): string {
  const list = (items: string[]): string => (items.length > 0 ? items.join(',') : '-')
  return [
    m.uri,
    list(m.systems),
    m.sshKey ?? '-',
    String(m.maxJobs),
    String(m.speedFactor),
    list(m.supportedFeatures),
    list(m.mandatoryFeatures),
    m.publicHostKey ?? '-'
  ].join(' ')
}

/** `user@host` of an SSH store URI, for people to read (the URI's query parameters dropped). */
export function machineHost(uri: string): string {
  return uri.replace(/^[a-z+-]+:\/\//, '').replace(/\?.*$/, '')
}

/**
 * The store URI `nix store ping --store` takes for this machine: its key and pinned host key as
 * the store parameters Nix's SSH stores read (`ssh-key`, `base64-ssh-public-host-key`).
 */
export function machineStoreUri(m: Machine): string {
  const params = new URLSearchParams()
  if (m.sshKey !== undefined && !/[?&]ssh-key=/.test(m.uri)) params.set('ssh-key', m.sshKey)
  if (m.publicHostKey !== undefined && !/[?&]base64-ssh-public-host-key=/.test(m.uri))
    params.set('base64-ssh-public-host-key', m.publicHostKey)
  const query = params.toString()
  if (query === '') return m.uri
  return `${m.uri}${m.uri.includes('?') ? '&' : '?'}${query}`
}
