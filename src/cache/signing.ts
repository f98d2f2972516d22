// The cache's signing key (`cache-signing-key`): an Ed25519 secret in the format
// `nix key generate-secret` writes (`<name>:<base64 of 64 bytes>`). Entries are signed with it when
// saved (the binary cache store's `secret-key` setting) and imported only with its public key in
// trusted-public-keys, so an entry written by anyone without the secret cannot put an
// input-addressed path into the store. The public key is the secret's last 32 bytes, as in libsodium.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface SigningKey {
  /** The key's name (before the colon): Nix records signatures under it. */
  name: string
  secret: string
  /** `<name>:<base64 of 32 bytes>`, for trusted-public-keys. */
  publicKey: string
}

export class SigningKeyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SigningKeyError'
  }
}

/** Parses and checks a secret key; the message never repeats the secret. */
export function parseSigningKey(secret: string): SigningKey {
  const text = secret.trim()
  const match = /^([^\s:]+):([A-Za-z0-9+/]+={0,2})$/.exec(text)
  const bytes = match ? Buffer.from(match[2], 'base64') : undefined
  if (!match || bytes?.length !== 64) {
    throw new SigningKeyError(
      'not a Nix secret signing key: make one with `nix key generate-secret --key-name <name>` (or `nix-store --generate-binary-cache-key`), ' +
        'store it as a repository secret, and pass the secret itself (`<name>:<base64>`)'
    )
  }
  return { name: match[1], secret: text, publicKey: `${match[1]}:${bytes.subarray(32).toString('base64')}` }
}

/** Runs fn with the secret in a file only this user can read, removed afterwards. */
export async function withKeyFile<T>(key: SigningKey, fn: (path: string) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const base = env.RUNNER_TEMP || tmpdir()
  await mkdir(base, { recursive: true })
  const dir = await mkdtemp(join(base, 'nix-ci-signing-'))
  try {
    await chmod(dir, 0o700)
    const file = join(dir, 'key')
    await writeFile(file, key.secret, { mode: 0o600 })
    return await fn(file)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
