// beanstalkd's one worker for bench/compare.sh: a single Node process with --concurrency connections,
// each reserving a job from the 'works' tube, computing the iterated SHA-512 of its body, putting
// "<job id> <hex digest>" into the 'results' tube and then deleting the job. Result first, delete
// second: a worker that dies in between leaves a duplicate result, never a lost one (the driver
// ignores a second result for an id). Both writes go to the binlog, fsync'd with -f 0.
//
// Concurrency: a beanstalkd connection holds one reserve at a time, and each job costs two fsync'd
// round trips, so one connection would leave Node idle; a user tuning for short jobs opens more,
// as Swell's worker leases many works at once. compare.sh passes 64 unless told otherwise.
import Jackd from 'jackd';
import { options, sha512Chain } from './common.mjs';

const opt = options();

async function work() {
  const c = new Jackd();
  await c.connect({ host: '127.0.0.1', port: opt.port });
  await c.use('results');
  await c.watch('works');
  await c.ignore('default');
  return async () => {
    for (;;) {
      const { id, payload } = await c.reserve();
      const space = payload.indexOf(0x20);
      const iterations = Number(payload.subarray(0, space).toString('ascii'));
      await c.put(`${id} ${sha512Chain(payload.subarray(space + 1), iterations)}`);
      await c.delete(id);
    }
  };
}

const loops = await Promise.all(Array.from({ length: opt.concurrency }, work));
console.log(`ready: beanstalkd worker, ${opt.concurrency} connections`);
await Promise.all(loops.map((loop) => loop()));
