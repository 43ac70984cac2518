#!/bin/sh
# A singleton job's stand-in: appends "<ms> start|work|stop <token> <instance> <pid> <ppid>"
# lines to $LEASE_LOG, one "work" every 50 ms, WORK_UNITS times (default: until stopped).
# Its parent (ppid) is the lease watchdog.
log() { echo "$(date +%s%3N) $1 $HERALD_LEASE_TOKEN $HERALD_LEASE_INSTANCE $$ $PPID" >> "$LEASE_LOG"; }
trap 'log stop; exit 0' TERM
log start
n=0
while [ "$n" -lt "${WORK_UNITS:-100000}" ]; do log work; sleep 0.05; n=$((n + 1)); done
log stop
