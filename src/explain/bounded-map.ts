// A map that keeps roughly its latest `limit` entries, for per-log memory that must stay bounded
// (activity ids, derivation names, copy sources). Two generations instead of evicting the oldest
// entry one by one: a JavaScript Map evicted from its front keeps skipping the deleted slots there,
// which made one eviction per `building '…'` line the classifier's most expensive step.
export class BoundedMap<K, V> {
  private current = new Map<K, V>()
  private previous = new Map<K, V>()

  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    return this.current.get(key) ?? this.previous.get(key)
  }

  has(key: K): boolean {
    return this.current.has(key) || this.previous.has(key)
  }

  set(key: K, value: V): void {
    if (this.current.size >= this.limit && !this.current.has(key)) {
      this.previous = this.current
      this.current = new Map()
    }
    this.current.set(key, value)
  }

  delete(key: K): void {
    this.current.delete(key)
    this.previous.delete(key)
  }

  get size(): number {
    return this.current.size + this.previous.size
  }
}
