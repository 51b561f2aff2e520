// BullMQ's side of bench/compare.sh, as a BullMQ user writes it: one Queue object whose `queue.add`
// calls go out concurrently (ioredis pipelines them on the Queue's one connection).
//
//   enqueue: --clients adds in flight, --warmup s uncounted, then --duration s counted; jobs/s
//            acknowledged (Redis answers once the job is in its AOF, fsync'd with appendfsync always).
//   e2e:     --works jobs added by --clients loops while one bullmq-worker.mjs process consumes them;
//            results come back through QueueEvents ('completed' carries the return value). Completed
//            jobs/s from the first add to the last result, after --warmup-works uncounted the same way.
import { Queue, QueueEvents } from 'bullmq';
import { giveUpAfterLimit, makeBodies, options, report, Round, timedLoops } from './common.mjs';

const QUEUE = 'swell-bench'; // bullmq-worker.mjs consumes the same queue

const opt = options();
giveUpAfterLimit(opt);
const connection = { host: '127.0.0.1', port: opt.port, maxRetriesPerRequest: null };
const { bodies, expected } = makeBodies(opt.bodyBytes, opt.iterations);
// End to end, results come back through the events stream. BullMQ trims it to about 10,000 events
// by default (a few per job), so a listener that fell behind would lose results: keep every event of
// the run. Enqueue only keeps BullMQ's default.
const streams = opt.mode === 'e2e' ? { events: { maxLen: 10 * (opt.works + opt.warmupWorks) + 10000 } } : undefined;
const queue = new Queue(QUEUE, { connection, streams });
await queue.waitUntilReady();
const add = async (i) => (await queue.add('sha512', { iterations: opt.iterations, body: bodies[i % bodies.length] })).id;

if (opt.mode === 'enqueue') {
  report(await timedLoops(opt.clients, opt.warmupS, opt.durationS, add));
} else if (opt.mode === 'e2e') {
  // The script gives each run a fresh Redis, so reading the stream from its start misses nothing.
  const events = new QueueEvents(QUEUE, { connection, lastEventId: '0' });
  await events.waitUntilReady();
  let round = null;
  events.on('completed', ({ jobId, returnvalue }) => round?.record(jobId, returnvalue));
  if (opt.warmupWorks > 0) {
    round = new Round(opt.warmupWorks, expected);
    const warm = await round.run(opt.clients, add, opt.timeoutS);
    if (warm.missing || warm.wrong || warm.errors) report({ ...warm, phase: 'warm-up' });
  }
  round = new Round(opt.works, expected);
  report(await round.run(opt.clients, add, opt.timeoutS));
} else {
  throw new Error(`usage: bullmq.mjs enqueue|e2e --port P [...]; got ${opt.mode}`);
}
