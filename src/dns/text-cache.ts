/*
 * Strings the decoder hands out again and again — the same owner names,
 * SRV targets and addresses in reply after reply — kept in two small
 * direct-mapped tables, so that a name or an address seen before costs a
 * hash and a compare instead of a new string (and, for names, a call out to
 * C++). Every hit is checked in full: a collision only costs a new string.
 * Bounded: each table holds at most its slot count of entries.
 */
import type { Buffer } from 'node:buffer';

const NAME_SLOTS = 1024;
const names: (string | undefined)[] = new Array<string | undefined>(NAME_SLOTS).fill(undefined);

/** The hash `hashedTextOf` keys by, one byte at a time: `h = textHashStep(h, byte)` from `h = 0`. */
export function textHashStep(h: number, byte: number): number {
  return (Math.imul(h, 31) + byte) | 0;
}

/**
 * The string of the ASCII bytes `text[0..n)`, the cached one when the same
 * text was seen before; `h` is their hash (`textHashStep` over them), which
 * the decoder computes while it writes them.
 */
export function hashedTextOf(text: Buffer, n: number, h: number): string {
  if (n === 0) return '';
  h = (h + n) | 0;
  const slot = (h ^ (h >>> 15)) & (NAME_SLOTS - 1);
  const known = names[slot];
  if (known !== undefined && known.length === n) {
    let i = 0;
    while (i < n && known.charCodeAt(i) === text[i]) i++;
    if (i === n) return known;
  }
  const fresh = text.toString('latin1', 0, n);
  names[slot] = fresh;
  return fresh;
}

const ADDRESS_SLOTS = 512;
const addressKeys = new Float64Array(ADDRESS_SLOTS).fill(-1);
const addresses: string[] = new Array<string>(ADDRESS_SLOTS).fill('');

/** Dotted-quad text of the 4 bytes at `at`. */
export function ipv4Text(buf: Uint8Array, at: number): string {
  const key = ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
  const slot = Math.imul(key, 0x9e3779b1) >>> 23; // top 9 bits: 512 slots
  if (addressKeys[slot] === key) return addresses[slot]!;
  const text = `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
  addressKeys[slot] = key;
  addresses[slot] = text;
  return text;
}
