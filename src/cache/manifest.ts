// What a cache entry holds, written beside the binary cache it describes. Restore trusts nothing in
// an entry it cannot read back through this module: a missing or malformed manifest is a corrupt entry.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CACHE_FORMAT_VERSION } from './key.js'

export const MANIFEST_FILE = 'nix-ci-manifest.json'

export interface ManifestPath {
  path: string
  narSize: number
  /** Content address (`fixed:sha256:...`): set on fixed-output paths, which any Nix user may import. */
  ca?: string
}

export interface CacheManifest {
  formatVersion: number
  key: string
  createdAt: string
  nixVersion: string
  systems: string[]
  /** What the entry was saved for: the built outputs and their fixed-output dependencies. */
  roots: string[]
  /** The closure of the roots: every path the binary cache holds. */
  paths: ManifestPath[]
}

export class CorruptEntryError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CorruptEntryError'
  }
}

export async function writeManifest(dir: string, manifest: CacheManifest): Promise<void> {
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n')
}

export async function readManifest(dir: string): Promise<CacheManifest> {
  let text: string
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8')
  } catch {
    throw new CorruptEntryError(`the entry has no ${MANIFEST_FILE}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new CorruptEntryError(`${MANIFEST_FILE} is not JSON`)
  }
  return parseManifest(raw)
}

const STORE_PATH = /^\/nix\/store\/[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/

export function parseManifest(raw: unknown): CacheManifest {
  const m = raw as Partial<CacheManifest> | null
  if (typeof m !== 'object' || m === null) throw new CorruptEntryError(`${MANIFEST_FILE} is not an object`)
  if (m.formatVersion !== CACHE_FORMAT_VERSION)
    throw new CorruptEntryError(`${MANIFEST_FILE} has format ${String(m.formatVersion)}, expected ${CACHE_FORMAT_VERSION}`)
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every(s => typeof s === 'string')
  if (
    typeof m.key !== 'string' ||
    typeof m.nixVersion !== 'string' ||
    !strings(m.systems) ||
    !strings(m.roots) ||
    !Array.isArray(m.paths)
  ) {
    throw new CorruptEntryError(`${MANIFEST_FILE} lacks key, nixVersion, systems, roots or paths`)
  }
  // Paths reach `nix copy` as arguments: only well-formed store paths get that far.
  const bad = [...m.roots, ...m.paths.map(p => p?.path)].find(p => typeof p !== 'string' || !STORE_PATH.test(p))
  if (bad !== undefined) throw new CorruptEntryError(`${MANIFEST_FILE} lists '${String(bad)}', which is not a store path`)
  const held = new Set(m.paths.map(p => p.path))
  const missing = m.roots.find(r => !held.has(r))
  if (missing !== undefined) throw new CorruptEntryError(`${MANIFEST_FILE} lists root ${missing} outside its paths`)
  return {
    formatVersion: m.formatVersion,
    key: m.key,
    createdAt: String(m.createdAt ?? ''),
    nixVersion: m.nixVersion,
    systems: m.systems,
    roots: m.roots,
    paths: m.paths.map(p => ({ path: p.path, narSize: Number(p.narSize) || 0, ...(typeof p.ca === 'string' ? { ca: p.ca } : {}) }))
  }
}
