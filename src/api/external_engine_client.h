// The wire to an external engine process (node/external_engine.h): hearth's
// SequenceRequest as an OpenAI-compatible POST /v1/completions on
// 127.0.0.1:PORT with stream: true, and the streamed chunks back as pieces.
// JSON lives here, at the edge, as everywhere in hearth.
//
// Request: model, prompt (an array of token ids, or text), max_tokens,
// temperature, top_p, seed, frequency/presence penalties, logprobs (the
// number of alternatives), stream_options.include_usage; for llama-server
// also its own top_k, min_p, repeat_penalty, repeat_last_n, n_probs,
// ignore_eos and cache_prompt. Stop strings are not sent: the engine side
// applies them (so the stop string never reaches the client and stop_index
// is known).
// Response: SSE "data:" chunks; choices[0].text, choices[0].logprobs (the
// chat form {content: [{id, token, bytes, logprob, top_logprobs}]} that
// llama-server sends, or OpenAI's legacy completions form {tokens,
// token_logprobs, top_logprobs}), finish_reason, usage, and llama-server's
// timings (prompt_ms, predicted_ms). Where a chunk's logprob entries spell its
// text, each entry becomes a piece with its own bytes. llama-server lists no
// entry for a token that ends inside a UTF-8 character (its bytes lead the
// next entry, whose logprob is that next token's): such a pair arrives as one
// piece. A non-200 answer, an {"error": ...}
// chunk, a malformed chunk or a stream that ends without a finish_reason
// fails the generation, saying what came.
//
// Each client owns one I/O thread (its coroutines: every stream and probe of
// one engine). Cancellation: a cancelled handle is noticed within 50 ms and
// closes the connection, which stops llama-server's generation.
// Thread-safety: as node::ExternalEngineClient.
#pragma once

#include <memory>

#include "node/external_engine.h"

namespace hearth::api {

std::unique_ptr<node::ExternalEngineClient> make_external_engine_client();

}  // namespace hearth::api
