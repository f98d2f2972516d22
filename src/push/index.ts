// The binary cache push (`push-to`): what this run built, to a Nix store others substitute from.
import type { NixRunner } from '../nix/runner.js'
import { showDerivationClosure } from '../nix/store.js'
import type { Reporter } from '../report/reporter.js'
import { pushToStore } from './push.js'
import { reportPush } from './push-report.js'
import type { PushTarget } from './store-url.js'

export { pushToStore } from './push.js'
export { reportPush, pushSummaryMarkdown } from './push-report.js'
export { parsePushTarget } from './store-url.js'

export interface PushBuiltOptions {
  nix: NixRunner
  reporter: Reporter
  target: PushTarget
  /** The derivations Nix built in this run (the build stage's builtDerivations). */
  builtDerivations: string[]
  signingKey?: string
  required: boolean
  signal?: AbortSignal
}

/** Pushes the outputs of the derivations built in this run; returns a failure message when the run must fail. */
export async function pushBuilt(options: PushBuiltOptions): Promise<string | undefined> {
  const derivations = await showDerivationClosure(options.nix, options.builtDerivations)
  const paths = options.builtDerivations.flatMap(d => Object.values(derivations.get(d)?.outputs ?? {}).map(o => o.path))
  const result = await pushToStore({
    nix: options.nix,
    reporter: options.reporter,
    target: options.target,
    paths,
    signingKey: options.signingKey,
    signal: options.signal
  })
  return reportPush(result, options.reporter, options.required)
}
