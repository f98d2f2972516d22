// Hands one job's result to another job of the same workflow run with @actions/artifact (v4
// artifacts: the results service's Twirp API and blob storage). One artifact per system, named
// by it; a missing one is reported as missing, never guessed.
import { DefaultArtifactClient } from '@actions/artifact'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

export const RESULT_FILE = 'nix-ci-result.json'

/** The artifact of one system's matrix job. */
export function artifactName(system: string): string {
  return `nix-ci-result-${system}`
}

export function artifactServiceUnavailableReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.ACTIONS_RUNTIME_TOKEN || !env.ACTIONS_RESULTS_URL) {
    return 'the Actions artifact service is not available here (ACTIONS_RUNTIME_TOKEN / ACTIONS_RESULTS_URL are unset: not running inside GitHub Actions?)'
  }
  return undefined
}

/** Uploads `dir/nix-ci-result.json` as this system's artifact; returns its id. */
export async function uploadSystemResult(system: string, dir: string): Promise<number | undefined> {
  const client = new DefaultArtifactClient()
  const { id } = await client.uploadArtifact(artifactName(system), [join(dir, RESULT_FILE)], dir, { retentionDays: 1 })
  return id
}

export type Downloaded = { system: string; file: string } | { system: string; missing: string }

/** Downloads each system's artifact of this run into `dir/<system>/`. */
export async function downloadSystemResults(systems: string[], dir: string): Promise<Downloaded[]> {
  const client = new DefaultArtifactClient()
  const { artifacts } = await client.listArtifacts()
  const out: Downloaded[] = []
  for (const system of systems) {
    const artifact = artifacts.find(a => a.name === artifactName(system))
    if (!artifact) {
      out.push({ system, missing: `no artifact '${artifactName(system)}' in this workflow run` })
      continue
    }
    const path = join(dir, system)
    mkdirSync(path, { recursive: true })
    const { downloadPath } = await client.downloadArtifact(artifact.id, { path })
    out.push({ system, file: join(downloadPath ?? path, RESULT_FILE) })
  }
  return out
}
