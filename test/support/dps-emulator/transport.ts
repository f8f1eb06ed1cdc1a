/**
 * The DPS emulator's transport: HTTPS on 127.0.0.1 with a throwaway server
 * certificate, asking for a client certificate that the emulator judges itself
 * (against the enrollment, not a CA list), an outage on the same port, and a second
 * listener under a name the certificate does not carry.
 */
import { constants } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Server, createServer } from 'node:https';
import { type AddressInfo, type Server as NetServer, createServer as createNetServer } from 'node:net';

/** The HTTPS listener of one emulator. */
export class EmulatorTransport {
  readonly #server: Server;
  #port = 0;
  readonly #aliases: NetServer[] = [];

  constructor(tls: { readonly certPem: string; readonly keyPem: string }, handle: (req: IncomingMessage, res: ServerResponse) => void) {
    this.#server = createServer(
      {
        cert: tls.certPem,
        key: tls.keyPem,
        // Ask for a client certificate but judge it ourselves, against the enrollment.
        requestCert: true,
        rejectUnauthorized: false,
        // No session tickets: a resumed session does not carry the client's chain.
        secureOptions: constants.SSL_OP_NO_TICKET,
      },
      handle,
    );
  }

  /** "127.0.0.1:PORT". */
  get host(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** Listens on `port` (0: a free one, remembered for later). */
  listen(port = this.#port): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** True while listening. */
  get listening(): boolean {
    return this.#server.listening;
  }

  /** Closes the listener and every connection (clients then get ECONNREFUSED); the port is kept for listen(). */
  close(): Promise<void> {
    if (!this.#server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  /** `127.0.0.2:PORT`: a second listener handing its connections over (a host name the certificate does not name). */
  async misnamedHost(): Promise<string> {
    const alias = createNetServer((socket) => this.#server.emit('connection', socket));
    this.#aliases.push(alias);
    await new Promise<void>((resolve, reject) => {
      alias.once('error', reject);
      alias.listen(0, '127.0.0.2', () => resolve());
    });
    return `127.0.0.2:${(alias.address() as AddressInfo).port}`;
  }

  /** Stops for good: the aliases and the listener. */
  async stop(): Promise<void> {
    for (const alias of this.#aliases.splice(0)) alias.close();
    await this.close();
  }
}
