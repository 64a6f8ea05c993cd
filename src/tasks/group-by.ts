/**
 * Items by key, in their order. Appended in place: copying a group at each item made this
 * quadratic in a group's size, and a task type with many names, error classes and duration
 * buckets has tens of thousands of outcome groups in a long window (scratch, 26,000 groups of
 * one type: 7.1 s copying, 4.8 ms appending; 5,000: 51 ms against 1.2).
 */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const itemKey = key(item);
    const group = groups.get(itemKey);
    if (group) group.push(item);
    else groups.set(itemKey, [item]);
  }
  return groups;
}
