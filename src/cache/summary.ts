// The cache's part of the job summary: did the run hit, what moved each way, and what it cost.
import { type Reporter, formatBytes, formatDuration, markdownTable } from '../report/reporter.js'
import { markdownCode, markdownProse } from '../report/markdown.js'
import type { CacheRestoreResult, CacheSaveResult, SkipReason } from './types.js'

const RESTORE_WORDS: Record<CacheRestoreResult['status'], string> = {
  hit: 'hit',
  'partial-hit': 'partial hit (restore key)',
  miss: 'miss',
  failed: 'failed (build ran uncached)',
  unavailable: 'off (no cache service)'
}

const SKIP_WORDS: Record<SkipReason, string> = {
  'untrusted-user': 'untrusted Nix user',
  'no-signing-key': 'input-addressed, and no cache-signing-key to check them'
}

export function cacheSummaryMarkdown(restored: CacheRestoreResult | undefined, saved: CacheSaveResult | undefined): string {
  const rows: string[][] = []
  if (restored) {
    const what =
      restored.status === 'hit' || restored.status === 'partial-hit' || restored.restoredPaths.length > 0
        ? `${restored.restoredPaths.length} store path(s), ${formatBytes(restored.importedBytes)} (entry ${formatBytes(restored.downloadedBytes)} unpacked)` +
          (restored.restoredFixedOutputs.length > 0 ? `; ${restored.restoredFixedOutputs.length} fixed-output` : '') +
          (restored.skippedPaths.length > 0
            ? `; ${restored.skippedPaths.length} not imported (${SKIP_WORDS[restored.skipReason ?? 'untrusted-user']})`
            : '')
        : '—'
    rows.push([
      'restore',
      RESTORE_WORDS[restored.status],
      markdownCode(restored.matchedKey ?? restored.key),
      what,
      formatDuration(restored.durationMs)
    ])
  }
  if (saved) {
    const what =
      saved.status === 'saved'
        ? `${saved.savedPaths.length} store path(s), ${formatBytes(saved.savedBytes)} before compression`
        : markdownProse(saved.reason ?? '—')
    rows.push(['save', saved.status, markdownCode(saved.key), what, formatDuration(saved.durationMs)])
  }
  return `### Nix store cache\n\n${markdownTable(['Step', 'Result', 'Key', 'Store paths', 'Time'], rows)}`
}

export function addCacheSummary(reporter: Reporter, restored: CacheRestoreResult | undefined, saved: CacheSaveResult | undefined): void {
  if (restored?.status === 'unavailable' && (saved === undefined || saved.status === 'unavailable')) return
  if (restored === undefined && saved === undefined) return
  reporter.addSummary(cacheSummaryMarkdown(restored, saved))
}
