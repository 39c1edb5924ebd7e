import type { Server } from 'node:http';
import type { ServerOptions } from './options';

/**
 * How often Node looks for connections past their header or request deadline. Node's default is
 * 30 s, which let a client dribbling its headers keep a connection 27 s past a 10 s deadline; at
 * this interval the deadlines hold to within half a second.
 */
export const CONNECTION_CHECK_MS = 500;

/**
 * Bounds what slow or numerous clients can hold: a deadline for the request head and one for the
 * whole request (checked every CONNECTION_CHECK_MS), and a cap on open connections (past it, a
 * new connection is closed at once, so the process never runs out of file descriptors).
 */
export function limitSlowClients(server: Server, options: Pick<ServerOptions, 'headersTimeoutMs' | 'requestTimeoutMs' | 'maxConnections'>): void {
  server.headersTimeout = options.headersTimeoutMs;
  server.requestTimeout = options.requestTimeoutMs;
  // Read by Node when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = CONNECTION_CHECK_MS;
  server.maxConnections = options.maxConnections;
}
