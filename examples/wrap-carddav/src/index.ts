import { AddressBooks } from './carddav-host';
import { startCardDavServer } from './server';

const vcard = (uid: string, name: string): string => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${name}\r\nEND:VCARD\r\n`;

// Data the CardDAV host had before davsync was put in front of it.
const store = new AddressBooks();
store.createBook('/addressbooks/alice/contacts');
store.putCard('/addressbooks/alice/contacts/ada.vcf', vcard('ada', 'Ada Lovelace'));
store.putCard('/addressbooks/alice/contacts/alan.vcf', vcard('alan', 'Alan Turing'));

const port = Number(process.env['PORT'] ?? 8080);
startCardDavServer({ port, store }).then(
  ({ origin, close }) => {
    const book = `${origin}/addressbooks/alice/contacts/`;
    console.log(`CardDAV host with davsync in front on ${origin}`);
    console.log(`address book: ${book}`);
    console.log(`try: curl -X REPORT -H 'content-type: application/xml' --data '<sync-collection xmlns="DAV:"><sync-token/><sync-level>1</sync-level><prop><getetag/></prop></sync-collection>' ${book}`);
    const stop = () => void close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (err: NodeJS.ErrnoException) => {
    console.error(`example: cannot listen on port ${port}: ${err.code ?? err.message}`);
    process.exit(1);
  },
);
