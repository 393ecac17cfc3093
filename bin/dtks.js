#!/usr/bin/env node
// Package bin: runs the TypeScript CLI through tsx's loader, so no build step stands between a
// change and the command.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
