// A stand-in for a cloud provider that speaks OpenAI's chat completions and embeddings APIs (and,
// for the speech and OCR routes, answers /v1/audio/speech with fixed bytes and /v1/ocr with one
// fixed page), on loopback: it records every request it receives (so tests can prove what did or did not leave
// the shop) and answers with a fixed completion, streamed or whole (with a usage chunk when
// stream_options.include_usage asks, as OpenAI does), or fixed 4-value embeddings. The model
// "break" streams two chunks and then drops the connection.
//
//   const cloud = await start_mock_openai();
//   ... cloud.url ('http://127.0.0.1:PORT/v1'), cloud.requests ([{path, headers, body, client_port}]) ...
//   await cloud.close();
import http from 'node:http';

function completion(model, content) {
  return {
    id: 'chatcmpl-mock',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
  };
}

function chunk(model, delta, finish_reason = null) {
  return {
    id: 'chatcmpl-mock',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason }],
  };
}

export async function start_mock_openai() {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (piece) => (body += piece));
    req.on('end', () => {
      let parsed = null;
      try {
        parsed = JSON.parse(body);
      } catch {
        // recorded as null; answered 400 below
      }
      requests.push({ path: req.url, headers: req.headers, body: parsed, client_port: req.socket.remotePort });
      if (req.method === 'POST' && req.url === '/v1/embeddings' && parsed !== null) {
        const inputs = Array.isArray(parsed.input) ? parsed.input : [parsed.input];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.5, 0.5, 0.5, 0.5] })),
            model: parsed.model,
            usage: { prompt_tokens: 7 * inputs.length, total_tokens: 7 * inputs.length },
          }),
        );
        return;
      }
      if (req.method === 'POST' && req.url === '/v1/audio/speech' && parsed !== null) {
        res.writeHead(200, { 'content-type': 'audio/mpeg' });
        res.end(Buffer.from('mock audio from the cloud'));
        return;
      }
      if (req.method === 'POST' && req.url === '/v1/ocr' && parsed !== null) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            pages: [{ index: 0, markdown: 'from the cloud', images: [], dimensions: { dpi: 200, height: 10, width: 10 } }],
            model: parsed.model,
            document_annotation: null,
            usage_info: { pages_processed: 1, doc_size_bytes: 1 },
          }),
        );
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions' || parsed === null) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'bad request', type: 'invalid_request_error', param: null, code: null } }));
        return;
      }
      const model = parsed.model;
      if (!parsed.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(completion(model, 'from the cloud')));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`data: ${JSON.stringify(chunk(model, { role: 'assistant', content: '' }))}\n\n`);
      const partial = `data: ${JSON.stringify(chunk(model, { content: 'from the ' }))}\n\n`;
      if (model === 'break') {
        // Cut the connection once the chunks so far are written out: the client gets them, then the break.
        res.write(partial, () => res.socket.destroy());
        return;
      }
      res.write(partial);
      res.write(`data: ${JSON.stringify(chunk(model, { content: 'cloud' }))}\n\n`);
      res.write(`data: ${JSON.stringify(chunk(model, {}, 'stop'))}\n\n`);
      if (parsed.stream_options?.include_usage) {
        const usage = { ...chunk(model, {}), choices: [], usage: completion(model, '').usage };
        res.write(`data: ${JSON.stringify(usage)}\n\n`);
      }
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
