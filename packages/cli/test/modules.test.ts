/** The CLI's small modules, in process: argument parsing, Basic auth, the exposure decision, log lines, output. */
import { describe, expect, it } from '@jest/globals';
import { parseCommandLine } from '../src/args';
import { authorizationHeader, createBasicAuth, credentialsFromEnv, parseCredentials } from '../src/basic-auth';
import { formatChanges, formatChangesJson, syncCollectionBody } from '../src/commands/changes';
import { displayHref } from '../src/display-href';
import { oneLine, UsageError } from '../src/errors';
import { createLogger } from '../src/log';
import { exposedWithoutAuth, httpUrl, isLoopback } from '../src/network';
import { printable } from '../src/request-log';

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseCommandLine: serve', () => {
  it('turns hashing off with --no-checksums, and leaves it on by default', () => {
    expect(parseCommandLine(['serve', '--no-checksums'], {})).toMatchObject({ options: { checksums: false } });
    expect(parseCommandLine(['serve'], {})).not.toHaveProperty('options.checksums');
  });

  it('chooses the digests with --checksums sha1,md5; an unknown one, or both flags, is a usage error', () => {
    expect(parseCommandLine(['serve', '--checksums', 'SHA1,md5'], {})).toMatchObject({ options: { checksums: { algorithms: ['sha1', 'md5'] } } });
    expect(usageError(() => parseCommandLine(['serve', '--checksums', 'sha1,crc32'], {}))).toMatch(/--checksums takes .*"crc32"/);
    expect(usageError(() => parseCommandLine(['serve', '--checksums', 'md5', '--no-checksums'], {}))).toMatch(/exclude each other/);
  });

  it('turns gzip off with --no-compression, and leaves it on by default', () => {
    expect(parseCommandLine(['serve', '--no-compression'], {})).toMatchObject({ options: { compression: false } });
    expect(parseCommandLine(['serve'], {})).not.toHaveProperty('options.compression');
  });

  it('defaults: ./data on 127.0.0.1:8080, log level info, no auth', () => {
    expect(parseCommandLine(['serve'], {})).toEqual({ command: 'serve', options: { dir: './data', host: '127.0.0.1', port: 8080, logLevel: 'info' } });
  });

  it('every flag', () => {
    const line = parseCommandLine(
      ['serve', '--memory', '-p', '0', '--host', '::1', '--page-size', '50', '--retention', '0', '--log-level', 'debug', '-u', 'al:pa:ss'],
      {},
    );
    expect(line).toEqual({
      command: 'serve',
      options: { memory: true, port: 0, host: '::1', pageSize: 50, retention: 0, logLevel: 'debug', credentials: { user: 'al', password: 'pa:ss' } },
    });
  });

  it('--quota BYTES with --memory or --postgres, refused with a folder', () => {
    expect(parseCommandLine(['serve', '--memory', '--quota', '1000'], {})).toMatchObject({ options: { memory: true, quotaBytes: 1000 } });
    expect(parseCommandLine(['serve', '--postgres', 'postgresql://h/db', '--quota', '0'], {})).toMatchObject({ options: { quotaBytes: 0 } });
    expect(usageError(() => parseCommandLine(['serve', 'dir', '--quota', '1000'], {}))).toMatch(/^--quota goes with --memory or --postgres/);
    expect(usageError(() => parseCommandLine(['serve', '--memory', '--quota', '1k'], {}))).toMatch(/^--quota must be a whole number \(0 or more\), not "1k"/);
  });

  it('credentials: --user wins over the environment; the environment alone works', () => {
    const env = { DAVSYNC_USER: 'env', DAVSYNC_PASSWORD: 'envpw' };
    expect(parseCommandLine(['serve', '--user', 'flag:pw'], env)).toMatchObject({ options: { credentials: { user: 'flag', password: 'pw' } } });
    expect(parseCommandLine(['serve'], env)).toMatchObject({ options: { credentials: { user: 'env', password: 'envpw' } } });
    expect(parseCommandLine(['serve'], { DAVSYNC_USER: '', DAVSYNC_PASSWORD: '' })).not.toHaveProperty('options.credentials');
  });

  it('refusals name the flag and point at the help, never echo a password', () => {
    expect(usageError(() => parseCommandLine(['serve', '--port', '-1'], {}))).toMatch(/\(see davsync serve --help\)$/);
    expect(usageError(() => parseCommandLine(['serve', '--retention', '1.5'], {}))).toMatch(/^--retention must be a whole number \(0 or more\), not "1.5"/);
    expect(usageError(() => parseCommandLine(['serve', '--host', ''], {}))).toMatch(/^--host is empty/);
    expect(usageError(() => parseCommandLine(['serve', '--memory=yes'], {}))).toMatch(/^option '--memory' does not take an argument/);
    for (const spec of ['alice:', ':secret-pw', 'ali\u0007ce:secret-pw']) {
      const message = usageError(() => parseCommandLine(['serve', '--user', spec], {}));
      expect(message).toMatch(/^--user: /);
      expect(message).not.toContain('secret-pw');
    }
  });
});

