// Selecting and evaluating every flake output with real Nix: names once, each drvPath once, and an
// error in one attribute reported for it (Nix's message and position) while the rest evaluates.
import { describe, expect, it } from '@jest/globals'
import { NixCall, NixRunner } from '../../../src/nix/runner.js'
import { evaluateOutputs } from '../../../src/stages/build/evaluate-outputs.js'
import { EvaluationError } from '../../../src/stages/build/evaluate.js'
import { parseOutputsSelection, resolveSelection } from '../../../src/stages/build/select.js'
import { useCleanup } from '../../support/cleanup.js'
import { TEST_NIX_CONFIG } from '../../support/fixtures.js'
import { OutputsFixture, createOutputsFlake } from '../../support/outputs-fixture.js'

const track = useCleanup()

const BOTH = ['x86_64-linux', 'aarch64-linux']

function flake(outputs: string, systems = BOTH): OutputsFixture {
  const f = createOutputsFlake(systems, outputs)
  track(f)
  return f
}

function countingNix(): { nix: NixRunner; calls: NixCall[] } {
  const calls: NixCall[] = []
  return { nix: new NixRunner({ nixConfig: TEST_NIX_CONFIG, callLog: calls }), calls }
}

const EVERY_KIND = `
      packages = builtins.listToAttrs (map (s: { name = s; value = { default = mk s "pkg-\${s}" "echo > $out"; tool = mk s "tool" "echo > $out"; }; }) [ "x86_64-linux" "aarch64-linux" ]);
      checks.x86_64-linux.lint = mk "x86_64-linux" "lint" "echo > $out";
      checks.aarch64-linux.lint = mk "aarch64-linux" "lint" "echo > $out";
      devShells.x86_64-linux.default = mk "x86_64-linux" "shell" "echo > $out";
      formatter.x86_64-linux = mk "x86_64-linux" "fmt" "echo > $out";
      # What nixpkgs.lib.nixosSystem returns, as far as nix-ci reads it.
      nixosConfigurations.web.config.system.build.toplevel = mk "x86_64-linux" "nixos-system-web" "echo > $out";
      nixosConfigurations.pi.config.system.build.toplevel = (mk "aarch64-linux" "nixos-system-pi" "echo > $out") // { system = "armv7l-linux"; };
      apps.x86_64-linux.default = { type = "app"; program = "/bin/sh"; };
      packages-of-darwin-only = 1;
`

