// The remote-builder tests' one build: both systems of a fixture through the real build stage,
// with this machine's Nix unable to build aarch64-linux itself, so only a remote can.
import { NixRunner } from '../../../src/nix/runner.js'
import type { RemoteBuildersRequest } from '../../../src/setup/remote-builders.js'
import { runBuildStage, type BuildStageOptions } from '../../../src/stages/build/build-stage.js'
import type { Fixture } from '../fixtures.js'
import { recordingReporter } from '../reporting.js'

export const BOTH = ['x86_64-linux', 'aarch64-linux']
/** This machine's Nix with no aarch64 of its own. */
export const LOCAL_ONLY = 'sandbox = true\nsubstituters =\nextra-platforms ='

export function localOnlyNix(): NixRunner {
  return new NixRunner({ nixConfig: LOCAL_ONLY })
}

/** Builds `default` of both systems; `remote` says which builders, `options` anything else (the reporter, a Nix with emulation). */
export function buildWithRemote(
  f: Fixture,
  remote: RemoteBuildersRequest,
  options: Partial<BuildStageOptions> = {}
): ReturnType<typeof runBuildStage> {
  return runBuildStage({
    flake: f.dir,
    package: 'default',
    systems: BOTH,
    nix: localOnlyNix(),
    reporter: recordingReporter(),
    remote,
    ...options
  })
}
