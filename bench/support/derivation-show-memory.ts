// Reads one flake package's derivation graph and prints, as JSON, how many derivations it read,
// how long it took, and this process's peak RSS (run alone, for real-size.ts). `files`: as the
// action does (its .drv files, drv-file.ts); `nix`: `nix derivation show -r` through the JSON layer,
// the action's way when the files cannot be used.
import { NixRunner } from '../../src/nix/runner.js'
import { nixDerivationShow, showDerivationClosure } from '../../src/nix/store.js'
import { evaluatePackages } from '../../src/stages/build/evaluate.js'

const [flake, nixConfig, how] = process.argv.slice(2)
const nix = new NixRunner({ nixConfig })
const [evaluated] = await evaluatePackages(nix, flake, ['x86_64-linux'], 'default')
const baseMb = process.resourceUsage().maxRSS / 1024
const started = Date.now()
const drvs = await (how === 'nix' ? nixDerivationShow : showDerivationClosure)(nix, [evaluated.drvPath])
console.log(JSON.stringify({ drvs: drvs.size, ms: Date.now() - started, baseMb, peakMb: process.resourceUsage().maxRSS / 1024 }))
