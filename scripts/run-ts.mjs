// Runs a TypeScript entry (a benchmark) with Node: esbuild bundles it to a temporary ESM file first.
import { build } from 'esbuild'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const entry = process.argv[2]
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [args...]')
  process.exit(2)
}
// Inside the repository, so the bundle's bare imports resolve from its node_modules.
mkdirSync('node_modules/.cache', { recursive: true })
const dir = mkdtempSync(join(resolve('node_modules/.cache'), 'run-ts-'))
const outfile = join(dir, 'entry.mjs')
await build({
  entryPoints: [resolve(entry)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning'
})
try {
  process.argv.splice(2, 1)
  await import(pathToFileURL(outfile).href)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
