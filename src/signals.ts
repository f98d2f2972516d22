// SIGINT/SIGTERM (a cancelled workflow, Ctrl-C) become an AbortSignal the stages pass to Nix, so
// the whole Nix process tree stops and the run still reports what finished.
export interface Cancellation {
  signal: AbortSignal
  dispose(): void
}

export function cancelOnSignals(onSignal: (signal: NodeJS.Signals) => void = () => {}): Cancellation {
  const controller = new AbortController()
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) return
    onSignal(signal)
    controller.abort()
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
    }
  }
}
