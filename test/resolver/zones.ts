import type { Zone } from '../fixtures/bind.ts';

/** Records shaped like binder's answers (BINDER.md §3), served by real BIND. */
export const COAL: Zone = {
  origin: 'coal.joyent.us',
  minimum: 17,
  records: `
a.moray 30 IN A 10.0.0.1
a.moray 30 IN AAAA fd00::1
b.moray 30 IN A 10.0.0.2
c.moray 30 IN A 10.0.0.3
_moray._tcp.moray 60 IN SRV 0 10 2021 a.moray
_moray._tcp.moray 60 IN SRV 0 10 2022 b.moray
_moray._tcp.moray 60 IN SRV 0 10 2021 c.moray
web 30 IN A 10.0.1.1
web 30 IN A 10.0.1.2
${Array.from({ length: 60 }, (_, i) => `_big._tcp.big 60 IN SRV 0 10 2021 host-${i}.big\nhost-${i}.big 30 IN A 10.1.0.${i + 1}`).join('\n')}
`,
};

export const REVERSE: Zone = {
  origin: '0.0.10.in-addr.arpa',
  records: `
1 30 IN PTR a.moray.coal.joyent.us.
2 30 IN PTR b.moray.coal.joyent.us.
`,
};

export const SRV_NAME = '_moray._tcp.moray.coal.joyent.us';
