// Bundles src/ into dist/: one esbuild build of both entry points with code splitting, so the action
// and the CLI share one bundle instead of carrying a copy each:
//   dist/index.js, dist/cli.js      thin entries (action.yml runs.main, package.json bin): they turn
//                                   source maps on, then load the bundle
//   dist/nix-ci-action.js, -cli.js  what only the action / only the CLI runs
//   dist/nix-ci-shared.js           everything both run (the pipeline, the stages, the npm packages)
//   dist/*.js.map                   source maps, so stack traces name src/ lines
//   dist/licenses.txt               the bundled npm packages' licences (scripts/licenses.mjs)
// Every file stays directly in dist/: src/main.ts and src/cli.ts find the action's root (flake.nix,
// nix/) as the folder above their own file.
//
// Usage: node scripts/bundle.mjs [--outdir DIR] [--check]
//   --outdir DIR  write the bundle to DIR instead of dist/
//   --check       bundle into a temporary folder and fail when the committed dist/ differs in
//                 any file (list, bytes, cli.js's executable bit)
import { build } from 'esbuild'
import { load } from 'js-yaml'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'
import { licenceNotices } from './licenses.mjs'

const { values: args } = parseArgs({ options: { check: { type: 'boolean' }, outdir: { type: 'string' } } })

/** Fails the bundle with a message that says what to fix. */
function fail(message) {
  console.error(message)
  process.exit(1)
}

function readdirOrEmpty(dir) {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/**
 * esbuild's targets. The runtime comes from .node-version (the one number to change), and whatever
 * else names it must agree: action.yml's runs.using (what GitHub runs dist/ on) and the Nix
 * package's node. The tests run dist/ (action-contract.test.ts) on the oldest Node package.json's
 * engines allows (20 on Debian 12), so that one is a target too: esbuild lowers any syntax either
 * lacks. For today's sources, node24 alone and node24 + node20 give the same bytes.
 */
function nodeTargets() {
  const major = readFileSync('.node-version', 'utf8').trim().split('.')[0]
  if (!/^\d+$/.test(major)) fail(`.node-version must start with a major Node version (e.g. 24), not "${major}".`)
  const using = load(readFileSync('action.yml', 'utf8')).runs?.using
  if (using !== `node${major}`) {
    fail(`action.yml runs.using is "${using}" but .node-version says ${major}: make them name the same Node (node${major}).`)
  }
  if (!readFileSync('nix/package.nix', 'utf8').includes(`nodejs_${major}`)) {
    fail(`nix/package.nix does not wrap the CLI with nodejs_${major} (.node-version): update its node.`)
  }
  const oldest = /^>=\s*(\d+)/.exec(JSON.parse(readFileSync('package.json', 'utf8')).engines?.node ?? '')?.[1]
  if (!oldest) fail('package.json engines.node must be ">=N": the oldest Node the tests run dist/ on.')
  return [`node${major}`, `node${oldest}`]
}

// --check bundles next to dist/, at the same depth, because the source maps name src/ relative to
// their own folder; the folder goes when the script ends, however it ends.
const outdir = args.check ? mkdtempSync('.dist-check-') : (args.outdir ?? 'dist')
if (args.check) process.on('exit', () => rmSync(outdir, { recursive: true, force: true }))
// dist/ loses the files this bundle no longer writes (below); any other folder must start empty.
if (args.outdir && !args.check && readdirOrEmpty(args.outdir).length > 0)
  fail(`--outdir ${args.outdir} is not empty: give a new or empty folder.`)
const target = nodeTargets()

// ESM output; CommonJS dependencies bundled inside still call require(), so give them one.
const banner =
  "import { createRequire as __nixCiCreateRequire } from 'node:module';\nconst require = __nixCiCreateRequire(import.meta.url);"

mkdirSync(outdir, { recursive: true })
const result = await build({
  entryPoints: { 'nix-ci-action': 'src/index.ts', 'nix-ci-cli': 'src/cli.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  target,
  format: 'esm',
  splitting: true,
  // Two entry points share exactly one chunk; a second one would collide here and fail the build.
  chunkNames: 'nix-ci-shared',
  // Mappings only: the sources are src/ and node_modules/ next to dist/, and embedding them would
  // add 6 MB to every commit of dist/.
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  metafile: true,
  banner: { js: banner },
  logLevel: 'warning'
})

const licences = licenceNotices(result.metafile)
if (licences.problems.length > 0) {
  fail(
    `A bundled npm package has no licence to ship with it:\n  ${licences.problems.join('\n  ')}\n` +
      'Replace the package, or, once a person has checked its terms, add it to ACCEPTED in scripts/licenses.mjs with the reason.'
  )
}
writeFileSync(join(outdir, 'licenses.txt'), licences.text)

// Node reads a module's source map when it compiles the module, and every static import of an ES
// module compiles before any of it runs: so source maps go on first, then the bundle loads.
const entry = (comment, module, shebang = '') =>
  `${shebang}// ${comment} Written by scripts/bundle.mjs.\n` +
  '// Source maps go on before the bundle loads (Node reads a map when it compiles the module), so\n' +
  '// stack traces name src/ lines.\n' +
  'process.setSourceMapsEnabled(true)\n' +
  `await import('./${module}')\n`
writeFileSync(join(outdir, 'index.js'), entry('The action (action.yml runs.main).', 'nix-ci-action.js'))
writeFileSync(join(outdir, 'cli.js'), entry('The `nix-ci` command (package.json bin).', 'nix-ci-cli.js', '#!/usr/bin/env node\n'))
chmodSync(join(outdir, 'cli.js'), 0o755)

// A file an earlier bundle wrote and this one did not (a renamed chunk) would ship stale code.
const written = new Set([...Object.keys(result.metafile.outputs).map(path => basename(path)), 'licenses.txt', 'index.js', 'cli.js'])
for (const name of readdirSync(outdir)) {
  if (!written.has(name)) {
    rmSync(join(outdir, name), { recursive: true, force: true })
    console.log(`removed ${join(outdir, name)}: no longer part of the bundle`)
  }
}

if (args.check) {
  const stale = []
  const fresh = readdirSync(outdir).sort()
  const committed = readdirSync('dist').sort()
  if (fresh.join() !== committed.join()) stale.push(`files differ: dist/ has [${committed}], a fresh bundle has [${fresh}]`)
  for (const name of fresh) {
    let old = ''
    try {
      old = readFileSync(join('dist', name), 'utf8')
    } catch {
      // reported above as a difference in the file list
    }
    if (old !== readFileSync(join(outdir, name), 'utf8')) stale.push(`dist/${name} differs from a fresh bundle`)
  }
  try {
    if ((statSync('dist/cli.js').mode & 0o111) === 0) stale.push('dist/cli.js is not executable (package.json bin): chmod +x dist/cli.js')
  } catch {
    // a missing dist/cli.js is reported above
  }
  if (stale.length > 0) fail(`dist/ is stale:\n  ${stale.join('\n  ')}\nRun \`npm run bundle\` and commit dist/.`)
  console.log(`dist/ matches a fresh bundle of src/ (${fresh.length} files)`)
}
