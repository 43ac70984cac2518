// Packages that ship no types and have no @types; used only by tests and benchmarks.
declare module 'dns2';
declare module 'cueball';
declare module 'node-dig-dns';