describe('parseCommandLine: negative and dash-led values', () => {
  // parseArgs alone calls `--page-size -3` "ambiguous", which says nothing about what is wrong.
  it.each([
    [['serve', '--page-size', '-3'], '--page-size must be a positive whole number, not "-3" (see davsync serve --help)'],
    [['serve', '--page-size=-3'], '--page-size must be a positive whole number, not "-3" (see davsync serve --help)'],
    [['serve', '--page-size', '0'], '--page-size must be a positive whole number, not "0" (see davsync serve --help)'],
    [['serve', '-p', '-1'], '--port must be a whole number from 0 to 65535, not "-1" (see davsync serve --help)'],
    [['serve', '--port', '-1'], '--port must be a whole number from 0 to 65535, not "-1" (see davsync serve --help)'],
    [['serve', '--retention', '-5'], '--retention must be a whole number (0 or more), not "-5" (see davsync serve --help)'],
    [['serve', '--retention=-0.5'], '--retention must be a whole number (0 or more), not "-0.5" (see davsync serve --help)'],
    [['changes', 'http://h/', '--limit', '-2'], '--limit must be a whole number from 1 to 1000000000, not "-2" (see davsync changes --help)'],
  ])('%j', (args, message) => {
    expect(usageError(() => parseCommandLine(args, {}))).toBe(message);
  });

  it('a value that starts with a dash but is no number: how to give it, without repeating it (it may be a password)', () => {
    const message = usageError(() => parseCommandLine(['serve', '-u', '-secret:pw'], {}));
    expect(message).toBe("--user needs a value, and the next argument starts with '-'; to give a value that starts with '-', write --user=VALUE (see davsync serve --help)");
    expect(usageError(() => parseCommandLine(['changes', 'http://h/', '--token', '-x'], {}))).toMatch(/^--token needs a value.* write --token=VALUE/);
    expect(parseCommandLine(['changes', 'http://h/', '--token=-x'], {})).toMatchObject({ options: { token: '-x' } });
  });

  it('a negative number after a boolean flag or after -- stays what it was', () => {
    expect(usageError(() => parseCommandLine(['serve', '--memory', '-3'], {}))).toMatch(/^unknown option '-3'/);
    expect(parseCommandLine(['serve', '--', '-3'], {})).toMatchObject({ options: { dir: '-3' } });
  });
});

