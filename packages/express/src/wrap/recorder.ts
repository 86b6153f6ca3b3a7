/**
 * Recording the host's changes in the sync log: the writes captured from
 * its 2xx answers (held until recorded, `held-response.ts`) and the changes
 * it reports itself through `record()` (an import, a database trigger).
 * What a write changed is `capture.ts`'s to say; this is the commit.
 */
import { asPropertyChange, DavError, withoutPushTo, type PushSuppression, type RecordedChange, type SyncLog } from '@davsync/core';
import { errorResponse } from '../error-response';
import type { Adopter } from './adopt';
import { capturedChanges, explicitChanges, type CaptureDeps, type CapturePlan, type WrapChange } from './capture';
import type { HeldResponse, HoldDecision } from './held-response';
import type { ResolvedWrapOptions } from './options';

export class HostChangeRecorder {
  constructor(
    private readonly log: SyncLog,
    private readonly adopter: Adopter,
    private readonly capture: CaptureDeps,
    private readonly onError: (err: unknown) => void,
    private readonly recordFailure: ResolvedWrapOptions['recordFailure'],
  ) {}

  /**
   * Decides a held host answer to a captured write: a 2xx is released once
   * its change is recorded. When recording fails, the cause goes to
   * `onError`, and the client gets a 500 instead of the 2xx (a client told
   * "done" would never sync the change), unless `recordFailure: 'log'`.
   * The commit's change event carries the write's Push-Dont-Notify
   * (`suppression`) and, for a PROPPATCH, says it changed properties only
   * (push's `property-update`, not `content-update`).
   */
  async recordCaptured(plan: CapturePlan, held: HeldResponse, suppression?: PushSuppression): Promise<HoldDecision> {
    if (held.status < 200 || held.status > 299) return { action: 'release' }; // the host refused: nothing changed
    try {
      const changes = await capturedChanges(plan, held, this.capture);
      const commit = (): Promise<void> => this.commit(changes);
      if (changes.length > 0) await withoutPushTo(suppression, () => (plan.method === 'PROPPATCH' ? asPropertyChange(commit) : commit()));
      return { action: 'release' };
    } catch (err) {
      this.onError(err);
      if (this.recordFailure === 'log') return { action: 'release' };
      const refusal = new DavError('not-recorded', 'davsync: the host made the change but it could not be recorded for sync', plan.path);
      return { action: 'replace', response: errorResponse(refusal, this.onError) };
    }
  }

  /** Records changes the host reports itself; resolves with the number recorded. */
  async record(input: WrapChange | readonly WrapChange[]): Promise<number> {
    const changes = await explicitChanges(Array.isArray(input) ? input : [input as WrapChange], this.capture);
    if (changes.length > 0) await this.commit(changes);
    return changes.length;
  }

  /** Records changes (captured or explicit), telling a running adoption first. */
  private async commit(changes: readonly RecordedChange[]): Promise<void> {
    this.adopter.markRecorded(changes.map((c) => c.path));
    await this.log.record(changes);
  }
}
