// The BEAM killed by a signal, in builder output (erlang/otp#10355, erlang/docker-erlang-otp#400,
// hexpm/bob#117). Under QEMU user emulation the Erlang JIT's dual-mapped code memory is mishandled
// by qemu-user and erl, mix or elixir die with SIGSEGV or SIGILL on their first instructions; on
// native hardware the same image works. The evidence, per build (the `name> ` key):
//   bash's report of the killed job, which names the program:
//     "…/setup: line 8: 1234 Segmentation fault      (core dumped) mix compile --no-deps-check"
//   systemd-coredump's or the kernel's: "Process 8801 (beam.smp) of user 0 terminated abnormally with
//     signal 11/SEGV", "beam.smp[77]: segfault at …"
//   a bare "Segmentation fault (core dumped)" (dash, docker) next to a BEAM command of the same build
//   and QEMU's own word for it, which names no program: "qemu: uncaught target signal 11
//     (Segmentation fault) - core dumped" (older QEMU prints it; newer ones stay silent).
// A crash of anything else, QEMU's line without a BEAM command nearby, or the BEAM stopping without
// a signal ("Kernel pid terminated", erl_crash.dump) is not this.
import { BoundedMap } from '../bounded-map.js'
import { BeamCrash, MAX_FINDINGS, Origin } from '../types.js'

type Signal = BeamCrash['signal']

const BEAM_PROGRAM = /^(?:.*\/)?(?:beam(?:\.smp|\.emu)?|erl|erlc|erlexec|escript|mix|elixir|elixirc|iex|rebar3)$/
const SHELL_JOB =
  /line \d+:\s+\d+\s+(Segmentation fault|Illegal instruction|Bus error)(?:\s+\(core dumped\))?\s+(?:\(core dumped\)\s+)?(\S+)/