describe('parseCommandLine: changes and the rest', () => {
  it('URL, token, level, limit', () => {
    expect(parseCommandLine(['changes', 'http://h:1/dav/', '-t', 'urn:t', '--level', 'infinite', '--limit', '10'], {})).toEqual({
      command: 'changes',
      options: { url: 'http://h:1/dav/', token: 'urn:t', level: 'infinite', limit: 10 },
    });
    expect(parseCommandLine(['changes', 'http://h/', '--json'], {})).toMatchObject({ options: { json: true } });
  });

  it('user:password@ in the URL becomes credentials (percent-decoded) and leaves the URL', () => {
    expect(parseCommandLine(['changes', 'https://al%40x:p%3Aw@h/dav/'], {})).toEqual({
      command: 'changes',
      options: { url: 'https://h/dav/', level: '1', credentials: { user: 'al@x', password: 'p:w' } },
    });
  });

  it('help and version', () => {
    expect(parseCommandLine(['--version'], {})).toEqual({ command: 'version' });
    expect(parseCommandLine(['-v'], {})).toEqual({ command: 'version' });
    expect(parseCommandLine(['help', 'changes'], {})).toMatchObject({ text: expect.stringMatching(/^Usage: davsync changes/) });
    expect(usageError(() => parseCommandLine(['--frob'], {}))).toBe("unknown option '--frob' (see davsync --help)");
  });
});

