// Where the release version comes from: mix.exs, the flake package's `version` attribute, package.json,
// or a literal from `version-from`. `auto` tries them in that order. Every reading remembers its file
// and line, so a bad version is reported where the user fixes it.
import { errorMessage } from '../../errors.js'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { VersionFrom } from '../../inputs.js'
import type { NixRunner } from '../../nix/runner.js'
import { parseStrictVersion } from './semver-tags.js'

export interface VersionReading {
  version: string
  /** Where it was read, for messages: `mix.exs`, `package.json`, `the flake attribute ...`, `the version-from input`. */
  source: string
  /** The file to edit to change the version, relative to the repository, when there is one. */
  file?: string
  line?: number
}

export class VersionSourceError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number
  ) {
    super(message)
    this.name = 'VersionSourceError'
  }
}

export interface ReadVersionOptions {
  versionFrom: VersionFrom
  cwd: string
  flake: string
  package: string
  system: string
  nix: NixRunner
  signal?: AbortSignal
}

export async function readVersion(options: ReadVersionOptions): Promise<VersionReading> {
  const from = options.versionFrom
  switch (from.source) {
    case 'literal':
      return validated({ version: from.version, source: 'the version-from input' })
    case 'mix.exs':
      return validated(readMixExs(options.cwd, true) as VersionReading)
    case 'package.json':
      return validated(readPackageJson(options.cwd, true) as VersionReading)
    case 'flake':
      return validated((await readFlakeVersion(options, true)) as VersionReading)
    case 'auto': {
      const reading = readMixExs(options.cwd, false) ?? (await readFlakeVersion(options, false)) ?? readPackageJson(options.cwd, false)
      if (reading) return validated(reading)
      throw new VersionSourceError(
        `No version found: there is no mix.exs or package.json in ${options.cwd}, and ${flakeAttr(options)} does not exist. ` +
          "Set 'version-from' to a literal version (e.g. 1.2.3), or add a `version` attribute to the flake package."
      )
    }
  }
}

function validated(reading: VersionReading): VersionReading {
  if (parseStrictVersion(reading.version)) return reading
  const where = reading.file ? `${reading.file}${reading.line ? `:${reading.line}` : ''}` : reading.source
  throw new VersionSourceError(
    `The version '${reading.version}' read from ${where} is not a semantic version. ` +
      'Use MAJOR.MINOR.PATCH with an optional -prerelease and +build, e.g. 1.2.3 or 2.0.0-rc.1, without a leading v.',
    reading.file,
    reading.line
  )
}

/** Reads `version: "1.2.3"`, or `version: @version` with `@version "1.2.3"`, from mix.exs. */
export function readMixExs(cwd: string, required: boolean): VersionReading | undefined {
  const file = 'mix.exs'
  const text = readSource(cwd, file, required)
  if (text === undefined) return undefined
  const lines = text.split(/\r?\n/).map(stripElixirComment)
  const projectStart = lines.findIndex(line => /\bdef\s+project\b/.test(line))
  const from = projectStart === -1 ? 0 : projectStart
  for (let i = from; i < lines.length; i++) {
    const match = /(?:^|[\s,[(])version:\s*(.*)$/.exec(lines[i])
    if (!match) continue
    const value = match[1].trim()
    const literal = /^"([^"\\]*)"/.exec(value)
    if (literal) return { version: literal[1], source: file, file, line: i + 1 }
    const attribute = /^@([a-z_][A-Za-z0-9_]*)/.exec(value)
    if (attribute) return readModuleAttribute(lines, attribute[1], file, i + 1)
    throw new VersionSourceError(
      `mix.exs:${i + 1} sets the version with an expression nix-ci cannot read (\`version: ${value.replace(/,\s*$/, '')}\`). ` +
        'Write it as `version: "1.2.3"`, or `@version "1.2.3"` with `version: @version`; or set version-from to another source.',
      file,
      i + 1
    )
  }
  throw new VersionSourceError(
    'mix.exs has no `version:` in its project: add `version: "0.1.0"` to `def project`, or set version-from to another source.',
    file
  )
}

