'use strict';
// Child processes with a time limit each, so the pack test always ends.
const { spawn: spawnChild } = require('node:child_process');

// Children run in process groups of their own (so a wrapper such as npx is
// stopped with what it started); a Ctrl-C on the test does not reach those
// groups, so the test stops every live one itself (stopAll).
const live = new Set();

function spawn(command, args, options) {
  const child = spawnChild(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  child.on('close', () => live.delete(child));
  return child;
}

/** SIGKILL every child process group still running. */
function stopAll() {
  for (const child of live) killGroup(child, 'SIGKILL');
}

/** Run a command to its end; rejects on a non-zero exit or after `timeoutMs`. */
function run(command, args, { cwd, env = process.env, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: no end after ${timeoutMs / 1000} s\n${tail(stdout + stderr)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')}: exit ${code ?? signal}\n${tail(stdout + stderr)}`));
    });
  });
}

/**
 * Start a server and wait for the line matching `ready` on its stdout. It
 * runs in its own process group, so stopping it also stops what a wrapper
 * (npx) started. Resolves `{ match, stop, output }`.
 */
function startServer(command, args, { cwd, env = process.env, ready, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env });
    let out = '';
    let lineBuffer = '';
    let settled = false;
    const exited = new Promise((res) => child.on('close', (code, signal) => res({ code, signal })));
    const output = () => out;
    const stop = async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    };
    const fail = (message) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${message}\n${tail(out)}`)));
    };
    const timer = setTimeout(() => fail(`${command} ${args.join(' ')}: no ready line after ${timeoutMs / 1000} s`), timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      lineBuffer += d;
      const lines = lineBuffer.split('\n');
      lineBuffer = lines.pop();
      for (const line of lines) {
        const match = ready.exec(line);
        if (match && !settled) {
          settled = true;
          clearTimeout(timer);
          resolve({ match, stop, output });
        }
      }
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (err) => fail(err.message));
    child.on('close', (code, signal) => fail(`${command} ${args.join(' ')}: exited (${code ?? signal}) before it was ready`));
  });
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function tail(text, lines = 25) {
  return text.trimEnd().split('\n').slice(-lines).map((l) => `    | ${l}`).join('\n');
}

module.exports = { run, startServer, stopAll };
