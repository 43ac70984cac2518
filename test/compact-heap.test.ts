import t from 'tap';
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { compactHeap } from '../src/compact-heap.ts';

t.test('compactHeap collects what a burst of work left and gives its pages back, in the main thread and in a worker', async (t) => {
  let garbage: unknown[] | undefined = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `node ${i}` }));
  t.equal(garbage.length, 300_000);
  garbage = undefined;
  const before = getHeapStatistics().total_heap_size;
  compactHeap();
  compactHeap();
  const after = getHeapStatistics().total_heap_size;
  t.ok(after < before, `committed heap ${(before / 2 ** 20).toFixed(0)} MB → ${(after / 2 ** 20).toFixed(0)} MB`);
  // A worker started after the flag was set has `gc` as a global: compactHeap takes that one.
  const url = new URL('../src/compact-heap.ts', import.meta.url).href;
  const worker = new Worker(`import(${JSON.stringify(url)}).then((m) => { m.compactHeap(); m.compactHeap(); require('node:worker_threads').parentPort.postMessage('settled'); });`, { eval: true });
  t.equal(await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); }), 'settled');
  await worker.terminate();
});
