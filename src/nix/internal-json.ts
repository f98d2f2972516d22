// Typed view of `--log-format internal-json` (the `@nix {...}` lines Nix writes on stderr).
// The numbers are Nix's ActivityType and ResultType enums (libutil/logging.hh).

export const ActivityType = {
  CopyPath: 100,
  FileTransfer: 101,
  Realise: 102,
  CopyPaths: 103,
  Builds: 104,
  Build: 105,
  OptimiseStore: 106,
  VerifyPaths: 107,
  Substitute: 108,
  QueryPathInfo: 109,
  PostBuildHook: 110,
  BuildWaiting: 111
} as const

export const ResultType = {
  FileLinked: 100,
  BuildLogLine: 101,
  UntrustedPath: 102,
  CorruptedPath: 103,
  SetPhase: 104,
  Progress: 105,
  SetExpected: 106,
  PostBuildLogLine: 107
} as const

export type NixLogEvent =
  | { action: 'msg'; level: number; msg: string; raw_msg?: string }
  | { action: 'start'; id: number; level: number; type: number; text: string; fields: unknown[]; parent?: number }
  | { action: 'stop'; id: number }
  | { action: 'result'; id: number; type: number; fields: unknown[] }

const PREFIX = '@nix '

/** Parses one stderr line; undefined when it is not an internal-json event (plain text). */
export function parseInternalJsonLine(line: string): NixLogEvent | undefined {
  if (!line.startsWith(PREFIX)) return undefined
  let value: unknown
  try {
    value = JSON.parse(line.slice(PREFIX.length))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  switch (v.action) {
    case 'msg':
      if (typeof v.msg !== 'string' || typeof v.level !== 'number') return undefined
      return {
        action: 'msg',
        level: v.level,
        msg: v.msg,
        ...(typeof v.raw_msg === 'string' ? { raw_msg: v.raw_msg } : {})
      }
    case 'start':
      if (typeof v.id !== 'number' || typeof v.type !== 'number') return undefined
      return {
        action: 'start',
        id: v.id,
        level: typeof v.level === 'number' ? v.level : 0,
        type: v.type,
        text: typeof v.text === 'string' ? v.text : '',
        fields: Array.isArray(v.fields) ? v.fields : [],
        ...(typeof v.parent === 'number' ? { parent: v.parent } : {})
      }
    case 'stop':
      if (typeof v.id !== 'number') return undefined
      return { action: 'stop', id: v.id }
    case 'result':
      if (typeof v.id !== 'number' || typeof v.type !== 'number') return undefined
      return { action: 'result', id: v.id, type: v.type, fields: Array.isArray(v.fields) ? v.fields : [] }
    default:
      return undefined
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '')
}
