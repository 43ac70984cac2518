// Runs inside a network namespace with only loopback up (see
// unroutable.test.ts): 10.9.9.9 and 2001:db8::1 have no route. Prints one
// JSON line with what each lookup did.
import { RecordType } from '../../src/dns/index.ts';
import { lookup } from '../../src/index.ts';
import { replyTo, ScriptedServer } from './scripted.ts';

const local = await ScriptedServer.start((q) => [replyTo(q, { answers: [{ name: q.questions[0]!.name, type: RecordType.A, class: 1, ttl: 5, address: '192.0.2.7' }] })]);
const out: Record<string, unknown> = {};
const t0 = performance.now();
const next = await lookup('svc.example.test', 'A', { nameservers: ['10.9.9.9', '[2001:db8::1]', local.nameserver], timeoutMs: 2000, tries: 1 });
out.next = { nameserver: next.nameserver, answers: next.answers.length, ms: performance.now() - t0 };
const failed = await lookup('svc.example.test', 'A', { nameservers: ['10.9.9.9', '[2001:db8::1]:5353'], timeoutMs: 2000, tries: 2, backoffMs: 10 }).catch((e: Error & { code?: string; attempts?: unknown }) => e);
out.failed = failed instanceof Error ? { code: failed.code, message: failed.message, attempts: failed.attempts } : 'answered';
local.close();
console.log(JSON.stringify(out));
