#!/usr/bin/env node
// `cas-migrate --root DIR` must work without a subcommand word: flags first means "migrate".
import { execute } from '@oclif/core';

const args = process.argv.slice(2);
const first = args[0];
const isTopLevel = first === undefined ? false : ['--help', '-h', '--version', '-v', 'help'].includes(first);
if (first !== undefined && first.startsWith('-') && !isTopLevel) args.unshift('migrate');
await execute({ dir: import.meta.url, args });
