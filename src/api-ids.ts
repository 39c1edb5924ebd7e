/** The ids of the APIs authdouble serves, as types: `startMock().urls.b2core` is a `string`. */
export const API_IDS = ['b2core', 'fib', 'vault', 'khe', 'sama'] as const;
export type ApiId = (typeof API_IDS)[number];
