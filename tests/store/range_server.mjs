// A loopback HTTP(S) file server for the model-store tests, written on raw
// sockets so it can misbehave exactly: `hearth models pull` is driven against
// it by tests/cli/hearth_models_test.sh. No npm dependencies.
//
//   node range_server.mjs --dir DIR [--log FILE] [--port 0] [--truncate-after N] [--tls CERT KEY]
//
// Prints "listening on PORT" once ready. GET /MODES/NAME serves DIR/NAME, where
// MODES is a comma-separated list:
//   normal       Range (bytes=N-) with If-Range, ETag and Last-Modified
//   norange      ignore Range: always 200 with the whole file
//   truncate     the first request for this path sends --truncate-after bytes of the body, then closes
//   noetag       send neither ETag nor Last-Modified (nothing to resume against)
//   badrange     answer a Range request with 206 and a malformed Content-Range
//   corrupt      flip one byte in the middle of the file (ETag unchanged)
//   html         send an HTML page instead of the file (200, text/html)
//   stall        send the head and 64 KiB of the body, then nothing, never closing
//   huge         announce a Content-Length of 2^62, send 1 KiB and close
//   garbage      announce "Content-Length: lots"
//   chunked      no Content-Length: chunked transfer encoding
//   long         announce the file's length and send 1 KiB more
//   redirect=K   302 to ../redirect=K-1/NAME (relative), and redirect=0 to /normal/NAME
// Every request is appended to --log as one JSON line {path, range, ifRange}.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';

function parseArgs(argv) {
  const args = {dir: null, log: null, port: 0, truncateAfter: 100000, tls: null};
  for (let idx = 2; idx < argv.length; ++idx) {
    const flag = argv[idx];
    if (flag === '--dir') args.dir = argv[++idx];
    else if (flag === '--log') args.log = argv[++idx];
    else if (flag === '--port') args.port = Number(argv[++idx]);
    else if (flag === '--truncate-after') args.truncateAfter = Number(argv[++idx]);
    else if (flag === '--tls') args.tls = {cert: argv[++idx], key: argv[++idx]};
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!args.dir) throw new Error('--dir is required');
  return args;
}

const args = parseArgs(process.argv);
const requestCounts = new Map();

