/**
 * One PROPFIND as the client's remote operations ask it: the named
 * properties at a depth, the multistatus read, a 404 said as `undefined`
 * (the member is gone), any other status or unreadable XML a RemoteError
 * naming the request.
 */
import { propfindBody, readMultistatus, type MultistatusAnswer } from '@davsync/protocol';
import { RemoteError } from './remote-error';
import { unexpected, type RemoteHttp } from './remote-http';

export async function propfind(http: RemoteHttp, url: string, depth: '0' | '1', names: readonly string[]): Promise<MultistatusAnswer | undefined> {
  const spec = { method: 'PROPFIND', url, headers: { 'content-type': 'application/xml; charset=utf-8', depth }, body: propfindBody({ kind: 'prop', names: [...names] }) };
  const res = await http.send(spec);
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.status !== 207) throw await unexpected(spec, res);
  return readMultistatus(res.body ?? '', {}, 'PROPFIND answer').catch((err: Error) => {
    throw new RemoteError('protocol', `PROPFIND ${spec.url}: ${err.message.replace(/^davsync: /, '')}`);
  });
}
