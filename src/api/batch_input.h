// A batch's input file (JSONL, OpenAI's batch request input format) read
// into the lines the queue stores, or into the errors a failed batch reports.
// ref: https://platform.openai.com/docs/api-reference/batch/request-input
//
// Each non-blank line is an object {"custom_id": string (1..512 bytes, unique
// in the file), "method": "POST", "url": the batch's endpoint, "body": an
// object with a "model" string}; other keys are errors. Every line must name
// the same model (OpenAI's rule). The bodies are checked as requests when the
// line runs (an invalid one becomes a line of the error file), not here.
//
//   BatchInputLimits limits;
//   BatchInput input = read_batch_input(file_bytes, "/v1/chat/completions", limits);
//   if (!input.errors.empty()) ... the batch fails with them ...
//
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/batch_store.h"

namespace hearth::api {

struct BatchInputLimits {
  int64_t max_lines = 50'000;  // OpenAI's limit
  size_t max_errors = 100;     // errors reported; reading stops after this many
};

// One of OpenAI's BatchError objects.
struct BatchInputError {
  std::string code;
  std::string message;
  std::string param;         // "" renders null
  std::optional<int64_t> line;  // 1-based line of the input file
};

struct BatchInput {
  std::vector<jobs::BatchLineInput> lines;
  std::string model;  // the lines' model
  std::vector<BatchInputError> errors;
};

// The endpoints a batch may name.
bool is_batch_endpoint(std::string_view endpoint);

BatchInput read_batch_input(std::string_view jsonl, std::string_view endpoint, const BatchInputLimits& limits);

// The errors as the JSON array the store keeps ("[]" for none).
std::string render_batch_errors(const std::vector<BatchInputError>& errors);

}  // namespace hearth::api
