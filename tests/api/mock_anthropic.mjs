// A stand-in for Anthropic's Messages API on loopback: records every request and answers with a
// fixed message, whole or as the documented stream of events. The model "refuse" gets a 400 in
// Anthropic's error shape.
// ref: https://docs.anthropic.com/en/api/messages, https://docs.anthropic.com/en/api/messages-streaming
//
//   const anthropic = await start_mock_anthropic();   // anthropic.url: 'http://127.0.0.1:PORT/v1'
import http from 'node:http';

export async function start_mock_anthropic() {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (piece) => (body += piece));
    req.on('end', () => {
      let parsed = null;
      try {
        parsed = JSON.parse(body);
      } catch {
        // recorded as null
      }
      requests.push({ path: req.url, headers: req.headers, body: parsed });
      const error = (status, type, message) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type, message } }));
      };
      if (req.url !== '/v1/messages' || parsed === null) return error(404, 'not_found_error', 'no such route');
      if (parsed.model === 'refuse') return error(400, 'invalid_request_error', 'max_tokens: too large for this model');
      const message = {
        id: 'msg_mock',
        type: 'message',
        role: 'assistant',
        model: parsed.model,
        content: [{ type: 'text', text: 'from anthropic' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 21, output_tokens: 4 },
      };
      if (!parsed.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(message));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      send('message_start', { message: { ...message, content: [], stop_reason: null, usage: { input_tokens: 21, output_tokens: 1 } } });
      send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
      send('ping', {});
      send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'from ' } });
      send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'anthropic' } });
      send('content_block_stop', { index: 0 });
      send('message_delta', { delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 4 } });
      send('message_stop', {});
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
