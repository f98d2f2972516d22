// Bundles src/ into dist/ (dist/index.js for the action, dist/cli.js for the CLI).
// `--check` bundles into a temporary folder and fails when the committed dist/ differs.
import { build } from 'esbuild'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const check = process.argv.includes('--check')
const outdir = check ? mkdtempSync(join(tmpdir(), 'nix-ci-dist-')) : 'dist'

// ESM output; CommonJS dependencies bundled inside still call require(), so give them one.
const banner = "import { createRequire as __nixCiCreateRequire } from 'node:module';\nconst require = __nixCiCreateRequire(import.meta.url);"

await build({
  entryPoints: { index: 'src/index.ts', cli: 'src/cli.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: false,
  legalComments: 'none',
  banner: { js: banner },
  logLevel: 'warning'
})

if (check) {
  const stale = []
  const fresh = readdirSync(outdir).sort()
  const committed = readdirSync('dist').sort()
  if (fresh.join() !== committed.join()) stale.push(`files differ: dist/ has [${committed}], a fresh bundle has [${fresh}]`)
  for (const name of fresh) {
    let old = ''
    try {
      old = readFileSync(join('dist', name), 'utf8')
    } catch {
      // reported below as a difference
    }
    if (old !== readFileSync(join(outdir, name), 'utf8')) stale.push(`dist/${name} differs from a fresh bundle`)
  }
  rmSync(outdir, { recursive: true, force: true })
  if (stale.length > 0) {
    console.error(`dist/ is stale:\n  ${stale.join('\n  ')}\nRun \`npm run bundle\` and commit dist/.`)
    process.exit(1)
  }
  console.log('dist/ matches a fresh bundle of src/')
}
