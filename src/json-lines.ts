import type { Socket } from 'node:net';

/**
 * Reads newline-delimited JSON from `socket`: `onValue` gets each line's
 * value in order. A line that is not JSON, a throw from `onValue`, or more
 * than `maxBuffer` characters waiting to be split ends the reading: `onInvalid`
 * gets the error, and no later line is delivered.
 */
export function readJsonLines(
  socket: Socket,
  onValue: (value: unknown) => void,
  onInvalid: (err: unknown) => void,
  maxBuffer = Infinity,
): void {
  let buffered = '';
  let ended = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    if (ended) return;
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        onValue(JSON.parse(line));
      } catch (err) {
        ended = true;
        onInvalid(err);
        return;
      }
    }
    // Only what is left after the complete lines counts: the lines that came in the same chunk as an
    // overlong one are delivered first, wherever the sender's writes happened to be split or joined.
    if (buffered.length > maxBuffer) {
      ended = true;
      onInvalid(new RangeError(`more than ${maxBuffer} characters without a complete line`));
    }
  });
}
