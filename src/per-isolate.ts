// Module state lives as long as the isolate: what is costly to make and the same for every request
// (parsed settings, a database handle, imported keys, prepared statements) is made once per key and kept.

type Cache<K, V> = { get(key: K): V | undefined; set(key: K, value: V): unknown };

/** The value for `key`, made by `make` the first time it is asked for and kept in `cache` after that. */
export function keptIn<K, V>(cache: Cache<K, V>, key: K, make: (key: K) => V): V {
  let value = cache.get(key);
  if (value === undefined) cache.set(key, (value = make(key)));
  return value;
}
