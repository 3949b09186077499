// The child of bench-eval's IPC round-trip figure: echoes every message, polling like a sandbox child.
import { hotLoop } from '../src/chain/sandbox/hot-loop.ts';

const keepHot = hotLoop(1);
process.on('message', (message) => {
  process.send!(message);
  keepHot();
});
