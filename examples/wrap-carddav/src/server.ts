/**
 * The CardDAV host with davsync in front of it: the host keeps answering
 * everything it answered before; davsync adds RFC 6578 sync-collection, the
 * sync-token property and sync-token preconditions, and records every
 * change, whether it comes over HTTP or from the host's own import job.
 */
import { createServer, type Server } from 'node:http';
import type { JournalStore } from '@davsync/core';
import { davsyncWrap, type DavsyncWrap } from '@davsync/express';
import { AddressBooks, cardDavHandler } from './carddav-host';

const ADDRESS_DATA = '{urn:ietf:params:xml:ns:carddav}address-data';

export interface CardDavServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly store: AddressBooks;
  readonly sync: DavsyncWrap;
  /** Requests that reached the host's handler, as `METHOD /path`. */
  readonly hostRequests: string[];
  /** The host's import job: writes a card without HTTP and tells davsync. */
  importCard(path: string, vcard: string): Promise<void>;
  /** The host removes a card without HTTP and tells davsync. */
  removeCard(path: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the wrapped server on 127.0.0.1. `store` may already hold data:
 * it is adopted before the first request, so existing address books are
 * syncable at once.
 */
export async function startCardDavServer(options: { port?: number; store?: AddressBooks; journal?: JournalStore } = {}): Promise<CardDavServer> {
  const store = options.store ?? new AddressBooks();
  const hostRequests: string[] = [];
  const host = cardDavHandler(store, hostRequests);

  const sync = davsyncWrap({
    tracked: '/addressbooks/*/*',
    ...(options.journal === undefined ? {} : { journal: options.journal }),
    // Properties of changed cards for sync reports, one batch at a time.
    properties: (members, names) =>
      new Map(
        members.map((m) => {
          const card = store.getCard(m.path);
          return [m.path, card === undefined ? {} : { [ADDRESS_DATA]: names.includes(ADDRESS_DATA) ? card.data : undefined, '{DAV:}getetag': `"${card.etag}"` }];
        }),
      ),
    // Lets davsync adopt an address book it meets for the first time.
    list: (path) => store.below(path),
  });
  await sync.adopt(store.listing());

  const server: Server = createServer((req, res) => sync(req, res, () => host(req, res)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    origin: `http://127.0.0.1:${port}`,
    store,
    sync,
    hostRequests,
    importCard: async (path, vcard) => {
      const etag = store.putCard(path, vcard);
      await sync.record({ path, etag });
    },
    removeCard: async (path) => {
      store.deleteCard(path);
      await sync.record({ path, removed: true });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sync.close();
    },
  };
}
