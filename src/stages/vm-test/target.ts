// What the VM test builds: the built-in test (nix-ci's own flake, `checks.<system>.service-test`,
// pointed at the flake under test with --override-input) or the user's own flake attribute.
import { cp, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stripAnsi } from '../../nix/internal-json.js'
import { NixRunner, NixCommandError } from '../../nix/runner.js'

export const BUILTIN_CHECK = 'service-test'

/** The built-in test's parameters, as nix/vm-test-params.nix reads them from params.json. */
export interface VmTestParams {
  service: string
  port: number
  healthPath: string
  /** A table the app's migrations create (default in Nix: `health_checks`). */
  table?: string
}

/** Whether the flake exports `nixosModules.default` (a missing attribute is an answer, not an error). */
export async function exportsNixosModule(nix: NixRunner, flake: string, cwd?: string): Promise<boolean> {
  const errors: string[] = []
  const result = await nix.run({
    args: ['eval', '--json', '--apply', 'modules: builtins.hasAttr "default" modules'],
    positional: [`${flake}#nixosModules`],
    cwd,
    captureStdoutBytes: 4096,
    onLine: line => {
      if (line.stream === 'stderr' && errors.length < 100) errors.push(stripAnsi(line.text))
    }
  })
  if (result.exitCode === 0) return JSON.parse(result.stdout) === true
  if (errors.some(line => /does not provide attribute/.test(line))) return false
  throw new NixCommandError(`nix eval ${flake}#nixosModules`, result, errors.slice(-15))
}

export interface BuiltinTest {
  installable: string
  /** Extra `nix build` arguments: the input overrides. */
  args: string[]
  /** Removes the temporary folders. */
  cleanup(): Promise<void>
}

/**
 * Prepares the built-in test: a copy of nix-ci's flake (flake.nix, flake.lock, nix/ only, so the
 * action's node_modules never enter the store) and a params folder, wired with --override-input.
 */
export async function prepareBuiltinTest(actionDir: string, flake: string, system: string, params: VmTestParams): Promise<BuiltinTest> {
  const flakeDir = await mkdtemp(join(tmpdir(), 'nix-ci-vm-test-flake-'))
  const paramsDir = await mkdtemp(join(tmpdir(), 'nix-ci-vm-test-params-'))
  const cleanup = async (): Promise<void> => {
    await rm(flakeDir, { recursive: true, force: true })
    await rm(paramsDir, { recursive: true, force: true })
  }
  try {
    await cp(join(actionDir, 'flake.nix'), join(flakeDir, 'flake.nix'))
    if (await exists(join(actionDir, 'flake.lock'))) await cp(join(actionDir, 'flake.lock'), join(flakeDir, 'flake.lock'))
    await cp(join(actionDir, 'nix'), join(flakeDir, 'nix'), { recursive: true })
    const json: Record<string, string | number> = { service: params.service, port: params.port, healthPath: params.healthPath }
    if (params.table !== undefined) json.table = params.table
    await writeFile(join(paramsDir, 'params.json'), `${JSON.stringify(json, null, 2)}\n`)
  } catch (error) {
    await cleanup()
    throw error
  }
  return {
    installable: `path:${flakeDir}#checks.${system}.${BUILTIN_CHECK}`,
    // --override-input implies --no-write-lock-file: the user's flake is never touched.
    args: ['--override-input', 'target', flake, '--override-input', 'params', `path:${paramsDir}`],
    cleanup
  }
}

/** The user's own test: `<flake>#<attribute>`. */
export function attributeInstallable(flake: string, attribute: string): string {
  return `${flake}#${attribute}`
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}
