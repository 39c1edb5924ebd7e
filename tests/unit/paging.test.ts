import { firstInOrder } from '../../src/admin/paging';

describe('firstInOrder: the first k items in order, without sorting them all', () => {
  const byNumber = (a: number, b: number) => a - b;
  // Shuffled with a fixed seed, so a failure comes back the same.
  const shuffled = (n: number) => {
    const items = Array.from({ length: n }, (_, i) => i);
    let seed = 7;
    for (let i = n - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const j = seed % (i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  };

  it.each([
    ['many more than k, shuffled', shuffled(5000), 1000],
    ['many more than k, ascending', Array.from({ length: 5000 }, (_, i) => i), 10],
    ['many more than k, descending', Array.from({ length: 5000 }, (_, i) => 4999 - i), 10],
    ['fewer than 2k', shuffled(30), 20],
    ['fewer than k', shuffled(5), 20],
  ])('%s', (_name, items, k) => {
    const expected = [...items].sort(byNumber).slice(0, k);
    expect(firstInOrder([...items], k, byNumber)).toEqual(expected);
  });

  it('keeps ties in the order of the comparator and gives nothing for k = 0', () => {
    const items = shuffled(3000).map((n) => ({ n: n % 7, id: n }));
    const compare = (a: { n: number; id: number }, b: { n: number; id: number }) => a.n - b.n || a.id - b.id;
    expect(firstInOrder([...items], 50, compare)).toEqual([...items].sort(compare).slice(0, 50));
    expect(firstInOrder([...items], 0, compare)).toEqual([]);
  });
});
