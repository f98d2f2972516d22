// The environment nix-ci gives the programs it starts (nix, git). Never its own: that holds the
// action's inputs (INPUT_GITHUB-TOKEN), the runner's tokens (ACTIONS_RUNTIME_TOKEN,
// ACTIONS_ID_TOKEN_REQUEST_*) and whatever secrets a workflow puts in `env:`. A fixed-output
// derivation may ask Nix for any variable of Nix's own environment (`impureEnvVars`), and on
// single-user Nix (root runners, containers) it gets it; so only what a child needs is passed on.

/** Variables passed as they are. */
const ALLOWED = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'TEMP',
  'TMP',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TERM',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'ftp_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'FTP_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'CURL_CA_BUNDLE',
  'GIT_SSL_CAINFO'
])

/** Families passed on, except for names that look like credentials. */
const ALLOWED_PREFIXES = ['LC_', 'NIX_', 'XDG_']
/** Names that look like credentials. */
export const CREDENTIAL_NAME = /TOKEN|SECRET|PASSW(OR)?D|CREDENTIAL|PRIVATE|AUTH|(^|_)KEYS?($|_)/i

/** `access-tokens = …` (also `extra-access-tokens`): credentials Nix reads from its config. */
const ACCESS_TOKENS_LINE = /^\s*(?:extra-)?access-tokens\s*=(.*)$/

export interface SplitNixConfig {
  /** The config without its access-tokens lines. */
  config: string
  /** The token values those lines held (`host=token` pairs, the token part). */
  secrets: string[]
}

/** Takes the access-tokens lines out of nix.conf text, keeping every other line as it was. */
export function withoutAccessTokens(config: string): SplitNixConfig {
  const secrets: string[] = []
  const kept: string[] = []
  for (const line of config.split('\n')) {
    const m = ACCESS_TOKENS_LINE.exec(line)
    if (!m) {
      kept.push(line)
      continue
    }
    for (const pair of m[1].trim().split(/\s+/).filter(Boolean)) {
      const token = pair.slice(pair.indexOf('=') + 1)
      if (token !== '') secrets.push(token)
    }
  }
  return { config: kept.join('\n'), secrets }
}

/** Whether a variable of this name may reach a child process. */
export function isPassedToChildren(name: string): boolean {
  if (ALLOWED.has(name)) return true
  if (!ALLOWED_PREFIXES.some(prefix => name.startsWith(prefix))) return false
  return !CREDENTIAL_NAME.test(name.slice(name.indexOf('_') + 1))
}

/**
 * The allow-listed environment for a child of nix-ci, with NIX_CONFIG's access-tokens lines removed.
 * Extra variables (a caller's own, e.g. NIX_CONFIG for one call) are merged over it as given.
 */
export function childEnv(env: NodeJS.ProcessEnv = process.env, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const child: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && isPassedToChildren(name)) child[name] = value
  }
  if (child.NIX_CONFIG !== undefined) {
    const config = withoutAccessTokens(child.NIX_CONFIG).config
    if (config.trim() === '') delete child.NIX_CONFIG
    else child.NIX_CONFIG = config
  }
  return { ...child, ...extra }
}

/** The secrets nix-ci's environment holds, for the reporter to mask (the runner masks only its own). */
export function secretsInEnvironment(env: NodeJS.ProcessEnv = process.env): string[] {
  const secrets = new Set<string>()
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < 4) continue
    if (name === 'GITHUB_TOKEN' || /^INPUT_GITHUB[-_]TOKEN$/i.test(name) || /^ACTIONS_(RUNTIME_TOKEN|ID_TOKEN_REQUEST_TOKEN)$/.test(name))
      secrets.add(value)
  }
  for (const token of withoutAccessTokens(env.NIX_CONFIG ?? '').secrets) secrets.add(token)
  return [...secrets]
}
