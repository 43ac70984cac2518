import t from 'tap';
import { createServer, connect, type Socket } from 'node:net';
import { readJsonLines } from '../src/json-lines.ts';

/** A loopback server that writes `chunks` one by one to whoever connects, then closes. */
async function reader(chunks: string[], maxBuffer?: number): Promise<{ values: unknown[]; errors: unknown[] }> {
  const server = createServer(async (s) => {
    for (const c of chunks) { s.write(c); await new Promise((r) => setTimeout(r, 5)); }
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const values: unknown[] = [];
  const errors: unknown[] = [];
  const socket: Socket = connect(port, '127.0.0.1');
  readJsonLines(socket, (v) => values.push(v), (err) => { errors.push(err); socket.destroy(); }, maxBuffer);
  await new Promise((r) => socket.once('close', r));
  await new Promise((r) => server.close(r));
  return { values, errors };
}

t.test('values split across chunks arrive whole and in order', async (t) => {
  const { values, errors } = await reader(['{"a":', '1}\n{"b":2}\n[3', ']\n']);
  t.same(values, [{ a: 1 }, { b: 2 }, [3]]);
  t.same(errors, []);
});

t.test('a line that is not JSON ends the reading: no later line is delivered', async (t) => {
  const { values, errors } = await reader(['{"a":1}\nnot json\n{"b":2}\n']);
  t.same(values, [{ a: 1 }]);
  t.equal(errors.length, 1);
  t.type(errors[0], SyntaxError);
});

t.test('a complete line that arrives in the same chunk as an overlong one is still delivered', async (t) => {
  const { values, errors } = await reader([`{"a":1}\n${'x'.repeat(50)}`], 32);
  t.same(values, [{ a: 1 }]);
  t.match(errors[0], /more than 32 characters/);
});

t.test('more than maxBuffer characters without a newline end the reading', async (t) => {
  const { values, errors } = await reader(['{"a":1}\n', 'x'.repeat(50)], 32);
  t.same(values, [{ a: 1 }]);
  t.match(errors[0], /more than 32 characters/);
});
