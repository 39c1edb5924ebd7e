/** HTTP headers authdouble itself reads or writes, shared by the server and its clients. */

/** Requests carrying it see their own isolated copy of the state (a "session"). */
export const SESSION_HEADER = 'x-authdouble-session';
