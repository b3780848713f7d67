/**
 * `xs` in ascending order (`<`: numbers by value, strings by UTF-16 code units, as
 * Array.prototype.sort orders strings), in `out`, which it clears first: by insertion, without a
 * list or a comparator's closure of its own, as the explorer sorts a handful at a time (a step's
 * components, a request's failed bios' errnos, the sectors in the disk's cache).
 */
export function sortedInto<T extends number | string>(xs: Iterable<T>, out: T[]): T[] {
  out.length = 0;
  for (const x of xs) {
    let j = out.length;
    out.push(x);
    while (j > 0 && (out[j - 1] as T) > x) {
      out[j] = out[j - 1] as T;
      j--;
    }
    out[j] = x;
  }
  return out;
}
