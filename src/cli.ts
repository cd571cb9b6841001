#!/usr/bin/env node
import { main } from './cli/main.ts';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
