/**
 * Radicale (Debian 3.x), started by the test: `radicale --config FILE` on
 * 127.0.0.1 and a free port, `auth type = none` (its rights then let anyone
 * read and write), over a temporary store holding an address book
 * /user/contacts/ (and a spare one, /user/spare/) and a calendar
 * /user/calendar/ — made by writing their
 * `.Radicale.props` before start, as bench/peers/servers.js does.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { answersPropfind, commandMissing, spawnServer } from './spawn-server';

export function radicaleMissing(): string | undefined {
  return commandMissing('radicale', ['--version'], 'Debian: apt-get install -y radicale');
}

export interface TestRadicale {
  /** `http://127.0.0.1:PORT/user/contacts/` */
  readonly addressBook: string;
  /** `http://127.0.0.1:PORT/user/calendar/` */
  readonly calendar: string;
  /** A second, empty address book: `http://127.0.0.1:PORT/user/spare/` */
  readonly spareAddressBook: string;
  close(): Promise<void>;
}

export async function startRadicale(): Promise<TestRadicale> {
  const server = await spawnServer({
    name: 'radicale',
    tmpPrefix: 'davsync-radicale-',
    prepare: async (root, port) => {
      const collections = join(root, 'store', 'collection-root', 'user');
      for (const [name, tag] of [['contacts', 'VADDRESSBOOK'], ['calendar', 'VCALENDAR'], ['spare', 'VADDRESSBOOK']] as const) {
        await mkdir(join(collections, name), { recursive: true });
        await writeFile(join(collections, name, '.Radicale.props'), JSON.stringify({ tag }));
      }
      const config = join(root, 'radicale.conf');
      await writeFile(
        config,
        ['[server]', `hosts = 127.0.0.1:${port}`, '[auth]', 'type = none', '[rights]', 'type = authenticated', '[storage]', `filesystem_folder = ${join(root, 'store')}`, '[logging]', 'level = warning', ''].join('\n'),
      );
      return { command: 'radicale', args: ['--config', config] };
    },
    ready: (origin) => answersPropfind(`${origin}/user/contacts/`),
  });
  const origin = `http://127.0.0.1:${server.port}`;
  return {
    addressBook: `${origin}/user/contacts/`,
    calendar: `${origin}/user/calendar/`,
    spareAddressBook: `${origin}/user/spare/`,
    close: () => server.close(),
  };
}
