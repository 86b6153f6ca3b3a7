/**
 * The command line: `util.parseArgs` (strict: an unknown flag is an error,
 * never ignored), then every value checked and converted, so the commands
 * receive typed options and a mistake is reported as one line before
 * anything starts.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { credentialsFromEnv, parseCredentials, type Credentials } from './basic-auth';
import type { ChangesOptions } from './commands/changes';
import type { PushListOptions } from './commands/push';
import type { SyncCommandOptions } from './commands/sync';
import { messageOf, UsageError } from './errors';
import { CHANGES_HELP, MAIN_HELP, PUSH_HELP, SERVE_HELP, SYNC_HELP } from './help';
import { isLogLevel, LOG_LEVELS, type LogLevel } from './log';
import type { ServeOptions } from './server';

/** What `davsync serve` runs with: {@link ServeOptions} with the log level always set. */
export type ServeCommandOptions = ServeOptions & { readonly logLevel: LogLevel };

export type CommandLine =
  | { readonly command: 'help'; readonly text: string }
  | { readonly command: 'version' }
  | { readonly command: 'serve'; readonly options: ServeCommandOptions }
  | { readonly command: 'changes'; readonly options: ChangesOptions }
  | { readonly command: 'sync'; readonly options: SyncCommandOptions }
  | { readonly command: 'push-list'; readonly options: PushListOptions };

/**
 * Reads `argv` (without `node` and the script) and the environment.
 *
 * @throws UsageError with a one-line message ending in a pointer to the help.
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): CommandLine {
  const [first, ...rest] = argv;
  switch (first) {
    case undefined:
      throw new UsageError('missing command: serve, changes, sync or push (see davsync --help)');
    case '-h':
    case '--help':
    case 'help':
      return { command: 'help', text: rest[0] === 'serve' ? SERVE_HELP : rest[0] === 'changes' ? CHANGES_HELP : rest[0] === 'sync' ? SYNC_HELP : rest[0] === 'push' ? PUSH_HELP : MAIN_HELP };
    case '-v':
    case '--version':
      return { command: 'version' };
    case 'serve':
      return withHint('davsync serve --help', () => parseServe(rest, env));
    case 'changes':
      return withHint('davsync changes --help', () => parseChanges(rest, env));
    case 'sync':
      return withHint('davsync sync --help', () => parseSync(rest, env));
    case 'push':
      return withHint('davsync push --help', () => parsePush(rest));
    default:
      throw new UsageError(
        first.startsWith('-') ? `unknown option '${first}' (see davsync --help)` : `unknown command '${first}': use serve, changes, sync or push (see davsync --help)`,
      );
  }
}

const SERVE_FLAGS = {
  memory: { type: 'boolean' },
  postgres: { type: 'string' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  'page-size': { type: 'string' },
  retention: { type: 'string' },
  quota: { type: 'string' },
  'log-level': { type: 'string' },
  'no-checksums': { type: 'boolean' },
  checksums: { type: 'string' },
  'no-compression': { type: 'boolean' },
  tus: { type: 'boolean' },
  user: { type: 'string', short: 'u' },
  push: { type: 'boolean' },
  'push-allow-http-loopback': { type: 'boolean' },
  'push-subject': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

function parseServe(args: readonly string[], env: NodeJS.ProcessEnv): CommandLine {
  const { values, positionals } = parse(args, SERVE_FLAGS);
  if (values.help) return { command: 'help', text: SERVE_HELP };
  if (positionals.length > 1) throw new UsageError(`serve takes one folder, got ${positionals.length}`);
  const dir = positionals[0];
  if (values.memory && dir !== undefined) throw new UsageError('--memory serves no folder: give DIR or --memory, not both');
  if (dir === '') throw new UsageError('DIR is empty');
  const postgres = values.postgres;
  if (postgres !== undefined) {
    if (dir !== undefined || values.memory) throw new UsageError('--postgres serves a database: give DIR, --memory or --postgres, only one');
    if (!/^postgres(ql)?:\/\//.test(postgres)) throw new UsageError('--postgres takes a postgresql:// connection string');
  }
  // A folder's quota is its filesystem's: what it reports is df's figures.
  if (values.quota !== undefined && !values.memory && postgres === undefined) {
    throw new UsageError("--quota goes with --memory or --postgres; a folder reports its filesystem's free space");
  }
  const logLevel = values['log-level'] ?? 'info';
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const host = values.host ?? '127.0.0.1';
  if (host === '') throw new UsageError('--host is empty');
  if (!values.push && (values['push-allow-http-loopback'] || values['push-subject'] !== undefined)) {
    throw new UsageError('--push-allow-http-loopback and --push-subject need --push');
  }
  const subject = values['push-subject'];
  if (subject !== undefined && !/^(mailto:|https:\/\/)\S+$/.test(subject)) throw new UsageError('--push-subject must be a mailto: or https:// URL');
  const options: ServeCommandOptions = {
    logLevel,
    host,
    port: values.port === undefined ? 8080 : integer('--port', values.port, 0, 65535),
    ...(values.memory ? { memory: true } : postgres !== undefined ? { postgres } : { dir: dir ?? './data' }),
    ...(values['page-size'] === undefined ? {} : { pageSize: integer('--page-size', values['page-size'], 1, Number.MAX_SAFE_INTEGER) }),
    ...(values.retention === undefined ? {} : { retention: integer('--retention', values.retention, 0, Number.MAX_SAFE_INTEGER) }),
    ...(values.quota === undefined ? {} : { quotaBytes: integer('--quota', values.quota, 0, Number.MAX_SAFE_INTEGER) }),
    ...checksumsOption(values.checksums, values['no-checksums'] === true),
    ...(values['no-compression'] ? { compression: false } : {}),
    ...(values.tus ? { tus: true } : {}),
    ...optionalCredentials(values.user, undefined, env),
    ...(values.push
      ? { push: { ...(values['push-allow-http-loopback'] ? { allowHttpLoopback: true } : {}), ...(subject === undefined ? {} : { subject }) } }
      : {}),
  };
  return { command: 'serve', options };
}

const PUSH_FLAGS = {
  postgres: { type: 'string' },
  collection: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** `push list DIR | --postgres URL [--collection PATH] [--json]` (list is the only subcommand so far). */
