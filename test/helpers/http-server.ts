/** The stand-in HTTP servers of the tests (fake AWS, fake Slack, store proxies): closed without waiting for idle sockets. */
import type { Server } from 'node:http';

/** Closes `server` now: clients keep sockets alive (the SDK, fetch) and stalled calls would hold close() open. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
