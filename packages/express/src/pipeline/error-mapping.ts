/**
 * The pipeline's last step: any error thrown on the way, from any route,
 * becomes one answer here.
 */
import { ClientClosedError } from '../client-closed';
import type { DavRequest, DavResponse } from '../dav-request';
import { errorResponse } from '../error-response';
import { conflictResponse, UploadConflict } from '../uploads/resumable-uploads';

export function answerError(err: unknown, req: DavRequest, onError: (err: unknown) => void): DavResponse {
  // The client went away and its reads were aborted: nobody to answer,
  // nothing to report; the table's client-closed answer (499), as when
  // the body read fails first.
  if (req.signal?.aborted === true) return errorResponse(new ClientClosedError(err), onError);
  // An upload's offset or state disagreed: the draft's own answer, with the upload's state.
  if (err instanceof UploadConflict) return conflictResponse(err);
  return errorResponse(err, onError);
}
