// Splits a byte stream into lines without holding more than one line at a time.
// A line longer than maxLineBytes (a builder printing megabytes without a newline) is cut, not buffered.
export class LineSplitter {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private truncated = false

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes = 1 << 20
  ) {}

  push(chunk: Buffer): void {
    let start = 0
    for (;;) {
      const newline = chunk.indexOf(10, start)
      if (newline === -1) break
      this.append(chunk.subarray(start, newline))
      this.flush()
      start = newline + 1
    }
    if (start < chunk.length) this.append(chunk.subarray(start))
  }

  end(): void {
    if (this.pendingBytes > 0 || this.truncated) this.flush()
  }

  private append(part: Buffer): void {
    const room = this.maxLineBytes - this.pendingBytes
    if (part.length > room) {
      this.truncated = true
      part = part.subarray(0, Math.max(room, 0))
    }
    if (part.length > 0) {
      this.pending.push(part)
      this.pendingBytes += part.length
    }
  }

  private flush(): void {
    let line = Buffer.concat(this.pending, this.pendingBytes).toString('utf8')
    if (line.endsWith('\r')) line = line.slice(0, -1)
    if (this.truncated) line += ' [line truncated by nix-ci]'
    this.pending = []
    this.pendingBytes = 0
    this.truncated = false
    this.onLine(line)
  }
}
