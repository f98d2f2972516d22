// Fixture toolkit: temporary git repositories holding nixpkgs-free flakes whose builders are the
// static busybox of each system (fetched by scripts/setup-test-world.sh). Each test states its
// scenario in a few lines; every fixture is salted so its derivations are new to the store.
import { createHash, randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NixRunner } from '../../src/nix/runner.js'

/** The repository root: the nearest folder above this file with action.yml (bundled benches live elsewhere). */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)))

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'action.yml'))) return dir
    if (dirname(dir) === dir) throw new Error(`No action.yml above ${start}: cannot find the nix-ci repository root`)
  }
}
export const BUILDERS_DIR = join(REPO_ROOT, '.test-world', 'builders')

/** Nix as every test calls it: sandboxed, offline. */
export const TEST_NIX_CONFIG = 'sandbox = true\nsubstituters =\nextra-platforms = aarch64-linux'

export function testNix(extraConfig = ''): NixRunner {
  return new NixRunner({ nixConfig: TEST_NIX_CONFIG }).withConfig(extraConfig)
}

export type HashEncoding = 'sri' | 'nix32' | 'base16'

export interface FodSpec {
  /** Attribute name; the derivation is named `<attr>-0.1.0`. */
  attr: string
  /** What the FOD writes (flat file). */
  content: string
  /** Busybox shell snippet that writes $out instead of `content` (for heavier work). */
  script?: string
  /** 'correct' (default), a deliberately wrong hash, or a literal hash string. */
  hash?: 'correct' | 'stale' | { literal: string } | { expression: string }
  /** Other FOD attrs whose outputs this FOD reads (a chain: this one builds only after them). */
  inputs?: string[]
  encoding?: HashEncoding
}

export interface PackageSpec {
  attr: string
  /** FOD attrs this package reads. */
  fods?: string[]
  /** Busybox shell run to produce $out (default: records `uname -m` and copies busybox into $out/bin). */
  script?: string
  /** Per-system override of `script`. */
  scriptFor?: Partial<Record<string, string>>
}

export interface FixtureSpec {
  systems: string[]
  fods?: FodSpec[]
  packages: PackageSpec[]
  /** `default` points at this package attr (default: the first package). */
  defaultPackage?: string
  /** The salt (default: random), for callers that compute a FOD's hash from a script's output. */
  salt?: string
}

export interface Fixture {
  dir: string
  /** A salt unique to this fixture, present in every derivation. */
  salt: string
  /** Correct sha256 of each FOD's content, as SRI. */
  correctHash: Record<string, string>
  git(...args: string[]): string
  commitAll(message: string): string
  cleanup(): void
}

const NIX32_ALPHABET = '0123456789abcdfghijklmnpqrsvwxyz'

export function toNix32(bytes: Buffer): string {
  const length = Math.ceil((bytes.length * 8) / 5)
  let out = ''
  for (let n = length - 1; n >= 0; n--) {
    const b = n * 5
    const i = Math.floor(b / 8)
    const j = b % 8
    const c = (bytes[i] >> j) | (i + 1 < bytes.length ? bytes[i + 1] << (8 - j) : 0)
    out += NIX32_ALPHABET[c & 0x1f]
  }
  return out
}

export function encodeSha256(digest: Buffer, encoding: HashEncoding): string {
  switch (encoding) {
    case 'sri':
      return `sha256-${digest.toString('base64')}`
    case 'nix32':
      return toNix32(digest)
    case 'base16':
      return digest.toString('hex')
  }
}

export function sha256(content: string | Buffer): Buffer {
  return createHash('sha256').update(content).digest()
}

/** A FOD doing measurable work (hashes `megabytes` MiB with busybox; slow under QEMU), with its right hash. */
export function hashingFod(attr: string, megabytes: number, salt: string): FodSpec {
  const output = `${sha256(Buffer.concat([Buffer.from(salt), Buffer.alloc(megabytes << 20)])).toString('hex')}  -\n`
  return {
    attr,
    content: '',
    script: `(printf %s "$salt"; dd if=/dev/zero bs=1048576 count=${megabytes} 2>/dev/null) | sha256sum > $out`,
    hash: { literal: encodeSha256(sha256(output), 'sri') }
  }
}

export function builderPath(system: string): string {
  const path = join(BUILDERS_DIR, system, 'busybox')
  if (!existsSync(path)) {
    throw new Error(`No busybox builder for ${system} at ${path}: run \`npm run setup-test-world\` first`)
  }
  return path
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Fixture',
  GIT_AUTHOR_EMAIL: 'fixture@example.invalid',
  GIT_COMMITTER_NAME: 'Fixture',
  GIT_COMMITTER_EMAIL: 'fixture@example.invalid'
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' }).trim()
}

