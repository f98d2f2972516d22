// What restore and save share about one run's cache entry: where it is unpacked and under which keys.
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { digestFlakeFiles, localFlakeDir } from './flake-digest.js'
import { CacheKeys, cacheKeys } from './key.js'
import type { NixCacheOptions } from './types.js'

export function cacheDirectory(options: Pick<NixCacheOptions, 'cacheDir'>, env: NodeJS.ProcessEnv = process.env): string {
  return options.cacheDir ?? join(env.RUNNER_TEMP || tmpdir(), 'nix-ci-store-cache')
}

export async function cacheKeysFor(options: Pick<NixCacheOptions, 'nix' | 'flake' | 'cwd' | 'systems'>): Promise<CacheKeys> {
  const nixVersion = await options.nix.version()
  const dir = localFlakeDir(options.flake, options.cwd)
  if (dir === undefined) return cacheKeys({ systems: options.systems, nixVersion, files: [], remoteFlake: options.flake })
  return cacheKeys({ systems: options.systems, nixVersion, files: await digestFlakeFiles(dir) })
}