function parsePush(args: readonly string[]): CommandLine {
  const { values, positionals } = parse(args, PUSH_FLAGS);
  if (values.help) return { command: 'help', text: PUSH_HELP };
  const [sub, ...rest] = positionals;
  if (sub !== 'list') throw new UsageError(sub === undefined ? 'missing subcommand: list' : `unknown subcommand '${sub}': use list`);
  if (rest.length > 1) throw new UsageError(`push list takes one folder, got ${rest.length}`);
  const dir = rest[0];
  const postgres = values.postgres;
  if ((dir === undefined) === (postgres === undefined)) throw new UsageError('give the served folder DIR or --postgres URL, one of them');
  if (dir === '') throw new UsageError('DIR is empty');
  if (postgres !== undefined && !/^postgres(ql)?:\/\//.test(postgres)) throw new UsageError('--postgres takes a postgresql:// connection string');
  const collection = values.collection;
  if (collection !== undefined && (!collection.startsWith('/') || collection.length > 4096)) throw new UsageError('--collection takes a path starting with /, as in the URL (/calendars/alice/home)');
  const options: PushListOptions = {
    ...(postgres !== undefined ? { postgres } : { dir: dir as string }),
    ...(collection === undefined ? {} : { collection }),
    json: values.json === true,
  };
  return { command: 'push-list', options };
}

const CHANGES_FLAGS = {
  token: { type: 'string', short: 't' },
  level: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  user: { type: 'string', short: 'u' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const ALGORITHMS = ['sha1', 'md5', 'sha256'] as const;
type Algorithm = (typeof ALGORITHMS)[number];

/** `--checksums sha1,md5` (which digests to compute) or `--no-checksums`; not both. */
function checksumsOption(list: string | undefined, none: boolean): { checksums?: false | { algorithms: Algorithm[] } } {
  if (list === undefined) return none ? { checksums: false } : {};
  if (none) throw new UsageError('--checksums and --no-checksums exclude each other');
  const names = list.split(',').map((n) => n.trim().toLowerCase());
  const unknown = names.find((n) => !(ALGORITHMS as readonly string[]).includes(n));
  if (unknown !== undefined || names.length === 0) throw new UsageError(`--checksums takes a comma-separated list of ${ALGORITHMS.join(', ')}; got ${JSON.stringify(unknown ?? list)}`);
  return { checksums: { algorithms: names as Algorithm[] } };
}

function parseChanges(args: readonly string[], env: NodeJS.ProcessEnv): CommandLine {
  const { values, positionals } = parse(args, CHANGES_FLAGS);
  if (values.help) return { command: 'help', text: CHANGES_HELP };
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing URL' : `changes takes one URL, got ${positionals.length}`);
  const { url, fromUrl } = remoteUrl(positionals[0] as string);
  const level = values.level ?? '1';
  if (level !== '1' && level !== 'infinite') throw new UsageError("--level must be 1 or infinite");
  if (values.token === '') throw new UsageError('--token is empty');
  const options: ChangesOptions = {
    url: url.href,
    level,
    ...(values.token === undefined ? {} : { token: values.token }),
    ...(values.limit === undefined ? {} : { limit: integer('--limit', values.limit, 1, 1_000_000_000) }),
    ...(values.json === true ? { json: true } : {}),
    ...optionalCredentials(values.user, fromUrl, env),
  };
  return { command: 'changes', options };
}

const SYNC_FLAGS = {
  once: { type: 'boolean' },
  'dry-run': { type: 'boolean', short: 'n' },
  json: { type: 'boolean' },
  'max-delete': { type: 'string' },
  interval: { type: 'string' },
  'full-scan': { type: 'string' },
  transfers: { type: 'string' },
  'no-watch': { type: 'boolean' },
  user: { type: 'string', short: 'u' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

function parseSync(args: readonly string[], env: NodeJS.ProcessEnv): CommandLine {
  const { values, positionals } = parse(args, SYNC_FLAGS);
  if (values.help) return { command: 'help', text: SYNC_HELP };
  if (positionals.length !== 2) throw new UsageError(positionals.length < 2 ? `missing ${positionals.length === 0 ? 'DIR and URL' : 'URL'}` : `sync takes DIR and URL, got ${positionals.length} arguments`);
  const dir = positionals[0] as string;
  if (dir === '') throw new UsageError('DIR is empty');
  const { url, fromUrl } = remoteUrl(positionals[1] as string);
  const options: SyncCommandOptions = {
    dir,
    url: url.href,
    once: values.once === true,
    dryRun: values['dry-run'] === true,
    json: values.json === true,
    maxDelete: values['max-delete'] === undefined ? 50 : integer('--max-delete', values['max-delete'].replace(/%$/, ''), 0, 100),
    interval: values.interval === undefined ? 30 : integer('--interval', values.interval, 1, 86_400),
    watch: values['no-watch'] !== true,
    ...(values.transfers === undefined ? {} : { transfers: integer('--transfers', values.transfers, 1, 64) }),
    ...(values['full-scan'] === undefined ? {} : { fullScan: integer('--full-scan', values['full-scan'], 1, 86_400) }),
    ...optionalCredentials(values.user, fromUrl, env),
  };
  return { command: 'sync', options };
}

/**
 * An absolute http(s) URL. fetch refuses a URL with credentials in it;
 * they are taken out and sent as a header instead, as curl does.
 */
function remoteUrl(value: string): { url: URL; fromUrl: Credentials | undefined } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError('URL must be an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('URL must be an absolute http:// or https:// URL');
  let fromUrl: Credentials | undefined;
  if (url.username !== '' || url.password !== '') {
    fromUrl = parseCredentials(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`, 'the user:password in URL');
    url.username = '';
    url.password = '';
  }
  return { url, fromUrl };
}

/** `--user` wins over credentials in the URL, which win over the environment. */
function optionalCredentials(flag: string | undefined, fromUrl: Credentials | undefined, env: NodeJS.ProcessEnv): { credentials?: Credentials } {
  const credentials = flag !== undefined ? parseCredentials(flag) : (fromUrl ?? credentialsFromEnv(env));
  return credentials === undefined ? {} : { credentials };
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: negativeValuesInline(args, options), options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const option = /option '(-[^']*)'/i.exec(messageOf(err))?.[1];
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== undefined && /ambiguous/.test(messageOf(err))) {
      // The value is not repeated: it may be a password (--user).
      const long = longName(option, options);
      throw new UsageError(`${long} needs a value, and the next argument starts with '-'; to give a value that starts with '-', write ${long}=VALUE`);
    }
    throw new UsageError(parseArgsMessage(err));
  }
}

/**
 * parseArgs refuses `--page-size -3` as "ambiguous" (the value could be a
 * forgotten value followed by a flag). A negative number is never a flag,
 * so it is passed inline (`--page-size=-3`) and the value check below says
 * what is wrong with it.
 */
function negativeValuesInline(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const long = longName(arg, options);
    if (next !== undefined && /^-[0-9.]/.test(next) && options[long.slice(2)]?.type === 'string') {
      out.push(`${long}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** `-p` → `--port`; a long option or anything else as it is. */
function longName(arg: string, options: NonNullable<ParseArgsConfig['options']>): string {
  if (/^-[^-]$/.test(arg)) {
    const name = Object.keys(options).find((k) => options[k]?.short === arg.slice(1));
    if (name !== undefined) return `--${name}`;
  }
  return arg;
}

/**
 * parseArgs explains itself in long sentences ("Unknown option '--x'. To
 * specify a positional argument starting with a '-', …"); keep the first.
 */
function parseArgsMessage(err: unknown): string {
  const message = messageOf(err);
  const first = message.split(/\.(\s|$)/)[0] ?? message;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/** A whole number in [min, max]; the flag is named, the value quoted (it is never a secret). */
function integer(flag: string, value: string, min: number, max: number): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const what =
      max !== Number.MAX_SAFE_INTEGER ? `a whole number from ${min} to ${max}` : min === 1 ? 'a positive whole number' : `a whole number (${min} or more)`;
    throw new UsageError(`${flag} must be ${what}, not ${JSON.stringify(value)}`);
  }
  return n;
}

function withHint<T>(hint: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${err.message} (see ${hint})`);
    throw err;
  }
}
