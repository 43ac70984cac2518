import { compactHeap } from '../compact-heap.ts';

/**
 * A full sync of this many nodes or more leaves its thread's heap in debt:
 * at 100k instances the young generation is full of survivors of the sync
 * (the zone being built, the snapshot posted or received) and the old one
 * grew past its limit, so the collections that follow (scavenges of
 * 30–80 ms, a compaction with 150 ms of marking) fell on the first changes
 * after the sync (bench/server-scale.ts: the slowest changes of 100 were
 * the first 5, 20–70 ms, the rest 3–8 ms). Below it the debt is a few ms.
 */
export const SETTLE_MIN_NODES = 10_000;

/**
 * After a first sync of `size` nodes, one compacting collection (compactHeap)
 * while the thread has nothing else to do, instead of at the first changes
 * after it. At 100k instances a thread's committed heap was 2.4x its live
 * objects (341 MB for 209 MB in the main thread, 224 for 95 in each worker;
 * after it, 215 and 93: RSS 876-929 MB became 743). It runs two or more
 * compactions, so it costs the first answer about twice a plain one.
 */
export function settleAfterSync(size: number): void {
  if (size >= SETTLE_MIN_NODES) compactHeap();
}