function head(status, reason, headers) {
  const lines = [`HTTP/1.1 ${status} ${reason}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

function parseRequest(text) {
  const [requestLine, ...headerLines] = text.split('\r\n');
  const [method, target] = requestLine.split(' ');
  const headers = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {method, target, headers};
}

function handle(socket, request) {
  const target = request.target.split('?')[0];
  const match = /^\/([^/]+)\/([^/]+)$/.exec(target);
  if (args.log) {
    fs.appendFileSync(args.log, JSON.stringify({
      path: target, range: request.headers['range'] ?? null, ifRange: request.headers['if-range'] ?? null,
    }) + '\n');
  }
  if (!match) {
    socket.end(head(400, 'Bad Request', {'Content-Length': 0, 'Connection': 'close'}));
    return;
  }
  const modes = new Set(match[1].split(','));
  const name = decodeURIComponent(match[2]);
  const redirect = [...modes].find((mode) => mode.startsWith('redirect='));
  if (redirect) {
    const remaining = Number(redirect.slice('redirect='.length));
    const location = remaining > 0 ? `../redirect=${remaining - 1}/${match[2]}` : `/normal/${match[2]}`;
    socket.end(head(302, 'Found', {'Location': location, 'Content-Length': 0, 'Connection': 'close'}));
    return;
  }
  if (modes.has('html')) {
    const page = Buffer.from('<!DOCTYPE html><html><body>' + 'Please log in. '.repeat(70000) + '</body></html>');
    socket.end(Buffer.concat([Buffer.from(head(200, 'OK', {
      'Content-Type': 'text/html', 'Content-Length': page.length, 'Connection': 'close'})), page]));
    return;
  }
  const file = path.join(args.dir, path.basename(name));
  if (!fs.existsSync(file)) {
    socket.end(head(404, 'Not Found', {'Content-Length': 0, 'Connection': 'close'}));
    return;
  }
  let body = fs.readFileSync(file);
  const stat = fs.statSync(file);
  if (modes.has('corrupt')) {
    body = Buffer.from(body);
    body[body.length >> 1] ^= 0x5a;
  }
  const etag = `"${stat.size}-${Math.floor(stat.mtimeMs)}"`;
  const lastModified = stat.mtime.toUTCString();
  const validators = modes.has('noetag') ? {} : {'ETag': etag, 'Last-Modified': lastModified};
  const count = (requestCounts.get(target) ?? 0) + 1;
  requestCounts.set(target, count);

  if (modes.has('garbage')) {
    socket.end(head(200, 'OK', {'Content-Length': 'lots', 'Connection': 'close'}));
    return;
  }
  if (modes.has('huge')) {
    socket.end(Buffer.concat([Buffer.from(head(200, 'OK', {
      'Content-Length': (2n ** 62n).toString(), 'Connection': 'close'})), body.subarray(0, 1024)]));
    return;
  }
  if (modes.has('chunked')) {
    socket.write(head(200, 'OK', {...validators, 'Transfer-Encoding': 'chunked', 'Connection': 'close'}));
    for (let pos = 0; pos < body.length; pos += 65536) {
      const piece = body.subarray(pos, pos + 65536);
      socket.write(piece.length.toString(16) + '\r\n');
      socket.write(piece);
      socket.write('\r\n');
    }
    socket.end('0\r\n\r\n');
    return;
  }
  if (modes.has('long')) {
    socket.end(Buffer.concat([Buffer.from(head(200, 'OK', {
      ...validators, 'Content-Length': body.length, 'Connection': 'close'})), body, Buffer.alloc(1024, 0x41)]));
    return;
  }

  let start = 0;
  const range = /^bytes=(\d+)-$/.exec(request.headers['range'] ?? '');
  const ifRange = request.headers['if-range'];
  const rangeValid = range && !modes.has('norange') && !modes.has('noetag') &&
      (ifRange === undefined || ifRange === etag || ifRange === lastModified);
  let status = 200;
  let reason = 'OK';
  const headers = {...validators, 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes',
    'Connection': 'close'};
  if (rangeValid) {
    start = Number(range[1]);
    if (start >= body.length) {
      socket.end(head(416, 'Range Not Satisfiable', {'Content-Range': `bytes */${body.length}`,
        'Content-Length': 0, 'Connection': 'close'}));
      return;
    }
    status = 206;
    reason = 'Partial Content';
    headers['Content-Range'] = modes.has('badrange') ? `bytes ${start}-oops/${body.length}`
                                                      : `bytes ${start}-${body.length - 1}/${body.length}`;
  }
  const payload = body.subarray(start);
  headers['Content-Length'] = payload.length;
  if (modes.has('stall')) {
    socket.write(head(status, reason, headers));
    socket.write(payload.subarray(0, 65536));
    return;  // never ends: the client's stall timeout must
  }
  if (modes.has('truncate') && count === 1) {
    socket.write(head(status, reason, headers));
    socket.write(payload.subarray(0, args.truncateAfter), () => socket.destroy());
    return;
  }
  socket.end(Buffer.concat([Buffer.from(head(status, reason, headers)), payload]));
}

function onConnection(socket) {
  let received = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    received = Buffer.concat([received, chunk]);
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) {
      if (received.length > 65536) socket.destroy();
      return;
    }
    socket.removeAllListeners('data');
    handle(socket, parseRequest(received.subarray(0, end).toString('latin1')));
  });
}

const server = args.tls
  ? tls.createServer({cert: fs.readFileSync(args.tls.cert), key: fs.readFileSync(args.tls.key)}, onConnection)
  : net.createServer(onConnection);
server.listen(args.port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