/** Makes `dir` a git repository on `main` holding all its files in one commit; returns the commit. */
export function commitFolder(dir: string, message = 'fixture'): string {
  git(dir, 'init', '-q', '-b', 'main')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', message)
  return git(dir, 'rev-parse', 'HEAD')
}

export function nixString(value: string): string {
  return JSON.stringify(value).replace(/\$\{/g, '\\${')
}

export function renderFlake(spec: FixtureSpec, salt: string): { flake: string; correctHash: Record<string, string> } {
  const correctHash: Record<string, string> = {}
  const fodLines: string[] = []
  for (const fod of spec.fods ?? []) {
    const digest = sha256(`${fod.content}\n${salt}`)
    correctHash[fod.attr] = encodeSha256(digest, 'sri')
    const encoding = fod.encoding ?? 'sri'
    let hash: string
    if (fod.hash === undefined || fod.hash === 'correct') hash = nixString(encodeSha256(digest, encoding))
    else if (fod.hash === 'stale') hash = nixString(encodeSha256(sha256(`stale ${fod.attr} ${salt}`), encoding))
    else if ('literal' in fod.hash) hash = nixString(fod.hash.literal)
    else hash = fod.hash.expression
    const script = fod.script ?? `printf '%s\\n%s' ${shellQuote(fod.content)} "$salt" > $out`
    fodLines.push(
      `      ${fod.attr} = derivation {`,
      `        name = "${fod.attr}-0.1.0";`,
      `        inherit system builder salt;`,
      `        inputs = [ ${(fod.inputs ?? []).map(i => `${i} `).join('')}];`,
      `        args = [ "sh" "-c" ${nixString(script)} ];`,
      `        outputHashMode = "flat";`,
      `        outputHashAlgo = "sha256";`,
      `        outputHash = ${hash};`,
      `      };`
    )
  }
  const defaultScript = 'mkdir -p $out/bin && uname -m > $out/arch && cp $builder $out/bin/busybox'
  const packageLines: string[] = []
  for (const pkg of spec.packages) {
    const deps = (pkg.fods ?? []).map(f => `${f} `).join('')
    const scripts = Object.entries(pkg.scriptFor ?? {})
    const script = scripts.length
      ? `({ ${scripts.map(([s, v]) => `${nixString(s)} = ${nixString(v ?? '')};`).join(' ')} }.\${system} or ${nixString(pkg.script ?? defaultScript)})`
      : nixString(pkg.script ?? defaultScript)
    packageLines.push(
      `      ${pkg.attr} = derivation {`,
      `        name = "${pkg.attr}-0.1.0";`,
      `        inherit system builder salt;`,
      `        deps = [ ${deps}];`,
      `        args = [ "sh" "-c" ${script} ];`,
      `      };`
    )
  }
  const builders = spec.systems.map(s => `        ${nixString(s)} = "\${./builders/${s}}/busybox";`).join('\n')
  const flake = `{
  description = "nix-ci test fixture";
  outputs = { self }:
    let
      salt = ${nixString(salt)};
      # nixpkgs' placeholder hashes, for fixtures that use them
      lib = { fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; fakeSha256 = "0000000000000000000000000000000000000000000000000000"; };
      builderFor = system: {
${builders}
      }.\${system};
      forSystem = system: let builder = builderFor system; in rec {
${fodLines.join('\n')}
${packageLines.join('\n')}
      default = ${spec.defaultPackage ?? spec.packages[0].attr};
    };
    in {
      packages = {
${spec.systems.map(s => `        ${nixString(s)} = forSystem ${nixString(s)};`).join('\n')}
      };
    };
}
`
  return { flake, correctHash }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

/** Creates the fixture as a committed git repository in a fresh temporary directory. */
export function createFixture(spec: FixtureSpec): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'nix-ci-fixture-'))
  const salt = spec.salt ?? randomBytes(8).toString('hex')
  for (const system of spec.systems) {
    mkdirSync(join(dir, 'builders', system), { recursive: true })
    copyFileSync(builderPath(system), join(dir, 'builders', system, 'busybox'))
  }
  const { flake, correctHash } = renderFlake(spec, salt)
  writeFileSync(join(dir, 'flake.nix'), flake)
  git(dir, 'init', '-q', '-b', 'main')
  const fixture: Fixture = {
    dir,
    salt,
    correctHash,
    git: (...args) => git(dir, ...args),
    commitAll: message => {
      git(dir, 'add', '-A')
      git(dir, 'commit', '-q', '-m', message)
      return git(dir, 'rev-parse', 'HEAD')
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true })
  }
  fixture.commitAll('fixture')
  return fixture
}
