// Parses the `cache-max-size` input: bytes, or a number with a binary unit (`2GiB`, `500 MiB`, `1.5G`).

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4
}

export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = match ? UNITS[match[2].toLowerCase()] : undefined
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new Error(`'${text}' is not a size: give bytes or a number with KiB, MiB, GiB or TiB (e.g. 2GiB, 500MiB).`)
  }
  return Math.floor(Number(match[1]) * unit)
}
