// bench:eval's model server in a process of its own, as a real provider is: its timers and HTTP work
// then neither wait for nor add to the evaluating process's event loop. Prints its URL, serves until
// killed; answers a 'stats' message with its own event-loop delay (ms), how late its answers can be.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startFakeOpenAI } from '../test/fixtures/fake-openai.ts';

const latencyMs = Number(process.argv[2]);
const server = await startFakeOpenAI({ latencyMs, respond: () => ({ text: 'Paris' }) });
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
process.on('message', () =>
  process.send!({ p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 }),
);
console.log(server.url);