describe('evaluating every output', () => {
  it('finds every package, check, dev shell, formatter and NixOS toplevel of the target systems, in one nix eval', async () => {
    const f = flake(EVERY_KIND)
    const { nix, calls } = countingNix()
    const selection = resolveSelection(parseOutputsSelection('all'), BOTH, 'default')
    const result = await evaluateOutputs({ nix, flake: f.dir, selection, systems: BOTH })
    expect(result.problems).toEqual([])
    expect(result.attributes.map(a => [a.attrPath, a.system, a.kind])).toEqual([
      ['packages.x86_64-linux.default', 'x86_64-linux', 'packages'],
      ['packages.x86_64-linux.tool', 'x86_64-linux', 'packages'],
      ['packages.aarch64-linux.default', 'aarch64-linux', 'packages'],
      ['packages.aarch64-linux.tool', 'aarch64-linux', 'packages'],
      ['checks.x86_64-linux.lint', 'x86_64-linux', 'checks'],
      ['checks.aarch64-linux.lint', 'aarch64-linux', 'checks'],
      ['devShells.x86_64-linux.default', 'x86_64-linux', 'devShells'],
      ['formatter.x86_64-linux', 'x86_64-linux', 'formatter'],
      ['nixosConfigurations.web.config.system.build.toplevel', 'x86_64-linux', 'nixosConfigurations']
    ])
    for (const a of result.attributes) expect(a.drvPath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-.*\.drv$/)
    // The armv7l configuration is not a target: skipped, and its toplevel never evaluated.
    expect(result.skipped).toEqual([
      { attrPath: 'nixosConfigurations.pi.config.system.build.toplevel', reason: 'it is for armv7l-linux, which is not being built' }
    ])
    expect(calls.filter(c => c.command === 'eval')).toHaveLength(1)
    expect(result.evalCalls).toBe(1)
  })

  it('selects by attribute paths and globs, and names a missing attribute with what is there', async () => {
    const f = flake(EVERY_KIND)
    const selection = resolveSelection(
      parseOutputsSelection('packages.*.t* checks.x86_64-linux.lint devShells.x86_64-linux.web'),
      BOTH,
      'default'
    )
    const result = await evaluateOutputs({ nix: countingNix().nix, flake: f.dir, selection, systems: BOTH })
    expect(result.attributes.map(a => a.attrPath)).toEqual([
      'packages.x86_64-linux.tool',
      'packages.aarch64-linux.tool',
      'checks.x86_64-linux.lint'
    ])
    expect(result.problems).toEqual([
      {
        attrPath: 'devShells.x86_64-linux.web',
        kind: 'devShells',
        system: 'x86_64-linux',
        error: "devShells.x86_64-linux has no attribute 'web' (it has: default). Fix the `outputs` input (devShells.x86_64-linux.web)."
      }
    ])
  })

  it("reports each broken attribute with Nix's message and position, and still evaluates the others, each once", async () => {
    const f = flake(`
      packages.x86_64-linux = {
        a-ok = mk "x86_64-linux" "a-ok" "echo > $out";
        b-throws = throw "b-throws: this package is broken on purpose";
        c-missing-attr = (mk "x86_64-linux" "c" "true").nope;
        d-type-error = mk "x86_64-linux" ("d" + 1) "true";
        e-ok = builtins.trace "evaluating e-ok" (mk "x86_64-linux" "e-ok" "echo > $out");
      };
      checks.x86_64-linux.f-ok = builtins.trace "evaluating f-ok" (mk "x86_64-linux" "f-ok" "echo > $out");
`)
    const { nix, calls } = countingNix()
    const traces: string[] = []
    const tracing = new Proxy(nix, {
      get: (target, key) =>
        key === 'run'
          ? (o: Parameters<NixRunner['run']>[0]) =>
              target.run({ ...o, onLine: l => (l.text.includes('trace: evaluating') && traces.push(l.text), o.onLine?.(l)) })
          : Reflect.get(target, key)
    })
    const selection = resolveSelection(parseOutputsSelection('all'), ['x86_64-linux'], 'default')
    const result = await evaluateOutputs({ nix: tracing, flake: f.dir, selection, systems: ['x86_64-linux'] })
    expect(result.attributes.map(a => a.attrPath)).toEqual([
      'packages.x86_64-linux.a-ok',
      'packages.x86_64-linux.e-ok',
      'checks.x86_64-linux.f-ok'
    ])
    const byPath = Object.fromEntries(result.problems.map(p => [p.attrPath, p]))
    expect(Object.keys(byPath)).toEqual([
      'packages.x86_64-linux.b-throws',
      'packages.x86_64-linux.c-missing-attr',
      'packages.x86_64-linux.d-type-error'
    ])
    expect(byPath['packages.x86_64-linux.b-throws'].evaluation).toEqual({
      message: 'b-throws: this package is broken on purpose',
      position: expect.stringMatching(/^flake\.nix:19:\d+$/)
    })
    expect(byPath['packages.x86_64-linux.c-missing-attr'].evaluation?.message).toMatch(/^attribute 'nope' missing/)
    expect(byPath['packages.x86_64-linux.c-missing-attr'].evaluation?.position).toMatch(/^flake\.nix:20:\d+$/)
    expect(byPath['packages.x86_64-linux.d-type-error'].evaluation?.message).toMatch(/^cannot coerce an integer to a string/)
    expect(byPath['packages.x86_64-linux.b-throws'].error).toMatch(
      /^Nix could not evaluate it: b-throws: this package is broken on purpose \(at flake\.nix:19:\d+\)$/
    )
    // Three errors: three more calls, and the attributes after each error were evaluated once.
    expect(calls.filter(c => c.command === 'eval')).toHaveLength(4)
    expect(traces.filter(t => t.includes('evaluating e-ok'))).toHaveLength(1)
    expect(traces.filter(t => t.includes('evaluating f-ok'))).toHaveLength(1)
  })

  it('reports an output whose names cannot be listed, and evaluates the other outputs', async () => {
    const f = flake(`
      packages.x86_64-linux.default = mk "x86_64-linux" "p" "echo > $out";
      checks.x86_64-linux = import ./missing-file.nix;
      devShells.x86_64-linux.default = mk "x86_64-linux" "s" "echo > $out";
`)
    const selection = resolveSelection(parseOutputsSelection('all'), ['x86_64-linux'], 'default')
    const result = await evaluateOutputs({ nix: countingNix().nix, flake: f.dir, selection, systems: ['x86_64-linux'] })
    expect(result.attributes.map(a => a.attrPath)).toEqual(['packages.x86_64-linux.default', 'devShells.x86_64-linux.default'])
    expect(result.problems).toHaveLength(1)
    expect(result.problems[0]).toMatchObject({ attrPath: 'checks.*.*', system: 'x86_64-linux' })
    expect(result.problems[0].evaluation?.message).toMatch(/missing-file\.nix.*(does not exist|No such file)/)
  })

  it("fails the evaluation as a whole, with Nix's message, when the flake itself does not evaluate", async () => {
    const f = flake(`
      packages.x86_64-linux.default = mk "x86_64-linux" "p" "echo > $out";
    } // (throw "the whole flake is broken") // {
`)
    const selection = resolveSelection(parseOutputsSelection('all'), ['x86_64-linux'], 'default')
    const run = evaluateOutputs({ nix: countingNix().nix, flake: f.dir, selection, systems: ['x86_64-linux'] })
    await expect(run).rejects.toThrow(EvaluationError)
    await expect(run).rejects.toThrow(/the whole flake is broken/)
  })

  it('leaves out the attribute another stage builds (the VM test), without evaluating it', async () => {
    const f = flake(`
      checks.x86_64-linux.vm = throw "evaluated the VM test";
      checks.x86_64-linux.unit = mk "x86_64-linux" "unit" "echo > $out";
`)
    const selection = resolveSelection(parseOutputsSelection('all'), ['x86_64-linux'], 'default')
    const result = await evaluateOutputs({
      nix: countingNix().nix,
      flake: f.dir,
      selection,
      systems: ['x86_64-linux'],
      exclude: [{ attrPath: 'checks.x86_64-linux.vm', reason: 'the VM test stage builds it' }]
    })
    expect(result.problems).toEqual([])
    expect(result.attributes.map(a => a.attrPath)).toEqual(['checks.x86_64-linux.unit'])
    expect(result.skipped).toEqual([{ attrPath: 'checks.x86_64-linux.vm', reason: 'the VM test stage builds it' }])
  })
})
