// A flake's evaluated values are as hostile as its builders' output. The attack: a package whose
// `drvPath` is `--allow-unsafe-native-code-during-evaluation`, next to one whose drvPath names a
// flake attribute. Had those reached `nix derivation show -r` (or `nix build` on Nix < 2.13) as
// they are, Nix would take the first as an option and evaluate the second with `builtins.exec`:
// a command run on the runner, outside the sandbox and pure evaluation. Real Nix, real flakes.
import { describe, expect, it } from '@jest/globals'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { nixDerivationShow, pathInfo } from '../../src/nix/store.js'
import { runBuildStage } from '../../src/stages/build/build-stage.js'
import { BuildLog } from '../../src/stages/build/build-log.js'
import { EvaluationError, evaluatePackages } from '../../src/stages/build/evaluate.js'
import { evaluateOutputs } from '../../src/stages/build/evaluate-outputs.js'
import { realise } from '../../src/stages/build/realise.js'
import { parseOutputsSelection, resolveSelection } from '../../src/stages/build/select.js'
import { useTempDirs } from '../support/cleanup.js'
import { commitFolder, testNix } from '../support/fixtures.js'
import { recordingReporter } from '../support/reporting.js'

const tempDirs = useTempDirs()
const BOTH = ['x86_64-linux', 'aarch64-linux']
const OPTION = '--allow-unsafe-native-code-during-evaluation'

/** A flake whose `evil` attribute, evaluated with builtins.exec allowed, creates `marker`. */
function hostileFlake(): { dir: string; marker: string } {
  const dir = tempDirs('nix-ci-hostile-')
  const marker = join(tempDirs('nix-ci-marker-'), 'exec-ran')
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'flake.nix'),
    `{ outputs = { self }: let
        ran = if builtins ? exec then builtins.exec [ "/bin/sh" "-c" "touch ${marker}; echo '\\"x\\"'" ] else "no";
        here = "path:\${builtins.unsafeDiscardStringContext (toString self)}#evil";
        fake = drvPath: { type = "derivation"; name = "evil"; outPath = "/nix/store/x"; inherit drvPath; };
      in {
        packages.x86_64-linux.default = fake ${JSON.stringify(OPTION)};
        packages.aarch64-linux.default = fake here;
        checks.x86_64-linux.a = fake ${JSON.stringify(OPTION)};
        checks.x86_64-linux.b = fake here;
        checks.x86_64-linux.c = fake "/nix/store/00000000000000000000000000000000-c.drv/../../../etc/passwd";
        checks.x86_64-linux.d = fake "/tmp/00000000000000000000000000000000-d.drv";
        evil = builtins.seq ran (derivation { name = "evil"; system = "x86_64-linux"; builder = "/bin/sh"; });
      }; }\n`
  )
  commitFolder(dir)
  return { dir, marker }
}

describe("a flake's evaluated values never reach Nix's command line as options", () => {
  it('the build stage refuses a drvPath that is not a store derivation, and the flake never runs a command', async () => {
    const { dir, marker } = hostileFlake()
    const outcome = await runBuildStage({
      flake: dir,
      package: 'default',
      systems: BOTH,
      nix: testNix(),
      reporter: recordingReporter()
    }).catch((error: unknown) => error)
    expect(existsSync(marker)).toBe(false)
    expect(outcome).toBeInstanceOf(EvaluationError)
    expect((outcome as Error).message).toMatch(/packages\.x86_64-linux\.default.*not a derivation in the Nix store/)
  })

  it('evaluatePackages accepts only a store path of a .drv, and says which attribute gave what', async () => {
    const { dir } = hostileFlake()
    const refused = evaluatePackages(testNix(), dir, BOTH, 'default')
    await expect(refused).rejects.toThrow(/packages\.x86_64-linux\.default.*"--allow-unsafe-native-code-during-evaluation"/)
  })

  it('names the flake chose are quoted in messages: a newline in one cannot start a line', async () => {
    const dir = tempDirs('nix-ci-names-')
    writeFileSync(join(dir, 'flake.nix'), `{ outputs = { self }: { packages.x86_64-linux."x\\n::error::pwned" = 1; }; }\n`)
    commitFolder(dir)
    const missing = await evaluatePackages(testNix(), dir, ['x86_64-linux'], 'default').catch((error: Error) => error)
    expect((missing as Error).message).toContain('packages.x86_64-linux has: "x\\n::error::pwned")')
  })

  it('evaluateOutputs reports each such attribute as a problem, never as something to build', async () => {
    const { dir, marker } = hostileFlake()
    const selection = resolveSelection(parseOutputsSelection('checks.*.*'), ['x86_64-linux'], 'default')
    const result = await evaluateOutputs({ nix: testNix(), flake: dir, selection, systems: ['x86_64-linux'] })
    expect(result.attributes).toEqual([])
    expect(result.problems.map(p => p.attrPath)).toEqual([
      'checks.x86_64-linux.a',
      'checks.x86_64-linux.b',
      'checks.x86_64-linux.c',
      'checks.x86_64-linux.d'
    ])
    for (const p of result.problems) expect(p.error).toMatch(/not a derivation in the Nix store/)
    expect(existsSync(marker)).toBe(false)
  })

  it('store queries and builds put every path after `--`: an option-looking path is a path', async () => {
    const { dir, marker } = hostileFlake()
    const paths = [OPTION, `path:${dir}#evil`]
    await expect(nixDerivationShow(testNix(), paths)).rejects.toThrow()
    await expect(pathInfo(testNix(), paths)).rejects.toThrow()
    const built = await realise({ nix: testNix(), drvPaths: paths, nixVersion: '2.8.0', log: new BuildLog() })
    expect(built.exitCode).not.toBe(0)
    expect(existsSync(marker)).toBe(false)
  })
})
