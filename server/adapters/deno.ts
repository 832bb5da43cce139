/**
 * The app under Deno: Deno's node:http, through the Node adapter. Not Deno.serve: Deno 2.9's
 * Deno.serve does not notice a client that hangs up once its request came in more than one
 * packet (any upload): request.signal stays quiet until the handler answers, so a run went
 * on for nobody, and its legacy mode aborts the signal after every answer instead. Deno's
 * node:http sees the socket close at once (measured: 0.5 s hang-up noticed at 0.51 s for
 * 1 KB and 300 KB bodies, where Deno.serve noticed neither before its 3 s answer), and
 * enforces the same header and request deadlines as under Node.
 * Needs --allow-net for the address it listens on.
 */
export { listen } from './node.ts';
