// Which derivation a builder's name stands for (`name> ` lines of `nix build -L`), from Nix's
// announcements of builds. A big build announces thousands, and a name is looked up only for the
// few builder lines the recognisers read, so an announcement is only kept (a ring of the latest)
// and its name worked out when a lookup comes. Memory stays bounded: the ring, and a map of about
// the latest `limit` names.
import { BoundedMap } from './bounded-map.js'
import { drvName } from './types.js'

export class DrvNames {
  private readonly byName: BoundedMap<string, string>
  private readonly ring: string[]
  /** Announcements in the ring not yet in byName (at most the ring's size: older ones were overwritten). */
  private pending = 0
  private next = 0

  constructor(private readonly limit: number) {
    this.byName = new BoundedMap(limit)
    this.ring = new Array<string>(limit).fill('')
  }

  note(drv: string): void {
    this.ring[this.next] = drv
    this.next = (this.next + 1) % this.limit
    if (this.pending < this.limit) this.pending++
  }

  get(name: string): string | undefined {
    // Oldest first, so a name announced twice keeps its latest derivation.
    for (let n = this.pending; n > 0; n--) {
      const drv = this.ring[(this.next - n + this.limit) % this.limit]
      this.byName.set(drvName(drv), drv)
    }
    this.pending = 0
    return this.byName.get(name)
  }
}
