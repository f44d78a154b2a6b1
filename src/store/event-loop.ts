/**
 * SQLite runs each statement synchronously on the event loop, and awaiting its
 * result waits for no I/O: a loop of statements, or one statement over many
 * rows, holds every other request of the server (health checks and CometD
 * included) until it ends. Long reads on a request's path therefore go in
 * chunks of at most SCAN_CHUNK rows, with a turn of the event loop between
 * them. On PostgreSQL the statements' I/O lets others in anyway; the turn
 * costs little there.
 */

/** Rows one statement of a chunked read covers: a few milliseconds of SQLite's time. */
export const SCAN_CHUNK = 2000;

/** Lets the event loop answer what waits (I/O, timers) before a long read goes on. */
export { setImmediate as nextTurn } from 'node:timers/promises';
