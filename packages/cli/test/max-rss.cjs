// Preloaded (NODE_OPTIONS=--require) into a CLI process by a test: on exit, writes the
// process's peak resident memory (KiB, from getrusage) to the file DAVSYNC_MAXRSS_FILE names.
'use strict';
const file = process.env.DAVSYNC_MAXRSS_FILE;
if (file) process.once('exit', () => require('node:fs').writeFileSync(file, String(process.resourceUsage().maxRSS)));