function readModuleAttribute(lines: string[], name: string, file: string, usedAt: number): VersionReading {
  const pattern = new RegExp(`^\\s*@${name}\\s*\\(?\\s*(.*)$`)
  for (let i = 0; i < lines.length; i++) {
    const match = pattern.exec(lines[i])
    if (!match) continue
    const literal = /^"([^"\\]*)"/.exec(match[1].trim())
    if (literal) return { version: literal[1], source: file, file, line: i + 1 }
    throw new VersionSourceError(
      `mix.exs:${i + 1} sets @${name} with an expression nix-ci cannot read: write it as \`@${name} "1.2.3"\`.`,
      file,
      i + 1
    )
  }
  throw new VersionSourceError(`mix.exs:${usedAt} uses \`version: @${name}\` but mix.exs never sets \`@${name} "..."\`.`, file, usedAt)
}

/** Drops a `#` comment that is not inside a string. */
function stripElixirComment(line: string): string {
  let inString = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === '\\' && inString) i++
    else if (c === '"') inString = !inString
    else if (c === '#' && !inString && line[i + 1] !== '{') return line.slice(0, i)
  }
  return line
}

export function readPackageJson(cwd: string, required: boolean): VersionReading | undefined {
  const file = 'package.json'
  const text = readSource(cwd, file, required)
  if (text === undefined) return undefined
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new VersionSourceError(`package.json is not valid JSON (${errorMessage(error)}): fix the file, then re-run.`, file)
  }
  const line = text.split(/\r?\n/).findIndex(l => /"version"\s*:/.test(l)) + 1 || undefined
  if (data === null || typeof data !== 'object' || Array.isArray(data) || !('version' in data)) {
    throw new VersionSourceError(
      'package.json has no "version" field: add `"version": "0.1.0"`, or set version-from to another source.',
      file
    )
  }
  const version = (data as { version: unknown }).version
  if (typeof version !== 'string') {
    throw new VersionSourceError(`package.json's "version" is ${JSON.stringify(version)}, not a string: write it as "1.2.3".`, file, line)
  }
  return { version, source: file, file, line }
}

function flakeAttr(options: ReadVersionOptions): string {
  return `${options.flake}#packages.${options.system}.${options.package}.version`
}

/** `nix eval --raw <flake>#packages.<system>.<package>.version`; undefined when it is not defined. */
export async function readFlakeVersion(options: ReadVersionOptions, required: boolean): Promise<VersionReading | undefined> {
  const attr = flakeAttr(options)
  // A local flake without flake.nix is not a flake: nothing to ask Nix.
  if (!required && isLocalFlake(options.flake) && !existsSync(join(options.cwd, localFlakeDir(options.flake), 'flake.nix')))
    return undefined
  const stderr: string[] = []
  const result = await options.nix.run({
    args: ['eval', '--raw'],
    positional: [attr],
    cwd: options.cwd,
    captureStdoutBytes: 4096,
    signal: options.signal,
    onLine: line => {
      if (line.stream === 'stderr' && stderr.length < 50) stderr.push(line.text)
    }
  })
  if (result.exitCode === 0) {
    return {
      version: result.stdout.trim(),
      source: `the flake attribute ${attr}`,
      file: isLocalFlake(options.flake) ? join(localFlakeDir(options.flake), 'flake.nix') : undefined
    }
  }
  const errorText = stderr.filter(l => /error|attribute/i.test(l)).join('\n') || stderr.slice(-5).join('\n')
  if (!required && /does not provide attribute|attribute 'version' missing/.test(errorText)) return undefined
  throw new VersionSourceError(
    `Could not read the version from ${attr} (nix eval exited with ${result.exitCode ?? result.signal}):\n${errorText}\n` +
      `Give the package a \`version = "1.2.3";\` attribute, or set version-from to another source.`
  )
}

function isLocalFlake(flake: string): boolean {
  return flake === '.' || flake.startsWith('./') || flake.startsWith('path:.') || flake.startsWith('/')
}

function localFlakeDir(flake: string): string {
  return flake.replace(/^path:/, '').replace(/[?#].*$/, '')
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** The words for "change the version here" in messages. */
export function whereToBump(reading: VersionReading): string {
  if (reading.source === 'the version-from input') return "the 'version-from' input"
  if (reading.file === 'mix.exs' || reading.file === 'package.json') return reading.file
  return `the package's \`version\` attribute (${reading.source})`
}

/** A version file's text; absent is an error only when `version-from` names that file. */
function readSource(cwd: string, file: string, required: boolean): string | undefined {
  const text = readIfExists(join(cwd, file))
  if (text === undefined && required) throw new VersionSourceError(`version-from is '${file}' but there is no ${file} in ${cwd}.`, file)
  return text
}