// `[^()]`, not `[^)]`: the name stops at the next "(", so a line of repeated "Process 1 (" is read in linear time.
const COREDUMP = /Process \d+ \(([^()]+)\) of user \d+ terminated abnormally with signal \d+\/(SEGV|ILL|BUS)/
const KERNEL = /(?:^|\s)([\w.]+)\[\d+\]: segfault at /
/** The whole line, but for docker's step prefix ("#14 1.761 ") or a timestamp. */
const BARE = /^(?:#\d+ [\d.]+ |\S+ \| )?(Segmentation fault|Illegal instruction|Bus error)(?: \(core dumped\))?\s*$/
const QEMU = /qemu: uncaught target signal (\d+) \(/
/** A BEAM command run by this build: `RUN mix local.hex`, `/bin/sh -c "elixir -e …"`, `erl -noshell`. */
const BEAM_COMMAND =
  /(?:^|[\s/"'`])(mix (?:compile|deps\.\w+|local\.\w+|release|test|run|do|hex\.\w+|phx\.\w+|escript\.\w+|archive\.\w+|format)|elixirc?|iex|erlc?|escript|rebar3|beam\.smp)(?=\s|$|["'`;&|])/
/** Cheap guards before the expressions above: most lines handed over have neither. */
const CRASH_WORDS = /fault|instruction|Bus error|qemu: |terminated abnormally/
const BEAM_WORDS = /mix |elixir|iex|erl|escript|rebar3|beam/
/** Dispatched lines of one build a BEAM command stays the likely culprit for. */
const CONTEXT_LINES = 5
const MAX_KEYS = 256
/** Past this many waiting keys, those whose state was evicted are dropped. */
const MAX_WAITING = 32

const BY_NAME: Record<string, Signal> = {
  'Segmentation fault': 'SIGSEGV',
  'Illegal instruction': 'SIGILL',
  'Bus error': 'SIGBUS',
  SEGV: 'SIGSEGV',
  ILL: 'SIGILL',
  BUS: 'SIGBUS'
}
const BY_NUMBER: Record<string, Signal> = { '11': 'SIGSEGV', '4': 'SIGILL', '7': 'SIGBUS' }

interface BuildState {
  command?: string
  commandAge: number
  qemu: boolean
  /** A bare crash line waiting for a BEAM command to name it. */
  bare?: { signal: Signal; age: number }
}

export class BeamCrashRecogniser {
  private readonly builds = new BoundedMap<string, BuildState>(MAX_KEYS)
  private readonly found: BeamCrash[] = []
  /** Keys of the builds with a command or a bare crash waiting: few, and nearly always none. */
  private waiting: string[] = []
  truncated = false

  push(text: string, origin: Origin): void {
    const key = origin.from === 'builder' ? origin.key : ''
    const state = this.state(key)
    this.read(text, key, origin.from === 'builder' ? origin.drv : undefined, state)
    this.sync(key, state)
  }

  /**
   * Whether a builder's line may go unread (its key spelled by line[from, to)): no BEAM command or
   * bare crash of its build is waiting, whose age every line that reaches push() counts.
   */
  idleFor(line: string, from: number, to: number): boolean {
    for (const key of this.waiting) if (key.length === to - from && line.startsWith(key, from)) return false
    return true
  }

  private read(text: string, key: string, drv: string | undefined, state: BuildState): void {
    if (state.command !== undefined && ++state.commandAge > CONTEXT_LINES) state.command = undefined
    if (state.bare && ++state.bare.age > 5) state.bare = undefined
    let m: RegExpExecArray | null
    if (!CRASH_WORDS.test(text)) {
      if (BEAM_WORDS.test(text) && (m = BEAM_COMMAND.exec(text))) this.onCommand(state, m[1], key, drv)
      return
    }
    if ((m = QEMU.exec(text))) {
      state.qemu = true
      for (const f of this.found) if (f.derivation === drv && this.keyOf(f) === key) f.underQemu = true
      const signal = BY_NUMBER[m[1]]
      if (signal !== undefined && state.command !== undefined)
        this.add({ program: programOf(state.command), signal, underQemu: true }, key, drv)
      return
    }
    if ((m = SHELL_JOB.exec(text)) && BEAM_PROGRAM.test(m[2]))
      return this.add({ program: m[2], signal: BY_NAME[m[1]], underQemu: state.qemu }, key, drv)
    if ((m = COREDUMP.exec(text)) && BEAM_PROGRAM.test(m[1]))
      return this.add({ program: m[1], signal: BY_NAME[m[2]], underQemu: state.qemu }, key, drv)
    if ((m = KERNEL.exec(text)) && BEAM_PROGRAM.test(m[1]))
      return this.add({ program: m[1], signal: 'SIGSEGV', underQemu: state.qemu }, key, drv)
    if ((m = BARE.exec(text))) {
      const signal = BY_NAME[m[1]]
      if (state.command !== undefined) this.add({ program: programOf(state.command), signal, underQemu: state.qemu }, key, drv)
      else state.bare = { signal, age: 0 }
      return
    }
    if ((m = BEAM_COMMAND.exec(text))) this.onCommand(state, m[1], key, drv)
  }

  /** A line no other recogniser needed: only a BEAM command in it counts (a crash line is never skipped). */
  noteCommand(text: string, originOf: () => Origin): void {
    if (!BEAM_WORDS.test(text)) return
    const m = BEAM_COMMAND.exec(text)
    if (!m) return
    // Only now: which build a line is from costs a lookup, and few lines name a command.
    const origin = originOf()
    const key = origin.from === 'builder' ? origin.key : ''
    const state = this.state(key)
    this.onCommand(state, m[1], key, origin.from === 'builder' ? origin.drv : undefined)
    this.sync(key, state)
  }

  /** Keeps `waiting` to the builds whose state has something waiting (their states may since have been evicted). */
  private sync(key: string, state: BuildState): void {
    const waits = state.command !== undefined || state.bare !== undefined
    const at = this.waiting.indexOf(key)
    if (waits && at === -1) {
      if (this.waiting.length >= MAX_WAITING) this.waiting = this.waiting.filter(k => this.builds.has(k))
      this.waiting.push(key)
    } else if (!waits && at !== -1) {
      this.waiting.splice(at, 1)
    }
  }

  private onCommand(state: BuildState, command: string, key: string, drv: string | undefined): void {
    state.command = command
    state.commandAge = 0
    // The command that crashed is often named after the crash ("process "/bin/sh -c mix …" did not complete").
    if (state.bare) this.add({ program: programOf(command), signal: state.bare.signal, underQemu: state.qemu }, key, drv)
    state.bare = undefined
  }

  finish(): BeamCrash[] {
    return this.found.map(({ program, signal, underQemu, derivation }) => ({
      program,
      signal,
      underQemu,
      ...(derivation !== undefined ? { derivation } : {})
    }))
  }

  private readonly keys = new WeakMap<BeamCrash, string>()

  private keyOf(f: BeamCrash): string | undefined {
    return this.keys.get(f)
  }

  private add(crash: BeamCrash, key: string, drv: string | undefined): void {
    const full: BeamCrash = { ...crash, ...(drv !== undefined ? { derivation: drv } : {}) }
    const seen = this.found.find(f => f.program === full.program && f.signal === full.signal && f.derivation === full.derivation)
    if (seen) {
      seen.underQemu ||= full.underQemu
      return
    }
    if (this.found.length >= MAX_FINDINGS) {
      this.truncated = true
      return
    }
    this.keys.set(full, key)
    this.found.push(full)
  }

  private state(key: string): BuildState {
    let state = this.builds.get(key)
    if (!state) {
      state = { commandAge: 0, qemu: false }
      this.builds.set(key, state)
    }
    return state
  }
}

/** Whether a line may name a BEAM command (noteCommand's first test). */
export function mayNameBeamCommand(text: string): boolean {
  return BEAM_WORDS.test(text)
}

/** `mix compile` -> `mix`: the program, as a reader would name it. */
function programOf(command: string): string {
  return command.split(' ')[0]
}
