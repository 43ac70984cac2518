import { setFlagsFromString } from 'node:v8';

// A sidecar runs in every zone for as long as the zone does, and all it does
// is one health check a second and a ZooKeeper ping: nothing in it gets hot
// enough to pay back V8's optimising compilers, yet their code and working
// memory are most of what it costs over an idle Node (issue 16: ~9 MB of RSS
// a zone). `--lite-mode` and `--jitless` would do it from the command line,
// but Node refuses them in NODE_OPTIONS and a single executable would take
// them for `herald serve` too. These tiers are read each time a function
// would be tiered up, so turning them off from inside, before anything is
// hot, works per subcommand.
// bin/herald.js sets them itself before it imports anything (it says why).
export const NO_OPTIMISING_TIERS = ['--no-turbofan', '--no-maglev', '--no-sparkplug'];

/** Ignition only, from now on, in this process. Called before the sidecar's modules load. */
export function interpretOnly(): void {
  for (const flag of NO_OPTIMISING_TIERS) setFlagsFromString(flag);
}
