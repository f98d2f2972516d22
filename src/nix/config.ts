// Nix's own view of its configuration (`nix config show --json`): the authority on which systems
// and features this Nix will really build for. Settings we asked for are confirmed here, not assumed.
import { NixConfigView, parseNixConfig } from './json.js'
import { NixRunner, ensureSuccess } from './runner.js'
import { configShowCommand } from './version.js'

export type { NixConfigView } from './json.js'
export { parseNixConfig } from './json.js'

export async function readNixConfig(nix: NixRunner): Promise<NixConfigView> {
  const version = await nix.versionInfo()
  const command = configShowCommand(version)
  const result = await nix.run({ args: [...command, '--json'], captureStdoutBytes: 4 << 20 })
  ensureSuccess(result, `nix ${command.join(' ')} --json`)
  return parseNixConfig(result.stdout, version)
}
