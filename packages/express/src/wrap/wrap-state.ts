/**
 * What the touch points of one wrap middleware share: its options, the
 * sync log and what reads it, the tracked collections and their adoption,
 * the gate for sync-token preconditions, and the recorder of host writes.
 * Built once per `davsyncWrap` call.
 */
import { SyncLog } from '@davsync/core';
import { ChangeStreams } from '../change-stream/change-stream';
import { SyncContext, type MemberReader, type SyncContextOptions } from '../context';
import { WebDavPush, type ChangeFeed } from '../push/webdav-push';
import type { DavRequest } from '../dav-request';
import { hostPropertySource } from '../properties/host-properties';
import type { MemberPropertySource } from '../sync/report';
import { Adopter, strongEtag } from './adopt';
import type { CaptureDeps } from './capture';
import { CollectionGate } from './gate';
import { recordedMembers } from './host-snapshot';
import type { HostMembers, ResolvedWrapOptions } from './options';
import { HostChangeRecorder } from './recorder';
import { SyncableCollections } from './syncable';
import { TrackedCollections } from './tracked';

export class WrapState {
  readonly log: SyncLog;
  readonly adopter: Adopter;
  readonly tracked: TrackedCollections;
  readonly collections: SyncableCollections;
  readonly onError: (err: unknown) => void;
  readonly gate = new CollectionGate();
  readonly capture: CaptureDeps;
  readonly recorder: HostChangeRecorder;
  /** Where a sync report gets changed members' properties: the host. */
  readonly propertySource: MemberPropertySource;
  /** WebDAV-Push, when the `push` option is given (`push.ts`). */
  readonly push: WebDavPush | undefined;
  /** The change streams, when the `changeStream` option is given. */
  readonly changeStreams: ChangeStreams | undefined;
  private readonly members: MemberReader;
  private readonly contextOptions: SyncContextOptions;

  constructor(readonly options: ResolvedWrapOptions) {
    const o = options;
    this.tracked = new TrackedCollections(o.tracked);
    this.onError = o.onError ?? ((err: unknown) => console.error('davsync: unexpected error', err));
    this.log = new SyncLog({
      ...(o.journal === undefined ? {} : { journal: o.journal }),
      ...(o.pageSize === undefined ? {} : { pageSize: o.pageSize }),
      ...(o.retention === undefined ? {} : { retention: o.retention }),
      onError: this.onError,
    });
    const journal = this.log.journal;
    this.members = recordedMembers(journal);
    this.adopter = new Adopter(this.log, this.tracked);
    this.collections = new SyncableCollections(journal, this.tracked, this.adopter, o.list);
    this.contextOptions = { strictSyncDepth: o.strictSyncDepth, limits: o.limits, authorize: o.authorize };
    const list = o.list;
    this.capture = {
      journal,
      tracked: this.tracked,
      known: (root) => this.collections.known(root),
      etagOf: async (path) => (o.etagOf === undefined ? undefined : strongEtag(await o.etagOf(path))),
      list:
        list === undefined
          ? undefined
          : async (path): Promise<HostMembers | undefined> => {
              const listing = await list(path);
              if (listing === undefined || listing === null) return undefined;
              return typeof listing === 'function' ? await listing() : listing;
            },
    };
    this.recorder = new HostChangeRecorder(this.log, this.adopter, this.capture, this.onError, o.recordFailure);
    this.propertySource = hostPropertySource(o.properties, o.propertiesBatchSize, this.log);
    const feed: ChangeFeed = { currentToken: (c) => this.log.currentToken(c), log: this.log };
    this.push = o.push === undefined ? undefined : new WebDavPush(o.push, feed, o.authorize, this.onError);
    this.changeStreams = o.changeStream === undefined ? undefined : new ChangeStreams(o.changeStream, feed, o.authorize, this.onError);
  }

  /** A request's context: the members the log has recorded, and the log. */
  context(req: DavRequest): SyncContext {
    return new SyncContext(req, this.log, this.members, this.contextOptions);
  }
}
