// What nix-ci takes from a flake's evaluation as a derivation: a store path of a .drv, nothing else.
// An evaluated value is the flake's to choose (`drvPath` of an attribute set that only looks like a
// derivation is any string), and a drvPath goes on to Nix's command line and to file reads: there,
// `--allow-unsafe-native-code-during-evaluation` would be an option and `/etc/passwd` a file.
// The rules are Nix's own for a store path (libstore's StorePath and checkName): the store
// directory, a hash of 32 nix32 characters, `-`, and a name of at most 211 characters of its alphabet.
import { STORE_DIR } from './json.js'

const NIX32 = '0123456789abcdfghijklmnpqrsvwxyz'

/** A .drv in the store; group 1 is its name, `.drv` included. */
export const DRV_STORE_PATH = new RegExp(`^${STORE_DIR}/[${NIX32}]{32}-([A-Za-z0-9+\\-._?=]{1,207}\\.drv)$`)

/** How much of an evaluated value a message quotes. */
const QUOTED_CHARS = 120

export function isDrvStorePath(value: unknown): value is string {
  return typeof value === 'string' && DRV_STORE_PATH.test(value)
}

/**
 * Why an attribute's drvPath is refused, quoting the value as JSON (so a newline or an escape
 * code in it is printed escaped, never acted on), bounded.
 */
export function notADerivation(attrPath: string, drvPath: unknown): string {
  const text = typeof drvPath === 'string' ? drvPath : (JSON.stringify(drvPath) ?? String(drvPath))
  const quoted = JSON.stringify(text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}…` : text)
  return (
    `${attrPath} has a drvPath that is not a derivation in the Nix store (${quoted}): nix-ci builds only ` +
    `${STORE_DIR}/<hash>-<name>.drv paths. Make it a real derivation (derivation, mkDerivation), not an attribute set that imitates one.`
  )
}
