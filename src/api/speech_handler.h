// POST /v1/audio/speech on a connection: parse (api/speech.h), lease the
// model (loading it within the budget), hand the text to the model's speech
// engine and stream the encoded audio as the engine produces it (chunked
// transfer encoding, Content-Type per format: audio/mpeg, audio/ogg,
// audio/aac, audio/flac, audio/wav, audio/pcm). The model must serve the
// speak capability (a 400 model_not_supported otherwise, before anything
// loads); an unknown voice or a speed the voice cannot take is a 400 naming
// it. An error before the first audio byte is an ordinary error response; one
// after it ends the response early and closes the connection (the audio is
// then visibly truncated). A client that leaves is noticed at the next write,
// and the synthesis stops.
#pragma once

#include "api/http_connection.h"

namespace hearth::api {

asio::awaitable<void> handle_speech(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                    RequestState& state);

}  // namespace hearth::api
