/** How long each request of a contract check may take by default, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 10_000;
