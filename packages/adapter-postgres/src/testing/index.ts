/**
 * @davsync/adapter-postgres/testing — a throwaway PostgreSQL server for
 * tests and benchmarks. Not for production use.
 */
export { startTestPostgres, findPostgresBinaries } from './throwaway-cluster';
export type { TestPostgres, TestPostgresOptions } from './throwaway-cluster';
