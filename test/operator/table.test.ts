import t from 'tap';
import { renderTable } from '../../src/operator/table.ts';
import { clock, duration, ordinal } from '../../src/operator/format.ts';

t.test('columns aligned on text width, two spaces apart, no trailing blanks', async (t) => {
  const out = renderTable(['A', 'LONGER'], [['xyz', 'b'], ['p', { text: 'yes', color: 'green' }]], { color: false });
  t.equal(out, 'A    LONGER\nxyz  b\np    yes\n');
});

t.test('colour only when asked, and colour codes never count toward width', async (t) => {
  const rows = [[{ text: 'yes', color: 'green' as const }, 'x'], ['no', 'y']];
  const plain = renderTable(['H', 'I'], rows, { color: false });
  const coloured = renderTable(['H', 'I'], rows, { color: true });
  t.notMatch(plain, /\u001b/);
  t.match(coloured, '\u001b[32myes\u001b[0m  x');
  t.equal(coloured.replace(/\u001b\[\d+m/g, ''), plain, 'same layout once the codes are stripped');
});

t.test('time formats', async (t) => {
  t.equal(duration(41_000), '41 s');
  t.equal(duration(40_001), '41 s', 'rounded up: "0 s left" means done');
  t.equal(duration(-5), '0 s');
  t.equal(duration(185_000), '3 min 5 s');
  t.equal(duration(7_440_000), '2 h 4 min');
  t.equal(ordinal(1), '1st'); t.equal(ordinal(3), '3rd'); t.equal(ordinal(11), '11th'); t.equal(ordinal(22), '22nd');
  t.match(clock(Date.UTC(2026, 0, 1, 12, 1, 3)), /^\d\d:01:03$/);
});
