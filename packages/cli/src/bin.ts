#!/usr/bin/env node
console.error('davsync: not implemented yet');
process.exit(1);
