// Proof of what was built: the ELF machine type of every executable and shared object in an output
// must be the one of the system it was built for.
import { open, readdir, lstat } from 'node:fs/promises'
import { join } from 'node:path'

/** ELF e_machine values per Nix system (glibc elf.h). */
export const ELF_MACHINE: Record<string, number> = {
  'x86_64-linux': 62,
  'aarch64-linux': 183,
  'i686-linux': 3,
  'armv6l-linux': 40,
  'armv7l-linux': 40,
  'riscv64-linux': 243,
  'powerpc64le-linux': 21,
  's390x-linux': 22,
  'loongarch64-linux': 258
}

const MACHINE_NAME: Record<number, string> = {
  3: 'i386',
  21: 'ppc64',
  22: 's390',
  40: 'arm',
  62: 'x86_64',
  183: 'aarch64',
  243: 'riscv',
  258: 'loongarch'
}

export function machineName(machine: number): string {
  return MACHINE_NAME[machine] ?? `machine ${machine}`
}

export interface ElfFile {
  path: string
  machine: number
}

export interface ElfCheck {
  checkedFiles: number
  elfFiles: number
  /** ELF executables/shared objects whose machine differs from the system's. */
  wrongMachine: ElfFile[]
  /** True when the scan stopped at the file limit. */
  truncated: boolean
}

const ET_EXEC = 2
const ET_DYN = 3

/** Reads the ELF header of a file: its machine, or undefined when it is not an executable ELF. */
export async function readElfMachine(path: string): Promise<number | undefined> {
  const handle = await open(path, 'r')
  try {
    const header = Buffer.alloc(20)
    const { bytesRead } = await handle.read(header, 0, 20, 0)
    if (bytesRead < 20 || header.readUInt32BE(0) !== 0x7f454c46) return undefined
    const littleEndian = header[5] === 1
    const type = littleEndian ? header.readUInt16LE(16) : header.readUInt16BE(16)
    if (type !== ET_EXEC && type !== ET_DYN) return undefined
    return littleEndian ? header.readUInt16LE(18) : header.readUInt16BE(18)
  } finally {
    await handle.close()
  }
}

/** Walks a store path (symlinks are not followed) and checks every ELF file against the system. */
export async function checkElfMachines(root: string, system: string, maxFiles = 20000): Promise<ElfCheck> {
  const expected = ELF_MACHINE[system]
  const check: ElfCheck = { checkedFiles: 0, elfFiles: 0, wrongMachine: [], truncated: false }
  const stack = [root]
  while (stack.length > 0) {
    const path = stack.pop() as string
    const stat = await lstat(path)
    if (stat.isDirectory()) {
      for (const entry of await readdir(path)) stack.push(join(path, entry))
      continue
    }
    if (!stat.isFile()) continue
    if (check.checkedFiles >= maxFiles) {
      check.truncated = true
      break
    }
    check.checkedFiles++
    const machine = await readElfMachine(path)
    if (machine === undefined) continue
    check.elfFiles++
    if (expected !== undefined && machine !== expected) check.wrongMachine.push({ path, machine })
  }
  return check
}
