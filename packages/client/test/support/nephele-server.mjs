// A nephele WebDAV server (npm `nephele`, file-system adapter, no
// authentication) on 127.0.0.1, for the tests: `node nephele-server.mjs
// ROOT PORT`. An ES module run as its own process, because nephele and
// its adapters are published as ES modules only and jest runs CommonJS.
import express from 'express';
import nepheleServer from 'nephele';
import FileSystemAdapter from '@nephele/adapter-file-system';
import NoneAuthenticator from '@nephele/authenticator-none';

const [root, port] = process.argv.slice(2);
const app = express();
app.use('/', nepheleServer({ adapter: new FileSystemAdapter({ root }), authenticator: new NoneAuthenticator() }));
const server = app.listen(Number(port), '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
