// The three functions of async@3 that node-zookeeper-client calls, for the
// single executable only (sea.ts aliases `async` here): the whole library
// is 225 KB of source that every process held and set up for them.
// test/package/sea-shims.test.ts checks them against async itself and that
// the client calls nothing else.
type Callback = (err?: unknown, ...results: unknown[]) => void;

/** Calls `done` once; a second call is a bug in the caller, as in async. */
function once(done: Callback): Callback {
  let called = false;
  return (...args) => {
    if (called) throw new Error('Callback was already called.');
    called = true;
    done(...args);
  };
}

/** Runs `iteratee` while `test` says so; `callback` gets the last results. */
export function whilst(test: (next: (err: unknown, truth?: unknown) => void) => void, iteratee: (next: Callback) => void, callback: Callback): void {
  const done = once(callback);
  let results: unknown[] = [];
  const check = (err: unknown, truth?: unknown): void => {
    if (err) return done(err);
    if (err === false) return;
    if (!truth) return done(null, ...results);
    iteratee(next);
  };
  const next: Callback = (err, ...rest) => {
    if (err) return done(err);
    results = rest;
    if (err === false) return;
    test(check);
  };
  test(check);
}

/** Each of the first `items.length` items in turn; the first error ends it, `false` ends it silently. */
function series<T>(items: T[], step: (item: T, next: (err?: unknown) => void) => void, finish: (err: unknown) => void): void {
  const done = once(finish);
  const count = items.length; // as async does: items added while it runs are not visited
  let index = 0;
  let settled = false;
  let pending = false;
  let looping = false;
  // A loop rather than recursion, so steps that call back at once do not grow the stack.
  const run = (): void => {
    looping = true;
    while (!settled && !pending && index < count) {
      pending = true;
      step(items[index++]!, stepped);
    }
    looping = false;
    if (!settled && !pending && index >= count) {
      settled = true;
      done(null);
    }
  };
  const stepped = (err?: unknown): void => {
    if (settled) return;
    pending = false;
    if (err === false || err) {
      settled = true;
      if (err) done(err);
      return;
    }
    if (!looping) run();
  };
  run();
}

/** `iteratee` on each item in turn. */
export function eachSeries<T>(items: T[], iteratee: (item: T, next: (err?: unknown) => void) => void, callback: (err?: unknown) => void): void {
  series(items, iteratee, (err) => callback(err));
}

/** Folds `items` into `memo` in turn; `callback` gets the memo, also after an error. */
export function reduce<T, M>(items: T[], memo: M, iteratee: (memo: M, item: T, next: (err?: unknown, memo?: M) => void) => void, callback: (err: unknown, memo: M) => void): void {
  series(items, (item, next) => iteratee(memo, item, (err, value) => { memo = value as M; next(err); }), (err) => callback(err, memo));
}
