#!/usr/bin/env -S node --max-semi-space-size=64
// A larger young generation: the check allocates millions of short-lived row objects (~12% less CPU).
// Package bin: runs the TypeScript CLI through tsx's loader, so no build step stands between a
// change and the command.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/main.ts');
await runCli(process.argv.slice(2));
