import { run } from './action/main.ts';

// Exit explicitly: a stage told to stop may leave sockets or timers behind.
run().then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
