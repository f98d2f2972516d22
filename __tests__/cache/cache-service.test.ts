// The local cache service against the real @actions/cache client (and, under it, the real
// @azure/storage-blob), through our transport: proof that the test server speaks the protocol the
// client speaks, before the Nix tests rely on it.
import { describe, expect, it } from '@jest/globals'
import { BlockBlobClient } from '@azure/storage-blob'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { restoreEntry, saveEntry } from '../../src/cache/transport.js'
import type { CacheTestServer } from '../support/cache-server/server.js'
import { recordingReporter } from '../support/reporting.js'
import { useCacheService } from '../support/cache-world.js'

let server: CacheTestServer
let temp: string
useCacheService('nix-ci-cache-test-', world => ({ server, temp } = world))

function entryDir(content: string): string {
  const dir = join(temp, 'entry')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, 'nar'), { recursive: true })
  writeFileSync(join(dir, 'nar', 'a.nar'), content)
  return dir
}

describe('cache service test server with the real @actions/cache client', () => {
  it('saves an entry (reserve, upload to the signed URL, finalize) and restores it by key', async () => {
    const dir = entryDir('first entry')
    const saved = await saveEntry(dir, 'k-1', recordingReporter())
    expect(saved).toEqual({ kind: 'saved', entryId: 1 })
    expect(server.twirpCalls()).toEqual(['CreateCacheEntry', 'FinalizeCacheEntryUpload'])
    expect(server.calls.filter(c => c.operation === 'blob-write').map(c => c.status)).toEqual([201])

    rmSync(dir, { recursive: true })
    expect(await restoreEntry(dir, 'k-1', [], recordingReporter())).toEqual({ kind: 'hit', matchedKey: 'k-1' })
    expect(readFileSync(join(dir, 'nar', 'a.nar'), 'utf8')).toBe('first entry')
    expect(server.violations).toEqual([])
  })

  it('misses silently, and falls back to the newest entry of a restore key prefix', async () => {
    const reporter = recordingReporter()
    expect(await restoreEntry(entryDir('x'), 'sys-a-1', ['sys-a-'], reporter)).toEqual({ kind: 'miss' })
    await saveEntry(entryDir('older'), 'sys-a-1', reporter)
    await saveEntry(entryDir('newer'), 'sys-a-2', reporter)
    await saveEntry(entryDir('other system'), 'sys-b-3', reporter)
    const dir = entryDir('')
    rmSync(dir, { recursive: true })
    expect(await restoreEntry(dir, 'sys-a-9', ['sys-a-'], reporter)).toEqual({ kind: 'hit', matchedKey: 'sys-a-2' })
    expect(readFileSync(join(dir, 'nar', 'a.nar'), 'utf8')).toBe('newer')
    expect(reporter.text()).not.toMatch(/::warning::/)
    expect(server.violations).toEqual([])
  })

  it('never hands out an entry that was reserved but not finalized', async () => {
    const version = 'a'.repeat(64)
    const answer = server.service.call('CreateCacheEntry', { key: 'half', version })
    expect(answer.ok).toBe(true)
    expect(server.service.call('GetCacheEntryDownloadURL', { key: 'half', version })).toMatchObject({ ok: false })
    expect(() => server.service.call('FinalizeCacheEntryUpload', { key: 'half', version, size_bytes: '3' })).toThrow(/nothing was uploaded/)
  })

  it('reports a second save of one key as a failure that names the existing entry', async () => {
    await saveEntry(entryDir('first'), 'same-key', recordingReporter())
    const second = await saveEntry(entryDir('second'), 'same-key', recordingReporter())
    expect(second.kind).toBe('failed')
    expect(second.kind === 'failed' && second.reason).toMatch(
      /reserving the entry failed: .*\(409\) Conflict: cache entry with the same key, version, and scope already exists: same-key/
    )
  })

  it('reports a full quota as a failed save', async () => {
    server.inject({ operation: 'CreateCacheEntry', code: 'resource_exhausted', msg: 'insufficient usage to create cache entry' })
    const outcome = await saveEntry(entryDir('x'), 'k', recordingReporter())
    expect(outcome.kind === 'failed' && outcome.reason).toMatch(/quota/)
  })

  it('reports a service that refuses connections as a failed restore and a failed save, without throwing', async () => {
    await server.goDown()
    const reporter = recordingReporter()
    const restored = await restoreEntry(entryDir('x'), 'k', [], reporter)
    expect(restored.kind === 'failed' && restored.reason).toMatch(/ECONNREFUSED/)
    const saved = await saveEntry(entryDir('x'), 'k', reporter)
    expect(saved.kind === 'failed' && saved.reason).toMatch(/ECONNREFUSED|reserve/)
    // @actions/core's workflow commands were turned into our own report, not printed raw.
    expect(reporter.text()).not.toMatch(/::(warning|error)::/)
  })

  it('retries a 500 from the service and then succeeds', async () => {
    await saveEntry(entryDir('kept'), 'k', recordingReporter())
    server.inject({ operation: 'GetCacheEntryDownloadURL', code: 'internal', msg: 'database hiccup' })
    const dir = entryDir('')
    rmSync(dir, { recursive: true })
    expect(await restoreEntry(dir, 'k', [], recordingReporter())).toEqual({ kind: 'hit', matchedKey: 'k' })
    expect(server.calls.filter(c => c.operation === 'GetCacheEntryDownloadURL').map(c => c.status)).toEqual([500, 200])
  }, 30_000)

  it('reports a download that is not a valid archive as a failed restore', async () => {
    await saveEntry(entryDir('fine'), 'k', recordingReporter())
    server.corruptDownloads = true
    const outcome = await restoreEntry(entryDir(''), 'k', [], recordingReporter())
    expect(outcome.kind).toBe('failed')
  })

  it('stages blocks and commits a block list as Azure does (archives over 128 MiB take this path)', async () => {
    const version = 'b'.repeat(64)
    const created = server.service.call('CreateCacheEntry', { key: 'big', version }) as { signed_upload_url: string }
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7)
    const client = new BlockBlobClient(created.signed_upload_url)
    await client.uploadData(data, { blockSize: 1024 * 1024, maxSingleShotSize: 1024 * 1024, concurrency: 2 })
    expect(server.calls.filter(c => c.operation === 'blob-write')).toHaveLength(5)
    expect(server.service.call('FinalizeCacheEntryUpload', { key: 'big', version, size_bytes: String(data.length) })).toMatchObject({
      ok: true
    })
    const url = (server.service.call('GetCacheEntryDownloadURL', { key: 'big', version }) as { signed_download_url: string })
      .signed_download_url
    const downloaded = await new BlockBlobClient(url).downloadToBuffer(0, undefined, { blockSize: 1024 * 1024, concurrency: 2 })
    expect(downloaded.equals(data)).toBe(true)
    // The upload URL cannot read; the download URL cannot write.
    await expect(new BlockBlobClient(url).upload('x', 1)).rejects.toThrow(/not authorized|immutable|finalized/i)
    expect(server.violations).toEqual([])
  })
})
