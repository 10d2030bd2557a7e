#!/usr/bin/env -S node --max-semi-space-size=2
// The flag: left alone, V8 grows the main thread's young generation to 16 MiB while it links
// layer files (a garbage-heavy, short-lived stream); 2 MiB semi-spaces keep the whole process of a
// 4 GB host root near 150 MiB at no measured cost (docs/performance.md). Only a flag at start can
// set it; the self-contained launcher (src/install/self-contained.ts) passes the same.
// `cas-migrate --root DIR` must work without a subcommand word: flags first means "migrate".
import { execute } from '@oclif/core';

const args = process.argv.slice(2);
const first = args[0];
const isTopLevel = first === undefined ? false : ['--help', '-h', '--version', '-v', 'help'].includes(first);
if (first !== undefined && first.startsWith('-') && !isTopLevel) args.unshift('migrate');
await execute({ dir: import.meta.url, args });
