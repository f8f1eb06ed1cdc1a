/**
 * The baseline of the benchmark (bench/bench.ts): the least a Node process can do to
 * serve xprov's answer. It answers every request, whatever its method or path, with
 * the bytes of BODY_FILE and the given content type.
 *
 *   node build/bench/bare-server.js LISTEN BODY_FILE CONTENT_TYPE
 *
 * LISTEN takes xprov's forms for the kinds the bench uses: unix:///abs/path.sock or
 * http://127.0.0.1:PORT. It logs nothing; the bench polls it with requests, as it does
 * xprov. SIGTERM stops it with exit code 0, like xprov.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [listen, bodyFile, contentType] = process.argv.slice(2);
if (listen === undefined || bodyFile === undefined || contentType === undefined) {
  process.stderr.write('usage: bare-server LISTEN BODY_FILE CONTENT_TYPE\n');
  process.exit(64);
}

const body = readFileSync(bodyFile);
// Built once: per request the server then does nothing xprov could avoid either.
const headers = { 'content-type': contentType, 'content-length': String(body.length) };

// The same timeouts and socket option as xprov's listeners (src/server/listen.ts), so
// that Node's own per-connection bookkeeping is the same on both sides of the ratio.
const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, noDelay: true }, (_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 5_000;

server.on('error', (err) => {
  process.stderr.write(`bare-server: ${err.message}\n`);
  process.exit(1);
});

const url = new URL(listen);
if (url.protocol === 'unix:') {
  server.listen(url.pathname);
} else if (url.protocol === 'http:' && url.port !== '') {
  // url.hostname keeps IPv6 brackets; the bench only uses 127.0.0.1.
  server.listen(Number(url.port), url.hostname);
} else {
  process.stderr.write(`bare-server: unsupported LISTEN ${listen}\n`);
  process.exit(64);
}

// Without a handler SIGTERM would end the process by signal; xprov exits 0, and the
// bench treats any other end of a server as a failure.
process.once('SIGTERM', () => process.exit(0));
