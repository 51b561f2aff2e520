// beanstalkd's side of bench/compare.sh, with the jackd client. jackd keeps one command in flight per
// connection, so 64 in flight means 64 connections (no pipelining).
//
//   enqueue: --clients connections putting jobs into the 'works' tube, --warmup s uncounted, then
//            --duration s counted; jobs/s acknowledged (beanstalkd answers INSERTED after writing the
//            job to its binlog, and with -f 0 after an fsync of it).
//   e2e:     --works jobs put by --clients connections while one beanstalkd-worker.mjs process consumes
//            them. beanstalkd has no result store, so the worker puts each result as a job into the
//            'results' tube, and this driver reserves and deletes them there on --clients connections,
//            as a beanstalkd user collects results. Completed jobs/s from the first put to the last
//            result, after --warmup-works uncounted the same way.
//
// A job's payload is "<iterations> <body>"; a result's is "<job id> <hex digest>".
import Jackd from 'jackd';
import { giveUpAfterLimit, makeBodies, options, report, Round, timedLoops } from './common.mjs';

const opt = options();
giveUpAfterLimit(opt);
const { bodies, expected } = makeBodies(opt.bodyBytes, opt.iterations);
// Strings, not Buffers: jackd 2.2.2's put sends a Buffer as JSON ({"type":"Buffer",...}), 4x the bytes.
const payloads = bodies.map((b) => `${opt.iterations} ${b}`);

async function connection({ use, watch }) {
  const c = new Jackd();
  await c.connect({ host: '127.0.0.1', port: opt.port });
  if (use) await c.use(use);
  if (watch) {
    await c.watch(watch);
    await c.ignore('default');
  }
  return c;
}

const putters = await Promise.all(Array.from({ length: opt.clients }, () => connection({ use: 'works' })));
// Loop c of the drivers puts on connection c only: jackd must not have two commands in flight on one.
const put = (i, c) => putters[c].put(payloads[i % payloads.length]);

if (opt.mode === 'enqueue') {
  report(await timedLoops(opt.clients, opt.warmupS, opt.durationS, put));
} else if (opt.mode === 'e2e') {
  let round = null;
  const collect = async (c) => {
    for (;;) {
      const { id, payload } = await c.reserve();
      const text = payload.toString('ascii');
      const space = text.indexOf(' ');
      await c.delete(id);
      round?.record(text.slice(0, space), text.slice(space + 1));
    }
  };
  const collectors = await Promise.all(Array.from({ length: opt.clients }, () => connection({ watch: 'results' })));
  collectors.forEach((c) => collect(c).catch((e) => console.error(`beanstalkd results: ${e.message}`)));
  if (opt.warmupWorks > 0) {
    round = new Round(opt.warmupWorks, expected);
    const warm = await round.run(opt.clients, put, opt.timeoutS);
    if (warm.missing || warm.wrong || warm.errors) report({ ...warm, phase: 'warm-up' });
  }
  round = new Round(opt.works, expected);
  report(await round.run(opt.clients, put, opt.timeoutS));
} else {
  throw new Error(`usage: beanstalkd.mjs enqueue|e2e --port P [...]; got ${opt.mode}`);
}
