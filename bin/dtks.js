#!/usr/bin/env -S node --max-semi-space-size=32
// A larger young generation: the check allocates millions of short-lived row objects. 32 MB semi-spaces are as
// fast as 64 now that the proposal is read once (4.36 s against 4.40, median of 8), with ~70 MB less peak RSS.
// Package bin: runs the TypeScript CLI through tsx's loader, so no build step stands between a
// change and the command.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/main.ts');
await runCli(process.argv.slice(2));
