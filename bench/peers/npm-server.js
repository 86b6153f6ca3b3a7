#!/usr/bin/env node
// One npm peer serving ROOT on 127.0.0.1 in its own process, so its memory can
// be read from /proc/PID/status:
//   node bench/peers/npm-server.js nephele ROOT
//        nephele (Express 5 app) + @nephele/adapter-file-system over ROOT,
//        @nephele/authenticator-none (no authentication), default options
//        (etags from size and times, not contents: the adapter's default).
//   node bench/peers/npm-server.js webdav-server ROOT
//        webdav-server v2: a PhysicalFileSystem over ROOT mounted at /, no
//        authentication (its default: anonymous user with every privilege).
// The modules come from bench/peers/.peers/ (see install.js). Prints
// `ready PORT` when listening.
'use strict';
const http = require('node:http');
const path = require('node:path');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');
const { DIR } = require('./install');

const [kind, root] = process.argv.slice(2);
const peerRequire = createRequire(path.join(DIR, 'package.json'));
const load = async (name) => (await import(pathToFileURL(peerRequire.resolve(name)).href)).default;

async function nephele() {
  const express = await load('express');
  const nepheleServer = await load('nephele');
  const FileSystemAdapter = await load('@nephele/adapter-file-system');
  const NoAuthenticator = await load('@nephele/authenticator-none');
  const app = express();
  app.use('/', nepheleServer({ adapter: new FileSystemAdapter({ root }), authenticator: new NoAuthenticator() }));
  return http.createServer(app);
}

async function webdavServer() {
  const { v2: webdav } = peerRequire('webdav-server');
  const server = new webdav.WebDAVServer({});
  await new Promise((resolve, reject) =>
    server.setFileSystem('/', new webdav.PhysicalFileSystem(root), (ok) => (ok ? resolve() : reject(new Error('setFileSystem failed')))),
  );
  // Its own start() binds every interface; serve its request handler on loopback instead.
  return http.createServer((req, res) => server.executeRequest(req, res));
}

(async () => {
  const server = kind === 'nephele' ? await nephele() : kind === 'webdav-server' ? await webdavServer() : null;
  if (!server) throw new Error(`unknown peer ${kind}`);
  server.keepAliveTimeout = 60_000;
  server.requestTimeout = 0;
  process.once('SIGTERM', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
