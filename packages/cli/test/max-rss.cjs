// Preloaded (NODE_OPTIONS=--require) into a CLI process by a test: on exit, writes the
// process's peak resident memory (KiB) to the file DAVSYNC_MAXRSS_FILE names.
//
// The peak is Linux's VmHWM (/proc/self/status), not getrusage's maxRSS: Linux
// carries the RSS peak of the image an exec replaces into maxRSS, so a process
// spawned (forked, then exec'd) by a large parent reports the parent's size — a
// test's CLI child spawned by a 500 MiB jest worker "peaked" at 500 MiB whatever
// it did itself. VmHWM is the peak of this process's own memory. Elsewhere
// (no /proc) maxRSS is the fallback.
'use strict';
const fs = require('node:fs');
const file = process.env.DAVSYNC_MAXRSS_FILE;

function peakKiB() {
  try {
    const hwm = /^VmHWM:\s*(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {
    // no /proc: below
  }
  return process.resourceUsage().maxRSS;
}

if (file) process.once('exit', () => fs.writeFileSync(file, String(peakKiB())));
