/**
 * Xandikos (a CardDAV/CalDAV server with RFC 6578 sync, stored in git),
 * started by the test: `xandikos -d ROOT --defaults` on 127.0.0.1 and a free
 * port, which makes the address book /user/contacts/addressbook/. It
 * refuses `sync-level: infinite` (400), so the client syncs it at level 1.
 */
import { join } from 'node:path';
import { answersPropfind, commandMissing, spawnServer } from './spawn-server';

export function xandikosMissing(): string | undefined {
  return commandMissing('xandikos', ['--version'], 'Debian: apt-get install -y xandikos');
}

export interface TestXandikos {
  /** The address book: `http://127.0.0.1:PORT/user/contacts/addressbook/` */
  readonly url: string;
  /** The calendar `--defaults` makes: `http://127.0.0.1:PORT/user/calendars/calendar/` */
  readonly calendar: string;
  close(): Promise<void>;
}

export async function startXandikos(): Promise<TestXandikos> {
  const server = await spawnServer({
    name: 'xandikos',
    tmpPrefix: 'davsync-xandikos-',
    prepare: async (root, port) => ({ command: 'xandikos', args: ['-d', join(root, 'store'), '--defaults', '-l', '127.0.0.1', '-p', String(port)] }),
    ready: (origin) => answersPropfind(`${origin}/user/contacts/addressbook/`),
  });
  const origin = `http://127.0.0.1:${server.port}`;
  return { url: `${origin}/user/contacts/addressbook/`, calendar: `${origin}/user/calendars/calendar/`, close: () => server.close() };
}