describe('Basic authentication', () => {
  const auth = createBasicAuth({ user: 'alice', password: 'pä:ss' });
  const header = (s: string) => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`;

  it('accepts exactly the configured user and password (UTF-8, colons in the password)', () => {
    expect(auth.check(header('alice:pä:ss'))).toBe(true);
    expect(auth.check(`basic   ${Buffer.from('alice:pä:ss').toString('base64')} `)).toBe(true); // the scheme is case-insensitive
    expect(auth.check(authorizationHeader({ user: 'alice', password: 'pä:ss' }))).toBe(true);
  });

  it('refuses anything else', () => {
    for (const h of [undefined, '', 'Basic', 'Basic !!!', 'Bearer abc', header('alice:pä:s'), header('alice:pä:ss '), header('Alice:pä:ss'), header('alice'), header('')]) {
      expect(auth.check(h)).toBe(false);
    }
    // Latin-1 bytes of the same characters are different bytes: no match through a lossy decode.
    expect(auth.check(`Basic ${Buffer.from('alice:pä:ss', 'latin1').toString('base64')}`)).toBe(false);
  });

  it('parses NAME:PASSWORD and the environment pair', () => {
    expect(parseCredentials('a:b:c')).toEqual({ user: 'a', password: 'b:c' });
    expect(() => parseCredentials('nocolon')).toThrow(UsageError);
    expect(credentialsFromEnv({})).toBeUndefined();
    expect(() => credentialsFromEnv({ DAVSYNC_PASSWORD: 'x' })).toThrow(/set both DAVSYNC_USER and DAVSYNC_PASSWORD/);
    expect(() => credentialsFromEnv({ DAVSYNC_USER: 'a:b', DAVSYNC_PASSWORD: 'x' })).toThrow(/cannot contain ':'/);
  });
});

describe('the non-loopback warning decision', () => {
  it('warns for wildcard and network addresses without authentication', () => {
    for (const address of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'fe80::1', '::ffff:10.0.0.1', 'example.com']) {
      expect(exposedWithoutAuth(address, false)).toBe(true);
      expect(exposedWithoutAuth(address, true)).toBe(false);
    }
  });

  it('does not warn for loopback', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) {
      expect(isLoopback(address)).toBe(true);
      expect(exposedWithoutAuth(address, false)).toBe(false);
    }
  });

  it('URLs bracket IPv6 addresses', () => {
    expect(httpUrl('127.0.0.1', 8080)).toBe('http://127.0.0.1:8080/');
    expect(httpUrl('::1', 1)).toBe('http://[::1]:1/');
    expect(httpUrl('localhost', 2)).toBe('http://localhost:2/');
  });
});

describe('log lines', () => {
  it('a request path is one printable token: spaces, control characters and raw bytes escaped, length bounded', () => {
    expect(printable('/a b\r\nGET /forged 200')).toBe('/a%20b%0D%0AGET%20/forged%20200');
    expect(printable('/caf\u00e9')).toBe('/caf%E9');
    expect(printable('/\u2028')).toBe('/%u2028');
    const long = printable(`/${'x'.repeat(5000)}`);
    expect(long).toHaveLength(1025);
    expect(long.endsWith('…')).toBe(true);
  });

  it('levels: info and debug to one sink, warn and error to the other; warn silences info', () => {
    const out: string[] = [];
    const err: string[] = [];
    const sink = (to: string[]) => ({ write: (s: string) => to.push(s) });
    const log = createLogger('warn', sink(out), sink(err));
    log.info('i');
    log.debug('d');
    log.warn('w');
    log.error('e');
    expect(out).toEqual([]);
    expect(err).toEqual(['w\n', 'e\n']);
    const all = createLogger('debug', sink(out), sink(err));
    all.info('i');
    all.debug('d');
    expect(out).toEqual(['i\n', 'd\n']);
    expect(createLogger('silent').enabled('error')).toBe(false);
  });

  it('oneLine: no prefix twice, no second line, errno codes in words', () => {
    expect(oneLine(new Error('davsync: x\n    at y'))).toBe('x');
    const errno = Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: 'EACCES', syscall: 'open', path: '/x' });
    expect(oneLine(errno)).toBe('/x: permission denied');
  });
});

describe('davsync changes output', () => {
  it('hrefs shown decoded, but never as something else: an encoded / stays, controls and bidi marks stay encoded', () => {
    expect(displayHref('/dav/my%20notes%C3%A9.txt')).toBe('/dav/my notesé.txt');
    expect(displayHref('http://h/dav/a%2Fb/c%25d')).toBe('http://h/dav/a%2Fb/c%d');
    expect(displayHref('/a%0D%0Ab%1B%5B2J%E2%80%AEtxt.exe')).toBe('/a%0D%0Ab%1B[2J%E2%80%AEtxt.exe');
    expect(displayHref('/bad%E2%28x/ok%20')).toBe('/bad%E2%28x/ok ');
    expect(displayHref('/100%/x')).toBe('/100%/x');
  });

  it('--json: the hrefs as sent, etag null when absent', () => {
    const json = JSON.parse(
      formatChangesJson({
        token: 'urn:t:2',
        truncated: true,
        responses: [
          { type: 'changed', href: '/a%20b', status: 200, etag: '"e"', conditions: [] },
          { type: 'removed', href: '/c', status: 404, etag: undefined, conditions: [] },
        ],
      }),
    );
    expect(json).toEqual({
      token: 'urn:t:2',
      truncated: true,
      responses: [
        { type: 'changed', href: '/a%20b', status: 200, etag: '"e"', conditions: [] },
        { type: 'removed', href: '/c', status: 404, etag: null, conditions: [] },
      ],
    });
  });

  it('the REPORT body: elements in RFC 6578 order, the token escaped', () => {
    expect(syncCollectionBody({ level: '1' })).toContain('<D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>');
    expect(syncCollectionBody({ level: 'infinite', token: 'urn:a&b<c>', limit: 5 })).toContain(
      '<D:sync-token>urn:a&#38;b&#60;c&#62;</D:sync-token><D:sync-level>infinite</D:sync-level><D:limit><D:nresults>5</D:nresults></D:limit>',
    );
  });

  it('a table, the token and truncation', () => {
    const text = formatChanges({
      responses: [
        { type: 'changed', href: '/notes.txt', status: 200, etag: '"1-2"', conditions: [] },
        { type: 'removed', href: '/old/', status: 404, etag: undefined, conditions: [] },
        { type: 'forbidden', href: '/mnt/', status: 403, etag: undefined, conditions: ['{DAV:}sync-traversal-supported'] },
      ],
      token: 'urn:t:1',
      truncated: true,
    });
    expect(text).toBe(
      [
        'TYPE       HREF        ETAG',
        'changed    /notes.txt  "1-2"',
        'removed    /old/',
        'forbidden  /mnt/',
        'sync-token: urn:t:1',
        'truncated: yes (there is more: run again with this token)',
        '',
      ].join('\n'),
    );
    expect(formatChanges({ responses: [], token: 't', truncated: false })).toBe('no changes\nsync-token: t\ntruncated: no\n');
  });
});
