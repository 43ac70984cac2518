import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Bind, type Zone } from '../fixtures/bind.ts';
import { herald } from './dig-run.ts';

// One record (or two) of every common type, served by real BIND and printed by real dig:
// `herald dig` must print each exactly as dig does, +short and full.
const CMP: Zone = { origin: 'cmp.test', records: `
@ 300 IN MX 10 mail
@ 300 IN MX 20 mail.other.example.
@ 300 IN CAA 0 issue "letsencrypt.org"
@ 300 IN CAA 128 iodef "mailto:sec@cmp.test"
@ 300 IN CAA 0 issuewild ";"
naptr 300 IN NAPTR 100 10 "U" "E2U+sip" "!^.*$!sip:info@cmp.test!" .
naptr 300 IN NAPTR 102 10 "S" "SIP+D2T" "" _sip._tcp.cmp.test.
ds 300 IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118
ds 300 IN DS 60485 8 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A
key 300 IN DNSKEY 257 3 8 AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjFFVQUTf6v58fLjwBd0YI0EzrAcQqBGCzh/RStIoO8g0NfnfL2MTJRkxoXbfDaUeVPQuYEhg37NZWAJQ9VnMVDxP/VHL496M/QZxkjf5/Efucp2gaDX6RS6CXpoY68LsvPVjR0ZSwzz1apAzvN9dlzEheX7ICJBBtuA6G3LQpzW5hOA2hzCTMjJPJ8LbqF6dsV6DoBQzgul0sGIcGOYl7OyQdXfZ57relSQageu+ipAdTTJ25AsRTAoub8ONGcLmqrAmRLKBP1dfwhYB4N7knNnulqQxA+Uk1ihz0=
key 300 IN DNSKEY 256 3 13 oJMRESz5E4gYzS/q6XDrvU1qMPYIjCWzJaOau8XNEZeqCYKD5ar0IRd8KqXXFJkqmVfRvMGPmM1x8fGAa2XhSA==
hinfo 300 IN HINFO "PC-Intel-700mhz" "Linux 2.6"
txt 300 IN TXT "v=spf1 -all" "second \\"quoted\\" part"
txt 300 IN TXT "tab\\009and;semicolon" "caf\\195\\169"
sshfp 300 IN SSHFP 4 2 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6
_443._tcp.tlsa 300 IN TLSA 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6
smimea 300 IN SMIMEA 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6
sig 300 IN A 10.0.0.9
sig 300 IN RRSIG A 13 3 300 20261231000000 20261201000000 12345 cmp.test. oJMRESz5E4gYzS/q6XDrvU1qMPYIjCWzJaOau8XNEZeqCYKD5ar0IRd8KqXXFJkqmVfRvMGPmM1x8fGAa2XhSA==
ptr 300 IN PTR host.cmp.test.
alias 300 IN CNAME sig
a6 300 IN AAAA 2001:db8::1
uri 300 IN URI 10 1 "ftp://ftp1.example.com/public"
unk 300 IN TYPE65280 \\# 4 0A000001
unk 300 IN TYPE65280 \\# 40 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021222324252627
nsec 300 IN NSEC host.cmp.test. A MX RRSIG NSEC TYPE1234
loc 300 IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
loc 300 IN LOC 42 21 54.5 S 71 6 18.25 W 24.5m 30m
rp 300 IN RP admin.cmp.test. txt.cmp.test.
afsdb 300 IN AFSDB 1 afs.cmp.test.
kx 300 IN KX 10 kx.cmp.test.
dname 300 IN DNAME other.example.
eui 300 IN EUI48 00-00-5e-00-53-2a
eui64 300 IN EUI64 00-00-5e-ef-10-00-00-2a
spf 300 IN SPF "v=spf1 -all"
svcb 300 IN SVCB 1 . alpn=h2,h3 port=8443 ipv4hint=192.0.2.1
https 300 IN HTTPS 1 . alpn=h2 ipv6hint=2001:db8::1
cert 300 IN CERT PGP 0 0 AAAA
ipseckey 300 IN IPSECKEY 10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==
dhcid 300 IN DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=
nsec3param 300 IN NSEC3PARAM 1 0 10 AABBCCDD
openpgp 300 IN OPENPGPKEY AAAA
cds 300 IN CDS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118
zonemd 300 IN ZONEMD 2018031500 1 1 FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B641A47BA7FED2DD5B97AE499FAFA4F22C6BD647DE
csync 300 IN CSYNC 66 3 A NS AAAA
` };
const QUERIES: [string, string][] = [
  ['MX', 'cmp.test'], ['CAA', 'cmp.test'], ['ANY', 'cmp.test'], ['SOA', 'cmp.test'], ['NS', 'cmp.test'],
  ['NAPTR', 'naptr.cmp.test'], ['DS', 'ds.cmp.test'], ['DNSKEY', 'key.cmp.test'], ['HINFO', 'hinfo.cmp.test'],
  ['TXT', 'txt.cmp.test'], ['SSHFP', 'sshfp.cmp.test'], ['TLSA', '_443._tcp.tlsa.cmp.test'], ['SMIMEA', 'smimea.cmp.test'],
  ['RRSIG', 'sig.cmp.test'], ['ANY', 'sig.cmp.test'], ['PTR', 'ptr.cmp.test'], ['A', 'alias.cmp.test'], ['CNAME', 'alias.cmp.test'],
  ['AAAA', 'a6.cmp.test'], ['URI', 'uri.cmp.test'], ['TYPE65280', 'unk.cmp.test'], ['NSEC', 'nsec.cmp.test'],
  ['LOC', 'loc.cmp.test'], ['RP', 'rp.cmp.test'], ['AFSDB', 'afsdb.cmp.test'], ['KX', 'kx.cmp.test'], ['DNAME', 'dname.cmp.test'],
  ['EUI48', 'eui.cmp.test'], ['EUI64', 'eui64.cmp.test'], ['SPF', 'spf.cmp.test'], ['SVCB', 'svcb.cmp.test'], ['HTTPS', 'https.cmp.test'],
  ['CERT', 'cert.cmp.test'], ['IPSECKEY', 'ipseckey.cmp.test'], ['DHCID', 'dhcid.cmp.test'], ['NSEC3PARAM', 'nsec3param.cmp.test'],
  ['OPENPGPKEY', 'openpgp.cmp.test'], ['CDS', 'cds.cmp.test'], ['ZONEMD', 'zonemd.cmp.test'], ['CSYNC', 'csync.cmp.test'],
];

const run = promisify(execFile);
const bind = await Bind.start([CMP]);
t.teardown(() => bind.stop());
const at = ['@127.0.0.1', '-p', String(bind.port)];
const realDig = async (args: string[]) => (await run('dig', [...at, '+norec', ...args])).stdout;
const sorted = (text: string) => text.split('\n').filter(Boolean).sort();
const answerSection = (text: string) => sorted(/;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(text)?.[1] ?? '');

t.test('+short: every type exactly as dig prints it', async (t) => {
  for (const [type, name] of QUERIES) {
    const theirs = await realDig(['+short', type, name]);
    const ours = await herald(['dig', ...at, '+short', type, name]);
    t.not(theirs.trim(), '', `dig has an answer for ${type} ${name}`);
    t.same(sorted(ours.stdout), sorted(theirs), `${type} ${name}`);
    t.equal(ours.code, 0, `exit 0 for ${type} ${name} (${ours.stderr.trim()})`);
  }
});

t.test('full output: the answer section line for line, columns included', async (t) => {
  for (const [type, name] of QUERIES) {
    const theirs = answerSection(await realDig([type, name]));
    const ours = answerSection((await herald(['dig', ...at, type, name])).stdout);
    t.same(ours, theirs, `${type} ${name}`);
  }
});
