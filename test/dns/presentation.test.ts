import t from 'tap';
import { decodeMessage, rdataText, RecordType } from '../../src/dns/index.ts';

/** A reply to `cmp.test` (question at offset 12) with one answer of `type` whose RDATA is `rdata`. */
function reply(type: number, rdata: number[]): Uint8Array {
  const header = [0x12, 0x34, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0];
  const question = [3, ...Buffer.from('cmp'), 4, ...Buffer.from('test'), 0, type >> 8, type & 0xff, 0, 1];
  const answer = [0xc0, 0x0c, type >> 8, type & 0xff, 0, 1, 0, 0, 0x01, 0x2c, rdata.length >> 8, rdata.length & 0xff, ...rdata];
  return Uint8Array.from([...header, ...question, ...answer]);
}
const label = (s: string) => [s.length, ...Buffer.from(s)];

t.test('names compressed inside RDATA are written out when decoded, then printed as dig prints them', async (t) => {
  const cases: [number, number[], string][] = [
    [RecordType.MX, [0, 10, ...label('mail'), 0xc0, 0x0c], '10 mail.cmp.test.'],
    [RecordType.AFSDB, [0, 1, ...label('afs'), 0xc0, 0x0c], '1 afs.cmp.test.'],
    [RecordType.RP, [...label('admin'), 0xc0, 0x0c, 0xc0, 0x0c], 'admin.cmp.test. cmp.test.'],
    [RecordType.KX, [0, 10, 0xc0, 0x0c], '10 cmp.test.'],
    [RecordType.NAPTR, [0, 100, 0, 10, 1, 0x55, 0, 0, ...label('sip'), 0xc0, 0x0c], '100 10 "U" "" "" sip.cmp.test.'],
  ];
  for (const [type, rdata, text] of cases) {
    const m = decodeMessage(reply(type, rdata));
    t.equal(rdataText(m.answers[0]!), text, `${text}`);
    t.notOk([...('data' in m.answers[0]! ? m.answers[0].data : [])].includes(0xc0), 'no pointer left in the bytes');
  }
});

t.test('RDATA that does not parse as its type is printed in RFC 3597 form, as dig does', async (t) => {
  const m = decodeMessage(reply(RecordType.DS, [0, 1]));
  t.equal(rdataText(m.answers[0]!), '\\# 2 0001');
  const caa = decodeMessage(reply(RecordType.CAA, [0, 9, 0x61]));
  t.equal(rdataText(caa.answers[0]!), '\\# 3 000961', 'a tag length past the end');
  t.throws(() => decodeMessage(reply(RecordType.MX, [0, 10, 0xc0, 40])), { code: 'HERALD_MALFORMED_PACKET' }, 'a pointer loop inside MX');
});
