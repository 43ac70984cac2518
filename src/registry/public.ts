export * from './errors.ts';
export { domainToPath, pathToDomain, parentPath, childPath, ancestors, isUnder, validatePath } from './path.ts';
export {
  HOST_TYPES, SERVICE_MEMBER_TYPES, parseRecord, recordFromJson, serviceRecordJson, hostRecordJson, isServiceMember, memberPorts,
  type HostType, type HostRecord, type ServiceRecord, type DatabaseRecord, type UnknownRecord, type RegistryRecord, type ServiceRegistration,
} from './records.ts';
export { DEFAULT_TTL, hostTtl, serviceTtl, targetTtl, serviceAddressTtl } from './ttl.ts';
export type { Store, StoreEvents, Mirror, MirrorEvents, SessionState, NodeData, Snapshot, SnapshotNode, SnapshotDelta } from './store.ts';
export { parseConnectString, type ConnectString } from './connect-string.ts';
export { MemoryRegistry, MemoryStore } from './store-memory.ts';
export { ZooKeeperStore, type ZooKeeperStoreOptions } from './store-zookeeper.ts';
export { openStore, openMemoryStore, type MemoryStoreOptions, type OpenedMemoryStore } from './open.ts';
export { MemoryRegistryServer } from './store-memory-server.ts';
export { RemoteStore } from './store-remote.ts';
export { Credentials, CredentialsFileError, readCredentialsFile, digestId } from './credentials.ts';
export { aclFor, type AclEntry, type AclPolicy, type NodeKind } from './acl-policy.ts';
export { applyAcls, readPolicy, type AclChange } from './acl-apply.ts';
