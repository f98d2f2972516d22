// The Nix store cache: restore before the build, save after it (see restore.ts and save.ts).
export { restoreNixCache } from './restore.js'
export { saveNixCache } from './save.js'
export { addCacheSummary, cacheSummaryMarkdown } from './summary.js'
export { cacheKeys } from './key.js'
export { parseByteSize } from './size.js'
export { cacheKeysFor, cacheDirectory } from './entry.js'
export * from './types.js'
