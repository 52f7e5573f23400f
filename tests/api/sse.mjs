// Reads a text/event-stream response body into its events' data fields, as an OpenAI client would.
//
//   const res = await server.fetch('/v1/chat/completions', { json: { ...body, stream: true } });
//   const data = await read_sse_data(res);   // ['{"id":...}', ..., '[DONE]']
//
// ref: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
// Only the parts OpenAI streams use: `data:` fields (joined by "\n" within one event), comments and
// other fields ignored, events ended by a blank line, LF or CRLF line ends.
export async function read_sse_data(response) {
  const text = await response.text();
  const events = [];
  let data_lines = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') {
      if (data_lines.length > 0) events.push(data_lines.join('\n'));
      data_lines = [];
    } else if (line.startsWith('data:')) {
      data_lines.push(line.slice(5).replace(/^ /, ''));
    }
  }
  return events; // an event with no blank line after it is incomplete and dropped, as the spec says
}
