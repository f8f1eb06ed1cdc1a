/** Starting an http.Server on a path, an address or a passed file descriptor. */
import type { Server } from 'node:http';

/** Listens; rejects with the listen error (EADDRINUSE, EACCES...). */
export function listenOn(server: Server, target: { path: string } | { host: string; port: number } | { fd: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
