/** davsync CLI — public API (the `davsync` binary is `bin.ts`). */
export {};
