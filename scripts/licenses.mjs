// Third-party licence notices for dist/: every npm package whose code esbuild put into the bundle
// (read from the metafile, so a package that is installed but tree-shaken away is not listed), with
// its version, licence and licence text, as the actions/typescript-action template keeps them with
// `licensed`. The bundle drops the packages' own licence comments (legalComments: 'none'), so this
// file is where their notices live.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

// Packages that ship no licence field or no licence text, looked at by a person and accepted, keyed
// by name@version so that an upgrade is looked at again. Each says why; the notice file prints it.
export const ACCEPTED = {
  'buffers@0.1.1':
    'No licence field or text in any published version, and its repository is gone (actions/toolkit#2392). ' +
    'Pulled in by @actions/artifact -> unzip-stream -> binary (MIT, same author) to download the matrix ' +
    "jobs' artifacts; actions/download-artifact bundles it the same way. Drop it when @actions/artifact does.",
  'chainsaw@0.1.0':
    'Declares "MIT/X11" in package.json but ships no licence text. Pulled in by @actions/artifact -> unzip-stream -> binary.'
}

const LICENCE_FILE = /^(licen[cs]e|copying)([.-].*)?$/i
const NOTICE_FILE = /^notice([.-].*)?$/i
const RULE = '-'.repeat(80)

/** node_modules/<name> or node_modules/@scope/<name>, the deepest one, for a bundled file's path. */
function packageDir(input) {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)
  return match?.[1]
}

/** The licence as package.json declares it, in either the current or the legacy (`licenses`) form. */
function declaredLicence(manifest) {
  const { license, licenses } = manifest
  if (typeof license === 'string') return license
  if (license?.type) return license.type
  if (Array.isArray(licenses) && licenses.length > 0) return licenses.map(l => l.type ?? l).join(' OR ')
  return undefined
}

/** A README's "License" section: some old packages state their terms only there. */
function readmeLicence(dir, files) {
  const readme = files.find(f => /^readme/i.test(f))
  if (!readme) return undefined
  const lines = readFileSync(join(dir, readme), 'utf8').split('\n')
  // Markdown headings (`## License`) and setext ones (`license` over `=====`).
  const start = lines.findIndex(
    (line, i) => /^#+\s*licen[cs]e\b/i.test(line) || (/^licen[cs]e\s*$/i.test(line) && /^[=-]{3,}\s*$/.test(lines[i + 1] ?? ''))
  )
  if (start < 0) return undefined
  const body = []
  for (let i = start + (lines[start].startsWith('#') ? 1 : 2); i < lines.length; i++) {
    if (/^#+\s/.test(lines[i]) || /^[=-]{3,}\s*$/.test(lines[i + 1] ?? '')) break
    body.push(lines[i])
  }
  const text = body.join('\n').trim()
  return text ? { text, from: `${readme}, licence section` } : undefined
}

function licenceText(dir) {
  const files = readdirSync(dir).sort()
  const found = files.filter(f => LICENCE_FILE.test(f) || NOTICE_FILE.test(f))
  if (found.length > 0)
    return { text: found.map(f => readFileSync(join(dir, f), 'utf8').trim()).join(`\n\n${RULE}\n\n`), from: found.join(', ') }
  return readmeLicence(dir, files)
}

/** The packages in a metafile's outputs, one per name@version, sorted. */
export function bundledPackages(metafile) {
  const dirs = new Set()
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const dir = packageDir(input)
      if (dir && bytesInOutput > 0) dirs.add(dir)
    }
  }
  const packages = new Map()
  for (const dir of dirs) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const id = `${manifest.name}@${manifest.version}`
    if (!packages.has(id))
      packages.set(id, { id, name: manifest.name, version: manifest.version, dir, licence: declaredLicence(manifest), ...licenceText(dir) })
  }
  return [...packages.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version, undefined, { numeric: true })
  )
}

/**
 * The notice file's text, or the problems that stop the bundle: a package without a licence field
 * or without any licence text, unless ACCEPTED says why it may be bundled anyway (and an ACCEPTED
 * entry that is no longer bundled, so the list does not outlive its reason).
 */
export function licenceNotices(metafile) {
  const packages = bundledPackages(metafile)
  const problems = []
  for (const p of packages) {
    const missing = [
      p.licence ? undefined : 'licence field in package.json',
      p.text ? undefined : 'licence text (LICENSE file or README licence section)'
    ].filter(Boolean)
    if (missing.length > 0 && !ACCEPTED[p.id]) problems.push(`${p.id} (${p.dir}) has no ${missing.join(' and no ')}`)
  }
  for (const id of Object.keys(ACCEPTED)) {
    if (!packages.some(p => p.id === id)) problems.push(`${id} is in scripts/licenses.mjs ACCEPTED but no longer bundled: remove it`)
  }
  const sections = packages.map(p =>
    [
      '='.repeat(80),
      `${p.name} ${p.version}`,
      `License: ${p.licence ?? 'none declared'}`,
      `Licence text from: ${p.text ? `${p.dir}/ ${p.from}` : 'none shipped'}`,
      ...(ACCEPTED[p.id] ? [`Accepted: ${ACCEPTED[p.id]}`] : []),
      RULE,
      p.text ?? '(no licence text in the package)',
      ''
    ].join('\n')
  )
  const header =
    `Third-party software in nix-ci's dist/: the ${packages.length} npm packages whose code is bundled there, each\n` +
    "with its licence. Written by scripts/bundle.mjs from esbuild's metafile; do not edit.\n\n"
  return { problems, text: header + sections.join('\n') }
}
