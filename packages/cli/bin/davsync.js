#!/usr/bin/env node
// The installed `davsync` command. A committed shim rather than dist/bin.js
// itself: npm links bins before the `prepare` build runs, and tsc output is
// not executable; this file is both present and executable from the start.
'use strict';
require('../dist/bin.js');
