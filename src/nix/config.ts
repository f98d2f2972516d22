// Nix's own view of its configuration (`nix config show --json`): the authority on which systems
// and features this Nix will really build for. Settings we asked for are confirmed here, not assumed.
import { NixConfigView, parseNixConfig } from './json.js'
import { NixRunner, ensureSuccess } from './runner.js'
import { configShowCommand } from './version.js'

export type { NixConfigView } from './json.js'
export { parseNixConfig } from './json.js'

export async function readNixConfig(nix: NixRunner): Promise<NixConfigView> {
  // Which command depends on the version. When that is still to be asked, `config show` (2.20+,
  // Lix) starts beside `--version`: on current Nix the set-up then waits for one process, not
  // two in a row. Older Nix refuses it, and `show-config` follows, as it would have anyway.
  const early = nix.versionAsked ? undefined : nix.run({ args: [...MODERN, '--json'], captureStdoutBytes: CONFIG_BYTES })
  // Handled below; marked so here, in case the version's failure (no nix at all) comes first.
  early?.catch(() => undefined)
  const version = await nix.versionInfo()
  const command = configShowCommand(version)
  let result = early !== undefined ? await early : undefined
  if (result === undefined || command.join(' ') !== MODERN.join(' '))
    result = await nix.run({ args: [...command, '--json'], captureStdoutBytes: CONFIG_BYTES })
  ensureSuccess(result, `nix ${command.join(' ')} --json`)
  return parseNixConfig(result.stdout, version)
}

const MODERN = ['config', 'show']
const CONFIG_BYTES = 4 << 20
