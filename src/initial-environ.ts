// /proc/<pid>/environ shows a process's environment as the kernel copied it onto its stack at exec,
// whatever the process set or unset since. Any process of the same user may read it (the ptrace
// "read" check: Yama's ptrace_scope limits attaching, not this); and flake code can run as that
// user: a builder on single-user Nix without the sandbox, an impure evaluation's builtins.exec.
// Deleting a variable from process.env only unlinks it from `environ`: its bytes stay there. So the
// secrets' bytes are overwritten in place, through /proc/self/mem, once each value has been set
// again in process.env: setenv's copy lives on the heap, which only a process allowed to attach
// can read (Yama denies that to a child reading its parent), and libraries that read
// process.env when they call out (@actions/cache, @actions/artifact: ACTIONS_RUNTIME_TOKEN) work on.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'
import { CREDENTIAL_NAME, isPassedToChildren } from './process-env.js'

/** What overwriting did: the variables overwritten, or why it could not be done (not Linux, no /proc). */
export type InitialEnvironScrub = { scrubbed: string[] } | { failed: string }

/** Variables whose values are secrets: the action's inputs, the runner's tokens, credential-like names. */
export function holdsSecret(name: string): boolean {
  if (name.startsWith('INPUT_')) return true
  if (name === 'GITHUB_TOKEN' || name === 'NIX_CONFIG' || /^ACTIONS_(RUNTIME_TOKEN|ID_TOKEN_REQUEST_TOKEN)$/.test(name)) return true
  // Whatever a workflow's `env:` holds under a credential's name.
  return !isPassedToChildren(name) && CREDENTIAL_NAME.test(name)
}

/** Overwrites the values of secret variables in this process's initial environment, keeping them in process.env. */
export function scrubInitialEnviron(isSecret: (name: string) => boolean = holdsSecret): InitialEnvironScrub {
  let start: number
  let block: Buffer
  try {
    start = environStart()
    block = readFileSync('/proc/self/environ')
  } catch (error) {
    return { failed: `cannot read /proc/self: ${(error as Error).message}` }
  }
  const ranges: { name: string; offset: number; length: number }[] = []
  for (let entry = 0; entry < block.length;) {
    const end = block.indexOf(0, entry) === -1 ? block.length : block.indexOf(0, entry)
    const equals = block.indexOf(0x3d, entry)
    if (equals > entry && equals < end) {
      const name = block.toString('utf8', entry, equals)
      if (isSecret(name) && end > equals + 1) ranges.push({ name, offset: equals + 1, length: end - equals - 1 })
    }
    entry = end + 1
  }
  if (ranges.length === 0) return { scrubbed: [] }
  // A copy on the heap first: once the stack bytes are gone, getenv would read zeros.
  for (const { name } of ranges) {
    const value = process.env[name]
    if (value !== undefined) process.env[name] = value
  }
  let fd: number
  try {
    fd = openSync('/proc/self/mem', 'r+')
  } catch (error) {
    return { failed: `cannot open /proc/self/mem: ${(error as Error).message}` }
  }
  try {
    for (const range of ranges) writeSync(fd, Buffer.alloc(range.length), 0, range.length, start + range.offset)
  } catch (error) {
    return { failed: `cannot write /proc/self/mem: ${(error as Error).message}` }
  } finally {
    closeSync(fd)
  }
  return { scrubbed: ranges.map(r => r.name) }
}

/** env_start of /proc/self/stat (field 50): where the environment block begins in this process's memory. */
function environStart(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  // Fields after the command name, which is in parentheses and may hold spaces; the first is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const start = Number(fields[50 - 3])
  if (!Number.isSafeInteger(start) || start <= 0) throw new Error('no env_start in /proc/self/stat (Linux before 3.5?)')
  return start
}
