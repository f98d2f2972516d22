// Whole inputs through the classifier: a saved log, or a live run's Nix messages with the kept
// tails of its failed builds.
import { LogClassifier, type LogClassifierOptions } from './classifier.js'
import type { Findings } from './types.js'

/** Classifies a whole saved log (a string, or its lines). */
export function classifyLines(lines: string | Iterable<string>, options: LogClassifierOptions = {}): Findings {
  const classifier = new LogClassifier(options)
  for (const line of typeof lines === 'string' ? lines.split('\n') : lines) classifier.push(line)
  return classifier.finish()
}

/**
 * For the stages: classifies Nix's own error messages of a live run (BuildLog.errors: raw_msg
 * events, ANSI stripped, one string per message), optionally with the kept output tails of failed
 * builds (BuildLog.builds[drv].tail), which only ever corroborate what Nix said.
 */
export function classifyNixMessages(messages: Iterable<string>, builderTails?: ReadonlyMap<string, readonly string[]>): Findings {
  const classifier = new LogClassifier({ trust: 'plain-log' })
  for (const message of messages) for (const line of message.split('\n')) classifier.push(line)
  const confirmed = classifier.finish()
  if (!builderTails || builderTails.size === 0) return confirmed
  // Builder tails only add exec-format and BEAM-crash findings, and only for builds Nix reported as failed.
  const failed = new Set(confirmed.failedBuilds.map(f => f.derivation))
  const tails = new LogClassifier({ trust: 'plain-log' })
  for (const [drv, tail] of builderTails) if (failed.has(drv)) for (const line of tail) tails.pushBuilderLine(line, drv)
  const fromTails = tails.finish()
  const extra = fromTails.execFormatErrors.filter(e => !confirmed.execFormatErrors.some(c => c.executable === e.executable))
  return {
    ...confirmed,
    execFormatErrors: [...confirmed.execFormatErrors, ...extra],
    beamCrashes: [...confirmed.beamCrashes, ...fromTails.beamCrashes]
  }
}
