import { describe, expect, it } from '@jest/globals'
import { LineSplitter } from '../../src/nix/line-splitter.js'

function split(chunks: string[], maxLineBytes?: number): string[] {
  const lines: string[] = []
  const splitter = new LineSplitter(line => lines.push(line), maxLineBytes)
  for (const chunk of chunks) splitter.push(Buffer.from(chunk))
  splitter.end()
  return lines
}

describe('LineSplitter', () => {
  it('joins lines split across chunks and strips CR of CRLF', () => {
    expect(split(['ab', 'c\r\nde', 'f\n', 'g'])).toEqual(['abc', 'def', 'g'])
  })

  it('keeps empty lines and emits nothing for an empty stream', () => {
    expect(split(['a\n\nb\n'])).toEqual(['a', '', 'b'])
    expect(split([])).toEqual([])
  })

  it('cuts an over-long line instead of buffering it', () => {
    const lines = split(['x'.repeat(50), 'y'.repeat(50) + '\nok\n'], 64)
    expect(lines[0]).toBe('x'.repeat(50) + 'y'.repeat(14) + ' [line truncated by nix-ci]')
    expect(lines[1]).toBe('ok')
  })

  it('does not split a multi-byte character across chunks', () => {
    const bytes = Buffer.from('é\n')
    const lines: string[] = []
    const splitter = new LineSplitter(line => lines.push(line))
    splitter.push(bytes.subarray(0, 1))
    splitter.push(bytes.subarray(1))
    expect(lines).toEqual(['é'])
  })
})
