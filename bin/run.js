#!/bin/sh
":" //; exec node --max-semi-space-size=2 "$0" "$@"
// Run as a program, the two lines above are sh and start Node with a flag; Node reads the second
// as a string and a comment. (`#!/usr/bin/env -S node --flag` needs coreutils 8.30, which the
// CentOS 7, Debian 9 and Ubuntu 16.04/18.04 hosts this tool is for do not have.) The flag: left
// alone, V8 grows the main thread's young generation to 16 MiB while it links layer files (a
// garbage-heavy, short-lived stream); 2 MiB semi-spaces keep the whole process of a 4 GB host
// root under 150 MiB at no measured cost (docs/performance.md). Only a flag at start can set it;
// the self-contained launcher (src/install/self-contained.ts) passes the same. `node bin/run.js`
// works as well, without it.
// oclif checks Node against its own package's engines at import, with semver (≈ 10 ms of every
// start); package.json's engines already says which Node this tool needs.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
// The bundled CLI (scripts/bundle.js): one file to load instead of a few hundred.
const { execute } = await import('../dist/bundle/cli.js');

const args = process.argv.slice(2);
const first = args[0];
const isTopLevel = first === undefined ? false : ['--help', '-h', '--version', '-v', 'help'].includes(first);
if (first !== undefined && first.startsWith('-') && !isTopLevel) args.unshift('migrate');
await execute({ dir: import.meta.url, args });
